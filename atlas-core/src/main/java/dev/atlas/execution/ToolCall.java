package dev.atlas.execution;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * One tool invocation inside a step.
 */
public final class ToolCall {
    private final UUID id;
    private final UUID executionId;
    private final @Nullable UUID stepId;
    private final @Nullable String providerCallId;
    private final int index;
    private final String name;
    private final ToolCallType type;
    private final String arguments;
    private final @Nullable String result;
    private final ExecutionStatus status;
    private final @Nullable String error;
    private final Instant startedAt;
    private final @Nullable Instant completedAt;
    private final @Nullable Long durationMs;
    private final java.util.Map<String, Object> metadata;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param executionId the execution id
     * @param stepId the step that asked for it, or {@code null} for a call outside any step
     * @param providerCallId the provider's id for the call, used to match the result to the request
     * @param index position within the step (or among the execution's calls outside a step), from 0
     * @param name the name
     * @param type the type
     * @param arguments the arguments as a JSON document, exactly as given
     * @param result what was sent back to the model, or {@code null} until completed
     * @param status the status
     * @param error the error
     * @param startedAt the started at
     * @param completedAt the completed at
     * @param durationMs the duration ms
     * @param metadata application data about the call (timing, usage, details; seeds 000 and 002), empty when none
     */
    public ToolCall(
            UUID id,
            UUID executionId,
            @Nullable UUID stepId,
            @Nullable String providerCallId,
            int index,
            String name,
            ToolCallType type,
            String arguments,
            @Nullable String result,
            ExecutionStatus status,
            @Nullable String error,
            Instant startedAt,
            @Nullable Instant completedAt,
            @Nullable Long durationMs,
            java.util.Map<String, Object> metadata) {
        this.id = id;
        this.executionId = executionId;
        this.stepId = stepId;
        this.providerCallId = providerCallId;
        this.index = index;
        this.name = name;
        this.type = type;
        this.arguments = arguments;
        this.result = result;
        this.status = status;
        this.error = error;
        this.startedAt = startedAt;
        this.completedAt = completedAt;
        this.durationMs = durationMs;
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
     * The step that asked for the call, or {@code null} for a call made outside any step (a voice
     * session's tool call, seed 002).
     *
     * @return the step id, or {@code null}
     */
    public @Nullable UUID stepId() {
        return stepId;
    }

    /**
     * The provider's id for the call, used to match the result to the request.
     *
     * @return the provider's id for the call, used to match the result to the request
     */
    public @Nullable String providerCallId() {
        return providerCallId;
    }

    /**
     * Position within the step, from 0.
     *
     * @return position within the step, from 0
     */
    public int index() {
        return index;
    }

    /**
     * The name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The type.
     *
     * @return the type
     */
    public ToolCallType type() {
        return type;
    }

    /**
     * The arguments as a JSON document, exactly as given.
     *
     * @return the arguments as a JSON document, exactly as given
     */
    public String arguments() {
        return arguments;
    }

    /**
     * What was sent back to the model, or {@code null} until completed.
     *
     * @return what was sent back to the model, or {@code null} until completed
     */
    public @Nullable String result() {
        return result;
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
     * The error.
     *
     * @return the error
     */
    public @Nullable String error() {
        return error;
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
     * Application data about the call (timing, usage, details; seeds 000 and 002), empty when none.
     *
     * @return application data about the call (timing, usage, details; seeds 000 and 002), empty when none
     */
    public java.util.Map<String, Object> metadata() {
        return metadata;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ToolCall that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(executionId, that.executionId)
            && Objects.equals(stepId, that.stepId)
            && Objects.equals(providerCallId, that.providerCallId)
            && index == that.index
            && Objects.equals(name, that.name)
            && Objects.equals(type, that.type)
            && Objects.equals(arguments, that.arguments)
            && Objects.equals(result, that.result)
            && Objects.equals(status, that.status)
            && Objects.equals(error, that.error)
            && Objects.equals(startedAt, that.startedAt)
            && Objects.equals(completedAt, that.completedAt)
            && Objects.equals(durationMs, that.durationMs)
            && Objects.equals(metadata, that.metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, executionId, stepId, providerCallId, index, name, type, arguments, result, status, error, startedAt, completedAt, durationMs, metadata);
    }

    @Override
    public String toString() {
        return "ToolCall[id=" + id + ", executionId=" + executionId + ", stepId=" + stepId + ", providerCallId=" + providerCallId + ", index=" + index + ", name=" + name + ", type=" + type + ", arguments=" + arguments + ", result=" + result + ", status=" + status + ", error=" + error + ", startedAt=" + startedAt + ", completedAt=" + completedAt + ", durationMs=" + durationMs + ", metadata=" + metadata + "]";
    }
}
