package dev.atlas.asset;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

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
        @Nullable String mimeType,
        String filename,
        String blobKey,
        long sizeBytes,
        String sha256,
        @Nullable Owner owner,
        @Nullable String agent,
        @Nullable UUID executionId,
        @Nullable UUID toolCallId,
        @Nullable String description,
        Map<String, Object> metadata,
        Instant createdAt,
        Instant updatedAt,
        @Nullable Instant deletedAt) {

    /**
     * Whether it was soft-deleted.
     *
     * @return whether it was soft-deleted
     */
    public boolean isDeleted() {
        return deletedAt != null;
    }
}
