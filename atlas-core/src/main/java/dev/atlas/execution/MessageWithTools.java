package dev.atlas.execution;

import dev.atlas.Message;

import java.util.List;

/**
 * A history message with the tool calls (and their results) of the step that produced it, so an
 * application can rebuild the provider request exactly: the assistant turn asking for the tools,
 * then one tool result per call. Empty for messages not linked to a step.
 */
public record MessageWithTools(Message message, List<ToolCall> toolCalls) {
    public MessageWithTools {
        toolCalls = List.copyOf(toolCalls);
    }
}
