package dev.atlas.execution;

/**
 * What {@link ExecutionRecorder#sweepInterrupted(java.time.Duration)} moved to failed.
 *
 * @param executions executions moved to failed
 * @param steps steps moved to failed
 * @param toolCalls tool calls moved to failed
 */
public record SweepResult(int executions, int steps, int toolCalls) {
    /**
     * How many executions, steps and tool calls were moved to failed.
     *
     * @return how many executions, steps and tool calls were moved to failed
     */
    public int total() {
        return executions + steps + toolCalls;
    }
}
