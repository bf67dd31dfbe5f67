package dev.atlas.asset;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * An asset attached to a message, with the attachment's own metadata.
 *
 * @param messageId the message the asset is attached to
 * @param asset the asset
 * @param attachmentMetadata JSON-compatible data of this attachment (not of the asset); empty when none
 * @param attachedAt when it was attached
 */
public record AttachedAsset(UUID messageId, Asset asset, Map<String, Object> attachmentMetadata, Instant attachedAt) {
    /**
     * Copies {@code attachmentMetadata} deeply into a map that cannot be changed.
     *
     * @param messageId the message the asset is attached to
     * @param asset the asset
     * @param attachmentMetadata JSON-compatible data of this attachment
     * @param attachedAt when it was attached
     */
    public AttachedAsset {
        attachmentMetadata = dev.atlas.internal.Check.frozenJson(attachmentMetadata);
    }

    /**
     * The attachment metadata key that makes the asset part of its message when its value is
     * {@code true} (see {@link AssetStore#attachPart}): retention deletes the asset, row and bytes,
     * when it deletes the message, as it deletes an execution's assets with its conversation, unless a
     * message it keeps also holds the asset. An
     * asset attached without it is an upload that outlives the message.
     */
    public static final String PART = "atlas.part";
}
