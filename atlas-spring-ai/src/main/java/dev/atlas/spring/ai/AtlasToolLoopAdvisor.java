package dev.atlas.spring.ai;

import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.ToolCallAdvisor;
import org.springframework.ai.chat.client.advisor.api.BaseAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.model.tool.ToolCallingManager;
import reactor.core.publisher.Flux;

/**
 * Spring AI's {@link ToolCallAdvisor} (the tool loop run in the advisor chain, so every round trip
 * passes through {@link AtlasRecordingAdvisor#modelCalls()} and the chat memory) that lets calls
 * without tool options through unchanged instead of refusing them, so it can be registered on
 * every {@code ChatClient}.
 */
public final class AtlasToolLoopAdvisor extends ToolCallAdvisor {
    /** Spring AI's default order for {@link ToolCallAdvisor}: outside {@code MessageChatMemoryAdvisor}. */
    public static final int ORDER = BaseAdvisor.HIGHEST_PRECEDENCE + 300;

    /**
     * @param conversationHistory whether each round resends the whole prompt: {@code false} when a
     *                            chat memory advisor inside the loop supplies the history (as Spring AI
     *                            advises), {@code true} otherwise
     */
    public AtlasToolLoopAdvisor(ToolCallingManager toolCallingManager, boolean conversationHistory) {
        super(toolCallingManager, ORDER, conversationHistory);
    }

    @Override
    public String getName() {
        return "AtlasToolLoopAdvisor";
    }

    @Override
    public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
        if (!(request.prompt().getOptions() instanceof ToolCallingChatOptions)) {
            return chain.nextCall(request);
        }
        return super.adviseCall(request, chain);
    }

    @Override
    public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
        if (!(request.prompt().getOptions() instanceof ToolCallingChatOptions)) {
            return chain.nextStream(request);
        }
        return super.adviseStream(request, chain);
    }
}
