package dev.atlas.langchain4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The text of assets a store wrote or read lately (an image's base64, a large message's JSON), so a
 * window's assets are not read from the blob store (and decoded again) on every read and every
 * update. An asset's bytes never change, so an entry never goes stale. Bounded by total size, least
 * recently used first out.
 * One per store, and a store serves one tenant: an entry is only ever found through a row of that
 * tenant, and was written or read through that tenant's asset store.
 */
final class AssetCache {
    /** About 32 MiB of text (mostly base64 and JSON: one byte per character). */
    static final long DEFAULT_CHARS = 32L << 20;

    private final long maxChars;
    private long chars;
    private final LinkedHashMap<UUID, String> byAsset = new LinkedHashMap<>(16, 0.75f, true);

    AssetCache(long maxChars) {
        this.maxChars = maxChars;
    }

    synchronized void put(UUID assetId, String text) {
        if (text.length() > maxChars) {
            return;
        }
        String old = byAsset.put(assetId, text);
        chars += text.length() - (old == null ? 0 : old.length());
        for (var it = byAsset.entrySet().iterator(); chars > maxChars && it.hasNext(); ) {
            Map.Entry<UUID, String> eldest = it.next();
            chars -= eldest.getValue().length();
            it.remove();
        }
    }

    /** The cached text, or {@code load}'s, which is then cached. */
    String get(UUID assetId, Function<UUID, String> load) {
        synchronized (this) {
            String cached = byAsset.get(assetId);
            if (cached != null) {
                return cached;
            }
        }
        // Loaded outside the lock: a slow blob store must not stall other memories' reads.
        String loaded = load.apply(assetId);
        put(assetId, loaded);
        return loaded;
    }
}
