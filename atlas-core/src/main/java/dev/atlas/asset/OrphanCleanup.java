package dev.atlas.asset;

import dev.atlas.internal.Check;
import java.util.List;

/**
 * What {@link AssetStore#cleanupOrphanBlobs(java.time.Duration)} removed: the keys of blobs whose
 * upload never got its asset row, and the number of temporary files left by uploads that never
 * finished.
 *
 * @param removedKeys keys of the blobs removed, in no particular order; empty when none
 * @param removedTemporaryFiles how many temporary files of unfinished uploads were removed
 */
public record OrphanCleanup(List<String> removedKeys, int removedTemporaryFiles) {
    /**
     * Copies {@code removedKeys}, so the value does not change with the caller's list.
     *
     * @param removedKeys the removed keys
     * @param removedTemporaryFiles the removed temporary files
     */
    public OrphanCleanup {
        removedKeys = Check.copy("removedKeys", removedKeys);
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
     * How many blobs were removed; temporary files are counted in {@link #removedTemporaryFiles()}.
     *
     * @return the number of removed blob keys
     */
    public int count() {
        return removedKeys.size();
    }
}
