package dev.atlas.asset;

/**
 * What {@link BlobStore#put} wrote: the key, the byte count and the lowercase hex SHA-256.
 *
 * @param key the key the bytes were stored under
 * @param sizeBytes how many bytes were written
 * @param sha256 the SHA-256 of those bytes, 64 lowercase hex characters
 */
public record StoredBlob(String key, long sizeBytes, String sha256) {}
