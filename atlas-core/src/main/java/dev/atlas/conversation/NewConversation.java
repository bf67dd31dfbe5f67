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
 * What to create a conversation with. Start from {@link #of(Owner, String)} and refine with the
 * {@code with}-style methods; every argument is validated when given.
 *
 * <pre>{@code
 * NewConversation.of(Owner.user("42"), "support").title("Order 1234").metadata(Map.of("channel", "web"))
 * }</pre>
 */
public final class NewConversation {
    private final Owner owner;
    private final @Nullable String agent;
    private final @Nullable UUID assistantId;
    private final ConversationType type;
    private final @Nullable UUID parentConversationId;
    private final @Nullable UUID parentToolCallId;
    private final @Nullable String title;
    private final Map<String, Object> metadata;
    private final @Nullable UUID assistantRevisionId;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param owner who the conversation belongs to (required)
     * @param agent the agent key managing it, or {@code null}
     * @param assistantId the assistant it runs with, or {@code null}
     * @param type {@link ConversationType#USER} unless it is a tool thread
     * @param parentConversationId for tool threads: the conversation that spawned it
     * @param parentToolCallId for tool threads: the tool call that spawned it
     * @param title a title, or {@code null} to take one from the first user message
     * @param metadata JSON-compatible application data (never null)
     * @param assistantRevisionId the assistant revision it runs with, or {@code null}; must exist in the tenant and belong to {@code assistantId} when both are given
     */
    public NewConversation(
            Owner owner,
            @Nullable String agent,
            @Nullable UUID assistantId,
            ConversationType type,
            @Nullable UUID parentConversationId,
            @Nullable UUID parentToolCallId,
            @Nullable String title,
            Map<String, Object> metadata,
            @Nullable UUID assistantRevisionId) {
        Check.notNull("owner", owner);
        Check.optionalKey("agent", agent);
        Check.notNull("type", type);
        Check.optionalNonBlank("title", title, Limits.MAX_TITLE_LENGTH);
        metadata = Check.metadata("metadata", metadata);
        if (parentToolCallId != null && parentConversationId == null) {
            throw new InvalidInputException("parentConversationId", "is required when parentToolCallId is given");
        }

        this.owner = owner;
        this.agent = agent;
        this.assistantId = assistantId;
        this.type = type;
        this.parentConversationId = parentConversationId;
        this.parentToolCallId = parentToolCallId;
        this.title = title;
        this.metadata = metadata;
        this.assistantRevisionId = assistantRevisionId;
    }

    /**
     * Who the conversation belongs to (required).
     *
     * @return who the conversation belongs to (required)
     */
    public Owner owner() {
        return owner;
    }

    /**
     * The agent key managing it, or {@code null}.
     *
     * @return the agent key managing it, or {@code null}
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The assistant it runs with, or {@code null}.
     *
     * @return the assistant it runs with, or {@code null}
     */
    public @Nullable UUID assistantId() {
        return assistantId;
    }

    /**
     * {@link ConversationType#USER} unless it is a tool thread.
     *
     * @return {@link ConversationType#USER} unless it is a tool thread
     */
    public ConversationType type() {
        return type;
    }

    /**
     * For tool threads: the conversation that spawned it, or {@code null}.
     *
     * @return for tool threads: the conversation that spawned it, or {@code null}
     */
    public @Nullable UUID parentConversationId() {
        return parentConversationId;
    }

    /**
     * For tool threads: the tool call that spawned it, or {@code null}.
     *
     * @return for tool threads: the tool call that spawned it, or {@code null}
     */
    public @Nullable UUID parentToolCallId() {
        return parentToolCallId;
    }

    /**
     * A title, or {@code null} to take one from the first user message.
     *
     * @return a title, or {@code null} to take one from the first user message
     */
    public @Nullable String title() {
        return title;
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
     * The assistant revision it runs with, or {@code null}; must exist in the tenant and belong to {@code assistantId} when both are given.
     *
     * @return the assistant revision it runs with, or {@code null}; must exist in the tenant and belong to {@code assistantId} when both are given
     */
    public @Nullable UUID assistantRevisionId() {
        return assistantRevisionId;
    }

    /**
     * A user conversation for {@code owner} with {@code agent} (which may be null).
     *
     * @param owner who the conversation belongs to (required)
     * @param agent the agent key managing it, or {@code null}
     * @return the new value
     */
    public static NewConversation of(Owner owner, @Nullable String agent) {
        return new NewConversation(owner, agent, null, ConversationType.USER, null, null, null, Map.of(), null);
    }

    /**
     * A user conversation for {@code owner} with no agent key.
     *
     * @param owner who the conversation belongs to (required)
     * @return the new value
     */
    public static NewConversation of(Owner owner) {
        return of(owner, null);
    }

    /**
     * A tool thread: an internal conversation spawned by a tool call in {@code parentConversationId}.
     *
     * @param owner who the conversation belongs to (required)
     * @param agent the agent key managing it, or {@code null}
     * @param parentConversationId for tool threads: the conversation that spawned it
     * @param parentToolCallId for tool threads: the tool call that spawned it, or {@code null}
     * @return the new value
     */
    public static NewConversation toolThread(Owner owner, @Nullable String agent, UUID parentConversationId, @Nullable UUID parentToolCallId) {
        return new NewConversation(owner, agent, null, ConversationType.TOOL,
                Check.notNull("parentConversationId", parentConversationId), parentToolCallId, null, Map.of(), null);
    }

    /**
     * Returns a copy with {@code title} replaced.
     *
     * @param title a title, or {@code null} to take one from the first user message
     * @return a copy with this change
     */
    public NewConversation title(@Nullable String title) {
        return new NewConversation(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, metadata, assistantRevisionId);
    }

    /**
     * Returns a copy with {@code assistantId} replaced.
     *
     * @param assistantId the assistant it runs with, or {@code null}
     * @return a copy with this change
     */
    public NewConversation assistant(@Nullable UUID assistantId) {
        return new NewConversation(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, metadata, assistantRevisionId);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data (never null): JSON values in Java's plain types, as
     *        {@link dev.atlas.Limits#MAX_METADATA_LENGTH} lists; any other value inside is refused when the
     *        conversation is written, with {@link dev.atlas.InvalidInputException} on {@code metadata} naming its path;
     *        copied whole, its maps and lists too: a change made to them afterwards is not seen
     * @return a copy with this change
     */
    public NewConversation metadata(Map<String, ?> metadata) {
        return new NewConversation(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, Check.given(metadata), assistantRevisionId);
    }

    /**
     * Makes this a tool thread under the given conversation and tool call.
     *
     * @param parentConversationId for tool threads: the conversation that spawned it
     * @param parentToolCallId for tool threads: the tool call that spawned it, or {@code null}
     * @return a copy with this change
     */
    public NewConversation parent(UUID parentConversationId, @Nullable UUID parentToolCallId) {
        return new NewConversation(owner, agent, assistantId, ConversationType.TOOL,
                Check.notNull("parentConversationId", parentConversationId), parentToolCallId, title, metadata, assistantRevisionId);
    }

    /**
     * Records the exact assistant revision (prompt and settings) the conversation runs with.
     *
     * @param assistantRevisionId the assistant revision it runs with, or {@code null}; must exist in the tenant and belong to {@code assistantId} when both are given
     * @return a copy with this change
     */
    public NewConversation assistantRevision(@Nullable UUID assistantRevisionId) {
        return new NewConversation(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, metadata, assistantRevisionId);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof NewConversation that)) {
            return false;
        }
        return true
            && Objects.equals(owner, that.owner)
            && Objects.equals(agent, that.agent)
            && Objects.equals(assistantId, that.assistantId)
            && Objects.equals(type, that.type)
            && Objects.equals(parentConversationId, that.parentConversationId)
            && Objects.equals(parentToolCallId, that.parentToolCallId)
            && Objects.equals(title, that.title)
            && Objects.equals(metadata, that.metadata)
            && Objects.equals(assistantRevisionId, that.assistantRevisionId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, metadata, assistantRevisionId);
    }

    @Override
    public String toString() {
        return "NewConversation[owner=" + owner + ", agent=" + agent + ", assistantId=" + assistantId + ", type=" + type + ", parentConversationId=" + parentConversationId + ", parentToolCallId=" + parentToolCallId + ", title=" + title + ", metadata=" + metadata + ", assistantRevisionId=" + assistantRevisionId + "]";
    }
}
