package dev.atlas.execution;

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
        String content,
        String reasoning,
        FinishReason finishReason,
        String error,
        Usage usage,
        Instant startedAt,
        Instant completedAt,
        Long durationMs,
        List<ToolCall> toolCalls,
        java.util.Map<String, Object> metadata) {

    public ExecutionStep {
        toolCalls = List.copyOf(toolCalls);
    }
}
