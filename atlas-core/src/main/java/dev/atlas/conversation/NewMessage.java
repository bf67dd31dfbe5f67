package dev.atlas.conversation;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A message to append. Start from {@link #user(String)}, {@link #assistant(String)},
 * {@link #system(String)}, {@link #tool(String)} or {@link #json(Role, String)} and refine:
 *
 * <pre>{@code
 * NewMessage.user("Where is order 1234?").clientId("c-1").author(Owner.user("42"))
 * }</pre>
 */
public final class NewMessage {
    private final Role role;
    private final ContentType contentType;
    private final String content;
    private final MessageStatus status;
    private final @Nullable String failureReason;
    private final @Nullable String clientId;
    private final @Nullable Owner author;
    private final @Nullable String agent;
    private final @Nullable UUID parentId;
    private final @Nullable UUID executionId;
    private final @Nullable UUID stepId;
    private final Map<String, Object> metadata;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param role who the message is from
     * @param contentType text, or JSON (validated as JSON before writing)
     * @param content the message content; may be empty, never null
     * @param status initial status, {@link MessageStatus#DELIVERED} by default
     * @param clientId the caller's idempotency key, unique per conversation, or {@code null}
     * @param author who sent it (multi-user threads), or {@code null}
     * @param agent which agent authored it (multi-agent threads), or {@code null}
     * @param parentId the message this one answers; answers of one role to the same parent are retry siblings, of which one is active (one group, for answers of one execution)
     * @param executionId the execution that produced it, or {@code null}
     * @param stepId the execution step that produced it, or {@code null}
     * @param metadata JSON-compatible application data (never null)
     * @param failureReason why it failed, or {@code null}
     */
    public NewMessage(
            Role role,
            ContentType contentType,
            String content,
            MessageStatus status,
            @Nullable String failureReason,
            @Nullable String clientId,
            @Nullable Owner author,
            @Nullable String agent,
            @Nullable UUID parentId,
            @Nullable UUID executionId,
            @Nullable UUID stepId,
            Map<String, Object> metadata) {
        Check.notNull("role", role);
        Check.notNull("contentType", contentType);
        Check.notNull("content", content);
        Check.text("content", content, Limits.MAX_CONTENT_LENGTH);
        Check.notNull("status", status);
        Check.optional("failureReason", failureReason, Limits.MAX_REASON_LENGTH);
        if (failureReason != null && status != MessageStatus.FAILED) {
            throw new InvalidInputException("failureReason", "is only allowed with status failed, status is " + status);
        }
        Check.optionalKey("clientId", clientId);
        Check.optionalKey("agent", agent);
        if (stepId != null && executionId == null) {
            throw new InvalidInputException("executionId", "is required when stepId is given");
        }
        metadata = Check.metadata("metadata", metadata);

        this.role = role;
        this.contentType = contentType;
        this.content = content;
        this.status = status;
        this.failureReason = failureReason;
        this.clientId = clientId;
        this.author = author;
        this.agent = agent;
        this.parentId = parentId;
        this.executionId = executionId;
        this.stepId = stepId;
        this.metadata = metadata;
    }

    /**
     * Who the message is from.
     *
     * @return who the message is from
     */
    public Role role() {
        return role;
    }

    /**
     * Text, or JSON (validated as JSON before writing).
     *
     * @return text, or JSON (validated as JSON before writing)
     */
    public ContentType contentType() {
        return contentType;
    }

    /**
     * The message content; may be empty, never null.
     *
     * @return the message content; may be empty, never null
     */
    public String content() {
        return content;
    }

    /**
     * Initial status, {@link MessageStatus#DELIVERED} by default.
     *
     * @return initial status, {@link MessageStatus#DELIVERED} by default
     */
    public MessageStatus status() {
        return status;
    }

    /**
     * Why it failed.
     *
     * @return why it failed, or {@code null}
     */
    public @Nullable String failureReason() {
        return failureReason;
    }

    /**
     * The caller's idempotency key, unique per conversation, or {@code null}.
     *
     * @return the caller's idempotency key, unique per conversation, or {@code null}
     */
    public @Nullable String clientId() {
        return clientId;
    }

    /**
     * Who sent it (multi-user threads), or {@code null}.
     *
     * @return who sent it (multi-user threads), or {@code null}
     */
    public @Nullable Owner author() {
        return author;
    }

    /**
     * Which agent authored it (multi-agent threads), or {@code null}.
     *
     * @return which agent authored it (multi-agent threads), or {@code null}
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The message this one answers; answers of one role to the same parent are retry siblings, of which one is active (one group, for answers of one execution), or {@code null}.
     *
     * @return the message this one answers; answers of one role to the same parent are retry siblings, of which one is active (one group, for answers of one execution), or {@code null}
     */
    public @Nullable UUID parentId() {
        return parentId;
    }

    /**
     * The execution that produced it, or {@code null}.
     *
     * @return the execution that produced it, or {@code null}
     */
    public @Nullable UUID executionId() {
        return executionId;
    }

    /**
     * The execution step that produced it, or {@code null}.
     *
     * @return the execution step that produced it, or {@code null}
     */
    public @Nullable UUID stepId() {
        return stepId;
    }

    /**
     * JSON-compatible application data (never null).
     *
     * @return JSON-compatible application data (never null)
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * Creates a {@code NewMessage} from {@code role}, {@code content}.
     *
     * @param role who the message is from
     * @param content the message content; may be empty, never null
     * @return the new value
     */
    public static NewMessage of(Role role, String content) {
        return new NewMessage(role, ContentType.TEXT, content, MessageStatus.DELIVERED, null, null, null, null, null, null, null, Map.of());
    }

    /**
     * Creates a {@code NewMessage} from {@code content}.
     *
     * @param content the message content; may be empty, never null
     * @return the new value
     */
    public static NewMessage user(String content) {
        return of(Role.USER, content);
    }

    /**
     * Creates a {@code NewMessage} from {@code content}.
     *
     * @param content the message content; may be empty, never null
     * @return the new value
     */
    public static NewMessage assistant(String content) {
        return of(Role.ASSISTANT, content);
    }

    /**
     * Creates a {@code NewMessage} from {@code content}.
     *
     * @param content the message content; may be empty, never null
     * @return the new value
     */
    public static NewMessage system(String content) {
        return of(Role.SYSTEM, content);
    }

    /**
     * Creates a {@code NewMessage} from {@code content}.
     *
     * @param content the message content; may be empty, never null
     * @return the new value
     */
    public static NewMessage tool(String content) {
        return of(Role.TOOL, content);
    }

    /**
     * A message whose content is a JSON document, checked to be valid JSON when appended.
     *
     * @param role who the message is from
     * @param json the JSON document
     * @return the new value
     */
    public static NewMessage json(Role role, String json) {
        return new NewMessage(role, ContentType.JSON, json, MessageStatus.DELIVERED, null, null, null, null, null, null, null, Map.of());
    }

    /**
     * Returns a copy with {@code clientId} replaced.
     *
     * @param clientId the caller's idempotency key, unique per conversation, or {@code null}
     * @return a copy with this change
     */
    public NewMessage clientId(@Nullable String clientId) {
        return new NewMessage(role, contentType, content, status, failureReason, clientId, author, agent, parentId, executionId, stepId, metadata);
    }

    /**
     * Returns a copy with {@code author} replaced.
     *
     * @param author who sent it (multi-user threads), or {@code null}
     * @return a copy with this change
     */
    public NewMessage author(@Nullable Owner author) {
        return new NewMessage(role, contentType, content, status, failureReason, clientId, author, agent, parentId, executionId, stepId, metadata);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent which agent authored it (multi-agent threads), or {@code null}
     * @return a copy with this change
     */
    public NewMessage agent(@Nullable String agent) {
        return new NewMessage(role, contentType, content, status, failureReason, clientId, author, agent, parentId, executionId, stepId, metadata);
    }

    /**
     * Marks this message as an answer to {@code parentId}; see {@link ConversationStore#siblings(UUID)}.
     * Messages of one role answering one parent are retry siblings, of which one is shown: a later
     * one hides the earlier, unless they carry the same {@link #execution execution}, whose answers
     * to a parent are shown together. Tool results without an execution are the exception: each
     * answers one of the parent's parallel tool calls, so all of them show, in append order; a
     * retried result shows beside the first, so {@link ConversationStore#deleteMessage delete} the
     * one it replaces.
     *
     * @param parentId the message this one answers; answers of one role to the same parent are retry siblings, of which one is active (one group, for answers of one execution), or {@code null}
     * @return a copy with this change
     */
    public NewMessage parent(@Nullable UUID parentId) {
        return new NewMessage(role, contentType, content, status, failureReason, clientId, author, agent, parentId, executionId, stepId, metadata);
    }

    /**
     * Returns a copy with {@code status} replaced.
     *
     * @param status initial status, {@link MessageStatus#DELIVERED} by default
     * @return a copy with this change
     */
    public NewMessage status(MessageStatus status) {
        return new NewMessage(role, contentType, content, status, null, clientId, author, agent, parentId, executionId, stepId, metadata);
    }

    /**
     * Stores the message as failed with a reason.
     *
     * @param reason why it failed
     * @return a copy with this change
     */
    public NewMessage failed(String reason) {
        return new NewMessage(role, contentType, content, MessageStatus.FAILED, Check.notNull("failureReason", reason), clientId, author, agent, parentId, executionId, stepId, metadata);
    }

    /**
     * Links the message to the execution (and optionally the step) that produced it.
     *
     * @param executionId the execution that produced it
     * @param stepId the execution step that produced it, or {@code null}
     * @return a copy with this change
     */
    public NewMessage execution(UUID executionId, @Nullable UUID stepId) {
        return new NewMessage(role, contentType, content, status, failureReason, clientId, author, agent, parentId,
                Check.notNull("executionId", executionId), stepId, metadata);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data (never null): JSON values in Java's plain types, as
     *        {@link dev.atlas.Limits#MAX_METADATA_LENGTH} lists; any other value inside is refused when the
     *        message is written, with {@link dev.atlas.InvalidInputException} on {@code metadata} naming its path;
     *        copied whole, its maps and lists too: a change made to them afterwards is not seen
     * @return a copy with this change
     */
    public NewMessage metadata(Map<String, ?> metadata) {
        return new NewMessage(role, contentType, content, status, failureReason, clientId, author, agent, parentId, executionId, stepId,
                Check.given(metadata));
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof NewMessage that)) {
            return false;
        }
        return true
            && Objects.equals(role, that.role)
            && Objects.equals(contentType, that.contentType)
            && Objects.equals(content, that.content)
            && Objects.equals(status, that.status)
            && Objects.equals(failureReason, that.failureReason)
            && Objects.equals(clientId, that.clientId)
            && Objects.equals(author, that.author)
            && Objects.equals(agent, that.agent)
            && Objects.equals(parentId, that.parentId)
            && Objects.equals(executionId, that.executionId)
            && Objects.equals(stepId, that.stepId)
            && Objects.equals(metadata, that.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(role, contentType, content, status, failureReason, clientId, author, agent, parentId, executionId, stepId, metadata);
    }

    @Override
    public String toString() {
        return "NewMessage[role=" + role + ", contentType=" + contentType + ", content=" + content + ", status=" + status + ", failureReason=" + failureReason + ", clientId=" + clientId + ", author=" + author + ", agent=" + agent + ", parentId=" + parentId + ", executionId=" + executionId + ", stepId=" + stepId + ", metadata=" + metadata + "]";
    }
}
