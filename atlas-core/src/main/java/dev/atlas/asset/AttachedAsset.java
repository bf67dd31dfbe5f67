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
public record AttachedAsset(UUID messageId, Asset asset, Map<String, Object> attachmentMetadata, Instant attachedAt) {}
