package dev.atlas.asset;

import java.util.List;

/**
 * What {@link AssetStore#cleanupOrphanBlobs(java.time.Duration)} removed: the keys of blobs whose
 * upload never got its asset row, and the number of temporary files left by uploads that never
 * finished.
 */
public record OrphanCleanup(List<String> removedKeys, int removedTemporaryFiles) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param removedKeys the removed keys
     * @param removedTemporaryFiles the removed temporary files
     */
    public OrphanCleanup {
        removedKeys = List.copyOf(removedKeys);
    }

    /**
     * Creates the value.
     *
     * @param removedKeys the removed keys
     */
    public OrphanCleanup(List<String> removedKeys) {
        this(removedKeys, 0);
    }

    /**
     * How many blobs and temporary files were removed.
     *
     * @return how many blobs and temporary files were removed
     */
    public int count() {
        return removedKeys.size();
    }
}
