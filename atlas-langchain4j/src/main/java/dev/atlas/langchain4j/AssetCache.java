package dev.atlas.langchain4j;

import dev.atlas.Tenant;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.WeakHashMap;
import java.util.function.Function;

/**
 * The text of assets stores read or wrote lately (an image's base64, a large message's JSON), so a
 * window's assets are not read from the blob store (and decoded again) on every read and every
 * update. An asset's bytes never change, so an entry's text never goes stale; whether the asset is
 * still live (not deleted, purged or discarded) is not cached: each read of a window asks, for all
 * its assets in one statement.
 *
 * <p>One least-recently-used table for the whole JVM, bounded by total size ({@link #MAX_CHARS}), so
 * an app with a store per tenant (thousands of them) holds no more than one store would. Entries are
 * keyed by tenant (its Atlas instance and id) and asset id, so every store of a tenant, including
 * stores built per request, shares them, while a tenant never finds another's, nor one Atlas
 * instance's (one database's) tenant another's with the same id: what is not cached is loaded
 * through the tenant's own asset store.
 */
final class AssetCache {
    /** About 32 MiB of text (mostly base64 and JSON: one byte per character), for the whole JVM. */
    static final long MAX_CHARS = 32L << 20;

    /** {@code scope} is a token of the tenant's Atlas instance (compared by identity). */
    private record Key(Object scope, String tenantId, UUID assetId) {}

    private static final Object LOCK = new Object();
    private static final LinkedHashMap<Key, String> SHARED = new LinkedHashMap<>(16, 0.75f, true);
    // Of the Atlas, not of the view: every view of a tenant, cached by Atlas or not, shares the token.
    // Weak, and a token, not the Atlas: entries must not keep a closed Atlas alive.
    private static final Map<dev.atlas.Atlas, Object> SCOPES = new WeakHashMap<>();
    private static long chars;

    private final Object scope;
    private final String tenantId;

    AssetCache(Tenant tenant) {
        synchronized (LOCK) {
            this.scope = SCOPES.computeIfAbsent(tenant.atlas(), a -> new Object());
        }
        this.tenantId = tenant.id();
    }

    void put(UUID assetId, String text) {
        if (text.length() > MAX_CHARS) {
            return;
        }
        synchronized (LOCK) {
            String old = SHARED.put(new Key(scope, tenantId, assetId), text);
            chars += text.length() - (old == null ? 0 : old.length());
            for (var it = SHARED.entrySet().iterator(); chars > MAX_CHARS && it.hasNext(); ) {
                Map.Entry<Key, String> eldest = it.next();
                chars -= eldest.getValue().length();
                it.remove();
            }
        }
    }

    /** The cached text, or {@code load}'s, which is then cached. */
    String get(UUID assetId, Function<UUID, String> load) {
        synchronized (LOCK) {
            String cached = SHARED.get(new Key(scope, tenantId, assetId));
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
