package dev.atlas.execution;

import java.util.List;

/**
 * An execution with its steps in sequence order, each with its tool calls in index order.
 *
 * @param execution the execution
 * @param steps its steps in sequence order, each with its tool calls in index order
 */
public record ExecutionTree(Execution execution, List<ExecutionStep> steps) {
    /**
     * Copies {@code steps}, so the tree does not change with the caller's list.
     *
     * @param execution the execution
     * @param steps the steps
     */
    public ExecutionTree {
        steps = List.copyOf(steps);
    }

    /**
     * Every tool call of the execution, step by step.
     *
     * @return the matching items, in order
     */
    public List<ToolCall> toolCalls() {
        return steps.stream().flatMap(s -> s.toolCalls().stream()).toList();
    }
}
