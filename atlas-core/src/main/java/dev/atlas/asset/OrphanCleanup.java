package dev.atlas.asset;

import java.util.List;

/** The blobs {@link AssetStore#cleanupOrphanBlobs(java.time.Duration)} removed because no asset row referenced them. */
public record OrphanCleanup(List<String> removedKeys) {
    public OrphanCleanup {
        removedKeys = List.copyOf(removedKeys);
    }

    public int count() {
        return removedKeys.size();
    }
}
