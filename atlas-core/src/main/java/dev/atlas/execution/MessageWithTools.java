package dev.atlas.execution;

import dev.atlas.internal.Check;
import dev.atlas.conversation.Message;

import java.util.List;

/**
 * A history message with the tool rounds that led to it, so an application can rebuild the
 * provider request exactly. Replay each of {@link #toolSteps()} as an assistant turn (the step's
 * {@code content}, possibly empty, with its tool calls) followed by one tool result per call,
 * then the message itself.
 *
 * <p>For a message linked to an execution, {@code toolSteps} are the steps of that execution that
 * called tools, up to and including the message's own step, after the previous history message
 * linked to the same execution. So both ways of storing a tool loop rebuild correctly: one reply
 * for the whole loop (linked to its last step) carries every round; a reply per step carries its
 * own round. Empty for messages not linked to an execution.
 *
 * <p>Only rounds a provider accepts again are attached: the step completed and each of its calls
 * completed with a result, under a provider call id no other call of the step has. A failed step,
 * a call failed, cancelled or still running, or calls repeating a provider call id, are left
 * out (the execution's {@code tree} keeps it for audit and cost). The rounds of an execution of
 * another conversation are never attached, even to a message linked to it; an execution of no
 * conversation counts as this one's.
 *
 * @param message   the stored message
 * @param toolSteps the tool-calling steps before it, oldest first, each with its tool calls in index order
 */
public record MessageWithTools(Message message, List<ExecutionStep> toolSteps) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param message the stored message
     * @param toolSteps the tool-calling steps before it, oldest first, each with its tool calls in index order
     */
    public MessageWithTools {
        toolSteps = Check.copy("toolSteps", toolSteps);
    }

    /**
     * Every tool call of {@link #toolSteps()}, in order.
     *
     * @return the matching items, in order
     */
    public List<ToolCall> toolCalls() {
        return toolSteps.stream().flatMap(s -> s.toolCalls().stream()).toList();
    }
}
