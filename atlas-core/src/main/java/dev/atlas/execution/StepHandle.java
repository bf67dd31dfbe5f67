package dev.atlas.execution;

import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import org.jspecify.annotations.Nullable;

import java.util.UUID;

/** A running step of an execution. Each call writes in its own transaction. Thread-safe. */
public interface StepHandle {
    UUID id();

    /** 1, 2, 3 … within the execution. */
    int sequence();

    /** Records a tool call the model asked for, status processing, with the next index in this step. */
    ToolCallHandle toolCall(NewToolCall call);

    /** Shorthand for a local tool call; {@code providerCallId} may be {@code null}, {@code arguments} is a JSON document. */
    default ToolCallHandle toolCall(@Nullable String providerCallId, String name, String arguments) {
        return toolCall(NewToolCall.of(providerCallId, name, arguments));
    }

    /** processing → completed with the provider's answer ({@code null} when the step only asked for tools). */
    void finish(@Nullable String content, FinishReason finishReason);

    /**
     * processing → completed with the answer (or {@code null}), the model's reasoning (or
     * {@code null}) and the step's usage ({@code null} when unknown).
     */
    void finish(@Nullable String content, @Nullable String reasoning, FinishReason finishReason, @Nullable Usage usage);

    /** processing → failed. */
    void fail(String error);

    /** A running tool call. */
    interface ToolCallHandle {
        UUID id();

        /** processing → completed with the result sent back to the model. */
        void complete(String result);

        /** processing → failed. */
        void fail(String error);

        /**
         * Creates the tool thread this call spawns: a conversation of type {@code tool} whose parent
         * is the execution's conversation and whose parent tool call is this one. {@code agent}
         * may be {@code null}, as in {@link dev.atlas.conversation.NewConversation#of(Owner)}.
         */
        Conversation thread(Owner owner, @Nullable String agent);
    }
}
