package dev.atlas.langchain4j;

import dev.langchain4j.data.message.ChatMessage;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The message instances a store handed out or was given, per conversation, by sequence, for as long
 * as a caller holds them. Held weakly: an instance matters only while a caller holds it (a caller can
 * hand back only what it holds), so the store never keeps a message, or its images, alive for a
 * pooled thread or an idle conversation. Matched by identity, so a new message equal to an old one is
 * never taken for it, and instances of one conversation never count for another.
 *
 * <p>Not bounded by count, on purpose: any bound would forget an instance a caller still holds on a
 * busy memory, and its update would then store the message twice or be refused. An entry goes when
 * its instance is collected (purged through a reference queue), so the table is as large as what
 * callers hold, plus a few references per message not yet purged.
 */
final class RecentMessages {
    /** A weak reference that knows where it is filed, so a collected one can be removed. */
    private static final class Ref extends WeakReference<ChatMessage> {
        final UUID conversationId;
        final long sequence;

        Ref(ChatMessage message, ReferenceQueue<ChatMessage> queue, UUID conversationId, long sequence) {
            super(message, queue);
            this.conversationId = conversationId;
            this.sequence = sequence;
        }
    }

    private final ReferenceQueue<ChatMessage> collected = new ReferenceQueue<>();
    private final Map<UUID, TreeMap<Long, List<Ref>>> byConversation = new HashMap<>();

    synchronized void put(UUID conversationId, long sequence, ChatMessage message) {
        purge();
        List<Ref> instances = byConversation.computeIfAbsent(conversationId, k -> new TreeMap<>())
                .computeIfAbsent(sequence, k -> new ArrayList<>(2));
        for (Ref r : instances) {
            if (r.get() == message) {
                return;
            }
        }
        instances.add(new Ref(message, collected, conversationId, sequence));
    }

    /**
     * The sequence of this very instance in the conversation, if it is newer than {@code after} and
     * not in {@code used}; {@code null} otherwise.
     */
    synchronized Long find(UUID conversationId, ChatMessage message, long after, Set<Long> used) {
        purge();
        TreeMap<Long, List<Ref>> m = byConversation.get(conversationId);
        if (m == null) {
            return null;
        }
        for (Map.Entry<Long, List<Ref>> e : m.tailMap(after, false).entrySet()) {
            if (used.contains(e.getKey())) {
                continue;
            }
            for (Ref r : e.getValue()) {
                if (r.get() == message) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    synchronized void forget(UUID conversationId) {
        purge();
        byConversation.remove(conversationId);
    }

    /** Drops the references whose instances were collected, and what they leave empty. */
    private void purge() {
        for (Ref r; (r = (Ref) collected.poll()) != null; ) {
            TreeMap<Long, List<Ref>> m = byConversation.get(r.conversationId);
            List<Ref> instances = m == null ? null : m.get(r.sequence);
            if (instances == null) {
                continue;
            }
            instances.remove(r);
            if (instances.isEmpty()) {
                m.remove(r.sequence);
                if (m.isEmpty()) {
                    byConversation.remove(r.conversationId);
                }
            }
        }
    }
}
