package dev.atlas.bench;

import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;

import java.util.UUID;

/**
 * The one execution benchmark 4 records: 3 steps of a tool loop with 2, 3 and 0 tool calls
 * (5 in all), per-step usage, the total usage on the execution and a cost from the price row.
 * Atlas and both raw baselines write exactly these values.
 */
final class ExecutionScript {
    private ExecutionScript() {}

    static final String PROVIDER = "openai";
    static final String MODEL = "gpt-4o";
    static final String TYPE = ExecutionType.TEXT.toString();
    static final int[] CALLS_PER_STEP = {2, 3, 0};
    static final int STEPS = CALLS_PER_STEP.length;
    static final int TOOL_CALLS = 5;
    static final String TOOL = "lookup_order";
    static final String RESULT = "{\"order\":1234,\"status\":\"shipped\",\"carrier\":\"UPS\",\"eta\":\"2026-11-27\"}";
    static final String ANSWER = "Your order 1234 shipped with UPS and should arrive on Friday, November 27.";

    static String callId(int k) {
        return "call_" + k;
    }

    static String arguments(int k) {
        return "{\"order\":" + (1234 + k) + ",\"fields\":[\"status\",\"eta\"]}";
    }

    /** Usage of step {@code i} (0-based). */
    static Usage stepUsage(int i) {
        return Usage.of(1_200 + 300L * i, 40 + 25L * i);
    }

    static Usage total() {
        Usage u = stepUsage(0);
        for (int i = 1; i < STEPS; i++) {
            u = u.plus(stepUsage(i));
        }
        return u;
    }

    static String content(int i) {
        return i == STEPS - 1 ? ANSWER : null;
    }

    static FinishReason finish(int i) {
        return i == STEPS - 1 ? FinishReason.STOP : FinishReason.TOOL_CALLS;
    }

    /** Records the script through Atlas: one {@code record} call, 17 handle calls. */
    static void record(ExecutionRecorder recorder, UUID conversationId, String agent) {
        recorder.record(ExecutionSpec.text(PROVIDER, MODEL).agent(agent).conversation(conversationId), exec -> {
            int k = 0;
            for (int i = 0; i < STEPS; i++) {
                StepHandle step = exec.step();
                for (int c = 0; c < CALLS_PER_STEP[i]; c++) {
                    StepHandle.ToolCallHandle call = step.toolCall(callId(k), TOOL, arguments(k));
                    call.complete(RESULT);
                    k++;
                }
                step.finish(content(i), null, finish(i), stepUsage(i));
            }
            exec.usage(total());
            return (ExecutionHandle) null;
        });
    }
}
