package dev.atlas.spring.ai;

import org.springframework.ai.chat.messages.Message;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The caller's message objects that the stored parts of a failed save (one appended in parts) wrote, per conversation,
 * with the id and sequence each was stored at: a retry with the same objects appends only the rest. Kept here rather than
 * in the messages' metadata, which is the caller's: a map two threads saving the same objects to two conversations would
 * write at once (each retry then taking the other's ids), whose hash code a caller's set depends on, and that a message
 * reused in another chat would carry there.
 *
 * <p>Held weakly and matched by identity, as atlas-langchain4j's {@code RecentMessages}: an entry matters only while a
 * caller holds its object (a caller can save again only what it holds), an equal message built anew is not the stored
 * one, and an object's entry for one conversation never counts for another. An entry goes when its object is collected.
 */
final class StoredInstances {
    /** Where one object was stored in one conversation. */
    record Stored(UUID id, long sequence) {
    }

    /** A weak reference that knows where it is filed, so a collected one can be removed. */
    private static final class Ref extends WeakReference<Message> {
        final UUID conversationId;
        final int hash;
        final Stored stored;

        Ref(Message message, ReferenceQueue<Message> queue, UUID conversationId, Stored stored) {
            super(message, queue);
            this.conversationId = conversationId;
            this.hash = System.identityHashCode(message);
            this.stored = stored;
        }
    }

    private final ReferenceQueue<Message> collected = new ReferenceQueue<>();
    /** By conversation, then by the object's identity hash. */
    private final Map<UUID, Map<Integer, List<Ref>>> byConversation = new HashMap<>();

    /** Files each of {@code messages} as stored at the matching row of {@code rows}, replacing what it was filed as there. */
    synchronized void put(UUID conversationId, List<Message> messages, List<dev.atlas.conversation.Message> rows) {
        purge();
        Map<Integer, List<Ref>> filed = byConversation.computeIfAbsent(conversationId, k -> new HashMap<>());
        for (int i = 0; i < rows.size(); i++) {
            Message m = messages.get(i);
            List<Ref> bucket = filed.computeIfAbsent(System.identityHashCode(m), k -> new ArrayList<>(1));
            bucket.removeIf(r -> r.get() == m);
            bucket.add(new Ref(m, collected, conversationId, new Stored(rows.get(i).id(), rows.get(i).sequence())));
        }
    }

    /** Where this very object was stored in the conversation, or null. */
    synchronized Stored find(UUID conversationId, Message message) {
        purge();
        Map<Integer, List<Ref>> filed = byConversation.get(conversationId);
        List<Ref> bucket = filed == null ? null : filed.get(System.identityHashCode(message));
        if (bucket != null) {
            for (Ref r : bucket) {
                if (r.get() == message) {
                    return r.stored;
                }
            }
        }
        return null;
    }

    /** Drops the references whose objects were collected, and what they leave empty. */
    private void purge() {
        for (Ref r; (r = (Ref) collected.poll()) != null; ) {
            Map<Integer, List<Ref>> filed = byConversation.get(r.conversationId);
            List<Ref> bucket = filed == null ? null : filed.get(r.hash);
            if (bucket == null) {
                continue;
            }
            bucket.remove(r);
            if (bucket.isEmpty()) {
                filed.remove(r.hash);
                if (filed.isEmpty()) {
                    byConversation.remove(r.conversationId);
                }
            }
        }
    }
}
