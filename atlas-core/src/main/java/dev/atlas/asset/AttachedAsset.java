package dev.atlas.asset;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** An asset attached to a message, with the attachment's own metadata. */
public record AttachedAsset(UUID messageId, Asset asset, Map<String, Object> attachmentMetadata, Instant attachedAt) {}
