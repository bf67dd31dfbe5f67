package dev.atlas.asset;

import java.time.Instant;

/**
 * A blob as listed by {@link BlobStore#list(String)}.
 *
 * @param key the blob's key in the store
 * @param sizeBytes its size in bytes
 * @param lastModified when its bytes were last written
 */
public record BlobInfo(String key, long sizeBytes, Instant lastModified) {}
