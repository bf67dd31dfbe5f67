/**
 * Executions: every model call with its steps, tool calls, usage and exact cost, recorded while it
 * runs. Start at {@link dev.atlas.execution.ExecutionRecorder}.
 */
@NullMarked
package dev.atlas.execution;

import org.jspecify.annotations.NullMarked;
