package dev.atlas.execution;

/** What {@link ExecutionRecorder#sweepInterrupted(java.time.Duration)} moved to failed. */
public record SweepResult(int executions, int steps, int toolCalls) {
    public int total() {
        return executions + steps + toolCalls;
    }
}
