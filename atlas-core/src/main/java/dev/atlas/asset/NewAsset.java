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

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param type the type
     * @param filename the filename
     * @param mimeType the mime type
     * @param owner who it belongs to
     * @param agent the agent key
     * @param executionId the execution's id
     * @param toolCallId the tool call's id, or {@code null}
     * @param description free text
     * @param metadata JSON-compatible application data
     */
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

    /**
     * Creates a {@code NewAsset} from {@code type}, {@code filename}, {@code mimeType}.
     *
     * @param type the type
     * @param filename the filename
     * @param mimeType the mime type
     * @return the new value
     */
    public static NewAsset of(AssetType type, String filename, String mimeType) {
        return new NewAsset(type, filename, mimeType, null, null, null, null, null, Map.of());
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner who it belongs to, or {@code null}
     * @return a copy with this change
     */
    public NewAsset owner(@Nullable Owner owner) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent the agent key, or {@code null}
     * @return a copy with this change
     */
    public NewAsset agent(@Nullable String agent) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata);
    }

    /**
     * Links the asset to the execution and (optionally) the tool call that made it.
     *
     * @param executionId the execution's id
     * @param toolCallId the tool call's id, or {@code null}
     * @return a copy with this change
     */
    public NewAsset execution(UUID executionId, @Nullable UUID toolCallId) {
        return new NewAsset(type, filename, mimeType, owner, agent, Check.notNull("executionId", executionId), toolCallId, description, metadata);
    }

    /**
     * Returns a copy with {@code description} replaced.
     *
     * @param description free text, or {@code null}
     * @return a copy with this change
     */
    public NewAsset description(@Nullable String description) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data
     * @return a copy with this change
     */
    public NewAsset metadata(Map<String, ?> metadata) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, Check.metadata("metadata", metadata));
    }
}
