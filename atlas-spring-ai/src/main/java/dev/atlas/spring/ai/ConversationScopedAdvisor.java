package dev.atlas.spring.ai;

import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.memory.ChatMemory;
import reactor.core.publisher.Flux;

/**
 * A chat memory advisor that applies only to calls naming a conversation
 * ({@link ChatMemory#CONVERSATION_ID}): Spring AI's {@code MessageChatMemoryAdvisor} refuses calls
 * without one, and the auto-configuration adds it to every ChatClient, stateless ones included.
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
        return request.context().get(ChatMemory.CONVERSATION_ID) == null ? chain.nextCall(request) : call.adviseCall(request, chain);
    }

    @Override
    public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
        return request.context().get(ChatMemory.CONVERSATION_ID) == null ? chain.nextStream(request) : stream.adviseStream(request, chain);
    }
}
