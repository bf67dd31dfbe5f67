package dev.atlas.execution;

import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewMessage;

import java.util.Map;
import java.util.UUID;

/**
 * A running execution (status processing). Each call writes in its own small transaction, so the
 * progress of a long tool loop is durable as it happens. Thread-safe. Once its Atlas is closed,
 * every method but {@link #id()} fails with {@link dev.atlas.AtlasClosedException} ({@link #usage}
 * and {@link #firstToken} too: the finish that would store them can no longer come). Once its
 * execution is erased or purged by retention, every method that writes, of this handle and of its
 * {@link StepHandle}s and tool calls, fails with {@link dev.atlas.NotFoundException} on
 * {@code executionId}, writing nothing.
 */
public interface ExecutionHandle {
    /**
     * The id Atlas assigned.
     *
     * @return the id Atlas assigned
     */
    UUID id();

    /**
     * Starts the next step (numbered 1, 2, 3 …), status processing.
     *
     * @return the step
     */
    StepHandle step();

    /**
     * Records a tool call that belongs to the execution but to no step (a voice session calls
     * tools with no model round trip around them, seed 002), numbered 0, 1, 2 ... among the
     * execution's calls outside a step; processing, or queued when {@link NewToolCall#queued()}
     * says so. Fails with {@link dev.atlas.ConflictException} on {@code executionId} unless the
     * execution is processing.
     *
     * @param call the call
     * @return the call's handle
     */
    StepHandle.ToolCallHandle toolCall(NewToolCall call);

    /**
     * Sets the execution's token counts, stored when it finishes. Without this call the
     * execution's usage is the sum of its steps' usage. Once the execution finished through this
     * handle it fails with {@link dev.atlas.ConflictException} on {@code executionId}.
     *
     * <p>An execution stores a cost of at most 9,223,372.036854775807 currency units (2<sup>63</sup>-1
     * pico-units). Usage whose cost at the price valid at the execution's creation is larger fails
     * with {@link dev.atlas.InvalidInputException} on {@code usage} and is not kept (the usage set
     * before stays): Atlas never stores such a cost as unknown, which reports would count as zero.
     *
     * @param usage the token counts
     */
    void usage(Usage usage);

    /**
     * For streams: records the time from start to now as the time to the first token (first call
     * wins), stored when the execution finishes; a first call after the finish fails like {@link #usage}.
     */
    void firstToken();

    /**
     * Records the provider's id for the response. Once the execution is no longer processing
     * (finished through this handle, cancelled through the recorder, swept, or ended by another
     * process on the same database) it fails with {@link dev.atlas.ConflictException} on
     * {@code executionId} and changes nothing.
     *
     * @param providerResponseId the provider response id
     */
    void providerResponseId(String providerResponseId);

    /**
     * Replaces the execution's metadata; refused like {@link #providerResponseId} once the
     * execution is no longer processing.
     *
     * @param metadata JSON-compatible application data
     */
    void metadata(Map<String, ?> metadata);

    /**
     * Appends an assistant message to the execution's conversation, linked to this execution and
     * {@code step}, in one call. Fails with {@link dev.atlas.InvalidInputException} when the
     * execution has no conversation, and like {@link #providerResponseId} once the execution is
     * no longer processing, so reply before {@link #complete()}.
     *
     * @param step the step
     * @param content the content
     * @return the message
     */
    Message reply(StepHandle step, String content);

    /**
     * Like {@link #reply(StepHandle, String)} for a message with more settings (parent, client id…).
     * A retry with the same client id returns the stored reply; that client id on a reply of another
     * execution or step fails with {@link dev.atlas.ConflictException} on {@code clientId}, nothing written.
     *
     * @param step the step
     * @param message the assistant message to append (its execution and step are set to this one)
     * @return the message
     */
    Message reply(StepHandle step, NewMessage message);

    /**
     * processing → completed; stores usage, cost (from the price valid at creation), timing. When
     * the cost does not fit (see {@link #usage}; a price added since can make it so) it fails with
     * {@link dev.atlas.InvalidInputException} on {@code usage}, writes nothing and leaves the
     * execution processing: set a smaller usage, or cancel. When the execution was ended elsewhere
     * first ({@link ExecutionRecorder#cancel(java.util.UUID)}, the sweep, another process) it fails
     * with {@link dev.atlas.ConflictException} on {@code executionId} naming the stored status, which
     * stays, so the usage set on this handle is not stored; {@link #fail} and {@link #cancel} fail
     * the same way. A second finish through this handle is an {@link dev.atlas.IllegalTransitionException}.
     *
     * @return the execution
     */
    Execution complete();

    /**
     * processing → failed with {@code error}; stores usage and cost so far, refused like
     * {@link #complete} when the cost does not fit.
     *
     * @param error why it failed, stored as {@link StepHandle#fail(String)} stores it; {@code null} for no text
     * @return the execution
     */
    Execution fail(@org.jspecify.annotations.Nullable String error);

    /**
     * processing → cancelled; stores usage (set, or the finished steps' sum), cost and timing like
     * {@link #fail}, since the tokens spent are billed all the same. When that cost does not fit
     * (see {@link #usage}) it is cancelled without usage and cost, so a cancel always ends the run.
     *
     * @return the execution
     */
    Execution cancel();
}
