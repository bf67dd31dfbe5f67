package dev.atlas.execution;

import dev.atlas.internal.Check;
import java.util.List;

/**
 * An execution with its steps in sequence order, each with its tool calls in index order, and the
 * tool calls made outside any step ({@link ExecutionHandle#toolCall}) in index order.
 *
 * @param execution the execution
 * @param steps the steps, in sequence order
 * @param outsideSteps the tool calls outside any step, in index order
 */
public record ExecutionTree(Execution execution, List<ExecutionStep> steps, List<ToolCall> outsideSteps) {
    /**
     * Copies the lists.
     *
     * @param execution the execution
     * @param steps the steps, in sequence order
     * @param outsideSteps the tool calls outside any step, in index order
     */
    public ExecutionTree {
        steps = Check.copy("steps", steps);
        outsideSteps = Check.copy("outsideSteps", outsideSteps);
    }

    /**
     * A tree without tool calls outside a step.
     *
     * @param execution the execution
     * @param steps the steps, in sequence order
     */
    public ExecutionTree(Execution execution, List<ExecutionStep> steps) {
        this(execution, steps, List.of());
    }

    /**
     * Every tool call of the execution, step by step, then those outside any step.
     *
     * @return the matching items, in order
     */
    public List<ToolCall> toolCalls() {
        return java.util.stream.Stream.concat(steps.stream().flatMap(s -> s.toolCalls().stream()), outsideSteps.stream()).toList();
    }
}
