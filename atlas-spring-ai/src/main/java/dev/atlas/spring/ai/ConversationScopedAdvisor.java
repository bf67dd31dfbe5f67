package dev.atlas.spring.ai;

import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.memory.ChatMemory;
import reactor.core.publisher.Flux;

import java.util.List;

/**
 * A chat memory advisor that applies only to calls naming a conversation
 * ({@link ChatMemory#CONVERSATION_ID}): Spring AI's {@code MessageChatMemoryAdvisor} refuses calls
 * without one, and the auto-configuration adds it to every ChatClient, stateless ones included.
 * It stands aside for a memory advisor the application added itself.
 */
final class ConversationScopedAdvisor implements CallAdvisor, StreamAdvisor {
    private final CallAdvisor call;
    private final StreamAdvisor stream;

    <A extends CallAdvisor & StreamAdvisor> ConversationScopedAdvisor(A memory) {
        this.call = memory;
        this.stream = memory;
    }

    @Override
    public String getName() {
        return call.getName();
    }

    @Override
    public int getOrder() {
        return call.getOrder();
    }

    @Override
    public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
        return applies(request, chain.getCallAdvisors()) ? call.adviseCall(request, chain) : chain.nextCall(request);
    }

    @Override
    public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
        return applies(request, chain.getStreamAdvisors()) ? stream.adviseStream(request, chain) : chain.nextStream(request);
    }

    /**
     * Calls naming a conversation, unless the application put a chat memory advisor of its own in
     * the chain (as Spring AI's guides show): two would store every message twice and send the
     * history twice, so the application's keeps the memory.
     */
    private boolean applies(ChatClientRequest request, List<? extends Advisor> chain) {
        if (request.context().get(ChatMemory.CONVERSATION_ID) == null) {
            return false;
        }
        for (Advisor a : chain) {
            // By name: Spring AI 2.0 has no PromptChatMemoryAdvisor.
            if (a != this && (a instanceof MessageChatMemoryAdvisor
                    || a.getClass().getName().equals("org.springframework.ai.chat.client.advisor.PromptChatMemoryAdvisor"))) {
                return false;
            }
        }
        return true;
    }
}
