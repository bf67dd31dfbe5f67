package dev.atlas.conversation;

import dev.atlas.internal.Check;

import java.util.Map;
import java.util.UUID;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;

/**
 * What to create a conversation with. Start from {@link #of(Owner, String)} and refine with the
 * {@code with}-style methods; every argument is validated when given.
 *
 * <pre>{@code
 * NewConversation.of(Owner.user("42"), "support").title("Order 1234").metadata(Map.of("channel", "web"))
 * }</pre>
 *
 * @param owner                who the conversation belongs to (required)
 * @param agent                the agent key managing it, or {@code null}
 * @param assistantId          the assistant it runs with, or {@code null}
 * @param type                 {@link ConversationType#USER} unless it is a tool thread
 * @param parentConversationId for tool threads: the conversation that spawned it
 * @param parentToolCallId     for tool threads: the tool call that spawned it
 * @param title                a title, or {@code null} to take one from the first user message
 * @param metadata             JSON-compatible application data (never null)
 * @param assistantRevisionId  the assistant revision it runs with, or {@code null}; must exist in the
 *                             tenant and belong to {@code assistantId} when both are given
 */
public record NewConversation(
        Owner owner,
        String agent,
        UUID assistantId,
        ConversationType type,
        UUID parentConversationId,
        UUID parentToolCallId,
        String title,
        Map<String, Object> metadata,
        UUID assistantRevisionId) {

    public NewConversation {
        Check.notNull("owner", owner);
        Check.optionalKey("agent", agent);
        Check.notNull("type", type);
        Check.optionalNonBlank("title", title, Limits.MAX_TITLE_LENGTH);
        metadata = Check.metadata("metadata", metadata);
        if (parentToolCallId != null && parentConversationId == null) {
            throw new InvalidInputException("parentConversationId", "is required when parentToolCallId is given");
        }
    }

    /** A user conversation for {@code owner} with {@code agent} (which may be null). */
    public static NewConversation of(Owner owner, String agent) {
        return new NewConversation(owner, agent, null, ConversationType.USER, null, null, null, Map.of(), null);
    }

    /** A user conversation for {@code owner} with no agent key. */
    public static NewConversation of(Owner owner) {
        return of(owner, null);
    }

    /**
     * A tool thread: an internal conversation spawned by a tool call in {@code parentConversationId}.
     */
    public static NewConversation toolThread(Owner owner, String agent, UUID parentConversationId, UUID parentToolCallId) {
        return new NewConversation(owner, agent, null, ConversationType.TOOL,
                Check.notNull("parentConversationId", parentConversationId), parentToolCallId, null, Map.of(), null);
    }

    public NewConversation title(String title) {
        return new NewConversation(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, metadata, assistantRevisionId);
    }

    public NewConversation assistant(UUID assistantId) {
        return new NewConversation(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, metadata, assistantRevisionId);
    }

    public NewConversation metadata(Map<String, ?> metadata) {
        return new NewConversation(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, Check.metadata("metadata", metadata), assistantRevisionId);
    }

    /** Makes this a tool thread under the given conversation and tool call. */
    public NewConversation parent(UUID parentConversationId, UUID parentToolCallId) {
        return new NewConversation(owner, agent, assistantId, ConversationType.TOOL,
                Check.notNull("parentConversationId", parentConversationId), parentToolCallId, title, metadata, assistantRevisionId);
    }

    /** Records the exact assistant revision (prompt and settings) the conversation runs with. */
    public NewConversation assistantRevision(UUID assistantRevisionId) {
        return new NewConversation(owner, agent, assistantId, type, parentConversationId, parentToolCallId, title, metadata, assistantRevisionId);
    }
}
