package dev.atlas.langchain4j;

import dev.langchain4j.data.message.ChatMessage;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The message instances a store recently handed out or was given, per conversation, by sequence.
 * Held weakly: an instance matters only while a caller holds it (a caller can hand back only what it
 * holds), so the store never keeps a message, or its images, alive for a pooled thread or an idle
 * conversation. Matched by identity, so a new message equal to an old one is never taken for it, and
 * instances of one conversation never count for another. Bounded in conversations, sequences each,
 * and instances per sequence (callers racing on one memory each hold their own read of a message).
 */
final class RecentMessages {
    private static final int CONVERSATIONS = 1024;
    private static final int PER_CONVERSATION = 512;
    private static final int PER_SEQUENCE = 16;

    private final Map<UUID, TreeMap<Long, List<WeakReference<ChatMessage>>>> byConversation = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, TreeMap<Long, List<WeakReference<ChatMessage>>>> eldest) {
            return size() > CONVERSATIONS;
        }
    };

    synchronized void put(UUID conversationId, long sequence, ChatMessage message) {
        TreeMap<Long, List<WeakReference<ChatMessage>>> m = byConversation.computeIfAbsent(conversationId, k -> new TreeMap<>());
        List<WeakReference<ChatMessage>> instances = m.computeIfAbsent(sequence, k -> new ArrayList<>(2));
        instances.removeIf(r -> r.get() == null);
        for (WeakReference<ChatMessage> r : instances) {
            if (r.get() == message) {
                return;
            }
        }
        instances.add(new WeakReference<>(message));
        if (instances.size() > PER_SEQUENCE) {
            instances.remove(0);
        }
        while (m.size() > PER_CONVERSATION) {
            m.pollFirstEntry();
        }
    }

    /**
     * The sequence of this very instance in the conversation, if it is newer than {@code after} and
     * not in {@code used}; {@code null} otherwise.
     */
    synchronized Long find(UUID conversationId, ChatMessage message, long after, Set<Long> used) {
        TreeMap<Long, List<WeakReference<ChatMessage>>> m = byConversation.get(conversationId);
        if (m == null) {
            return null;
        }
        for (Iterator<Map.Entry<Long, List<WeakReference<ChatMessage>>>> it = m.tailMap(after, false).entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, List<WeakReference<ChatMessage>>> e = it.next();
            List<WeakReference<ChatMessage>> instances = e.getValue();
            instances.removeIf(r -> r.get() == null);
            if (instances.isEmpty()) {
                it.remove();
                continue;
            }
            if (!used.contains(e.getKey())) {
                for (WeakReference<ChatMessage> r : instances) {
                    if (r.get() == message) {
                        return e.getKey();
                    }
                }
            }
        }
        return null;
    }

    synchronized void forget(UUID conversationId) {
        byConversation.remove(conversationId);
    }
}
