package dev.atlas.execution;

import dev.atlas.Limits;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

/**
 * A tool call the model asked for, about to run.
 *
 * @param providerCallId the provider's id for the call, or {@code null}
 * @param arguments      a JSON document (checked when recorded); {@code "{}"} when there are none
 */
public record NewToolCall(@Nullable String providerCallId, String name, ToolCallType type, String arguments) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param providerCallId the provider's id for the call, or {@code null}
     * @param name the name
     * @param type the type
     * @param arguments a JSON document (checked when recorded); {@code "{}"} when there are none
     */
    public NewToolCall {
        Check.optionalKey("providerCallId", providerCallId);
        Check.key("name", name);
        Check.notNull("type", type);
        Check.notNull("arguments", arguments);
        Check.text("arguments", arguments, Limits.MAX_CONTENT_LENGTH);
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
        return new NewToolCall(providerCallId, name, ToolCallType.LOCAL, arguments);
    }

    /**
     * Returns a copy with {@code type} replaced.
     *
     * @param type the type
     * @return a copy with this change
     */
    public NewToolCall type(ToolCallType type) {
        return new NewToolCall(providerCallId, name, type, arguments);
    }
}
