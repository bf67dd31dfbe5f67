package dev.atlas.execution;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.UUID;

/**
 * One tool invocation inside a step.
 *
 * @param providerCallId the provider's id for the call, used to match the result to the request
 * @param index          position within the step, from 0
 * @param arguments      the arguments as a JSON document, exactly as given
 * @param result         what was sent back to the model, or {@code null} until completed
 * @param metadata       application data about the call (timing, usage, details; seeds 000 and 002), empty when none
 */
public record ToolCall(
        UUID id,
        UUID executionId,
        UUID stepId,
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
        java.util.Map<String, Object> metadata) {}
