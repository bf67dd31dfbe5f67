package dev.atlas.spring.ai;

import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.ToolCallAdvisor;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.model.tool.ToolCallingManager;
import io.micrometer.observation.ObservationRegistry;
import reactor.core.publisher.Flux;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;

/**
 * Spring AI's {@link ToolCallAdvisor} (the tool loop run in the advisor chain, so every round trip
 * passes through {@link AtlasRecordingAdvisor#modelCalls()} and the chat memory) that lets calls
 * without tool options through unchanged instead of refusing them, so it can be registered on
 * every {@code ChatClient}; a call whose options turn internal tool execution off gets the model's
 * tool calls back unrun, as it would without this advisor (Spring AI 1.1; 2.0 has no such option). Works on Spring AI 1.1 and 2.0: it wraps {@code ToolCallAdvisor.builder()}
 * (the constructors differ between the lines) and sits just outside the chat memory advisor's
 * default order, which moved from {@code HIGHEST_PRECEDENCE + 1000} (1.1) to {@code + 200} (2.0).
 */
public final class AtlasToolLoopAdvisor implements CallAdvisor, StreamAdvisor {
    /**
     * Just before Spring AI's chat memory advisors ({@link Advisor#DEFAULT_CHAT_MEMORY_PRECEDENCE_ORDER}),
     * so each round's messages reach the memory, and after {@link AtlasRecordingAdvisor#ORDER}.
     */
    public static final int ORDER = Advisor.DEFAULT_CHAT_MEMORY_PRECEDENCE_ORDER - 50;
    /**
     * Spring AI 2.0's marker for the chain's tool loop: a {@code ChatClient} without an advisor
     * carrying it adds a tool loop of its own, inside the chat memory, which then never sees the
     * tool rounds. Absent on 1.1.
     */
    private static final String TOOL_ADVISOR = "org.springframework.ai.chat.client.advisor.api.ToolAdvisor";

    private final ToolCallingManager toolCallingManager;
    private final boolean conversationHistory;
    private final ToolCallAdvisor loop;
    /** What the chain holds: this, or the proxy marking it on 2.0. The loop continues the chain after it. */
    private Advisor registered = this;

    private AtlasToolLoopAdvisor(ToolCallingManager toolCallingManager, boolean conversationHistory) {
        this.toolCallingManager = toolCallingManager;
        this.conversationHistory = conversationHistory;
        this.loop = loop(toolCallingManager);
    }

    private ToolCallAdvisor loop(ToolCallingManager manager) {
        return ToolCallAdvisor.builder().toolCallingManager(manager).advisorOrder(ORDER)
                .conversationHistoryEnabled(conversationHistory).build();
    }

    /**
     * The loop for one call: under {@link AtlasRecordingAdvisor} its tools run through a
     * {@link ToolFailureRecorder}, so that a tool that throws is recorded as a failed tool call.
     */
    private ToolCallAdvisor loopFor(ChatClientRequest request) {
        return request.context().get(AtlasRecordingAdvisor.RUN) instanceof AtlasRecordingAdvisor.ToolOutcomes run
                ? loop(new ToolFailureRecorder(toolCallingManager, run)) : loop;
    }

    /**
     * The tool loop advisor to register on a {@code ChatClient}.
     *
     * @param conversationHistory whether each round resends the whole prompt: {@code false} when a
     *                            chat memory advisor inside the loop supplies the history (as Spring AI
     *                            advises), {@code true} otherwise
     * @return this advisor; on Spring AI 2.0 also marked as the chain's {@code ToolAdvisor}
     */
    public static Advisor of(ToolCallingManager toolCallingManager, boolean conversationHistory) {
        AtlasToolLoopAdvisor advisor = new AtlasToolLoopAdvisor(toolCallingManager, conversationHistory);
        Class<?> marker;
        try {
            marker = Class.forName(TOOL_ADVISOR, false, Advisor.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return advisor;
        }
        advisor.registered = (Advisor) Proxy.newProxyInstance(Advisor.class.getClassLoader(),
                new Class<?>[] {CallAdvisor.class, StreamAdvisor.class, marker}, (proxy, method, args) -> {
                    if (method.getName().equals("equals") && args != null && args.length == 1) {
                        return proxy == args[0];
                    }
                    try {
                        return method.invoke(advisor, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return advisor.registered;
    }

    /**
     * Whether the loop runs the call's tools: not without tool options, nor when the call turned
     * internal tool execution off (Spring AI's user-controlled tool execution: the caller gets the
     * model's tool calls back and runs them itself), which {@code ToolCallAdvisor} would override.
     */
    private static boolean loops(ChatClientRequest request) {
        if (!(request.prompt().getOptions() instanceof ToolCallingChatOptions options)) {
            return false;
        }
        boolean off;
        try {
            off = INTERNAL_EXECUTION != null && Boolean.FALSE.equals(INTERNAL_EXECUTION.invoke(options));
        } catch (ReflectiveOperationException e) {
            off = false;
        }
        if (off && request.context().get(AtlasRecordingAdvisor.RUN) instanceof AtlasRecordingAdvisor.ToolOutcomes run) {
            run.toolsLeftToCaller();
        }
        return !off;
    }

    /** {@code ToolCallingChatOptions.getInternalToolExecutionEnabled()} on Spring AI 1.1; 2.0 has no such switch. */
    private static final java.lang.reflect.Method INTERNAL_EXECUTION = internalExecution();

    private static java.lang.reflect.Method internalExecution() {
        try {
            return ToolCallingChatOptions.class.getMethod("getInternalToolExecutionEnabled");
        } catch (NoSuchMethodException e) {
            return null;
        }
    }

    @Override
    public String getName() {
        return "AtlasToolLoopAdvisor";
    }

    @Override
    public int getOrder() {
        return ORDER;
    }

    @Override
    public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
        if (!loops(request)) {
            return chain.nextCall(request);
        }
        ToolCallAdvisor loop = loopFor(request);
        return loop.adviseCall(request, new CallAdvisorChain() {
            @Override
            public ChatClientResponse nextCall(ChatClientRequest next) {
                return chain.nextCall(next);
            }

            @Override
            public List<CallAdvisor> getCallAdvisors() {
                return chain.getCallAdvisors();
            }

            @Override
            public CallAdvisorChain copy(CallAdvisor after) {
                // The loop resumes the chain after itself; in the chain it is this wrapper.
                return chain.copy(after == loop ? (CallAdvisor) registered : after);
            }

            @Override
            public ObservationRegistry getObservationRegistry() {
                return chain.getObservationRegistry();
            }
        });
    }

    @Override
    public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
        if (!loops(request)) {
            return chain.nextStream(request);
        }
        ToolCallAdvisor loop = loopFor(request);
        return loop.adviseStream(request, new StreamAdvisorChain() {
            @Override
            public Flux<ChatClientResponse> nextStream(ChatClientRequest next) {
                return chain.nextStream(next);
            }

            @Override
            public List<StreamAdvisor> getStreamAdvisors() {
                return chain.getStreamAdvisors();
            }

            @Override
            public StreamAdvisorChain copy(StreamAdvisor after) {
                return chain.copy(after == loop ? (StreamAdvisor) registered : after);
            }

            @Override
            public ObservationRegistry getObservationRegistry() {
                return chain.getObservationRegistry();
            }
        });
    }
}
