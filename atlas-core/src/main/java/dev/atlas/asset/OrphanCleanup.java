package dev.atlas.asset;

import java.util.List;

/**
 * What {@link AssetStore#cleanupOrphanBlobs(java.time.Duration)} removed: the keys of blobs whose
 * upload never got its asset row, and the number of temporary files left by uploads that never
 * finished.
 */
public record OrphanCleanup(List<String> removedKeys, int removedTemporaryFiles) {
    public OrphanCleanup {
        removedKeys = List.copyOf(removedKeys);
    }

    public OrphanCleanup(List<String> removedKeys) {
        this(removedKeys, 0);
    }

    public int count() {
        return removedKeys.size();
    }
}
