package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;

import java.util.UUID;
import java.util.function.Consumer;

/**
 * Extra writes the crash child performs after each append, each reported on {@code ack} once its
 * call returned; grows as features land. An execution is recorded call by call through the
 * recorder (each call its own transaction), steps and tool calls finished before the execution:
 *
 * <pre>
 * EXEC e            execution e started (processing)
 * STEP e s          step s of e started
 * TOOL e s t        tool call t of step s started
 * TOOLDONE t        tool call t completed
 * STEPDONE s        step s finished
 * DONE e            execution e completed
 * </pre>
 */
final class CrashWork {
    private CrashWork() {}

    static void afterAppend(Atlas atlas, UUID conversation, long i, Consumer<String> ack) {
        ExecutionRecorder recorder = atlas.tenant("crash").executions();
        ExecutionHandle e = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(conversation));
        ack.accept("EXEC " + e.id());
        for (int s = 0; s <= i % 3; s++) {
            StepHandle step = e.step();
            ack.accept("STEP " + e.id() + " " + step.id());
            for (int k = 0; k < 2; k++) {
                StepHandle.ToolCallHandle call = step.toolCall("call-" + k, "lookup", "{\"i\":" + i + "}");
                ack.accept("TOOL " + e.id() + " " + step.id() + " " + call.id());
                call.complete("result " + i);
                ack.accept("TOOLDONE " + call.id());
            }
            step.finish("step " + s, null, FinishReason.TOOL_CALLS, Usage.of(3, 2));
            ack.accept("STEPDONE " + step.id());
        }
        e.usage(Usage.of(10, 5));
        e.complete();
        ack.accept("DONE " + e.id());
    }
}
