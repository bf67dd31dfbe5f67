package dev.atlas.execution;

import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One round trip of the tool loop: the provider's answer and the tool calls it asked for.
 */
public final class ExecutionStep {
    private final UUID id;
    private final UUID executionId;
    private final int sequence;
    private final ExecutionStatus status;
    private final @Nullable String content;
    private final @Nullable String reasoning;
    private final @Nullable FinishReason finishReason;
    private final @Nullable String error;
    private final Usage usage;
    private final Instant startedAt;
    private final @Nullable Instant completedAt;
    private final @Nullable Long durationMs;
    private final List<ToolCall> toolCalls;
    private final java.util.Map<String, Object> metadata;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param executionId the execution id
     * @param sequence 1, 2, 3 … within the execution
     * @param status the status
     * @param content the content
     * @param reasoning the reasoning
     * @param finishReason the finish reason
     * @param error the error
     * @param usage this step's token counts, {@link Usage#NONE} when not reported
     * @param startedAt the started at
     * @param completedAt the completed at
     * @param durationMs the duration ms
     * @param toolCalls the tool calls of this step in index order
     * @param metadata application data about the step (seed 002 step metadata), set with {@link StepHandle#metadata}; empty when none
     */
    public ExecutionStep(
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
        toolCalls = Check.copy("toolCalls", toolCalls);

        this.id = id;
        this.executionId = executionId;
        this.sequence = sequence;
        this.status = status;
        this.content = content;
        this.reasoning = reasoning;
        this.finishReason = finishReason;
        this.error = error;
        this.usage = usage;
        this.startedAt = startedAt;
        this.completedAt = completedAt;
        this.durationMs = durationMs;
        this.toolCalls = toolCalls;
        this.metadata = dev.atlas.internal.Check.frozenJson(metadata);
    }

    /**
     * The id.
     *
     * @return the id
     */
    public UUID id() {
        return id;
    }

    /**
     * The execution id.
     *
     * @return the execution id
     */
    public UUID executionId() {
        return executionId;
    }

    /**
     * 1, 2, 3 … within the execution.
     *
     * @return 1, 2, 3 … within the execution
     */
    public int sequence() {
        return sequence;
    }

    /**
     * The status.
     *
     * @return the status
     */
    public ExecutionStatus status() {
        return status;
    }

    /**
     * The content.
     *
     * @return the content
     */
    public @Nullable String content() {
        return content;
    }

    /**
     * The reasoning.
     *
     * @return the reasoning
     */
    public @Nullable String reasoning() {
        return reasoning;
    }

    /**
     * The finish reason.
     *
     * @return the finish reason
     */
    public @Nullable FinishReason finishReason() {
        return finishReason;
    }

    /**
     * The error.
     *
     * @return the error
     */
    public @Nullable String error() {
        return error;
    }

    /**
     * This step's token counts, {@link Usage#NONE} when not reported.
     *
     * @return this step's token counts, {@link Usage#NONE} when not reported
     */
    public Usage usage() {
        return usage;
    }

    /**
     * The started at.
     *
     * @return the started at
     */
    public Instant startedAt() {
        return startedAt;
    }

    /**
     * The completed at.
     *
     * @return the completed at
     */
    public @Nullable Instant completedAt() {
        return completedAt;
    }

    /**
     * The duration ms.
     *
     * @return the duration ms
     */
    public @Nullable Long durationMs() {
        return durationMs;
    }

    /**
     * The tool calls of this step in index order.
     *
     * @return the tool calls of this step in index order
     */
    public List<ToolCall> toolCalls() {
        return toolCalls;
    }

    /**
     * Application data about the step (seed 002 step metadata), set with {@link StepHandle#metadata}; empty when none.
     *
     * @return application data about the step (seed 002 step metadata), set with {@link StepHandle#metadata}; empty when none
     */
    public java.util.Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ExecutionStep that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(executionId, that.executionId)
            && sequence == that.sequence
            && Objects.equals(status, that.status)
            && Objects.equals(content, that.content)
            && Objects.equals(reasoning, that.reasoning)
            && Objects.equals(finishReason, that.finishReason)
            && Objects.equals(error, that.error)
            && Objects.equals(usage, that.usage)
            && Objects.equals(startedAt, that.startedAt)
            && Objects.equals(completedAt, that.completedAt)
            && Objects.equals(durationMs, that.durationMs)
            && Objects.equals(toolCalls, that.toolCalls)
            && Objects.equals(metadata, that.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, executionId, sequence, status, content, reasoning, finishReason, error, usage, startedAt, completedAt, durationMs, toolCalls, metadata);
    }

    @Override
    public String toString() {
        return "ExecutionStep[id=" + id + ", executionId=" + executionId + ", sequence=" + sequence + ", status=" + status + ", content=" + content + ", reasoning=" + reasoning + ", finishReason=" + finishReason + ", error=" + error + ", usage=" + usage + ", startedAt=" + startedAt + ", completedAt=" + completedAt + ", durationMs=" + durationMs + ", toolCalls=" + toolCalls + ", metadata=" + metadata + "]";
    }
}
