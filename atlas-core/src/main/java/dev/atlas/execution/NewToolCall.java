package dev.atlas.execution;

import java.util.Map;

import dev.atlas.Limits;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

/**
 * A tool call the model asked for, about to run.
 *
 * @param providerCallId the provider's id for the call, or {@code null}; kept as sent, not unique
 *        (a repeated id within one step is a second call with its own id and index)
 * @param name the tool's name; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param type where the tool runs: local, MCP or at the provider
 * @param arguments a JSON document (checked when recorded); {@code "{}"} when there are none; at most
 *        {@link dev.atlas.Limits#MAX_CONTENT_LENGTH} characters and {@link dev.atlas.Limits#MAX_JSON_DEPTH}
 *        levels deep, else {@link dev.atlas.InvalidInputException} on {@code arguments}
 * @param metadata JSON-compatible application data stored with the call (never null; empty by default)
 * @param initialStatus {@link ExecutionStatus#PROCESSING} (default: it runs now) or {@link ExecutionStatus#QUEUED}
 *                      (seed 000: the model asked for it, it waits to run; {@link StepHandle.ToolCallHandle#start()} runs it)
 */
public record NewToolCall(@Nullable String providerCallId, String name, ToolCallType type, String arguments, Map<String, Object> metadata,
                          ExecutionStatus initialStatus) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param providerCallId the provider's id for the call, or {@code null}
     * @param name the name
     * @param type the type
     * @param arguments a JSON document (checked when recorded); {@code "{}"} when there are none
     * @param metadata JSON-compatible application data stored with the call
     * @param initialStatus processing (runs now) or queued
     */
    public NewToolCall {
        Check.optionalKey("providerCallId", providerCallId);
        Check.key("name", name);
        Check.notNull("type", type);
        Check.notNull("arguments", arguments);
        Check.text("arguments", arguments, Limits.MAX_CONTENT_LENGTH);
        metadata = Check.metadata("metadata", metadata);
        Check.notNull("initialStatus", initialStatus);
        if (initialStatus != ExecutionStatus.PROCESSING && initialStatus != ExecutionStatus.QUEUED) {
            throw new dev.atlas.InvalidInputException("initialStatus", "must be processing or queued, was " + initialStatus);
        }
    }

    /**
     * A running tool call without metadata: the 0.1 constructor, kept so callers compile unchanged.
     *
     * @param providerCallId the provider's id for the call, or {@code null}
     * @param name the tool's name
     * @param type where the tool runs
     * @param arguments a JSON document; {@code "{}"} when there are none
     */
    public NewToolCall(@Nullable String providerCallId, String name, ToolCallType type, String arguments) {
        this(providerCallId, name, type, arguments, Map.of(), ExecutionStatus.PROCESSING);
    }

    /**
     * A local tool call with JSON arguments.
     *
     * @param providerCallId the provider's id for the call, or {@code null}
     * @param name the name
     * @param arguments a JSON document (checked when recorded); {@code "{}"} when there are none
     * @return the new value
     */
    public static NewToolCall of(@Nullable String providerCallId, String name, String arguments) {
        return new NewToolCall(providerCallId, name, ToolCallType.LOCAL, arguments, Map.of(), ExecutionStatus.PROCESSING);
    }

    /**
     * Returns a copy with {@code type} replaced.
     *
     * @param type the type
     * @return a copy with this change
     */
    public NewToolCall type(ToolCallType type) {
        return new NewToolCall(providerCallId, name, type, arguments, metadata, initialStatus);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data stored with the call, or {@code null} for none
     * @return a copy with this metadata
     */
    public NewToolCall metadata(@Nullable Map<String, ?> metadata) {
        return new NewToolCall(providerCallId, name, type, arguments, Check.given(metadata), initialStatus);
    }

    /**
     * Recorded as queued: asked for by the model, not running yet; run it with {@link StepHandle.ToolCallHandle#start()}.
     *
     * @return a copy with {@link ExecutionStatus#QUEUED} as its initial status
     */
    public NewToolCall queued() {
        return new NewToolCall(providerCallId, name, type, arguments, metadata, ExecutionStatus.QUEUED);
    }
}
