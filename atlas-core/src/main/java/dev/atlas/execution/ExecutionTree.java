package dev.atlas.execution;

import java.util.List;

/** An execution with its steps in sequence order, each with its tool calls in index order. */
public record ExecutionTree(Execution execution, List<ExecutionStep> steps) {
    public ExecutionTree {
        steps = List.copyOf(steps);
    }

    /** Every tool call of the execution, step by step. */
    public List<ToolCall> toolCalls() {
        return steps.stream().flatMap(s -> s.toolCalls().stream()).toList();
    }
}
