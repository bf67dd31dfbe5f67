package dev.atlas.asset;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * Where asset bytes live. Keys are relative paths of {@code [A-Za-z0-9._-]} segments separated by
 * {@code /}, chosen by Atlas. Implementations must be thread-safe and make {@link #put} atomic: a
 * key either has all its bytes or does not exist. {@link LocalDirectoryBlobStore} is the default;
 * plug another (S3, GCS …) with {@code Atlas.builder().blobStore(...)}.
 */
public interface BlobStore {
    /**
     * Streams {@code content} (not closed) to {@code key}, replacing nothing: the key must be new,
     * and of puts racing to one key at most one may land (a key that exists is a
     * {@link java.nio.file.FileAlreadyExistsException}). It reads {@code content} to its end and
     * returns {@code key} itself, the number of bytes and their lowercase hex SHA-256 (not an ETag):
     * an {@link AssetStore#create} whose put does not (another key or none included) is a
     * {@link dev.atlas.StorageException}, its bytes deleted.
     *
     * @param key the key
     * @param content the content
     * @return the storedBlob
     * @throws IOException when the storage fails
     */
    StoredBlob put(String key, InputStream content) throws IOException;

    /**
     * Opens the bytes of {@code key}; throws {@link java.nio.file.NoSuchFileException} when absent.
     * Never returns {@code null} ({@link AssetStore#open} reports that as a {@link dev.atlas.StorageException}).
     * The stream's reads may fail with an {@link IOException} (once the bytes are deleted, on an
     * object store): {@link AssetStore#open}'s stream reports them as its Javadoc says.
     *
     * @param key the key
     * @return the inputStream
     * @throws IOException when the storage fails
     */
    InputStream open(String key) throws IOException;

    /**
     * Deletes {@code key}; returns whether it existed.
     *
     * @param key the key
     * @return whether it existed
     * @throws IOException when the storage fails
     */
    boolean delete(String key) throws IOException;

    /**
     * Every key starting with {@code prefix}, in no particular order.
     *
     * @param prefix the key prefix
     * @return the matching items, in order
     * @throws IOException when the storage fails
     */
    List<BlobInfo> list(String prefix) throws IOException;

    /**
     * Removes the temporary files of {@link #put} calls that never finished (the process
     * crashed, or was stopped by an {@link Error}) and were last modified before
     * {@code olderThan}, by this store's own clock; returns how many were removed. A store that
     * leaves no such files (the default) removes nothing. Called by
     * {@link AssetStore#cleanupOrphanBlobs(java.time.Duration)}.
     *
     * @param olderThan only items older than this
     * @return how many temporary files were removed
     * @throws IOException when the storage fails
     */
    default int removeAbandonedTemporaryFiles(Instant olderThan) throws IOException {
        return 0;
    }

    /**
     * Like {@link #removeAbandonedTemporaryFiles(Instant)}, but only for {@link #put} calls to keys
     * below {@code keyPrefix} (whole segments, ending in {@code /}). Atlas calls this one, with the
     * prefix of one tenant's keys, so one tenant's cleanup neither removes nor counts another
     * tenant's uploads. The default removes every temporary file: override it in a store that
     * leaves such files.
     *
     * @param keyPrefix the keys' common prefix, ending in {@code /}
     * @param olderThan only items older than this
     * @return how many temporary files were removed
     * @throws IOException when the storage fails
     */
    default int removeAbandonedTemporaryFiles(String keyPrefix, Instant olderThan) throws IOException {
        return removeAbandonedTemporaryFiles(olderThan);
    }
}
