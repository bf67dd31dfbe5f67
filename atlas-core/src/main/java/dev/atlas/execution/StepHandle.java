package dev.atlas.execution;

import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;

import java.util.UUID;

/** A running step of an execution. Each call writes in its own transaction. Thread-safe. */
public interface StepHandle {
    UUID id();

    /** 1, 2, 3 … within the execution. */
    int sequence();

    /**
     * Records a tool call the model asked for with the next index in this step, in status
     * processing, or queued when {@link NewToolCall#queued()} says so.
     */
    ToolCallHandle toolCall(NewToolCall call);

    /** Shorthand for a local tool call; {@code providerCallId} may be {@code null}, {@code arguments} is a JSON document. */
    default ToolCallHandle toolCall(String providerCallId, String name, String arguments) {
        return toolCall(NewToolCall.of(providerCallId, name, arguments));
    }

    /** processing → completed with the provider's answer ({@code null} when the step only asked for tools). */
    void finish(String content, FinishReason finishReason);

    /**
     * processing → completed with the answer (or {@code null}), the model's reasoning (or
     * {@code null}) and the step's usage ({@code null} when unknown).
     */
    void finish(String content, String reasoning, FinishReason finishReason, Usage usage);

    /** processing → failed. */
    void fail(String error);

    /**
     * Replaces the step's metadata ({@link ExecutionStep#metadata()}) with {@code metadata}, in any
     * status: application data is an annotation, not part of the status machine. {@code null}
     * clears it.
     */
    void metadata(java.util.Map<String, ?> metadata);

    /** A running tool call. */
    interface ToolCallHandle {
        UUID id();

        /**
         * queued → processing: a queued call starts running now; its duration counts from here.
         * {@link dev.atlas.IllegalTransitionException} unless it is queued.
         */
        void start();

        /** processing → completed with the result sent back to the model. */
        void complete(String result);

        /** processing → failed. */
        void fail(String error);

        /**
         * Replaces the call's metadata ({@link ToolCall#metadata()}) with {@code metadata}, in any
         * status (timing or token details known only after the call finished); {@code null} clears it.
         */
        void metadata(java.util.Map<String, ?> metadata);

        /**
         * Creates the tool thread this call spawns: a conversation of type {@code tool} whose parent
         * is the execution's conversation and whose parent tool call is this one. {@code agent}
         * may be {@code null}, as in {@link dev.atlas.conversation.NewConversation#of(Owner)}.
         */
        Conversation thread(Owner owner, String agent);
    }
}
