package dev.atlas.asset;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.UUID;

/**
 * Describes a file to store. Start from {@link #of(AssetType, String, String)} and refine:
 *
 * <pre>{@code
 * NewAsset.of(AssetType.IMAGE, "chart.png", "image/png").execution(exec.id(), call.id()).owner(Owner.user("42"))
 * }</pre>
 */
public record NewAsset(
        AssetType type,
        String filename,
        @Nullable String mimeType,
        @Nullable Owner owner,
        @Nullable String agent,
        @Nullable UUID executionId,
        @Nullable UUID toolCallId,
        @Nullable String description,
        Map<String, Object> metadata) {

    public NewAsset {
        Check.notNull("type", type);
        Check.key("filename", filename);
        Check.optionalKey("mimeType", mimeType);
        Check.optionalKey("agent", agent);
        Check.optional("description", description, Limits.MAX_REASON_LENGTH);
        if (toolCallId != null && executionId == null) {
            throw new dev.atlas.InvalidInputException("executionId", "is required when toolCallId is given");
        }
        metadata = Check.metadata("metadata", metadata);
    }

    public static NewAsset of(AssetType type, String filename, String mimeType) {
        return new NewAsset(type, filename, mimeType, null, null, null, null, null, Map.of());
    }

    public NewAsset owner(@Nullable Owner owner) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata);
    }

    public NewAsset agent(@Nullable String agent) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata);
    }

    /** Links the asset to the execution and (optionally) the tool call that made it. */
    public NewAsset execution(UUID executionId, @Nullable UUID toolCallId) {
        return new NewAsset(type, filename, mimeType, owner, agent, Check.notNull("executionId", executionId), toolCallId, description, metadata);
    }

    public NewAsset description(@Nullable String description) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata);
    }

    public NewAsset metadata(Map<String, ?> metadata) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, Check.metadata("metadata", metadata));
    }
}
