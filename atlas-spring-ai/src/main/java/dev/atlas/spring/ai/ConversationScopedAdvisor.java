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
import dev.atlas.ConfigurationException;
import reactor.core.publisher.Flux;

import java.util.List;

/**
 * A chat memory advisor that applies only to calls naming a conversation
 * ({@link ChatMemory#CONVERSATION_ID}): Spring AI's {@code MessageChatMemoryAdvisor} refuses calls
 * without one, and the auto-configuration adds it to every ChatClient, stateless ones included.
 * It stands aside for a memory advisor the application added itself. Without a memory to apply (several
 * {@code ChatMemory} beans and none primary) it refuses such a call with a {@link ConfigurationException}
 * saying what to do, instead of letting the conversation go unkept.
 */
final class ConversationScopedAdvisor implements CallAdvisor, StreamAdvisor {
    private final CallAdvisor call;
    private final StreamAdvisor stream;
    private final String refusal;

    <A extends CallAdvisor & StreamAdvisor> ConversationScopedAdvisor(A memory) {
        this.call = memory;
        this.stream = memory;
        this.refusal = null;
    }

    private ConversationScopedAdvisor(String refusal) {
        this.call = null;
        this.stream = null;
        this.refusal = refusal;
    }

    /** In place of a memory advisor when there is no memory to apply: calls naming a conversation fail with {@code refusal}. */
    static ConversationScopedAdvisor refusing(String refusal) {
        return new ConversationScopedAdvisor(refusal);
    }

    @Override
    public String getName() {
        return call != null ? call.getName() : "AtlasNoChatMemoryAdvisor";
    }

    @Override
    public int getOrder() {
        return call != null ? call.getOrder() : Advisor.DEFAULT_CHAT_MEMORY_PRECEDENCE_ORDER;
    }

    @Override
    public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
        if (!applies(request, chain.getCallAdvisors())) {
            return chain.nextCall(request);
        }
        if (call == null) {
            throw new ConfigurationException(refusal);
        }
        return call.adviseCall(request, chain);
    }

    @Override
    public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
        if (!applies(request, chain.getStreamAdvisors())) {
            return chain.nextStream(request);
        }
        if (stream == null) {
            return Flux.error(new ConfigurationException(refusal));
        }
        return stream.adviseStream(request, chain);
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
