package dev.atlas.langchain4j;

import dev.langchain4j.data.message.ChatMessage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** The last messages a store wrote per conversation, bounded in conversations and in messages each. */
final class RecentMessages {
    private static final int CONVERSATIONS = 1024;
    private static final int PER_CONVERSATION = 512;

    private final Map<UUID, TreeMap<Long, ChatMessage>> byConversation = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, TreeMap<Long, ChatMessage>> eldest) {
            return size() > CONVERSATIONS;
        }
    };

    synchronized void put(UUID conversationId, long sequence, ChatMessage message) {
        TreeMap<Long, ChatMessage> m = byConversation.computeIfAbsent(conversationId, k -> new TreeMap<>());
        m.put(sequence, message);
        while (m.size() > PER_CONVERSATION) {
            m.pollFirstEntry();
        }
    }

    synchronized Map<Long, ChatMessage> get(UUID conversationId) {
        TreeMap<Long, ChatMessage> m = byConversation.get(conversationId);
        return m == null ? Map.of() : new TreeMap<>(m);
    }
}
