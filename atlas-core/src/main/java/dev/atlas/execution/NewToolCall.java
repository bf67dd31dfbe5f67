package dev.atlas.execution;

import java.util.Map;

import dev.atlas.Limits;
import dev.atlas.internal.Check;

/**
 * A tool call the model asked for, about to run.
 *
 * @param providerCallId the provider's id for the call, or {@code null}
 * @param arguments      a JSON document (checked when recorded); {@code "{}"} when there are none
 * @param metadata       JSON-compatible application data stored with the call (never null; empty by default)
 */
public record NewToolCall(String providerCallId, String name, ToolCallType type, String arguments, Map<String, Object> metadata) {
    public NewToolCall {
        Check.optionalKey("providerCallId", providerCallId);
        Check.key("name", name);
        Check.notNull("type", type);
        Check.notNull("arguments", arguments);
        Check.text("arguments", arguments, Limits.MAX_CONTENT_LENGTH);
        metadata = Check.metadata("metadata", metadata);
    }

    /** A local tool call with JSON arguments. */
    public static NewToolCall of(String providerCallId, String name, String arguments) {
        return new NewToolCall(providerCallId, name, ToolCallType.LOCAL, arguments, Map.of());
    }

    public NewToolCall type(ToolCallType type) {
        return new NewToolCall(providerCallId, name, type, arguments, metadata);
    }

    public NewToolCall metadata(Map<String, ?> metadata) {
        return new NewToolCall(providerCallId, name, type, arguments, Check.metadata("metadata", metadata));
    }
}
