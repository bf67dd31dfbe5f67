package dev.atlas.asset;

/** What {@link BlobStore#put} wrote: the key, the byte count and the lowercase hex SHA-256. */
public record StoredBlob(String key, long sizeBytes, String sha256) {}
