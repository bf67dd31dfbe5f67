package dev.atlas.memory;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * What to remember. Start from a factory such as {@link #fact(Owner, String)} and refine:
 *
 * <pre>{@code
 * NewMemory.preference(Owner.user("42"), "Prefers email over phone")
 *         .agent("support").tags("contact").importance(0.8).from(conversationId, messageId)
 * }</pre>
 */
public final class NewMemory {
    private final Owner owner;
    private final @Nullable String agent;
    private final MemoryKind kind;
    private final String content;
    private final List<String> tags;
    private final Map<String, Object> metadata;
    private final double importance;
    private final @Nullable UUID conversationId;
    private final @Nullable UUID messageId;
    private final @Nullable UUID toolCallId;
    private final @Nullable Instant expiresAt;
    private final @Nullable String clientKey;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param tags the tags, at most {@link Limits#MAX_TAGS} distinct ones (a tag given twice is kept once), each at most 100 characters
     * @param importance 0.0 to 1.0; 0.5 unless given
     * @param owner who it belongs to
     * @param agent the agent key, or {@code null}
     * @param kind the kind
     * @param content the content
     * @param metadata JSON-compatible application data
     * @param conversationId the conversation's id, or {@code null}
     * @param messageId the message's id, or {@code null}
     * @param toolCallId the tool call's id, or {@code null}
     * @param expiresAt when it stops being visible, or {@code null}
     */
    public NewMemory(
            Owner owner,
            @Nullable String agent,
            MemoryKind kind,
            String content,
            List<String> tags,
            Map<String, Object> metadata,
            double importance,
            @Nullable UUID conversationId,
            @Nullable UUID messageId,
            @Nullable UUID toolCallId,
            @Nullable Instant expiresAt) {
        this(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, null);
    }

    /**
     * Creates the value with a client key; every argument is as its accessor returns it.
     *
     * @param tags the tags, at most {@link Limits#MAX_TAGS} distinct ones (a tag given twice is kept once), each at most 100 characters
     * @param importance 0.0 to 1.0; 0.5 unless given
     * @param owner who it belongs to
     * @param agent the agent key, or {@code null}
     * @param kind the kind
     * @param content the content
     * @param metadata JSON-compatible application data
     * @param conversationId the conversation's id, or {@code null}
     * @param messageId the message's id, or {@code null}
     * @param toolCallId the tool call's id, or {@code null}
     * @param expiresAt when it stops being visible, or {@code null}
     * @param clientKey the application's idempotency key, or {@code null} (see {@link #clientKey(String)})
     */
    public NewMemory(
            Owner owner,
            @Nullable String agent,
            MemoryKind kind,
            String content,
            List<String> tags,
            Map<String, Object> metadata,
            double importance,
            @Nullable UUID conversationId,
            @Nullable UUID messageId,
            @Nullable UUID toolCallId,
            @Nullable Instant expiresAt,
            @Nullable String clientKey) {
        Check.notNull("owner", owner);
        Check.optionalKey("agent", agent);
        Check.notNull("kind", kind);
        Check.required("content", content, Limits.MAX_CONTENT_LENGTH);
        tags = checkTags(tags);
        metadata = Check.metadata("metadata", metadata);
        importance = checkImportance(importance);
        Check.instant("expiresAt", expiresAt);
        Check.optionalKey("clientKey", clientKey);

        this.owner = owner;
        this.agent = agent;
        this.kind = kind;
        this.content = content;
        this.tags = tags;
        this.metadata = metadata;
        this.importance = importance;
        this.conversationId = conversationId;
        this.messageId = messageId;
        this.toolCallId = toolCallId;
        this.expiresAt = expiresAt;
        this.clientKey = clientKey;
    }

    /**
     * Who it belongs to.
     *
     * @return who it belongs to
     */
    public Owner owner() {
        return owner;
    }

    /**
     * The agent key.
     *
     * @return the agent key, or {@code null}
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The kind.
     *
     * @return the kind, or {@code null}
     */
    public MemoryKind kind() {
        return kind;
    }

    /**
     * The content.
     *
     * @return the content, or {@code null}
     */
    public String content() {
        return content;
    }

    /**
     * Distinct tags, at most {@link Limits#MAX_TAGS}, each at most 100 characters.
     *
     * @return distinct tags, at most {@link Limits#MAX_TAGS}, each at most 100 characters
     */
    public List<String> tags() {
        return tags;
    }

    /**
     * JSON-compatible application data.
     *
     * @return JSON-compatible application data, or {@code null}
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * 0.0 to 1.0; 0.5 unless given.
     *
     * @return 0.0 to 1.0; 0.5 unless given
     */
    public double importance() {
        return importance;
    }

    /**
     * The conversation's id.
     *
     * @return the conversation's id, or {@code null}
     */
    public @Nullable UUID conversationId() {
        return conversationId;
    }

    /**
     * The message's id, or {@code null}.
     *
     * @return the message's id, or {@code null}
     */
    public @Nullable UUID messageId() {
        return messageId;
    }

    /**
     * The tool call's id, or {@code null}.
     *
     * @return the tool call's id, or {@code null}
     */
    public @Nullable UUID toolCallId() {
        return toolCallId;
    }

    /**
     * When it stops being visible, or {@code null}.
     *
     * @return when it stops being visible, or {@code null}
     */
    public @Nullable Instant expiresAt() {
        return expiresAt;
    }

    /**
     * Creates a {@code NewMemory} from {@code owner}, {@code kind}, {@code content}.
     *
     * @param owner who it belongs to
     * @param kind the kind
     * @param content the content
     * @return the new value
     */
    public static NewMemory of(Owner owner, MemoryKind kind, String content) {
        return new NewMemory(owner, null, kind, content, List.of(), Map.of(), 0.5, null, null, null, null);
    }

    /**
     * Creates a {@code NewMemory} from {@code owner}, {@code content}.
     *
     * @param owner who it belongs to
     * @param content the content
     * @return the new value
     */
    public static NewMemory fact(Owner owner, String content) {
        return of(owner, MemoryKind.FACT, content);
    }

    /**
     * Creates a {@code NewMemory} from {@code owner}, {@code content}.
     *
     * @param owner who it belongs to
     * @param content the content
     * @return the new value
     */
    public static NewMemory preference(Owner owner, String content) {
        return of(owner, MemoryKind.PREFERENCE, content);
    }

    /**
     * Creates a {@code NewMemory} from {@code owner}, {@code content}.
     *
     * @param owner who it belongs to
     * @param content the content
     * @return the new value
     */
    public static NewMemory summary(Owner owner, String content) {
        return of(owner, MemoryKind.SUMMARY, content);
    }

    /**
     * Creates a {@code NewMemory} from {@code owner}, {@code content}.
     *
     * @param owner who it belongs to
     * @param content the content
     * @return the new value
     */
    public static NewMemory task(Owner owner, String content) {
        return of(owner, MemoryKind.TASK, content);
    }

    /**
     * Creates a {@code NewMemory} from {@code owner}, {@code content}.
     *
     * @param owner who it belongs to
     * @param content the content
     * @return the new value
     */
    public static NewMemory constraint(Owner owner, String content) {
        return of(owner, MemoryKind.CONSTRAINT, content);
    }

    /**
     * Creates a {@code NewMemory} from {@code owner}, {@code content}.
     *
     * @param owner who it belongs to
     * @param content the content
     * @return the new value
     */
    public static NewMemory episode(Owner owner, String content) {
        return of(owner, MemoryKind.EPISODE, content);
    }

    /**
     * Scopes the memory to one agent; {@code null} makes it global for the owner.
     *
     * @param agent the agent key, or {@code null}
     * @return a copy with this change
     */
    public NewMemory agent(@Nullable String agent) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, clientKey);
    }

    /**
     * Returns a copy with {@code tags} replaced.
     *
     * @param tags the tags, at most {@link Limits#MAX_TAGS} distinct ones (a tag given twice is kept once), each at most 100 characters
     * @return a copy with this change
     */
    public NewMemory tags(String... tags) {
        return tags(java.util.Arrays.asList(Check.notNull("tags", tags)));
    }

    /**
     * Returns a copy with {@code tags} replaced.
     *
     * @param tags the tags, at most {@link Limits#MAX_TAGS} distinct ones (a tag given twice is kept once), each at most 100 characters
     * @return a copy with this change
     */
    public NewMemory tags(List<String> tags) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, clientKey);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data
     * @return a copy with this change
     */
    public NewMemory metadata(Map<String, ?> metadata) {
        return new NewMemory(owner, agent, kind, content, tags, Check.given(metadata), importance, conversationId,
                messageId, toolCallId, expiresAt, clientKey);
    }

    /**
     * Returns a copy with {@code importance} replaced.
     *
     * @param importance 0.0 to 1.0; 0.5 unless given
     * @return a copy with this change
     */
    public NewMemory importance(double importance) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, clientKey);
    }

    /**
     * Provenance: the conversation and (optionally) the message this memory came from. With both
     * given, the message must be one of the conversation's ({@link dev.atlas.InvalidInputException}
     * naming {@code messageId} otherwise, when the memory is created).
     *
     * @param conversationId the conversation's id, or {@code null}
     * @param messageId the message's id, or {@code null}
     * @return a copy with this change
     */
    public NewMemory from(@Nullable UUID conversationId, @Nullable UUID messageId) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, clientKey);
    }

    /**
     * Provenance: the tool call this memory came from. When its execution ran in a conversation,
     * that must be the memory's conversation ({@link #from}'s {@code conversationId}, or else its
     * message's) when the memory names one: {@link dev.atlas.InvalidInputException} naming
     * {@code toolCallId} otherwise, when the memory is created. A call of an execution outside any
     * conversation (an extractor run apart from the chat) goes with any.
     *
     * @param toolCallId the tool call's id, or {@code null}
     * @return a copy with this change
     */
    public NewMemory toolCall(@Nullable UUID toolCallId) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, clientKey);
    }

    /**
     * The memory disappears from reads at this instant; {@code null} for never.
     *
     * @param expiresAt when it stops being visible, or {@code null}
     * @return a copy with this change
     */
    public NewMemory expiresAt(@Nullable Instant expiresAt) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, clientKey);
    }

    /**
     * Returns a copy with the application's own key for this memory (an idempotency key, for a
     * create retried after a timeout): while this tenant has a visible memory created with the
     * key, {@link MemoryStore#create} with the same key, owner, agent, kind and content (the
     * content it was created with or its current one, as for a message's {@code clientId}) returns that memory as it is now and
     * stores nothing; the other fields of this value are not compared. Another owner, agent, kind
     * or content is a {@link dev.atlas.ConflictException} naming {@code clientKey}. Deleting the
     * memory, or its expiry, frees the key. Keys are per tenant and compared exactly ({@code "A"}
     * and {@code "a"} are two keys); concurrent creates with one key, from any number of Atlas
     * instances, store one memory.
     *
     * @param clientKey 1 to {@link Limits#MAX_KEY_LENGTH} characters, not blank; or {@code null} for none
     * @return a copy with this change
     */
    public NewMemory clientKey(@Nullable String clientKey) {
        return new NewMemory(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt,
                clientKey);
    }

    /**
     * The application's key for this memory, if any; see {@link #clientKey(String)}.
     *
     * @return the key, or {@code null}
     */
    public @Nullable String clientKey() {
        return clientKey;
    }

    static List<String> checkTags(List<String> tags) {
        List<String> given = Check.list("tags", tags);
        // The limit is on the tags stored: a tag given twice is one tag.
        LinkedHashSet<String> distinct = new LinkedHashSet<>();
        for (String tag : given) {
            distinct.add(Check.required("tags", tag, Limits.MAX_TAG_LENGTH));
        }
        if (distinct.size() > Limits.MAX_TAGS) {
            throw new InvalidInputException("tags", distinct.size() + " distinct tags given; at most " + Limits.MAX_TAGS + " are allowed");
        }
        return List.copyOf(distinct);
    }

    static double checkImportance(double importance) {
        if (!(importance >= 0.0 && importance <= 1.0)) {
            throw new InvalidInputException("importance", "must be between 0.0 and 1.0, was " + importance);
        }
        return importance + 0.0; // -0.0 becomes 0.0: SQLite cannot store a negative zero
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof NewMemory that)) {
            return false;
        }
        return true
            && Objects.equals(owner, that.owner)
            && Objects.equals(agent, that.agent)
            && Objects.equals(kind, that.kind)
            && Objects.equals(content, that.content)
            && Objects.equals(tags, that.tags)
            && Objects.equals(metadata, that.metadata)
            && Double.compare(importance, that.importance) == 0
            && Objects.equals(conversationId, that.conversationId)
            && Objects.equals(messageId, that.messageId)
            && Objects.equals(toolCallId, that.toolCallId)
            && Objects.equals(expiresAt, that.expiresAt)
            && Objects.equals(clientKey, that.clientKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(owner, agent, kind, content, tags, metadata, importance, conversationId, messageId, toolCallId, expiresAt, clientKey);
    }

    @Override
    public String toString() {
        return "NewMemory[owner=" + owner + ", agent=" + agent + ", kind=" + kind + ", content=" + content + ", tags=" + tags + ", metadata=" + metadata + ", importance=" + importance + ", conversationId=" + conversationId + ", messageId=" + messageId + ", toolCallId=" + toolCallId + ", expiresAt=" + expiresAt + ", clientKey=" + clientKey + "]";
    }
}
