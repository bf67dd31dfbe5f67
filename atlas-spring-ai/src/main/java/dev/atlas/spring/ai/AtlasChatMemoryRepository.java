package dev.atlas.spring.ai;

import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * Spring AI chat memory kept in Atlas conversations: the framework's conversation id is the
 * conversation's {@linkplain ConversationStore#ensure(String, NewConversation) external key}.
 *
 * <p><b>Appends only.</b> {@code saveAll} receives the whole window each time
 * ({@code MessageWindowChatMemory} hands back the messages it read plus the new ones, minus the
 * evicted). The repository appends the messages it has not stored and never rewrites or deletes
 * one: messages read from it carry their Atlas id in their metadata ({@value SpringMessages#MESSAGE_ID}),
 * so they are recognised exactly, whatever their text. A list of messages built by hand (no ids)
 * is matched by content against the end of the stored window instead. What the memory keeps in
 * its window is recorded as a <i>window marker</i> in the conversation's metadata
 * ({@value #WINDOW}: the first sequence of the window and the system messages kept), so
 * {@link #findByConversationId} returns exactly the list last saved, as Spring AI's
 * {@code InMemoryChatMemoryRepository} does, while the full transcript stays in Atlas.
 *
 * <p>A list that changes a stored message (other text, tool calls or responses), reorders stored
 * messages, or places a stored message after a new one is refused with {@link ConflictException}
 * naming {@code messages[i]}: earlier history is never rewritten silently.
 *
 * <p>Tool calls ({@link AssistantMessage#getToolCalls()}) and tool responses
 * ({@link ToolResponseMessage}, one message with all responses of a round) round-trip exactly. An
 * assistant message produced under {@link AtlasRecordingAdvisor} is linked to its execution and
 * step; the tool response message that answers it is linked to the same step, so
 * {@code executions().historyWithTools} replays that round once, from these messages.
 *
 * <p>{@link #deleteByConversationId} soft-deletes the conversation, which frees its key: the next
 * save starts a new conversation. Thread-safe; saves to one key are serialised in this process.
 */
public final class AtlasChatMemoryRepository implements ChatMemoryRepository {
    /** Conversation metadata key holding the window marker. */
    public static final String WINDOW = "spring_ai_window";

    private final Tenant tenant;
    private final Owner owner;
    private final String agent;
    private final ReentrantLock[] locks = new ReentrantLock[64];

    private AtlasChatMemoryRepository(Tenant tenant, Owner owner, String agent) {
        this.tenant = Objects.requireNonNull(tenant, "tenant");
        this.owner = Objects.requireNonNull(owner, "owner");
        this.agent = agent;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /**
     * A repository on {@code tenant} whose new conversations belong to {@code owner} and carry
     * {@code agent} (which may be null).
     */
    public static AtlasChatMemoryRepository of(Tenant tenant, Owner owner, String agent) {
        return new AtlasChatMemoryRepository(tenant, owner, agent);
    }

    /** The Atlas conversation behind a Spring AI conversation id, if it exists. */
    public Optional<Conversation> conversation(String conversationId) {
        return tenant.conversations().getByKey(key(conversationId));
    }

    /** Creates the Atlas conversation behind a Spring AI conversation id unless it exists (race-free). */
    public Conversation ensureConversation(String conversationId) {
        return tenant.conversations().ensure(key(conversationId), NewConversation.of(owner, agent));
    }

    @Override
    public List<String> findConversationIds() {
        List<String> ids = new ArrayList<>();
        ConversationQuery query = (agent == null ? ConversationQuery.all() : ConversationQuery.forAgent(agent)).limit(1000);
        while (true) {
            Page<Conversation> page = tenant.conversations().list(query);
            for (Conversation c : page.items()) {
                if (c.externalKey() != null) {
                    ids.add(c.externalKey());
                }
            }
            if (page.nextCursor().isEmpty()) {
                return ids;
            }
            query = query.after(page.nextCursor().get());
        }
    }

    @Override
    public List<Message> findByConversationId(String conversationId) {
        String key = key(conversationId);
        List<dev.atlas.conversation.Message> window = conversation(key).map(this::window).orElseGet(List::of);
        // ChatMemory implementations read, then save on the same thread: what this read handed out is
        // what the save may evict. Messages appended meanwhile by other callers stay in the window.
        lastRead.set(new Read(key, window.stream().map(dev.atlas.conversation.Message::id).collect(Collectors.toSet())));
        return window.stream().map(SpringMessages::toSpring).toList();
    }

    private record Read(String key, Set<UUID> ids) {
    }

    private final ThreadLocal<Read> lastRead = new ThreadLocal<>();

    @Override
    public void saveAll(String conversationId, List<Message> messages) {
        String key = key(conversationId);
        if (messages == null) {
            throw new InvalidInputException("messages", "must not be null");
        }
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == null) {
                throw new InvalidInputException("messages[" + i + "]", "must not be null");
            }
        }
        ReentrantLock lock = locks[Math.floorMod(key.hashCode(), locks.length)];
        lock.lock();
        try {
            Read read = lastRead.get();
            lastRead.remove();
            save(tenant.conversations().ensure(key, NewConversation.of(owner, agent)), messages,
                    read != null && read.key().equals(key) ? read.ids() : null);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void deleteByConversationId(String conversationId) {
        conversation(conversationId).ifPresent(c -> tenant.conversations().delete(c.id()));
    }

    // ---- saving -------------------------------------------------------------------------

    private void save(Conversation conversation, List<Message> messages, Set<UUID> seen) {
        ConversationStore store = tenant.conversations();
        List<dev.atlas.conversation.Message> window = window(conversation);
        Map<UUID, dev.atlas.conversation.Message> inWindow = new HashMap<>();
        window.forEach(m -> inWindow.put(m.id(), m));

        // Which given messages are stored already: by the Atlas id they were read with, else by content.
        dev.atlas.conversation.Message[] stored = new dev.atlas.conversation.Message[messages.size()];
        boolean anyId = false;
        for (int i = 0; i < messages.size(); i++) {
            UUID id = SpringMessages.uuid(messages.get(i), SpringMessages.MESSAGE_ID);
            if (id == null) {
                continue;
            }
            dev.atlas.conversation.Message m = inWindow.get(id);
            if (m == null) {
                m = store.getMessage(id).filter(x -> x.conversationId().equals(conversation.id())).orElse(null);
            }
            // An id from another conversation (a message object reused across chats) is a new message here.
            if (m != null) {
                stored[i] = m;
                anyId = true;
            }
        }
        if (!anyId && !window.isEmpty()) {
            int overlap = overlap(window, messages);
            for (int i = 0; i < overlap; i++) {
                stored[i] = window.get(window.size() - overlap + i);
            }
        }

        long lastSeq = 0;
        boolean sawNew = false;
        for (int i = 0; i < messages.size(); i++) {
            if (stored[i] == null) {
                sawNew = true;
                continue;
            }
            String field = "messages[" + i + "]";
            if (sawNew) {
                throw new ConflictException(field, "is stored message " + stored[i].sequence()
                        + " but follows a new message: earlier history cannot be rewritten");
            }
            if (stored[i].sequence() <= lastSeq) {
                throw new ConflictException(field, "reorders stored message " + stored[i].sequence()
                        + ": earlier history cannot be rewritten");
            }
            if (!SpringMessages.sameContent(messages.get(i), SpringMessages.toSpring(stored[i]))) {
                throw new ConflictException(field, "changes stored message " + stored[i].sequence()
                        + " (text, tool calls or tool responses): earlier history cannot be edited through chat memory");
            }
            lastSeq = stored[i].sequence();
        }

        // What the caller saw and left out is evicted; messages it never saw (appended meanwhile by
        // another caller) stay. Only the oldest may go: the window is stored as a suffix.
        Set<UUID> given = new java.util.HashSet<>();
        for (dev.atlas.conversation.Message m : stored) {
            if (m != null) {
                given.add(m.id());
            }
        }
        Set<UUID> sawIds = seen != null ? seen : window.stream().map(dev.atlas.conversation.Message::id).collect(Collectors.toSet());
        List<dev.atlas.conversation.Message> after = new ArrayList<>();
        for (dev.atlas.conversation.Message m : window) {
            boolean evicted = sawIds.contains(m.id()) && !given.contains(m.id());
            if (!evicted) {
                after.add(m);
            } else if (m.role() != Role.SYSTEM && after.stream().anyMatch(k -> k.role() != Role.SYSTEM)) {
                throw new ConflictException("messages", "leaves out stored message " + m.sequence()
                        + " but keeps older ones: a chat memory window may only drop its oldest messages");
            }
        }

        // Append the new ones, linking assistant messages to their execution and tool responses to the call's step.
        Map<String, dev.atlas.conversation.Message> callOwner = new HashMap<>();
        for (dev.atlas.conversation.Message m : window) {
            rememberCalls(callOwner, m);
        }
        for (int i = 0; i < messages.size(); i++) {
            dev.atlas.conversation.Message m = stored[i];
            if (m == null) {
                m = store.append(conversation.id(), link(messages.get(i), callOwner));
                after.add(m);
            } else if (!window.contains(m)) {
                // A stored message from before the window that the caller brought back: only system messages qualify.
                after.add(m);
            }
            rememberCalls(callOwner, m);
        }
        after.sort(java.util.Comparator.comparingLong(dev.atlas.conversation.Message::sequence));
        Map<String, Object> marker = marker(after, window);
        if (!String.valueOf(marker).equals(String.valueOf(conversation.metadata().get(WINDOW)))) {
            Conversation current = store.require(conversation.id());
            Map<String, Object> metadata = new LinkedHashMap<>(current.metadata());
            metadata.put(WINDOW, marker);
            store.updateMetadata(conversation.id(), metadata);
        }
    }

    private static NewMessage link(Message message, Map<String, dev.atlas.conversation.Message> callOwner) {
        NewMessage out = SpringMessages.toAtlas(message);
        UUID execution = SpringMessages.uuid(message, SpringMessages.EXECUTION_ID);
        UUID step = SpringMessages.uuid(message, SpringMessages.STEP_ID);
        if (message instanceof ToolResponseMessage tool && execution == null) {
            // The responses answer calls of an assistant message: the round belongs to that message's step.
            for (ToolResponseMessage.ToolResponse r : tool.getResponses()) {
                dev.atlas.conversation.Message asker = r.id() == null ? null : callOwner.get(r.id());
                if (asker != null && asker.executionId() != null) {
                    execution = asker.executionId();
                    step = asker.stepId();
                    break;
                }
            }
        }
        return execution == null ? out : out.execution(execution, step);
    }

    @SuppressWarnings("unchecked")
    private static void rememberCalls(Map<String, dev.atlas.conversation.Message> callOwner, dev.atlas.conversation.Message m) {
        if (m.role() == Role.ASSISTANT && m.metadata().get(SpringMessages.KEY) instanceof Map<?, ?> spring
                && spring.get("toolCalls") instanceof List<?> calls) {
            for (Object c : calls) {
                Object id = ((Map<String, Object>) c).get("id");
                if (id != null) {
                    callOwner.put(id.toString(), m);
                }
            }
        }
    }

    /**
     * The largest {@code k} such that the first {@code k} given messages say what the last
     * {@code k} stored window messages say: for lists built without the ids this repository hands out.
     */
    private static int overlap(List<dev.atlas.conversation.Message> window, List<Message> messages) {
        for (int k = Math.min(window.size(), messages.size()); k > 0; k--) {
            boolean same = true;
            for (int i = 0; i < k && same; i++) {
                same = SpringMessages.sameContent(messages.get(i), SpringMessages.toSpring(window.get(window.size() - k + i)));
            }
            if (same) {
                return k;
            }
        }
        return 0;
    }

    /** The marker for a window made of {@code kept} (in sequence order). */
    private static Map<String, Object> marker(List<dev.atlas.conversation.Message> kept, List<dev.atlas.conversation.Message> previous) {
        long from = -1;
        List<Long> system = new ArrayList<>();
        for (dev.atlas.conversation.Message m : kept) {
            if (m.role() == Role.SYSTEM) {
                system.add(m.sequence());
            } else if (from < 0) {
                from = m.sequence();
            }
        }
        if (from < 0) {
            // No other message kept: the window starts after everything stored so far.
            long last = 0;
            for (dev.atlas.conversation.Message m : kept) {
                last = Math.max(last, m.sequence());
            }
            for (dev.atlas.conversation.Message m : previous) {
                last = Math.max(last, m.sequence());
            }
            from = last + 1;
        }
        Map<String, Object> marker = new LinkedHashMap<>();
        marker.put("from", from);
        marker.put("system", system);
        return marker;
    }

    // ---- reading ------------------------------------------------------------------------

    /**
     * The stored window: system messages the marker keeps plus every other message from the
     * marker's first sequence on (messages appended concurrently after a save included).
     * Without a marker, the whole conversation.
     */
    private List<dev.atlas.conversation.Message> window(Conversation conversation) {
        ConversationStore store = tenant.conversations();
        long from = 1;
        Set<Long> system = null;
        if (conversation.metadata().get(WINDOW) instanceof Map<?, ?> marker) {
            from = ((Number) marker.get("from")).longValue();
            system = ((List<?>) marker.get("system")).stream().map(n -> ((Number) n).longValue()).collect(Collectors.toSet());
        }
        List<dev.atlas.conversation.Message> out = new ArrayList<>();
        if (system != null) {
            for (long seq : system.stream().sorted().toList()) {
                if (seq < from) {
                    store.messages(conversation.id(), seq - 1, 1).stream().filter(m -> m.sequence() == seq && m.active())
                            .forEach(out::add);
                }
            }
        }
        long after = from - 1;
        while (true) {
            List<dev.atlas.conversation.Message> page = store.messages(conversation.id(), after, 1000);
            for (dev.atlas.conversation.Message m : page) {
                if (m.active() && (m.role() != Role.SYSTEM || system == null || system.contains(m.sequence()))) {
                    out.add(m);
                }
            }
            if (page.size() < 1000) {
                return out;
            }
            after = page.get(page.size() - 1).sequence();
        }
    }

    private static String key(String conversationId) {
        if (conversationId == null || conversationId.isBlank()) {
            throw new InvalidInputException("conversationId", "must not be blank");
        }
        return conversationId;
    }
}
