package dev.atlas.execution;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * One round trip of the tool loop: the provider's answer and the tool calls it asked for.
 *
 * @param sequence  1, 2, 3 … within the execution
 * @param usage     this step's token counts, {@link Usage#NONE} when not reported
 * @param toolCalls the tool calls of this step in index order
 * @param metadata  application data about the step (seed 002 step metadata), set with {@link StepHandle#metadata}; empty when none
 */
public record ExecutionStep(
        UUID id,
        UUID executionId,
        int sequence,
        ExecutionStatus status,
        @Nullable String content,
        @Nullable String reasoning,
        @Nullable FinishReason finishReason,
        @Nullable String error,
        Usage usage,
        Instant startedAt,
        @Nullable Instant completedAt,
        @Nullable Long durationMs,
        List<ToolCall> toolCalls,
        java.util.Map<String, Object> metadata) {

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param id the id Atlas assigned
     * @param executionId the execution's id
     * @param sequence 1, 2, 3 … within the execution
     * @param status the status
     * @param content the content
     * @param reasoning the model's reasoning
     * @param finishReason why the model stopped
     * @param error why it failed
     * @param usage this step's token counts, {@link Usage#NONE} when not reported
     * @param startedAt the started at
     * @param completedAt the completed at
     * @param durationMs the duration ms
     * @param toolCalls the tool calls of this step in index order
     * @param metadata application data about the step; empty when none
     */
    public ExecutionStep {
        toolCalls = List.copyOf(toolCalls);
    }
}
