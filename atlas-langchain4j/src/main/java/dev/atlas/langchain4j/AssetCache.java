package dev.atlas.langchain4j;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The text of assets a store wrote or read lately (an image's base64, a large message's JSON), so a
 * window's assets are not read from the blob store (and decoded again) on every read and every
 * update. An asset's bytes never change, so an entry never goes stale.
 *
 * <p>One least-recently-used table for the whole JVM, bounded by total size, so an app with a store
 * per tenant (thousands of them) holds no more than one store would. Each cache sees only its own
 * entries (the key carries the cache), and a store serves one tenant: an entry is only ever found by
 * the store that wrote or read it through its tenant's asset store.
 */
final class AssetCache {
    /** About 32 MiB of text (mostly base64 and JSON: one byte per character). */
    static final long DEFAULT_CHARS = 32L << 20;

    /** An entry of one cache: the owner is a token of that cache, compared by identity. */
    private record Key(Object owner, UUID assetId) {}

    private static final Object LOCK = new Object();
    private static final LinkedHashMap<Key, String> SHARED = new LinkedHashMap<>(16, 0.75f, true);
    private static long chars;

    private final long maxChars;
    // Not the cache itself: an entry outliving its store must not keep the store (and its tenant) alive.
    private final Object owner = new Object();

    AssetCache(long maxChars) {
        this.maxChars = maxChars;
    }

    void put(UUID assetId, String text) {
        if (text.length() > maxChars) {
            return;
        }
        synchronized (LOCK) {
            String old = SHARED.put(new Key(owner, assetId), text);
            chars += text.length() - (old == null ? 0 : old.length());
            for (var it = SHARED.entrySet().iterator(); chars > maxChars && it.hasNext(); ) {
                Map.Entry<Key, String> eldest = it.next();
                chars -= eldest.getValue().length();
                it.remove();
            }
        }
    }

    /** The cached text, or {@code load}'s, which is then cached. */
    String get(UUID assetId, Function<UUID, String> load) {
        synchronized (LOCK) {
            String cached = SHARED.get(new Key(owner, assetId));
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
