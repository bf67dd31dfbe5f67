package dev.atlas.task;

import dev.atlas.internal.Check;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

/**
 * What to enqueue with {@link TaskStore#create(NewTask)}.
 *
 * <pre>{@code
 * NewTask.of("summarize", Map.of("url", "https://example.com")).forMessage(convo.id(), msg.id()).maxAttempts(5)
 * }</pre>
 *
 * @param kind           what the task does; workers claim by kind (required)
 * @param payload        JSON-compatible input (never null)
 * @param conversationId the conversation it serves, or {@code null}; a plain id, not a foreign key,
 *                       so retention may purge the conversation while the task row stays
 * @param messageId      the message it serves, or {@code null}
 * @param owner          who it runs for, or {@code null}
 * @param maxAttempts    1 to {@link #MAX_ATTEMPTS} (default 3)
 * @param runAfter       not claimable before this time, or {@code null} for now
 * @param clientKey      the application's key for this task (an idempotency key), or {@code null}; see {@link #clientKey(String)}
 */
public record NewTask(String kind, Map<String, Object> payload, @Nullable UUID conversationId, @Nullable UUID messageId, @Nullable Owner owner, int maxAttempts,
                      @Nullable Instant runAfter, @Nullable String clientKey) {
    /** Highest accepted {@link #maxAttempts()}. */
    public static final int MAX_ATTEMPTS = 100;

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param kind what the task does; workers claim by kind (required)
     * @param payload JSON-compatible input (required: {@code Map.of()} for none; null is refused on {@code payload})
     * @param conversationId the conversation it serves, or {@code null}; a plain id, not a foreign key, so retention may purge the conversation while the task row stays.
     *                       Not checked: a deleted conversation's id is accepted, another tenant's exactly as an unknown one (it reveals
     *                       and links nothing; that tenant never sees the task)
     * @param messageId the message it serves, or {@code null}
     * @param owner who it runs for, or {@code null}
     * @param maxAttempts 1 to {@link #MAX_ATTEMPTS} (default 3)
     * @param runAfter not claimable before this time, or {@code null} for now
     * @param clientKey the application's key for this task, or {@code null}; see {@link #clientKey(String)}
     */
    public NewTask {
        Check.key("kind", kind);
        Check.optionalKey("clientKey", clientKey);
        if (payload == null) {
            throw new InvalidInputException("payload", "is required: Map.of() for a task without input");
        }
        payload = Check.metadata("payload", payload);
        Check.positive("maxAttempts", maxAttempts, MAX_ATTEMPTS);
        Check.instant("runAfter", runAfter);
        if (messageId != null && conversationId == null) {
            throw new InvalidInputException("conversationId", "is required when messageId is given");
        }
    }

    /**
     * The constructor from before {@code clientKey}: no key.
     *
     * @param kind what the task does; workers claim by kind (required)
     * @param payload JSON-compatible input (never null)
     * @param conversationId the conversation it serves, or {@code null}
     * @param messageId the message it serves, or {@code null}
     * @param owner who it runs for, or {@code null}
     * @param maxAttempts 1 to {@link #MAX_ATTEMPTS} (default 3)
     * @param runAfter not claimable before this time, or {@code null} for now
     */
    public NewTask(String kind, Map<String, Object> payload, @Nullable UUID conversationId, @Nullable UUID messageId, @Nullable Owner owner,
                   int maxAttempts, @Nullable Instant runAfter) {
        this(kind, payload, conversationId, messageId, owner, maxAttempts, runAfter, null);
    }

    /**
     * Creates a {@code NewTask} from {@code kind}, {@code payload}.
     *
     * @param kind what the task does; workers claim by kind (required)
     * @param payload JSON-compatible input, {@code Map.of()} for none
     * @return the new value
     * @throws dev.atlas.InvalidInputException on {@code kind} or {@code payload} when one is bad ({@code payload} null
     *         included)
     */
    public static NewTask of(String kind, Map<String, ?> payload) {
        if (payload == null) {
            throw new InvalidInputException("payload", "is required: Map.of() for a task without input");
        }
        return new NewTask(kind, Check.given(payload), null, null, null, 3, null, null);
    }

    /**
     * Returns a copy with {@code conversationId} replaced.
     *
     * @param conversationId the conversation it serves, or {@code null}; a plain id, not a foreign key, so retention may purge the conversation while the task row stays.
     *                       Not checked: a deleted conversation's id is accepted, another tenant's exactly as an unknown one (it reveals
     *                       and links nothing; that tenant never sees the task)
     * @return a copy with this change
     */
    public NewTask forConversation(@Nullable UUID conversationId) {
        return new NewTask(kind, payload, conversationId, null, owner, maxAttempts, runAfter, clientKey);
    }

    /**
     * Returns a copy with {@code conversationId} and {@code messageId} replaced. Creating the task
     * checks the message: one that is not a live message of this tenant fails with
     * {@link dev.atlas.NotFoundException} on {@code messageId}, one of another conversation with
     * {@link dev.atlas.InvalidInputException} on {@code messageId} ({@code tasks[i].messageId} in
     * {@link TaskStore#createAll}).
     *
     * @param conversationId the conversation it serves
     * @param messageId the message it serves
     * @return a copy with this change
     */
    public NewTask forMessage(UUID conversationId, UUID messageId) {
        return new NewTask(kind, payload, Check.notNull("conversationId", conversationId), Check.notNull("messageId", messageId),
                owner, maxAttempts, runAfter, clientKey);
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner who it runs for, or {@code null}
     * @return a copy with this change
     */
    public NewTask owner(@Nullable Owner owner) {
        return new NewTask(kind, payload, conversationId, messageId, owner, maxAttempts, runAfter, clientKey);
    }

    /**
     * Returns a copy with {@code maxAttempts} replaced.
     *
     * @param maxAttempts 1 to {@link #MAX_ATTEMPTS} (default 3)
     * @return a copy with this change
     */
    public NewTask maxAttempts(int maxAttempts) {
        return new NewTask(kind, payload, conversationId, messageId, owner, maxAttempts, runAfter, clientKey);
    }

    /**
     * Returns a copy with {@code runAfter} replaced.
     *
     * @param runAfter not claimable before this time, or {@code null} for now
     * @return a copy with this change
     */
    public NewTask runAfter(@Nullable Instant runAfter) {
        return new NewTask(kind, payload, conversationId, messageId, owner, maxAttempts, runAfter, clientKey);
    }

    /**
     * Returns a copy with the application's own key for this task (an idempotency key), so that a
     * create retried after a timeout or a crash does not queue the work twice: while this tenant
     * has a task created with the key, {@link TaskStore#create} (and {@link TaskStore#createAll})
     * with the same key and the same task returns that task as it is now, whatever its status, and
     * stores nothing. The same task means the same {@code kind}, {@code payload}, {@code
     * conversationId}, {@code messageId}, {@code owner} and {@code maxAttempts}, the payload as the
     * JSON it reads back as ({@code 1} and {@code 1L} are one number, {@code 1} and {@code 1.0}
     * two); {@code runAfter} is not compared (the stored one moves on with retries and requeues). A different task under the
     * key is a {@link dev.atlas.ConflictException} naming {@code clientKey}, nothing stored. Of
     * concurrent creates with one key, on any number of Atlas instances, exactly one stores its
     * task. The key stays taken while the task row exists (retention's purge of finished tasks
     * frees it); keys are per tenant and compared exactly ({@code "A"} and {@code "a"} are two keys).
     *
     * @param clientKey 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank; or {@code null} for none
     * @return a copy with this change
     */
    public NewTask clientKey(@Nullable String clientKey) {
        return new NewTask(kind, payload, conversationId, messageId, owner, maxAttempts, runAfter, clientKey);
    }
}
