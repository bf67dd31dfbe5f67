package dev.atlas.langchain4j;

import dev.atlas.ConflictException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.StepHandle.ToolCallHandle;
import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * A LangChain4j {@link ChatMemoryStore} that keeps each chat memory as an Atlas conversation and
 * never rewrites it.
 *
 * <p>A memory id maps to the conversation whose external key is {@code String.valueOf(memoryId)},
 * created on first write with {@link ConversationStore#ensure(String, NewConversation)}, so
 * concurrent first writers, in one process or several, share one conversation.
 *
 * <p>LangChain4j hands {@link #updateMessages} the whole current window each time. The store
 * compares it with the window it holds: messages it does not hold yet are appended (each one row,
 * in constant time); messages the window dropped stay in the conversation's history; and a small
 * marker in the conversation's metadata ({@value Messages#KEY}{@code .window}) records which stored
 * messages form the window. So {@link #getMessages} returns exactly the list LangChain4j last gave,
 * as its {@code InMemoryChatMemoryStore} would, while Atlas keeps the whole transcript. A list that
 * changes a message LangChain4j already stored (anything but dropping messages, appending new ones
 * and putting a new {@link SystemMessage} first) is refused with {@link ConflictException}, before
 * any write: history is never silently rewritten.
 *
 * <p>Role and text land in Atlas's own columns; tool requests, a tool result's id, name and
 * {@code isError}, and everything else a message carries are kept in its metadata and round-trip
 * exactly. {@link #deleteMessages} soft-deletes the conversation, which frees its key: the next
 * write under the same memory id starts a new conversation.
 *
 * <p>Thread-safe. Writes to one memory id are serialised within this JVM; two processes writing
 * one memory id at the same instant both append their messages and the later window wins, as
 * LangChain4j's own stores behave.
 */
public final class AtlasChatMemoryStore implements ChatMemoryStore {
    private static final int LOCK_STRIPES = 64;
    private static final int PAGE = Limits.MAX_PAGE_SIZE;

    private final Tenant tenant;
    private final ConversationStore conversations;
    private final Function<Object, NewConversation> newConversation;
    private final ReentrantLock[] locks = new ReentrantLock[LOCK_STRIPES];
    private final RecentMessages recent = new RecentMessages();
    /** What {@link #getMessages} last handed out on this thread: MessageWindowChatMemory reads, then updates. */
    private final ThreadLocal<LastRead> lastRead = new ThreadLocal<>();

    private AtlasChatMemoryStore(Tenant tenant, Function<Object, NewConversation> newConversation) {
        this.tenant = Limits.requireNonNull("tenant", tenant);
        this.conversations = tenant.conversations();
        this.newConversation = Limits.requireNonNull("newConversation", newConversation);
        for (int i = 0; i < LOCK_STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /**
     * A store whose new conversations belong to owner {@code langchain4j:<memory id>} with no agent
     * key; see {@link #of(Tenant, Function)} to choose owner, agent, title or metadata.
     */
    public static AtlasChatMemoryStore of(Tenant tenant) {
        return of(tenant, memoryId -> NewConversation.of(Owner.of("langchain4j", String.valueOf(memoryId))));
    }

    /** A store whose new conversations are created from {@code newConversation.apply(memoryId)}. */
    public static AtlasChatMemoryStore of(Tenant tenant, Function<Object, NewConversation> newConversation) {
        return new AtlasChatMemoryStore(tenant, newConversation);
    }

    /** A store whose new conversations belong to {@code owner}, managed by {@code agent} (may be null). */
    public static AtlasChatMemoryStore of(Tenant tenant, Owner owner, String agent) {
        Limits.requireNonNull("owner", owner);
        // Checked now rather than at the first write, where a bad setting would fail a user's chat.
        String checked = agent == null ? null : Limits.requireKey("agent", agent);
        return of(tenant, memoryId -> NewConversation.of(owner, checked));
    }

    /** The external key a memory id maps to. */
    static String key(Object memoryId) {
        // The key's limits (not blank, at most 255 characters) named after the caller's argument.
        return Limits.requireKey("memoryId", String.valueOf(Limits.requireNonNull("memoryId", memoryId)));
    }

    /** The conversation holding this memory, unless nothing was written under its id. */
    public java.util.Optional<Conversation> conversation(Object memoryId) {
        return conversations.getByKey(key(memoryId));
    }

    @Override
    public List<ChatMessage> getMessages(Object memoryId) {
        Conversation c = conversations.getByKey(key(memoryId)).orElse(null);
        if (c == null) {
            return new ArrayList<>();
        }
        List<ChatMessage> messages = new ArrayList<>();
        Map<Long, ChatMessage> handedOut = new java.util.TreeMap<>();
        for (Stored s : read(c)) {
            messages.add(s.message());
            handedOut.put(s.sequence(), s.message());
            // Rows written before this JVM started, or by another one, are then known too when a
            // racing caller hands a list built from this read.
            recent.put(c.id(), s.sequence(), s.message());
        }
        lastRead.set(new LastRead(c.id(), handedOut));
        Correlation.bind(tenant.id(), c.id(), messages.isEmpty() ? null : messages.get(messages.size() - 1));
        return messages;
    }

    @Override
    public void updateMessages(Object memoryId, List<ChatMessage> messages) {
        Limits.requireNonNull("messages", messages);
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == null) {
                throw new dev.atlas.InvalidInputException("messages[" + i + "]", "must not be null");
            }
        }
        String key = key(memoryId);
        ReentrantLock lock = locks[Math.floorMod(key.hashCode(), LOCK_STRIPES)];
        lock.lock();
        try {
            Conversation c = conversations.ensure(key, newConversation.apply(memoryId));
            Window before = Window.parse(window(c));
            // The list is what this thread just read plus new messages: only a message of that read
            // can be one the window no longer holds. Without a read, what this JVM stored recently.
            LastRead last = lastRead.get();
            lastRead.remove();
            Map<Long, ChatMessage> known = last != null && last.conversationId().equals(c.id()) ? last.messages() : recent.get(c.id());
            Plan plan = plan(read(c, before), known, messages);
            // Every new message is mapped (and so validated) before the first one is written.
            List<NewMessage> prepared = new ArrayList<>(messages.size());
            for (int i = 0; i < messages.size(); i++) {
                // Inline images are checked with placeholder references of the same size as the real ones.
                List<UUID> placeholders = Messages.inlineImages(messages.get(i)).stream().map(x -> new UUID(0, 0)).toList();
                prepared.add(plan.kept().get(i) == null ? Messages.toAtlas(messages.get(i), placeholders) : null);
            }
            List<Long> sequences = new ArrayList<>(messages.size());
            for (int i = 0; i < messages.size(); i++) {
                Long kept = plan.kept().get(i);
                if (kept == null) {
                    kept = append(c.id(), messages.get(i), prepared.get(i));
                    recent.put(c.id(), kept, messages.get(i));
                }
                sequences.add(kept);
            }
            Window after = Window.of(sequences);
            if (!after.sameAs(before)) {
                Map<String, Object> metadata = new LinkedHashMap<>(c.metadata());
                Map<String, Object> ours = metadata.get(Messages.KEY) instanceof Map<?, ?> m ? copy(m) : new LinkedHashMap<>();
                ours.put("window", after.stored());
                metadata.put(Messages.KEY, ours);
                conversations.updateMetadata(c.id(), metadata);
            }
            Correlation.bind(tenant.id(), c.id(), messages.isEmpty() ? null : messages.get(messages.size() - 1));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void deleteMessages(Object memoryId) {
        String key = key(memoryId);
        ReentrantLock lock = locks[Math.floorMod(key.hashCode(), LOCK_STRIPES)];
        lock.lock();
        try {
            conversations.getByKey(key).ifPresent(c -> conversations.delete(c.id()));
        } finally {
            lock.unlock();
        }
    }

    private long append(UUID conversationId, ChatMessage message, NewMessage mapped) {
        NewMessage m = mapped;
        List<UUID> images = new ArrayList<>();
        Message stored;
        try {
            for (Image image : Messages.inlineImages(message)) {
                // The bytes go to the blob store as an asset; the message's JSON refers to it.
                byte[] bytes = Base64.getDecoder().decode(image.base64Data());
                images.add(tenant.assets().create(NewAsset.of(AssetType.IMAGE, "langchain4j-image", image.mimeType()), bytes).id());
            }
            if (!images.isEmpty()) {
                m = Messages.toAtlas(message, images);
            }
            if (message instanceof AiMessage ai) {
                Correlation.Produced p = Correlation.takeProduced(tenant.id(), conversationId, ai);
                if (p != null) {
                    if (ai.hasToolExecutionRequests()) {
                        // Linked by metadata only: the tool round is stored as messages here, and a link
                        // column would make historyWithTools replay it a second time from the execution.
                        Map<String, Object> meta = new LinkedHashMap<>(m.metadata());
                        meta.put("executionId", p.executionId().toString());
                        m = m.metadata(meta);
                    } else {
                        m = m.execution(p.executionId(), p.stepId());
                    }
                }
            }
            stored = conversations.append(conversationId, m);
        } catch (RuntimeException e) {
            // The message was refused: its images would be assets nothing refers to.
            for (UUID asset : images) {
                try {
                    tenant.assets().delete(asset);
                } catch (RuntimeException d) {
                    e.addSuppressed(d);
                }
            }
            throw e;
        }
        long sequence = stored.sequence();
        for (UUID asset : images) {
            tenant.assets().attach(stored.id(), asset, Map.of());
        }
        if (message instanceof ToolExecutionResultMessage result) {
            ToolCallHandle call = Correlation.unpark(tenant.id(), conversationId, result.id());
            if (call != null) {
                String text = m.content();
                if (Boolean.TRUE.equals(result.isError())) {
                    call.fail(text.isEmpty() ? "tool error" : text);
                } else {
                    call.complete(text);
                }
            }
        }
        return sequence;
    }

    /** The messages one {@link #getMessages} handed out, by sequence. */
    private record LastRead(UUID conversationId, Map<Long, ChatMessage> messages) {}

    /** A stored message with its sequence. */
    record Stored(long sequence, ChatMessage message) {}

    /** For each position of the new list: the sequence of the held message it keeps, or null for a new one. */
    private record Plan(List<Long> kept) {}

    /**
     * Matches the new list against the held window, in the window's order. Kept messages must keep
     * their order, and every new message must come after the last kept one, except a new system
     * message placed first (LangChain4j's {@code alwaysKeepSystemMessageFirst}); anything else
     * would rewrite history and is refused.
     *
     * <p>A message the window no longer holds but the caller read ({@code known}) is kept too, not
     * stored again: callers racing on one memory id hand lists built from older windows
     * (LangChain4j reads, then writes, without a lock). Only when it is newer than every message
     * kept before it in the list, so a user repeating an earlier, evicted message ("ok") gets a
     * new row, at the end, as a new message should.
     */
    private static Plan plan(List<Stored> held, Map<Long, ChatMessage> recent, List<ChatMessage> messages) {
        List<Long> kept = new ArrayList<>(messages.size());
        java.util.Set<Long> used = new java.util.HashSet<>();
        for (Stored s : held) {
            used.add(s.sequence());
        }
        int next = 0;
        int firstNew = -1;
        long newestKept = 0;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            Long sequence = null;
            for (int j = next; j < held.size(); j++) {
                if (held.get(j).message().equals(m)) {
                    sequence = held.get(j).sequence();
                    next = j + 1;
                    break;
                }
            }
            if (sequence == null) {
                for (Map.Entry<Long, ChatMessage> e : recent.entrySet()) {
                    if (e.getKey() > newestKept && !used.contains(e.getKey()) && e.getValue().equals(m)) {
                        sequence = e.getKey();
                        used.add(sequence);
                        break;
                    }
                }
            }
            if (sequence == null) {
                kept.add(null);
                boolean systemFirst = i == 0 && m instanceof SystemMessage;
                if (firstNew < 0 && !systemFirst) {
                    firstNew = i;
                }
                continue;
            }
            if (firstNew >= 0) {
                throw new ConflictException("messages[" + firstNew + "]",
                        "is not stored in this memory but comes before stored message " + i
                                + "; the store appends and never rewrites history (see AtlasChatMemoryStore)");
            }
            kept.add(sequence);
            newestKept = Math.max(newestKept, sequence);
        }
        return new Plan(kept);
    }

    private static Object window(Conversation c) {
        return c.metadata().get(Messages.KEY) instanceof Map<?, ?> m ? m.get("window") : null;
    }

    private static Map<String, Object> copy(Map<?, ?> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    private List<Stored> read(Conversation c) {
        return read(c, Window.parse(window(c)));
    }

    /** The window's messages, one query per run of sequences (a window is usually one or two runs). */
    private List<Stored> read(Conversation c, Window window) {
        List<Stored> out = new ArrayList<>();
        for (long[] run : window.runs()) {
            long after = run[0] - 1;
            // A row deleted through Atlas leaves a gap in a run: page on until the run's end.
            while (after < run[1]) {
                List<Message> page = conversations.messages(c.id(), after, (int) Math.min(PAGE, run[1] - after));
                if (page.isEmpty()) {
                    break;
                }
                for (Message m : page) {
                    if (m.sequence() <= run[1]) {
                        out.add(new Stored(m.sequence(), Messages.fromAtlas(m, this::assetBytes)));
                    }
                }
                after = page.get(page.size() - 1).sequence();
            }
        }
        return out;
    }

    private byte[] assetBytes(UUID assetId) {
        try (java.io.InputStream in = tenant.assets().open(assetId)) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read image asset " + assetId, e);
        }
    }

    @Override
    public String toString() {
        return "AtlasChatMemoryStore[" + tenant.id() + "]";
    }
}
