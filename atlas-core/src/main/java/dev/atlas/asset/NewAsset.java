package dev.atlas.asset;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Describes a file to store. Start from {@link #of(AssetType, String, String)} and refine:
 *
 * <pre>{@code
 * NewAsset.of(AssetType.IMAGE, "chart.png", "image/png").execution(exec.id(), call.id()).owner(Owner.user("42"))
 * }</pre>
 */
public final class NewAsset {
    /** type/subtype tokens (RFC 6838), then optional ;name=value parameters, values a token or a quoted string (RFC 9110). */
    private static final java.util.regex.Pattern MIME_TYPE = java.util.regex.Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
            + "(?:[ \\t]*;[ \\t]*[A-Za-z0-9!#$%&'*+.^_`|~-]+=(?:[A-Za-z0-9!#$%&'*+.^_`|~-]+|\"(?:[^\"\\\\\\x00-\\x1f\\x7f]|\\\\[\\x20-\\x7e])*\"))*");

    private final AssetType type;
    private final String filename;
    private final @Nullable String mimeType;
    private final @Nullable Owner owner;
    private final @Nullable String agent;
    private final @Nullable UUID executionId;
    private final @Nullable UUID toolCallId;
    private final @Nullable String description;
    private final Map<String, Object> metadata;
    private final @Nullable String clientKey;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param type the type
     * @param filename the file's own name (see {@link #of(AssetType, String, String)})
     * @param mimeType the mime type
     * @param owner the owner
     * @param agent the agent
     * @param executionId the execution id
     * @param toolCallId the tool call id
     * @param description the description
     * @param metadata the metadata
     */
    public NewAsset(
            AssetType type,
            String filename,
            @Nullable String mimeType,
            @Nullable Owner owner,
            @Nullable String agent,
            @Nullable UUID executionId,
            @Nullable UUID toolCallId,
            @Nullable String description,
            Map<String, Object> metadata) {
        this(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata, null);
    }

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param type the type
     * @param filename the file's own name (see {@link #of(AssetType, String, String)})
     * @param mimeType the mime type
     * @param owner the owner
     * @param agent the agent
     * @param executionId the execution id
     * @param toolCallId the tool call id
     * @param description the description
     * @param metadata the metadata
     * @param clientKey the application's key for this upload, or {@code null} (see {@link #clientKey(String)})
     */
    public NewAsset(
            AssetType type,
            String filename,
            @Nullable String mimeType,
            @Nullable Owner owner,
            @Nullable String agent,
            @Nullable UUID executionId,
            @Nullable UUID toolCallId,
            @Nullable String description,
            Map<String, Object> metadata,
            @Nullable String clientKey) {
        Check.notNull("type", type);
        checkFilename(filename);
        Check.optionalKey("mimeType", mimeType);
        if (mimeType != null && !MIME_TYPE.matcher(mimeType).matches()) {
            // Applications serve it back as Content-Type: a CR LF here would be a header injection.
            throw new dev.atlas.InvalidInputException("mimeType", "is not a mime type: type/subtype, then optional"
                    + " ;name=value parameters (RFC 6838, RFC 9110), for example image/png or audio/webm;codecs=opus");
        }
        Check.optionalKey("agent", agent);
        Check.optional("description", description, Limits.MAX_REASON_LENGTH);
        if (toolCallId != null && executionId == null) {
            throw new dev.atlas.InvalidInputException("executionId", "is required when toolCallId is given");
        }
        metadata = Check.metadata("metadata", metadata);
        Check.optionalKey("clientKey", clientKey);

        this.type = type;
        this.filename = filename;
        this.mimeType = mimeType;
        this.owner = owner;
        this.agent = agent;
        this.executionId = executionId;
        this.toolCallId = toolCallId;
        this.description = description;
        this.metadata = metadata;
        this.clientKey = clientKey;
    }

    /**
     * A file's own name, as applications serve it back (a download's name, Content-Disposition):
     * no directory in it, so it cannot lead a download out of its folder, and no line break,
     * which would split a header. Anything else (Unicode, spaces, a Windows device name, other
     * control characters, which a display escapes) is kept as given.
     */
    private static void checkFilename(String filename) {
        Check.key("filename", filename);
        if (filename.equals(".") || filename.equals("..") || filename.indexOf('/') >= 0 || filename.indexOf('\\') >= 0) {
            throw new dev.atlas.InvalidInputException("filename", "is a path, not a file's name: no / or \\, not . or ..");
        }
        if (filename.indexOf('\r') >= 0 || filename.indexOf('\n') >= 0) {
            throw new dev.atlas.InvalidInputException("filename", "contains a line break (CR or LF), which would split a header it is served in");
        }
    }

    /**
     * The type.
     *
     * @return the type
     */
    public AssetType type() {
        return type;
    }

    /**
     * The filename.
     *
     * @return the filename
     */
    public String filename() {
        return filename;
    }

    /**
     * The mime type.
     *
     * @return the mime type
     */
    public @Nullable String mimeType() {
        return mimeType;
    }

    /**
     * The owner; {@code null} stores the owner of the execution's conversation, or the execution's own
     * when it has no conversation (nobody without an execution).
     *
     * @return the owner
     */
    public @Nullable Owner owner() {
        return owner;
    }

    /**
     * The agent.
     *
     * @return the agent
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The execution id.
     *
     * @return the execution id
     */
    public @Nullable UUID executionId() {
        return executionId;
    }

    /**
     * The tool call id.
     *
     * @return the tool call id
     */
    public @Nullable UUID toolCallId() {
        return toolCallId;
    }

    /**
     * The description.
     *
     * @return the description
     */
    public @Nullable String description() {
        return description;
    }

    /**
     * The metadata.
     *
     * @return the metadata
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * Creates a {@code NewAsset} from {@code type}, {@code filename}, {@code mimeType}.
     *
     * @param type the type
     * @param filename the file's own name, kept as given: 1 to {@link Limits#MAX_KEY_LENGTH}
     *     characters, not blank, no {@code /} or {@code \}, not {@code .} or {@code ..}, no CR or LF
     * @param mimeType {@code type/subtype} with optional {@code ;name=value} parameters, or {@code null}
     * @return the new value
     */
    public static NewAsset of(AssetType type, String filename, @Nullable String mimeType) {
        return new NewAsset(type, filename, mimeType, null, null, null, null, null, Map.of());
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner who it belongs to, or {@code null}
     * @return a copy with this change
     */
    public NewAsset owner(@Nullable Owner owner) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata, clientKey);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent the agent key, or {@code null}
     * @return a copy with this change
     */
    public NewAsset agent(@Nullable String agent) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata, clientKey);
    }

    /**
     * Links the asset to the execution and (optionally) the tool call that made it.
     *
     * @param executionId the execution's id
     * @param toolCallId the tool call's id, or {@code null}
     * @return a copy with this change
     */
    public NewAsset execution(UUID executionId, @Nullable UUID toolCallId) {
        return new NewAsset(type, filename, mimeType, owner, agent, Check.notNull("executionId", executionId), toolCallId, description, metadata, clientKey);
    }

    /**
     * Returns a copy with {@code description} replaced.
     *
     * @param description free text, or {@code null}
     * @return a copy with this change
     */
    public NewAsset description(@Nullable String description) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata, clientKey);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data
     * @return a copy with this change
     */
    public NewAsset metadata(Map<String, ?> metadata) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, Check.given(metadata), clientKey);
    }

    /**
     * Returns a copy with the application's own key for this upload (an idempotency key): while this
     * tenant has a live asset created with the key, {@link AssetStore#create} with the same key and
     * the same bytes returns that asset as first stored (the other fields of this value are not
     * compared) and stores nothing; other bytes are a {@link dev.atlas.ConflictException} naming
     * {@code clientKey}. Such a retry reads the content only to compare its size and SHA-256 and
     * writes no byte to the blob store (concurrent first creates with one key may each write theirs;
     * all but the kept one are deleted). Deleting the asset frees the key. Keys are per tenant and compared exactly
     * ({@code "A"} and {@code "a"} are two keys).
     *
     * @param clientKey 1 to {@link Limits#MAX_KEY_LENGTH} characters, not blank; or {@code null} for none
     * @return a copy with this change
     */
    public NewAsset clientKey(@Nullable String clientKey) {
        return new NewAsset(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata, clientKey);
    }

    /**
     * The application's key for this upload, if any; see {@link #clientKey(String)}.
     *
     * @return the key, or {@code null}
     */
    public @Nullable String clientKey() {
        return clientKey;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof NewAsset that)) {
            return false;
        }
        return true
            && Objects.equals(type, that.type)
            && Objects.equals(filename, that.filename)
            && Objects.equals(mimeType, that.mimeType)
            && Objects.equals(owner, that.owner)
            && Objects.equals(agent, that.agent)
            && Objects.equals(executionId, that.executionId)
            && Objects.equals(toolCallId, that.toolCallId)
            && Objects.equals(description, that.description)
            && Objects.equals(metadata, that.metadata)
            && Objects.equals(clientKey, that.clientKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, filename, mimeType, owner, agent, executionId, toolCallId, description, metadata, clientKey);
    }

    @Override
    public String toString() {
        return "NewAsset[type=" + type + ", filename=" + filename + ", mimeType=" + mimeType + ", owner=" + owner + ", agent=" + agent + ", executionId=" + executionId + ", toolCallId=" + toolCallId + ", description=" + description + ", metadata=" + metadata + ", clientKey=" + clientKey + "]";
    }
}
