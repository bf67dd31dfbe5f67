package dev.atlas.execution;

import java.util.List;

/** An execution with its steps in sequence order, each with its tool calls in index order. */
public record ExecutionTree(Execution execution, List<ExecutionStep> steps) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
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
