package dev.atlas.execution;

import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import org.jspecify.annotations.Nullable;

import java.util.UUID;

/** A running step of an execution. Each call writes in its own transaction. Thread-safe. */
public interface StepHandle {
    /**
     * The id Atlas assigned.
     *
     * @return the id Atlas assigned
     */
    UUID id();

    /**
     * 1, 2, 3 … within the execution.
     *
     * @return the step's position in the execution
     */
    int sequence();

    /**
     * Records a tool call the model asked for with the next index in this step, in status
     * processing, or queued when {@link NewToolCall#queued()} says so. Fails with
     * {@link dev.atlas.ConflictException} on {@code executionId} unless the execution is processing,
     * and on {@code stepId} once this step finished or failed (its round, as the
     * {@link ExecutionListener#stepFinished} event reported it, is over); nothing is written.
     *
     * @param call the call
     * @return the toolCallHandle
     */
    ToolCallHandle toolCall(NewToolCall call);

    /**
     * Shorthand for a local tool call; {@code providerCallId} may be {@code null}, {@code arguments} is a JSON document.
     *
     * @param providerCallId the provider's id for the call, or {@code null}
     * @param name the name
     * @param arguments the JSON arguments
     * @return the toolCallHandle
     */
    default ToolCallHandle toolCall(@Nullable String providerCallId, String name, String arguments) {
        return toolCall(NewToolCall.of(providerCallId, name, arguments));
    }

    /**
     * processing → completed with the provider's answer ({@code null} when the step only asked for tools).
     * Once the execution is no longer processing it fails with {@link dev.atlas.ConflictException} on
     * {@code executionId} and the step stays open (the execution's usage was summed from its steps
     * when it finished; the sweep fails the step as interrupted). A step that is no longer processing
     * (finished, failed, or failed by the sweep with its run) fails with
     * {@link dev.atlas.IllegalTransitionException} on {@code status}. A tool call's result, unlike a step,
     * may still be recorded after its execution ended.
     *
     * @param content the content, or {@code null}
     * @param finishReason why the model stopped
     */
    void finish(@Nullable String content, FinishReason finishReason);

    /**
     * processing → completed with the answer (or {@code null}), the model's reasoning (or
     * {@code null}) and the step's usage ({@code null} when unknown); refused like
     * {@link #finish(String, FinishReason)} once the execution is no longer processing. While the execution has no
     * usage of its own (see {@link ExecutionHandle#usage}) its usage is the steps' sum: a step whose
     * usage would take that sum's cost past what an execution can store, or a count of the sum past
     * {@link dev.atlas.Limits#MAX_TOKEN_COUNT}, fails with {@link dev.atlas.InvalidInputException}
     * on {@code usage} and stays processing; steps of one handle finishing at the same moment are
     * summed one after the other, so together they cannot pass the limit either.
     *
     * @param content the content, or {@code null}
     * @param reasoning the model's reasoning, or {@code null}
     * @param finishReason why the model stopped
     * @param usage the token counts, or {@code null}
     */
    void finish(@Nullable String content, @Nullable String reasoning, FinishReason finishReason, @Nullable Usage usage);

    /**
     * processing → failed; refused like {@link #finish(String, FinishReason)} once the execution is
     * no longer processing.
     *
     * @param error why it failed: any text (often an exception's message), blank included (stored as given: a
     *        failure is recorded whatever its text, as every {@code fail(error)} of the API records it); NUL and
     *        unpaired surrogates are stored as U+FFFD and it is cut at {@link dev.atlas.Limits#MAX_REASON_LENGTH}
     *        characters; {@code null} (an exception's {@code getMessage()} is often null) records the failure
     *        without a text, {@link ExecutionStep#error()} then null
     */
    void fail(@Nullable String error);

    /**
     * Replaces the step's metadata ({@link ExecutionStep#metadata()}) with {@code metadata}, in any
     * status: application data is an annotation, not part of the status machine. {@code null}
     * clears it.
     *
     * @param metadata JSON-compatible application data, or {@code null} to clear it
     */
    void metadata(java.util.@Nullable Map<String, ?> metadata);

    /** A running tool call. */
    interface ToolCallHandle {
        /**
         * The id Atlas assigned.
         *
         * @return the id Atlas assigned
         */
        UUID id();

        /**
         * queued → processing: a queued call starts running now; its duration counts from here.
         * {@link dev.atlas.IllegalTransitionException} unless it is queued;
         * {@link dev.atlas.ConflictException} on {@code executionId}, the call left queued, once its
         * execution is no longer processing (the sweep fails such a call).
         */
        void start();

        /**
         * processing → completed with the result sent back to the model;
         * {@link dev.atlas.IllegalTransitionException} on {@code status} unless the call is processing.
         *
         * @param result the result, kept exactly: at most {@link dev.atlas.Limits#MAX_CONTENT_LENGTH}
         *        characters of valid Unicode without NUL, else {@link dev.atlas.InvalidInputException}
         *        on {@code result} and the call stays processing
         */
        void complete(String result);

        /**
         * processing → failed. A queued call never ran, so it cannot fail: close one that will not
         * run with {@link #cancel()}. {@link dev.atlas.IllegalTransitionException} on {@code status}
         * unless the call is processing.
         *
         * @param error why it failed, stored as {@link StepHandle#fail(String)} stores it; {@code null} for no text
         */
        void fail(@Nullable String error);

        /**
         * queued or processing → cancelled: the agent decided not to run the call (a queued one,
         * with no duration, since it never ran) or stopped it while it ran (its duration counts from
         * its start, also when this cancel waited for a {@link #start()} on another thread to commit:
         * a call's duration is always its {@code completedAt} minus its {@code startedAt}). Like {@link #complete} and {@link #fail}, it is accepted after the call's
         * execution ended, so a queued call of a finished run can be closed before the sweep fails
         * it. Heard as {@link ExecutionListener#toolCallFinished}. Once the call is completed, failed
         * or cancelled it fails with {@link dev.atlas.IllegalTransitionException} on {@code status}
         * and nothing is written.
         */
        void cancel();

        /**
         * Replaces the call's metadata ({@link ToolCall#metadata()}) with {@code metadata}, in any
         * status (timing or token details known only after the call finished); {@code null} clears it.
         *
         * @param metadata JSON-compatible application data, or {@code null} to clear it
         */
        void metadata(java.util.@Nullable Map<String, ?> metadata);

        /**
         * Creates the tool thread this call spawns: a conversation of type {@code tool} whose parent
         * is the execution's conversation and whose parent tool call is this one. {@code agent}
         * may be {@code null}, as in {@link dev.atlas.conversation.NewConversation#of(Owner)}.
         *
         * @param owner who it belongs to
         * @param agent the agent key, or {@code null}
         * @return the conversation
         */
        Conversation thread(Owner owner, @Nullable String agent);
    }
}
