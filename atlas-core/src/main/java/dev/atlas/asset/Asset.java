package dev.atlas.asset;

import dev.atlas.Owner;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A stored file: its bytes live in the {@link BlobStore} under {@code blobKey}; open them with
 * {@link AssetStore#open(UUID)}.
 *
 * @param sha256 lowercase hex SHA-256 of the bytes
 */
public record Asset(
        UUID id,
        String tenantId,
        AssetType type,
        String mimeType,
        String filename,
        String blobKey,
        long sizeBytes,
        String sha256,
        Owner owner,
        String agent,
        UUID executionId,
        UUID toolCallId,
        String description,
        Map<String, Object> metadata,
        Instant createdAt,
        Instant updatedAt,
        Instant deletedAt) {

    public boolean isDeleted() {
        return deletedAt != null;
    }
}
