package dev.atlas.langchain4j;

import dev.atlas.Limits;
import dev.atlas.Tenant;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;

/**
 * Ready chat memories for {@code AiServices}: LangChain4j's own {@link MessageWindowChatMemory}
 * over an {@link AtlasChatMemoryStore}, so the window is chosen once, here.
 *
 * <pre>{@code
 * Assistant assistant = AiServices.builder(Assistant.class)
 *         .chatModel(model)                                   // built with .listeners(List.of(AtlasChatModelListener.of(tenant)))
 *         .chatMemoryProvider(AtlasChatMemory.provider(tenant, 20))
 *         .build();
 * }</pre>
 *
 * Needs the {@code dev.langchain4j:langchain4j} artifact (where {@code AiServices} and
 * {@code MessageWindowChatMemory} live) on the class path.
 */
public final class AtlasChatMemory {
    private AtlasChatMemory() {}

    /** Memories keeping the last {@code maxMessages} messages, stored in {@code tenant}. */
    public static ChatMemoryProvider provider(Tenant tenant, int maxMessages) {
        return provider(AtlasChatMemoryStore.of(tenant), maxMessages);
    }

    /** Memories keeping the last {@code maxMessages} messages, stored by {@code store}. */
    public static ChatMemoryProvider provider(AtlasChatMemoryStore store, int maxMessages) {
        Limits.requireNonNull("store", store);
        Limits.requirePositive("maxMessages", maxMessages, Integer.MAX_VALUE);
        return memoryId -> MessageWindowChatMemory.builder().id(memoryId).maxMessages(maxMessages).chatMemoryStore(store).build();
    }
}
