package dev.atlas.spring.ai;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.model.ToolContext;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.model.tool.ToolCallingManager;
import org.springframework.ai.model.tool.ToolExecutionResult;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;
import org.springframework.ai.tool.metadata.ToolMetadata;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The tool-calling manager of one recorded call: runs the application's manager with each tool
 * callback of the prompt wrapped, so a tool that throws is told to the call's {@link AtlasRecordingAdvisor}
 * run as a failed tool call, with its error; the results are told as soon as the tools ran (a
 * {@code returnDirect} round has no next model round that would carry them). The exception itself goes on unchanged: Spring AI's
 * {@code ToolExecutionExceptionProcessor} still turns it into the result the model gets (or rethrows
 * it, when configured to), so the conversation is what it would be without Atlas.
 *
 * <p>Why the callbacks and not the processor: the processor is built into the application's
 * manager and is told neither the call id nor the call, and the callbacks are the one place that
 * sees the exception on both Spring AI lines. Tools resolved by name through a
 * {@code ToolCallbackResolver} (not among the prompt's callbacks) are not seen: their failures are
 * recorded as results, as before.
 */
final class ToolFailureRecorder implements ToolCallingManager {
    private final ToolCallingManager delegate;
    private final AtlasRecordingAdvisor.ToolOutcomes failures;

    ToolFailureRecorder(ToolCallingManager delegate, AtlasRecordingAdvisor.ToolOutcomes failures) {
        this.delegate = delegate;
        this.failures = failures;
    }

    @Override
    public List<ToolDefinition> resolveToolDefinitions(ToolCallingChatOptions chatOptions) {
        return delegate.resolveToolDefinitions(chatOptions);
    }

    @Override
    public ToolExecutionResult executeToolCalls(Prompt prompt, ChatResponse chatResponse) {
        if (!(prompt.getOptions() instanceof ToolCallingChatOptions options) || options.getToolCallbacks() == null) {
            return told(delegate.executeToolCalls(prompt, chatResponse));
        }
        // The calls the manager runs: those of the first generation asking for tools, in order.
        List<AssistantMessage.ToolCall> calls = chatResponse == null ? List.of() : chatResponse.getResults().stream()
                .map(Generation::getOutput).filter(o -> o != null && o.hasToolCalls()).findFirst()
                .map(AssistantMessage::getToolCalls).orElse(List.of());
        boolean[] ran = new boolean[calls.size()];
        List<ToolCallback> wrapped = options.getToolCallbacks().stream()
                .map(c -> (ToolCallback) new Recording(c, calls, ran)).toList();
        ToolCallingChatOptions seen = (ToolCallingChatOptions) Proxy.newProxyInstance(ToolCallingChatOptions.class.getClassLoader(),
                new Class<?>[] {ToolCallingChatOptions.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getToolCallbacks") && method.getParameterCount() == 0) {
                        return wrapped;
                    }
                    try {
                        return method.invoke(options, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return told(delegate.executeToolCalls(new Prompt(prompt.getInstructions(), seen), chatResponse));
    }

    /** The results are told now: a round whose tools return directly has no next round to tell them. */
    private ToolExecutionResult told(ToolExecutionResult result) {
        if (result != null && result.conversationHistory() != null) {
            failures.toolResults(result.conversationHistory());
            List<Message> history = result.conversationHistory();
            if (result.returnDirect() && !history.isEmpty() && history.get(history.size() - 1) instanceof ToolResponseMessage results) {
                failures.returnedDirectly(results);
            }
        }
        return result;
    }

    /** The text recorded for a tool's exception: its message (what Spring AI's default processor sends the model). */
    static String error(Throwable e) {
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        return e.getCause() != null ? e.getCause().toString() : e.toString();
    }

    /** A tool callback telling the run which of the round's calls failed. */
    private final class Recording implements ToolCallback {
        private final ToolCallback tool;
        private final List<AssistantMessage.ToolCall> calls;
        private final boolean[] ran;

        Recording(ToolCallback tool, List<AssistantMessage.ToolCall> calls, boolean[] ran) {
            this.tool = tool;
            this.calls = calls;
            this.ran = ran;
        }

        @Override
        public ToolDefinition getToolDefinition() {
            return tool.getToolDefinition();
        }

        @Override
        public ToolMetadata getToolMetadata() {
            return tool.getToolMetadata();
        }

        @Override
        public String call(String toolInput) {
            return run(toolInput, () -> tool.call(toolInput));
        }

        @Override
        public String call(String toolInput, ToolContext toolContext) {
            return run(toolInput, () -> tool.call(toolInput, toolContext));
        }

        private String run(String input, Supplier<String> call) {
            int index = which(input);
            try {
                return call.get();
            } catch (RuntimeException | Error e) {
                if (index >= 0) {
                    failures.toolFailed(calls.get(index).id(), calls.get(index).name(), error(e));
                }
                throw e;
            }
        }

        /** The round's call this invocation runs: the first not yet run with this name (and these arguments, when one has them). */
        private int which(String input) {
            String name = tool.getToolDefinition().name();
            synchronized (ran) {
                int byName = -1;
                for (int i = 0; i < calls.size(); i++) {
                    if (ran[i] || !Objects.equals(calls.get(i).name(), name)) {
                        continue;
                    }
                    String args = calls.get(i).arguments() == null || calls.get(i).arguments().isBlank() ? "{}" : calls.get(i).arguments();
                    if (args.equals(input)) {
                        ran[i] = true;
                        return i;
                    }
                    if (byName < 0) {
                        byName = i;
                    }
                }
                if (byName >= 0) {
                    ran[byName] = true;
                }
                return byName;
            }
        }
    }
}
