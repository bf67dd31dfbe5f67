package dev.atlas.asset;

import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Generated and uploaded files of one tenant, from {@code atlas.tenant("acme").assets()}. Bytes go
 * to the configured {@link BlobStore}; the row records size, SHA-256 and links.
 *
 * <p>{@link #store} writes the blob first (streamed to a temporary file, then moved into place),
 * then the row in one transaction; if the row cannot be written the blob is deleted. A blob left
 * behind by a crash between the two is found and removed by {@link #cleanupOrphanBlobs(Duration)}.
 */
public interface AssetStore {
    /**
     * Streams {@code content} into blob storage and records the asset. The stream is read to its
     * end but not closed. A failing stream or blob store throws {@link dev.atlas.StorageException}
     * and leaves neither row nor blob.
     */
    Asset store(NewAsset asset, InputStream content);

    /** Convenience for small contents. */
    default Asset store(NewAsset asset, byte[] content) {
        return store(asset, new java.io.ByteArrayInputStream(dev.atlas.internal.Check.notNull("content", content)));
    }

    /** The asset, unless it does not exist or is soft-deleted. */
    Optional<Asset> get(UUID assetId);

    /** Opens the asset's bytes; the caller closes the stream. */
    InputStream open(UUID assetId);

    /** Assets produced by the execution, oldest first. */
    List<Asset> byExecution(UUID executionId);

    /** Soft-deletes the asset; its bytes stay until purged by the application. */
    void delete(UUID assetId);

    /** Attaches the asset to a message (idempotent: attaching again replaces the attachment metadata). */
    AttachedAsset attach(UUID messageId, UUID assetId, Map<String, ?> attachmentMetadata);

    /** The message's live assets, in attachment order. */
    List<AttachedAsset> forMessage(UUID messageId);

    /**
     * Removes this tenant's blobs that no asset row references and that are older than
     * {@code minAge} (so a blob whose row is being written right now is spared), and reports them.
     */
    OrphanCleanup cleanupOrphanBlobs(Duration minAge);
}
