package dev.atlas.asset;

import java.time.Instant;

/** A blob as listed by {@link BlobStore#list(String)}. */
public record BlobInfo(String key, long sizeBytes, Instant lastModified) {}
