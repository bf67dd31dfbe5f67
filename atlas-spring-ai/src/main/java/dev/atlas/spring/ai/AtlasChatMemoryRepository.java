package dev.atlas.spring.ai;

import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import org.springframework.ai.content.Media;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Spring AI chat memory kept in Atlas conversations: the framework's conversation id is the
 * conversation's {@linkplain ConversationStore#ensure(String, NewConversation) external key}.
 *
 * <p><b>Appends only.</b> {@code saveAll} receives the whole window each time
 * ({@code MessageWindowChatMemory} reads, then hands back the messages it read plus the new ones,
 * minus the evicted). The repository diffs the list against what {@link #findByConversationId}
 * handed out just before on the same thread (no second read), appends the new messages with one
 * {@link ConversationStore#appendAll} (more than 1,000, or more than half {@link Limits#MAX_BATCH_LENGTH} characters, in
 * parts of one {@code appendAll} each: a part that fails leaves the parts before it stored, and the repository remembers
 * the caller's message objects of those parts, weakly and by identity, unless the list holds one object twice, so the
 * same list saved again appends only the rest; the caller's messages are not written to) and never rewrites or deletes
 * one: messages read from it
 * carry their Atlas id in their metadata ({@value SpringMessages#MESSAGE_ID}), so they are
 * recognised exactly, whatever their text. A list of messages built by hand (no ids, or no read
 * before) is diffed against a fresh read, matched by content against the end of the stored window.
 *
 * <p><b>The window.</b> What the memory keeps is recorded as a <i>window marker</i>
 * ({@value #WINDOW}: the first sequence of the window, the system messages kept from before it
 * and those dropped after it) in the metadata of the last message a save appends, so it is written
 * in the same transaction (when that message's metadata, at Atlas's limit, leaves it no room, in the
 * conversation's metadata after the append); a save that only evicts puts it in the conversation's metadata, as does
 * the first save to a conversation (a conditional update: a key the application writes meanwhile
 * is kept; when the application's metadata leaves no room for the marker, the save still succeeds
 * and an eviction-only save's drop is recorded by the next save that appends). Reading takes the newest {@linkplain #window(int) window}
 * messages and the newest marker among them (looking further back, never past the conversation's
 * marker, when more than a window was appended through the Atlas API since the last save), so
 * {@link #findByConversationId} returns exactly the list last saved, as Spring AI's
 * {@code InMemoryChatMemoryRepository} does (plus messages appended since by others), while the
 * full transcript stays in Atlas. A conversation this repository never saved to (created through
 * the Atlas API) reads as its newest {@code window} messages, never its whole history.
 *
 * <p>A list that changes a stored message (other text, tool calls or responses), reorders stored
 * messages, or places a stored message after a new one is refused with {@link ConflictException}
 * naming {@code messages[i]}: earlier history is never rewritten silently. A message of the conversation deleted
 * since a read handed it out (soft-deleted, or hard-deleted by retention) stays deleted: it is neither compared nor
 * appended again; read messages carry the conversation they came from ({@value SpringMessages#CONVERSATION_ID}) for
 * this, as a hard delete leaves no trail to ask. A message Atlas cannot
 * store is refused with {@link InvalidInputException} naming {@code messages[i]} and its part
 * ({@code text}, {@code metadata}, {@code toolCalls}, {@code responses}, {@code media[j]}) before
 * anything is written. Except what a recorded call's model or tool loop sent (assistant messages and
 * tool results tagged by {@link AtlasRecordingAdvisor} with their execution and step): the call
 * must not fail for what the provider returned, so those are stored as cleaned copies (U+FFFD for
 * NUL and unpaired surrogates, cut to fit, metadata entries too deep or too large left out; media
 * URLs, ids and names alike, a medium holding neither a URL nor bytes or too large to describe left out).
 *
 * <p>Tool calls ({@link AssistantMessage#getToolCalls()}) and tool responses
 * ({@link ToolResponseMessage}, one message with all responses of a round) round-trip exactly. An
 * assistant message produced under {@link AtlasRecordingAdvisor} is linked to its execution and
 * step; the tool response message that answers it is linked to the same step, so
 * {@code executions().historyWithTools} replays that round once, from these messages.
 *
 * <p>Media of user and assistant messages read back equal: a URL as given, bytes in an asset of
 * the tenant (in Atlas's blob store) attached to the message as a
 * {@linkplain dev.atlas.asset.AssetStore#attachPart part} of it, so retention's hard delete of the
 * message, or purge of its conversation, deletes the bytes too. A save that is refused deletes the
 * assets it wrote. Reads do not read the bytes: a medium read from here loads them on its first
 * {@code getData()} (when the model uses it) and keeps them.
 *
 * <p>{@link #deleteByConversationId} soft-deletes the conversation, which frees its key: the next
 * save starts a new conversation. Thread-safe; saves to one key are serialised in this process.
 *
 * <p><b>Ids are the tenant's.</b> A conversation id is an external key of the tenant, whichever
 * repository, agent or owner created it: repositories with other agents on one tenant read, save
 * to, delete and {@linkplain #findConversationIds list} the same conversations, as Spring AI's own
 * repositories over one table do. Give each application (or agent) that must not share a chat
 * memory its own tenant, or ids of its own (a prefix).
 */
public final class AtlasChatMemoryRepository implements ChatMemoryRepository {
    /** Message (or conversation) metadata key holding the window marker. */
    public static final String WINDOW = "spring_ai_window";
    /** Messages read by default: Spring AI's {@code MessageWindowChatMemory} default window. */
    public static final int DEFAULT_WINDOW = 20;

    private final Tenant tenant;
    private final Owner owner;
    private final String agent;
    private final int window;
    private final ReentrantLock[] locks;
    /** Conversations whose read left out stored media, warned about once (see {@link #converted}). */
    private final Set<UUID> warned;
    private final ThreadLocal<Read> lastRead = new ThreadLocal<>();
    /** The caller's message objects the stored parts of failed saves wrote (see {@link #markStored}). */
    private final StoredInstances stored;

    private AtlasChatMemoryRepository(Tenant tenant, Owner owner, String agent, int window, ReentrantLock[] locks, Set<UUID> warned,
                                      StoredInstances stored) {
        this.tenant = Limits.requireNonNull("tenant", tenant);
        this.owner = Limits.requireNonNull("owner", owner);
        // Checked here, not at the first save, where a bad setting would fail a user's chat.
        this.agent = agent == null ? null : Limits.requireKey("agent", agent);
        this.window = window;
        this.locks = locks;
        this.warned = warned;
        this.stored = stored;
    }

    /**
     * A repository on {@code tenant} whose new conversations belong to {@code owner} and carry
     * {@code agent} (which may be null), reading windows of {@value #DEFAULT_WINDOW} messages.
     */
    public static AtlasChatMemoryRepository of(Tenant tenant, Owner owner, String agent) {
        ReentrantLock[] locks = new ReentrantLock[64];
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new ReentrantLock();
        }
        return new AtlasChatMemoryRepository(tenant, owner, agent, DEFAULT_WINDOW, locks, java.util.concurrent.ConcurrentHashMap.newKeySet(),
                new StoredInstances());
    }

    /**
     * This repository reading {@code messages} newest messages per read: set it to the chat
     * memory's {@code maxMessages} (a larger memory window still reads correctly, with one more
     * query). It is also the window of a conversation this repository never saved to.
     */
    public AtlasChatMemoryRepository window(int messages) {
        if (messages < 1 || messages > Limits.MAX_PAGE_SIZE) {
            throw new InvalidInputException("window", "must be between 1 and " + Limits.MAX_PAGE_SIZE + ", was " + messages);
        }
        return new AtlasChatMemoryRepository(tenant, owner, agent, messages, locks, warned, stored);
    }

    /** The tenant whose conversations this repository keeps. */
    Tenant tenant() {
        return tenant;
    }

    /** The Atlas conversation behind a Spring AI conversation id, if it exists. */
    public Optional<Conversation> conversation(String conversationId) {
        return tenant.conversations().getByKey(key(conversationId));
    }

    /** Creates the Atlas conversation behind a Spring AI conversation id unless it exists (race-free). */
    public Conversation ensureConversation(String conversationId) {
        return tenant.conversations().ensure(key(conversationId), NewConversation.of(owner, agent));
    }

    /**
     * Every conversation id of the tenant: the external key of each of its live conversations that
     * has one, whatever agent or owner created it, as these are the ids {@link #findByConversationId},
     * {@link #saveAll} and {@link #deleteByConversationId} read and write (this repository's agent and
     * owner are only what the conversations it creates carry).
     */
    @Override
    public List<String> findConversationIds() {
        List<String> ids = new ArrayList<>();
        // Not filtered by agent: the ids listed are exactly the ones the other calls reach (a key is the tenant's).
        ConversationQuery query = ConversationQuery.all().limit(1000);
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
        Optional<Conversation> conversation = conversation(key);
        Window read = conversation.map(c -> load(c, true)).orElse(Window.EMPTY);
        conversation.ifPresent(c -> warnLostMedia(c.id(), read));
        // ChatMemory implementations read, then save on the same thread: the save diffs against this
        // read instead of reading again. Messages appended meanwhile by other callers stay in the window.
        lastRead.set(Read.of(key, conversation.orElse(null), read));
        return new Handed(read.spring(), read);
    }

    @Override
    public void saveAll(String conversationId, List<Message> messages) {
        String key = key(conversationId);
        if (messages == null) {
            throw new InvalidInputException("messages", "must not be null");
        }
        // The caller's objects, which a failed save remembers and its retry finds: a copy made for storable media is not one.
        List<Message> callers = messages;
        messages = withStorableMedia(messages);
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i) == null) {
                throw new InvalidInputException("messages[" + i + "]", "must not be null");
            }
            List<Media> media = SpringMessages.media(messages.get(i));
            for (int j = 0; j < media.size(); j++) {
                // Media read from Atlas are known good: asking for their data would read the bytes.
                if (media.get(j) instanceof SpringMessages.AssetMedia) {
                    continue;
                }
                String field = "messages[" + i + "].media[" + j + "]";
                Object data = media.get(j) == null ? null : media.get(j).getData();
                if (!(data instanceof String) && !(data instanceof byte[])) {
                    throw new InvalidInputException(field, "must hold a URL or bytes, was " + (data == null ? "null" : data.getClass().getName()));
                }
                SpringMessages.storable(field, data instanceof String url ? url : null);
                SpringMessages.storable(field, media.get(j).getId());
                SpringMessages.storable(field, media.get(j).getName());
            }
        }
        Read read = lastRead.get();
        lastRead.remove();
        // Every message converted and checked before the conversation is ensured: a refused save writes
        // nothing. Those this thread's read handed out are stored already (null here, converted if ever needed).
        Set<UUID> handed = read != null && read.key().equals(key) ? read.ids() : Set.of();
        List<NewMessage> converted = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            UUID id = SpringMessages.uuid(messages.get(i), SpringMessages.MESSAGE_ID);
            converted.add(id != null && handed.contains(id) ? null : convert(i, messages.get(i)));
        }
        ReentrantLock lock = locks[Math.floorMod(key.hashCode(), locks.length)];
        lock.lock();
        try {
            // Only a list built from that read may be diffed against it: a hand-built list is matched by
            // content against the end of the window, which must then be the current one, not a read this
            // thread made some time ago (messages stored since would be appended a second time).
            if (read != null && read.key().equals(key) && read.conversation() != null && handedOut(read, callers)) {
                try {
                    save(read.conversation(), callers, messages, converted, window(read), true);
                    return;
                } catch (NotFoundException deleted) {
                    // Deleted since the read (deleteByConversationId frees the key): the list goes to a new conversation.
                    read = null;
                }
            }
            Conversation conversation = tenant.conversations().ensure(key, NewConversation.of(owner, agent));
            Window current = conversation.lastSequence() == 0 ? Window.EMPTY : load(conversation, false);
            // The caller read an absent (or empty) conversation: what others stored since stays, none of it is evicted.
            boolean sawAll = read == null || !read.key().equals(key) || !read.ids().isEmpty();
            save(conversation, callers, messages, converted, current, sawAll);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Appends {@code results} of a tool round that Spring AI's loop hands to no memory (tools that
     * returned directly, a call that failed or was cancelled before the next round) when the latest
     * message of the conversation is the answer of {@code step} that asked for them: a chat memory
     * advisor stored it in this call. Else (no memory in the chain, the results stored already, or
     * another turn appended since) nothing is written.
     */
    void closeToolRound(String conversationId, UUID step, ToolResponseMessage results) {
        List<Message> window = findByConversationId(conversationId);
        Message last = window.isEmpty() ? null : window.get(window.size() - 1);
        // The answer itself: the results, which the loop tags with the same step, may be the latest (stored by the memory
        // advisor of the round that failed after them).
        if (!(last instanceof org.springframework.ai.chat.messages.AssistantMessage)
                || !step.equals(SpringMessages.uuid(last, SpringMessages.STEP_ID))) {
            lastRead.remove();
            return;
        }
        window.add(results);
        saveAll(conversationId, window);
    }

    @Override
    public void deleteByConversationId(String conversationId) {
        Read read = lastRead.get();
        if (read != null && read.key().equals(key(conversationId))) {
            // What this thread read is gone: a save that follows must start a new conversation.
            lastRead.remove();
        }
        conversation(conversationId).ifPresent(c -> tenant.conversations().delete(c.id()));
    }

    /** {@code messages} with the media of what a recorded call's model sent made storable ({@link SpringMessages#withStorableMedia}). */
    private static List<Message> withStorableMedia(List<Message> messages) {
        List<Message> out = null;
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i) == null ? null : SpringMessages.withStorableMedia(messages.get(i));
            if (m != messages.get(i)) {
                out = out == null ? new ArrayList<>(messages) : out;
                out.set(i, m);
            }
        }
        return out == null ? messages : out;
    }

    /**
     * The Atlas message for {@code messages[i]}: what a recorded call's model or tool loop sent is
     * stored as a cleaned copy (the call must not fail for what the provider returned), anything
     * else exactly or refused naming its part.
     */
    private static NewMessage convert(int i, Message message) {
        if (!SpringMessages.recorded(message)) {
            return SpringMessages.checked(i, message);
        }
        try {
            return SpringMessages.checked(i, message);
        } catch (InvalidInputException unstorable) {
            // Copied only when needed: most answers are stored exactly, at no extra cost.
            return SpringMessages.cleaned(i, message);
        }
    }

    /**
     * Whether {@code messages} hold one of the messages {@code read} handed out (by the Atlas id it carried, or the id a
     * failed save stored that very object at).
     */
    private boolean handedOut(Read read, List<Message> messages) {
        for (Message m : messages) {
            StoredInstances.Stored at = stored.find(read.conversation().id(), m);
            if (read.ids().contains(at != null ? at.id() : SpringMessages.uuid(m, SpringMessages.MESSAGE_ID))) {
                return true;
            }
        }
        return false;
    }

    /**
     * What one read handed out, for the save that follows it on the same thread. The window itself is
     * held weakly: the list handed out keeps it alive while the caller holds it, so a read with no
     * save (the model call threw) pins no messages on a pooled thread. When it is gone at the save,
     * the same messages are read again, by their {@code sequences} (ascending).
     */
    private record Read(String key, Conversation conversation, Set<UUID> ids, long[] sequences, Marker marker, long last,
                        WeakReference<Window> window) {
        static Read of(String key, Conversation conversation, Window window) {
            Set<UUID> ids = new LinkedHashSet<>();
            window.messages().forEach(m -> ids.add(m.id()));
            long[] sequences = window.messages().stream().mapToLong(dev.atlas.conversation.Message::sequence).sorted().toArray();
            return new Read(key, conversation, ids, sequences, window.marker(), window.last(), new WeakReference<>(window));
        }
    }

    /**
     * The list a read returns, the caller's to change (as Spring AI's own repositories return it);
     * it holds the read's window so that the thread need not.
     */
    private static final class Handed extends ArrayList<Message> {
        @SuppressWarnings({"unused", "FieldCanBeLocal"})
        private final transient Window window;

        Handed(List<Message> messages, Window window) {
            super(messages);
            this.window = window;
        }
    }

    /** The window {@code read} handed out: still held by the caller's list, else the same messages read again. */
    private Window window(Read read) {
        Window held = read.window().get();
        if (held != null) {
            return held;
        }
        // Sequences are unique in a conversation: one page per span of up to MAX_PAGE_SIZE sequences
        // (one for a whole window, plus one per system message kept from further back), not one query
        // per message under the key's lock. Messages deleted since are gone, as from getMessage.
        long[] sequences = read.sequences();
        List<dev.atlas.conversation.Message> out = new ArrayList<>();
        for (int i = 0; i < sequences.length; ) {
            int j = i;
            while (j + 1 < sequences.length && sequences[j + 1] - sequences[i] < Limits.MAX_PAGE_SIZE) {
                j++;
            }
            for (dev.atlas.conversation.Message m : tenant.conversations().messages(read.conversation().id(), sequences[i] - 1,
                    (int) (sequences[j] - sequences[i] + 1))) {
                if (read.ids().contains(m.id())) {
                    out.add(m);
                }
            }
            i = j + 1;
        }
        return converted(out, read.marker(), read.last(), false);
    }

    /**
     * Whether {@code id}, which {@link ConversationStore#getMessage} does not find, is a soft-deleted message of
     * {@code conversation}: its audit trail outlives the delete (an unknown id, another tenant's or one of a deleted
     * conversation has none to read).
     */
    private static boolean deletedHere(ConversationStore store, UUID id, UUID conversation) {
        try {
            List<dev.atlas.conversation.MessageEvent> trail = store.events(dev.atlas.conversation.MessageEventQuery.forMessage(id).limit(1)).items();
            return !trail.isEmpty() && trail.get(0).conversationId().equals(conversation);
        } catch (NotFoundException unknown) {
            return false;
        }
    }

    /**
     * A window as read: its messages in sequence order, each as Spring AI reads it ({@code spring}, at the same index,
     * converted once per read), the marker it was read with (null for a conversation never saved through this
     * repository), the newest sequence known at the read, and the messages whose LangChain4j JSON asset was gone at the
     * read ({@code jsonGone}: they read as their row's text).
     */
    private record Window(List<dev.atlas.conversation.Message> messages, List<Message> spring, Marker marker, long last,
                          Map<UUID, Set<String>> lostMedia, Set<UUID> jsonGone) {
        static final Window EMPTY = new Window(List.of(), List.of(), null, 0, Map.of(), Set.of());
    }

    /**
     * The window marker: non-system messages from {@code from} on, minus {@code drop}, plus the
     * {@code system} messages kept from before {@code from}. {@code at} orders markers: a message
     * marker is at its message's sequence, a conversation marker at the newest sequence when written.
     */
    private record Marker(long from, Set<Long> system, Set<Long> drop, long at) {
        static Marker parse(Object value, long at) {
            if (!(value instanceof Map<?, ?> m) || !(m.get("from") instanceof Number from)) {
                return null;
            }
            Set<Long> system = longs(m.get("system"));
            Set<Long> drop = longs(m.get("drop"));
            // Not a marker this repository wrote (an app's metadata, hostile or imported): none, so the messages still read.
            if (system == null || drop == null) {
                return null;
            }
            long when = m.get("at") instanceof Number n ? n.longValue() : at;
            return new Marker(from.longValue(), system, drop, when);
        }

        /** The numbers of {@code list} (none when absent), or null when it holds anything else. */
        private static Set<Long> longs(Object list) {
            Set<Long> out = new HashSet<>();
            if (list instanceof List<?> l) {
                for (Object n : l) {
                    if (!(n instanceof Number number)) {
                        return null;
                    }
                    out.add(number.longValue());
                }
            } else if (list != null) {
                return null;
            }
            return out;
        }

        boolean sameWindow(Marker other) {
            return other != null && from == other.from && system.equals(other.system) && drop.equals(other.drop);
        }

        boolean includes(dev.atlas.conversation.Message m) {
            return m.sequence() >= from ? !drop.contains(m.sequence()) : m.role() == Role.SYSTEM && system.contains(m.sequence());
        }

        Map<String, Object> json(Long at) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("from", from);
            out.put("system", system.stream().sorted().toList());
            if (!drop.isEmpty()) {
                out.put("drop", drop.stream().sorted().toList());
            }
            if (at != null) {
                out.put("at", at);
            }
            return out;
        }
    }

    // ---- saving -------------------------------------------------------------------------

    /**
     * Saves {@code messages}, the caller's list ({@code callers}) with the media of recorded answers made storable: a stored
     * part of a failed save is remembered by the caller's objects, the ones its retry holds.
     */
    private void save(Conversation conversation, List<Message> callers, List<Message> messages, List<NewMessage> converted, Window current,
                      boolean sawAll) {
        ConversationStore store = tenant.conversations();
        List<dev.atlas.conversation.Message> window = current.messages();
        Map<UUID, dev.atlas.conversation.Message> inWindow = new HashMap<>();
        Map<UUID, Integer> windowIndex = new HashMap<>();
        for (int i = 0; i < window.size(); i++) {
            inWindow.put(window.get(i).id(), window.get(i));
            windowIndex.put(window.get(i).id(), i);
        }

        // Which given messages are stored already: by the Atlas id they were read with (or a failed save stored that very
        // object at), else by content.
        dev.atlas.conversation.Message[] stored = new dev.atlas.conversation.Message[messages.size()];
        // Messages of this conversation soft-deleted since the caller read them: neither stored nor new.
        boolean[] deleted = new boolean[messages.size()];
        boolean anyId = false;
        StoredInstances.Stored[] filed = new StoredInstances.Stored[messages.size()];
        for (int i = 0; i < messages.size(); i++) {
            filed[i] = this.stored.find(conversation.id(), callers.get(i));
        }
        FiledRows filedRows = filedRows(store, conversation.id(), sequences(filed, f -> !inWindow.containsKey(f.id())));
        // Not at its sequence: deleted since (moderation, retention), and it stays so; or its part was written in an
        // application's transaction that rolled back (the sequence then taken by another message, or by none yet), and it is
        // new: taken for deleted, it would be stored nowhere. The last sequence is read first and those sequences again
        // after it: one at or below it was taken by then, so empty after it, its message was deleted. Weighed against the
        // read before it, a message another writer appended in between would make a rolled-back one look deleted.
        long[] missing = sequences(filed, f -> !inWindow.containsKey(f.id()) && !filedRows.byId().containsKey(f.id()));
        long lastSequence = missing.length == 0 ? 0 : store.require(conversation.id()).lastSequence();
        FiledRows recheck = missing.length == 0 ? filedRows : filedRows(store, conversation.id(), missing);
        for (int i = 0; i < messages.size(); i++) {
            if (filed[i] != null) {
                anyId = true;
                dev.atlas.conversation.Message m = inWindow.get(filed[i].id());
                m = m != null ? m : filedRows.byId().get(filed[i].id());
                if (m != null) {
                    stored[i] = m;
                    continue;
                }
                deleted[i] = filed[i].sequence() <= lastSequence && !recheck.sequences().contains(filed[i].sequence());
                continue;
            }
            UUID id = SpringMessages.uuid(messages.get(i), SpringMessages.MESSAGE_ID);
            if (id == null) {
                continue;
            }
            dev.atlas.conversation.Message m = inWindow.get(id);
            UUID readFrom = SpringMessages.uuid(messages.get(i), SpringMessages.CONVERSATION_ID);
            if (m == null && readFrom != null && !readFrom.equals(conversation.id())) {
                // Read from another conversation (a chat copied under a new id, a message reused): a message is of one
                // conversation only, so it is new here, neither stored nor deleted; looked up, it cost three statements.
                continue;
            }
            if (m == null) {
                m = store.getMessage(id).filter(x -> x.conversationId().equals(conversation.id())).orElse(null);
            }
            // An id from another conversation (a message object reused across chats) is a new message here.
            if (m != null) {
                stored[i] = m;
                anyId = true;
            } else if (conversation.id().equals(SpringMessages.uuid(messages.get(i), SpringMessages.CONVERSATION_ID))
                    || deletedHere(store, id, conversation.id())) {
                // Deleted (moderation, the app) or hard-deleted (retention, its trail with it) after a read of this
                // conversation handed it out: appending it again would bring it back, and refusing the list would lose
                // the turn's reply for a change the caller did not make. A model's message carries no Atlas id: never skipped.
                deleted[i] = true;
                anyId = true;
            }
        }
        // Each window message as Spring AI reads it, converted once, by the read.
        java.util.function.IntFunction<Message> spring = current.spring()::get;
        if (!anyId && !window.isEmpty()) {
            int overlap = overlap(window.size(), spring, messages);
            for (int i = 0; i < overlap; i++) {
                stored[i] = window.get(window.size() - overlap + i);
            }
        }

        // Asked as a read asks, for all stored messages outside the window at once: the JSON cache knows what an asset
        // said, not whether it is still there.
        List<dev.atlas.conversation.Message> outside = new ArrayList<>();
        for (dev.atlas.conversation.Message m : stored) {
            if (m != null && !windowIndex.containsKey(m.id())) {
                outside.add(m);
            }
        }
        var outsideJson = outside.isEmpty() ? null : liveJson(outside, false).json();
        long lastSeq = 0;
        boolean sawNew = false;
        for (int i = 0; i < messages.size(); i++) {
            if (deleted[i]) {
                continue;
            }
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
            Integer at = windowIndex.get(stored[i].id());
            boolean jsonGone;
            Message storedSpring;
            if (at != null) {
                jsonGone = current.jsonGone().contains(stored[i].id());
                storedSpring = spring.apply(at);
            } else {
                var json = outsideJson;
                jsonGone = SpringMessages.langChain4jJsonGone(stored[i].metadata(), json);
                storedSpring = SpringMessages.toSpring(stored[i], null, json);
            }
            // A message whose JSON asset is gone cannot say what it said (the caller may hold it as read before or after
            // the delete): known by its id, it is that stored message, of the same type; nothing of it is written either way.
            if (jsonGone ? messages.get(i).getMessageType() != storedSpring.getMessageType()
                    : !SpringMessages.sameContent(messages.get(i), storedSpring)) {
                throw new ConflictException(field, "changes stored message " + stored[i].sequence()
                        + " (text, tool calls or tool responses): earlier history cannot be edited through chat memory");
            }
            lastSeq = stored[i].sequence();
        }

        // What the caller read and left out is evicted; messages it never read (appended meanwhile by
        // another caller) stay. Only the oldest may go: the window is stored as a suffix.
        Set<UUID> given = new HashSet<>();
        List<dev.atlas.conversation.Message> kept = new ArrayList<>();
        for (dev.atlas.conversation.Message m : stored) {
            if (m != null) {
                given.add(m.id());
                kept.add(m);
            }
        }
        List<dev.atlas.conversation.Message> evicted = new ArrayList<>();
        boolean keptOther = false;
        for (dev.atlas.conversation.Message m : window) {
            if (given.contains(m.id()) || !sawAll) {
                keptOther |= m.role() != Role.SYSTEM;
                if (!given.contains(m.id())) {
                    kept.add(m);
                }
            } else if (m.role() != Role.SYSTEM && keptOther) {
                throw new ConflictException("messages", "leaves out stored message " + m.sequence()
                        + " but keeps older ones: a chat memory window may only drop its oldest messages");
            } else {
                evicted.add(m);
            }
        }
        boolean broughtBack = kept.stream().anyMatch(m -> !inWindow.containsKey(m.id()));

        // The new window: kept stored messages, then the new ones (after everything known at the read).
        long last = current.last();
        for (dev.atlas.conversation.Message m : window) {
            last = Math.max(last, m.sequence());
        }
        kept.sort(Comparator.comparingLong(dev.atlas.conversation.Message::sequence));
        long from = last + 1;
        for (dev.atlas.conversation.Message m : kept) {
            if (m.role() != Role.SYSTEM) {
                from = m.sequence();
                break;
            }
        }
        Set<Long> system = new HashSet<>();
        for (dev.atlas.conversation.Message m : kept) {
            if (m.role() == Role.SYSTEM && m.sequence() < from) {
                system.add(m.sequence());
            }
        }
        Set<Long> drop = new HashSet<>();
        for (dev.atlas.conversation.Message m : evicted) {
            if (m.sequence() >= from) {
                drop.add(m.sequence());
            }
        }
        if (current.marker() != null) {
            for (long d : current.marker().drop()) {
                if (d >= from) {
                    drop.add(d);
                }
            }
        }
        Marker marker = new Marker(from, system, drop, last);

        // The new messages, assistant messages linked to their execution and tool responses to the call's step.
        Map<String, Link> callOwner = new HashMap<>();
        for (dev.atlas.conversation.Message m : window) {
            rememberCalls(callOwner, m.metadata(), m.executionId(), m.stepId());
        }
        List<NewMessage> appends = new ArrayList<>();
        // The caller's message each append comes from, by index.
        List<Message> sources = new ArrayList<>();
        Map<Integer, List<Media>> mediaOf = new LinkedHashMap<>();
        for (int i = 0; i < messages.size(); i++) {
            if (deleted[i]) {
                continue;
            }
            if (stored[i] == null) {
                NewMessage m = link(messages.get(i), converted.get(i) != null ? converted.get(i) : convert(i, messages.get(i)), callOwner);
                rememberCalls(callOwner, m.metadata(), m.executionId(), m.stepId());
                List<Media> media = SpringMessages.media(messages.get(i));
                if (!media.isEmpty()) {
                    mediaOf.put(appends.size(), media);
                }
                appends.add(m);
                sources.add(callers.get(i));
            } else {
                rememberCalls(callOwner, stored[i].metadata(), stored[i].executionId(), stored[i].stepId());
            }
        }

        if (appends.isEmpty()) {
            boolean changed = current.marker() == null ? !evicted.isEmpty() || broughtBack : !marker.sameWindow(current.marker());
            if (changed) {
                try {
                    long known = last;
                    putMarker(conversation.id(), now -> marker.json(Math.max(known, now.lastSequence())));
                } catch (InvalidInputException full) {
                    if (!"metadata".equals(full.field())) {
                        throw full;
                    }
                    // The application's metadata leaves no room for the marker: Atlas's bookkeeping must not
                    // refuse the user's save. Nothing is lost (no message is deleted); the drop is recorded on
                    // the last message of the next save that appends, and reads return the old window until then.
                    System.getLogger(AtlasChatMemoryRepository.class.getName()).log(System.Logger.Level.WARNING,
                            "window of conversation " + conversation.id() + " not recorded: its metadata has no room for the marker ("
                                    + full.getMessage() + "); the next save that appends records it", full);
                }
            }
            return;
        }
        Map<Integer, List<UUID>> assetsOf = new HashMap<>();
        List<UUID> created = new ArrayList<>();
        List<dev.atlas.conversation.Message> appended = new ArrayList<>();
        boolean markerOnConversation = false;
        try {
            // Media bytes are written only once every message is built, just before the append that names them.
            for (Map.Entry<Integer, List<Media>> e : mediaOf.entrySet()) {
                List<UUID> assets = new ArrayList<>();
                try {
                    appends.set(e.getKey(), SpringMessages.withMedia(appends.get(e.getKey()), describe(e.getValue(), assets)));
                } finally {
                    created.addAll(assets);
                }
                assetsOf.put(e.getKey(), assets);
            }
            // The marker rides on the last appended message: written in the append's transaction. A message
            // whose metadata leaves it no room (the application's, at Atlas's limit) is stored as given,
            // and the marker goes to the conversation's metadata after the append instead.
            int lastIndex = appends.size() - 1;
            Map<String, Object> metadata = new LinkedHashMap<>(appends.get(lastIndex).metadata());
            metadata.put(WINDOW, marker.json(null));
            if (SpringMessages.write(metadata).length() <= Limits.MAX_METADATA_LENGTH) {
                appends.set(lastIndex, appends.get(lastIndex).metadata(metadata));
            } else {
                markerOnConversation = true;
            }
            for (List<NewMessage> part : parts(appends)) {
                appended.addAll(store.appendAll(conversation.id(), part));
            }
        } catch (RuntimeException e) {
            // Assets of refused messages are named by nothing: left live, nothing would ever delete them.
            // (A part before the one that failed, in a save appended in parts, is stored: its assets are attached.)
            for (Map.Entry<Integer, List<UUID>> x : assetsOf.entrySet()) {
                if (x.getKey() < appended.size()) {
                    x.getValue().forEach(a -> attachPart(appended.get(x.getKey()), a));
                    created.removeAll(x.getValue());
                }
            }
            created.forEach(a -> discard(a, e));
            markStored(conversation.id(), callers, sources, appended);
            throw e;
        }
        // As parts of their message: retention's hard delete of the message or purge of its conversation
        // then deletes them, rows and bytes (a plain attachment is an upload, which outlives the message).
        assetsOf.forEach((index, assets) -> assets.forEach(a -> attachPart(appended.get(index), a)));
        if (markerOnConversation || !(conversation.metadata().get(WINDOW) instanceof Map<?, ?>)) {
            // Once per conversation: a marker in the conversation says a read must look further back for
            // the newest message marker when others appended more than a window, and bounds that search.
            // The messages are stored: a failure here must not fail the save (a retry would append them
            // again). The marker is on the last message still; the next save tries again.
            try {
                long at = appended.get(appended.size() - 1).sequence();
                boolean always = markerOnConversation;
                putMarker(conversation.id(), now -> !always && now.metadata().get(WINDOW) instanceof Map<?, ?> ? null : marker.json(at));
            } catch (RuntimeException e) {
                System.getLogger(AtlasChatMemoryRepository.class.getName()).log(System.Logger.Level.WARNING,
                        "window marker of conversation " + conversation.id() + " not written to its metadata: " + e, e);
            }
        }
    }

    /** The rows read at the sequences of filed messages: by id, and which sequences hold a row. */
    private record FiledRows(Map<UUID, dev.atlas.conversation.Message> byId, Set<Long> sequences) {
    }

    /** The sequences, ascending and distinct, of the {@code filed} messages that {@code which} takes. */
    private static long[] sequences(StoredInstances.Stored[] filed, java.util.function.Predicate<StoredInstances.Stored> which) {
        return java.util.Arrays.stream(filed).filter(f -> f != null && which.test(f))
                .mapToLong(StoredInstances.Stored::sequence).sorted().distinct().toArray();
    }

    /**
     * The rows at {@code sequences} (ascending), where filed messages were stored, read by sequence spans in one statement
     * per up to {@link Limits#MAX_PAGE_SIZE} sequences, not one lookup per message: the parts of a failed save are
     * contiguous, so a retry of 1,000 stored messages reads them in one statement. A gap of more than {@value #SPAN_GAP}
     * sequences starts another span, so rows no message names (up to 1 MiB each) are not read.
     */
    private static FiledRows filedRows(ConversationStore store, UUID conversationId, long[] sequences) {
        Map<UUID, dev.atlas.conversation.Message> byId = new HashMap<>();
        Set<Long> held = new HashSet<>();
        for (int i = 0; i < sequences.length; ) {
            int j = i;
            while (j + 1 < sequences.length && sequences[j + 1] - sequences[i] < Limits.MAX_PAGE_SIZE
                    && sequences[j + 1] - sequences[j] <= SPAN_GAP) {
                j++;
            }
            for (dev.atlas.conversation.Message m : store.messages(conversationId, sequences[i] - 1, (int) (sequences[j] - sequences[i] + 1))) {
                byId.put(m.id(), m);
                held.add(m.sequence());
            }
            i = j + 1;
        }
        return new FiledRows(byId, held);
    }

    /** Most sequences between two filed messages read in one span. */
    private static final int SPAN_GAP = 16;

    /**
     * Files the caller's message objects of the parts a failed save stored with the ids and sequences they were stored at
     * ({@link StoredInstances}): the same list saved again (a retry) recognises them, appending only the rest, once, where
     * it appended the whole list again. The caller's messages are not written to. All or none: when the list holds one
     * object twice (which cannot be stored at two places) none is filed, and a retry is diffed by content as any list
     * without ids; a filed message beside an unfiled stored one would be refused as reordered or left-out history.
     */
    private void markStored(UUID conversationId, List<Message> messages, List<Message> sources,
                            List<dev.atlas.conversation.Message> appended) {
        if (appended.isEmpty()) {
            return;
        }
        Set<Message> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Message m : messages) {
            if (!seen.add(m)) {
                return;
            }
        }
        stored.put(conversationId, sources, appended);
    }

    /**
     * Sets the conversation's marker to what {@code marker} makes of the conversation as read (null:
     * leave it), keeping every other key: a conditional update, read again when the application
     * changed the metadata in between, so its change is never overwritten.
     */
    private void putMarker(UUID conversationId, java.util.function.Function<Conversation, Map<String, Object>> marker) {
        ConversationStore store = tenant.conversations();
        for (int attempt = 1; ; attempt++) {
            Conversation now = store.require(conversationId);
            Map<String, Object> value = marker.apply(now);
            if (value == null) {
                return;
            }
            Map<String, Object> metadata = new LinkedHashMap<>(now.metadata());
            metadata.put(WINDOW, value);
            try {
                store.updateMetadata(conversationId, now.metadata(), metadata);
                return;
            } catch (ConflictException changedMeanwhile) {
                // Another writer came between the read and the write: read again (a writer that never
                // stops gets the save refused rather than spun on forever).
                if (attempt == 16) {
                    throw changedMeanwhile;
                }
            }
        }
    }

    /**
     * Removes an asset nothing will refer to, row and bytes at once ({@code AssetStore.discard}:
     * an attachment that did commit makes it refuse, and the asset stays); a failure is added to {@code cause}.
     */
    private void discard(UUID asset, RuntimeException cause) {
        try {
            tenant.assets().discard(asset);
        } catch (RuntimeException d) {
            cause.addSuppressed(d);
        }
    }

    /**
     * Attaches a media asset to its committed message. The messages are stored, so a failure does not
     * fail the save: the asset is deleted instead (unattached, no purge of the message would take it),
     * and the message then reads back without that media, as one whose bytes are gone does.
     */
    private void attachPart(dev.atlas.conversation.Message message, UUID asset) {
        try {
            tenant.assets().attachPart(message.id(), asset);
        } catch (RuntimeException e) {
            discard(asset, e);
            System.getLogger(AtlasChatMemoryRepository.class.getName()).log(System.Logger.Level.WARNING,
                    "media asset " + asset + " of message " + message.id() + " not attached, deleted: " + e, e);
        }
    }

    /**
     * Descriptions of {@code media} for the message's metadata: a URL as it is, bytes stored as an
     * asset first (ids added to {@code assets}), so what the message says is in the same append.
     */
    private List<Map<String, Object>> describe(List<Media> media, List<UUID> assets) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Media m : media) {
            UUID id = null;
            if (!(m.getData() instanceof String)) {
                String mime = m.getMimeType().toString();
                AssetType type = assetType(m.getMimeType());
                NewAsset asset;
                try {
                    asset = NewAsset.of(type, m.getName(), mime);
                } catch (InvalidInputException unusableName) {
                    asset = NewAsset.of(type, "media", mime);
                }
                id = tenant.assets().create(asset.owner(owner), (byte[]) m.getData()).id();
                assets.add(id);
            }
            out.add(SpringMessages.description(m, id));
        }
        return out;
    }

    private static AssetType assetType(org.springframework.util.MimeType mime) {
        return switch (mime.getType()) {
            case "image" -> AssetType.IMAGE;
            case "audio" -> AssetType.AUDIO;
            case "video" -> AssetType.VIDEO;
            case "text" -> AssetType.TEXT;
            default -> "json".equals(mime.getSubtype()) ? AssetType.JSON
                    : "pdf".equals(mime.getSubtype()) ? AssetType.DOCUMENT : AssetType.FILE;
        };
    }

    /**
     * Logs, once per conversation (for this repository and those {@link #window(int)} made of it), the stored media
     * {@code read} left out because Spring AI's messages cannot carry them or they cannot be read as media (see
     * {@link SpringMessages#toSpring(dev.atlas.conversation.Message, java.util.function.Function, java.util.function.Function,
     * java.util.function.Consumer)}): the prompt then lacks what the user gave, which must leave a trace. Each message is
     * named by its id and what it lost, never by its content. Not refused: one such message must not make the chat
     * unusable. At most 10,000 conversations are remembered; past that the set starts again (a warning may repeat).
     */
    private void warnLostMedia(UUID conversationId, Window read) {
        if (read.lostMedia().isEmpty() || warned.contains(conversationId)) {
            return;
        }
        if (warned.size() >= 10_000) {
            warned.clear();
        }
        if (!warned.add(conversationId)) {
            return;
        }
        StringBuilder text = new StringBuilder("chat memory of conversation ").append(conversationId)
                .append(" reads without stored media Spring AI's messages cannot carry or that cannot be read as media:");
        String sep = " ";
        int named = 0;
        for (Map.Entry<UUID, Set<String>> e : read.lostMedia().entrySet()) {
            if (named++ == 20) {
                // A window of up to 1,000 such messages: the first 20 locate the problem, a line stays readable.
                text.append(" and ").append(read.lostMedia().size() - 20).append(" more messages");
                break;
            }
            text.append(sep).append("message ").append(e.getKey()).append(" (").append(String.join(", ", e.getValue())).append(')');
            sep = "; ";
        }
        System.getLogger(AtlasChatMemoryRepository.class.getName()).log(System.Logger.Level.WARNING,
                text.append(" (see docs/integrations.md, \"Media Spring AI cannot carry\"); not repeated for this conversation").toString());
    }

    /**
     * How to read the bytes of a media asset found live when they are used ({@link #converted} leaves out an asset that is
     * gone, deleted or purged by retention: one removed image must not make the whole conversation unreadable). Bytes that
     * cannot be read when used (removed since, or a local blob store on another instance) fail the use with
     * {@link IllegalStateException} naming the asset: sending the model a message without the image it was about would
     * be a silent lie.
     */
    private java.util.function.Supplier<byte[]> assetBytes(UUID asset) {
        return () -> {
            try (java.io.InputStream in = tenant.assets().open(asset)) {
                return in.readAllBytes();
            } catch (NotFoundException | dev.atlas.StorageException | java.io.IOException e) {
                throw new IllegalStateException("media asset " + asset + " of the chat memory cannot be read: " + e.getMessage(), e);
            }
        };
    }

    /**
     * What Spring AI reads of atlas-langchain4j's JSON assets, by asset (written once, never changed): a read of the window
     * holding a LangChain4j service's tool round reads its JSON once, not at each of a turn's reads and diffs. The 64
     * assets read last, at most {@link #LANGCHAIN4J_CHARS} characters in all (a tool's arguments or result can be large).
     */
    private final LinkedHashMap<UUID, SpringMessages.LangChain4jJson> langChain4jJsons = new LinkedHashMap<>(16, 0.75f, true);
    private long langChain4jChars;
    private static final long LANGCHAIN4J_CHARS = 4L << 20;

    /**
     * What Spring AI reads of a message atlas-langchain4j's store kept as JSON in the asset {@code asset}; none when it is
     * not such JSON, {@link SpringMessages.LangChain4jJson#GONE} when the asset is gone (the message then reads as its text,
     * as LangChain4j's store reads it, and {@link #load} leaves its tool round out). Bytes missing
     * under a live asset are the blob store's failure and fail the read ({@link dev.atlas.StorageException}), as they fail
     * LangChain4j's store's read and a medium's.
     */
    private SpringMessages.LangChain4jJson langChain4jJson(UUID asset) {
        synchronized (langChain4jJsons) {
            SpringMessages.LangChain4jJson cached = langChain4jJsons.get(asset);
            if (cached != null) {
                return cached;
            }
        }
        SpringMessages.LangChain4jJson read;
        try (java.io.InputStream in = tenant.assets().open(asset)) {
            read = SpringMessages.langChain4jJson(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } catch (NotFoundException gone) {
            // For good (an asset never comes back): kept too, so each read of the window does not ask again.
            read = SpringMessages.LangChain4jJson.GONE;
        } catch (java.io.IOException e) {
            throw new dev.atlas.StorageException("asset " + asset + " of a stored message could not be read: " + e.getMessage(), null, true, e);
        }
        long chars = read.chars();
        if (chars <= LANGCHAIN4J_CHARS) {
            synchronized (langChain4jJsons) {
                SpringMessages.LangChain4jJson old = langChain4jJsons.put(asset, read);
                langChain4jChars += chars - (old == null ? 0 : old.chars());
                for (var it = langChain4jJsons.values().iterator();
                        (langChain4jChars > LANGCHAIN4J_CHARS || langChain4jJsons.size() > 64) && it.hasNext(); ) {
                    langChain4jChars -= it.next().chars();
                    it.remove();
                }
            }
        }
        return read;
    }

    /** Key of the latest message with tool calls in a save's call map (not a provider id: it has a NUL). */
    private static final String LAST_ASKER = "\u0000last";

    /** The execution and step a tool call's round belongs to. */
    private record Link(UUID execution, UUID step) {
    }

    private static NewMessage link(Message message, NewMessage out, Map<String, Link> callOwner) {
        UUID execution = SpringMessages.uuid(message, SpringMessages.EXECUTION_ID);
        UUID step = SpringMessages.uuid(message, SpringMessages.STEP_ID);
        if (message instanceof ToolResponseMessage tool && execution == null) {
            // The responses answer calls of an assistant message: the round belongs to that message's step.
            for (ToolResponseMessage.ToolResponse r : tool.getResponses()) {
                Link asker = r.id() == null ? null : callOwner.get(r.id());
                if (asker != null) {
                    execution = asker.execution();
                    step = asker.step();
                    break;
                }
            }
            Link last = callOwner.get(LAST_ASKER);
            if (execution == null && last != null && tool.getResponses().stream().allMatch(r -> r.id() == null)) {
                // Calls without ids (some providers send none): the responses answer the latest calls.
                execution = last.execution();
                step = last.step();
            }
        }
        return execution == null ? out : out.execution(execution, step);
    }

    @SuppressWarnings("unchecked")
    private static void rememberCalls(Map<String, Link> callOwner, Map<String, Object> metadata, UUID execution, UUID step) {
        if (execution != null && metadata.get(SpringMessages.KEY) instanceof Map<?, ?> spring
                && spring.get("toolCalls") instanceof List<?> calls) {
            for (Object c : calls) {
                Object id = c instanceof Map<?, ?> call ? call.get("id") : null;
                if (id != null) {
                    callOwner.put(id.toString(), new Link(execution, step));
                }
            }
            if (!calls.isEmpty()) {
                callOwner.put(LAST_ASKER, new Link(execution, step));
            }
        }
    }

    /**
     * The largest {@code k} such that the first {@code k} given messages say what the last
     * {@code k} stored window messages say (the window's {@code size} messages as Spring AI reads
     * them, by index): for lists built without the ids this repository hands out.
     */
    private static int overlap(int size, java.util.function.IntFunction<Message> window, List<Message> messages) {
        for (int k = Math.min(size, messages.size()); k > 0; k--) {
            boolean same = true;
            for (int i = 0; i < k && same; i++) {
                same = SpringMessages.sameContent(messages.get(i), window.apply(size - k + i));
            }
            if (same) {
                return k;
            }
        }
        return 0;
    }

    // ---- reading ------------------------------------------------------------------------

    /** The newest messages read back to the newest window marker among them ({@code saved} when none is), and that marker. */
    private record Tail(List<dev.atlas.conversation.Message> messages, Marker marker) {
    }

    /**
     * The newest {@code window} messages, and the pages before them back to a window marker when none is among them. Another
     * branch activated between two pages (historyBefore's ConflictException) makes the history shown now the other branch's:
     * it is read again from its newest message, a few times at most, rather than fail the read or mix the two branches.
     */
    private Tail tail(ConversationStore store, UUID conversationId, Marker saved) {
        for (int attempt = 1; ; attempt++) {
            List<dev.atlas.conversation.Message> tail = store.history(conversationId, window);
            Marker marker = newestMarker(tail, saved);
            if (marker != saved || saved == null || tail.size() < window) {
                return new Tail(tail, marker);
            }
            // No marker among the newest messages: more than a window was appended since the last save
            // through the Atlas API. The conversation's marker (every saved-to conversation has one)
            // bounds the search back; pages grow so that a few foreign messages cost few rows, many
            // few statements. The messages read become part of the tail, not read again by the caller.
            int size = Math.max(window, 16);
            try {
                while (marker == saved && tail.get(0).sequence() > saved.at() + 1) {
                    List<dev.atlas.conversation.Message> page = store.historyBefore(conversationId, tail.get(0).sequence(), size);
                    List<dev.atlas.conversation.Message> longer = new ArrayList<>(page);
                    longer.addAll(tail);
                    tail = longer;
                    marker = newestMarker(page, saved);
                    if (page.size() < size) {
                        break;
                    }
                    size = Math.min(Limits.MAX_PAGE_SIZE, size * 4);
                }
                return new Tail(tail, marker);
            } catch (ConflictException branchSwitched) {
                if (attempt == 3) {
                    throw branchSwitched;
                }
            }
        }
    }

    /**
     * The stored window: the newest {@code window} messages and the newest marker among them (or
     * the conversation's, when newer); older messages only when the marker's window reaches further
     * back (a memory window larger than this repository's, or kept system messages).
     */
    private Window load(Conversation conversation, boolean media) {
        ConversationStore store = tenant.conversations();
        Marker saved = Marker.parse(conversation.metadata().get(WINDOW), 0);
        Tail read = tail(store, conversation.id(), saved);
        List<dev.atlas.conversation.Message> tail = read.messages();
        Marker marker = read.marker();
        long last = Math.max(conversation.lastSequence(), tail.isEmpty() ? 0 : tail.get(tail.size() - 1).sequence());
        if (marker == null) {
            return converted(tail, null, last, media);
        }
        long oldest = tail.isEmpty() ? last + 1 : tail.get(0).sequence();
        List<dev.atlas.conversation.Message> out = new ArrayList<>();
        for (long seq : marker.system()) {
            if (seq < oldest && seq < marker.from()) {
                store.messages(conversation.id(), seq - 1, 1).stream()
                        .filter(m -> m.sequence() == seq && visible(m) && m.role() == Role.SYSTEM).forEach(out::add);
            }
        }
        long after = marker.from() - 1;
        while (after + 1 < oldest) {
            List<dev.atlas.conversation.Message> page = store.messages(conversation.id(), after, Limits.MAX_PAGE_SIZE);
            for (dev.atlas.conversation.Message m : page) {
                if (m.sequence() < oldest && visible(m) && marker.includes(m)) {
                    out.add(m);
                }
            }
            if (page.size() < Limits.MAX_PAGE_SIZE) {
                break;
            }
            after = page.get(page.size() - 1).sequence();
        }
        for (dev.atlas.conversation.Message m : tail) {
            if (marker.includes(m)) {
                out.add(m);
            }
        }
        out.sort(Comparator.comparingLong(dev.atlas.conversation.Message::sequence));
        return converted(out, marker, last, media);
    }

    /**
     * The window of {@code stored} (ascending) with each message converted once, as Spring AI reads it, broken tool rounds
     * left out ({@link #withoutBrokenToolRounds}). Which of the assets the messages read are live is asked in one statement
     * ({@link dev.atlas.asset.AssetStore#getAll}), not one per asset: the JSON assets of atlas-langchain4j's messages always
     * (the JSON cache holds what an asset says, not whether it is still there: an asset deleted since it was cached reads
     * as gone at once, by reads and saves alike), with {@code media} the media assets too; without, messages read with no
     * media (a save compares text, tool calls and responses only).
     */
    private Window converted(List<dev.atlas.conversation.Message> stored, Marker marker, long last, boolean media) {
        LiveAssets live = liveJson(stored, media);
        java.util.function.Function<UUID, SpringMessages.LangChain4jJson> json = live.json();
        java.util.function.Function<UUID, java.util.function.Supplier<byte[]>> assetBytes =
                media ? asset -> live.live().contains(asset) ? assetBytes(asset) : null : null;
        List<Message> spring = new ArrayList<>(stored.size());
        Map<UUID, Set<String>> lost = new LinkedHashMap<>();
        Set<UUID> jsonGone = new HashSet<>();
        for (dev.atlas.conversation.Message m : stored) {
            spring.add(SpringMessages.toSpring(m, assetBytes, json,
                    what -> lost.computeIfAbsent(m.id(), id -> new LinkedHashSet<>()).add(what)));
            if (SpringMessages.langChain4jJsonGone(m.metadata(), json)) {
                jsonGone.add(m.id());
            }
        }
        return withoutBrokenToolRounds(new Window(stored, spring, marker, last, lost, jsonGone), json);
    }

    /** The assets {@code stored} name that are live (asked in one statement) and how their LangChain4j JSON reads. */
    private record LiveAssets(Set<UUID> live, java.util.function.Function<UUID, SpringMessages.LangChain4jJson> json) {
    }

    /**
     * Which assets of {@code stored} (their LangChain4j JSON assets, with {@code media} their media assets too) are live, in
     * one statement, and what each JSON asset says: its cached or read JSON when live, {@link SpringMessages.LangChain4jJson#GONE}
     * when not, whatever the cache holds.
     */
    private LiveAssets liveJson(List<dev.atlas.conversation.Message> stored, boolean media) {
        List<UUID> ids = new ArrayList<>();
        for (dev.atlas.conversation.Message m : stored) {
            SpringMessages.assetsRead(m, media, ids);
        }
        Set<UUID> live = ids.isEmpty() ? Set.of() : tenant.assets().getAll(ids).keySet();
        return new LiveAssets(live, asset -> live.contains(asset) ? langChain4jJson(asset) : SpringMessages.LangChain4jJson.GONE);
    }

    /**
     * {@code read} without the tool rounds (an answer followed by tool results, or results with no answer before them)
     * that providers refuse (HTTP 400: every result must answer a call of the answer just before it, every call be
     * answered), as messages appended through the Atlas API or another framework can make them: a message
     * atlas-langchain4j's store kept as JSON in an asset that is gone (read as its text, an answer has lost its calls or a
     * result the call it answers), an answer whose Spring AI tool calls are of another shape (read as its text), results
     * whose call ids are not exactly the answer's, results after a user message or an answer without calls. Such a round
     * is left out whole, as LangChain4j's store leaves one out; a lone answer reads as its text. Results before any
     * message but system ones stay: a window's eviction leaves them so, as Spring AI's in-memory repository hands them
     * out. The window is what reads hand out and what saves diff against: a round left out is neither handed out nor
     * evicted, and stays stored.
     */
    private Window withoutBrokenToolRounds(Window read, java.util.function.Function<UUID, SpringMessages.LangChain4jJson> json) {
        List<dev.atlas.conversation.Message> window = read.messages();
        List<dev.atlas.conversation.Message> out = new ArrayList<>(window.size());
        List<Message> spring = new ArrayList<>(window.size());
        boolean dropped = false;
        boolean conversed = false; // a message other than a system one before the round
        for (int i = 0; i < window.size(); ) {
            int end = i + 1;
            Role head = window.get(i).role();
            boolean round = head == Role.TOOL || head == Role.ASSISTANT && end < window.size() && window.get(end).role() == Role.TOOL;
            while (round && end < window.size() && window.get(end).role() == Role.TOOL) {
                end++;
            }
            boolean broken = round && (head == Role.TOOL ? conversed : !answered(window.get(i), read.spring().subList(i, end)));
            for (int j = i; j < end && round && !broken; j++) {
                broken = SpringMessages.langChain4jJsonGone(window.get(j).metadata(), json);
            }
            if (broken) {
                dropped = true;
            } else {
                out.addAll(window.subList(i, end));
                spring.addAll(read.spring().subList(i, end));
            }
            for (int j = i; j < end; j++) {
                conversed |= window.get(j).role() != Role.SYSTEM;
            }
            i = end;
        }
        return dropped ? new Window(out, spring, read.marker(), read.last(), read.lostMedia(), read.jsonGone()) : read;
    }

    /**
     * Whether {@code answer}, the stored message heading {@code round} (the round as Spring AI reads it), makes calls of this
     * adapter's shape and the results after it answer exactly those calls (by id; calls without ids are answered by results
     * without).
     */
    private static boolean answered(dev.atlas.conversation.Message answer, List<Message> round) {
        if (SpringMessages.foreignToolCalls(answer.metadata())) {
            return false;
        }
        Set<String> asked = new HashSet<>();
        if (round.get(0) instanceof AssistantMessage a) {
            a.getToolCalls().forEach(c -> asked.add(c.id()));
        }
        Set<String> answered = new HashSet<>();
        for (Message result : round.subList(1, round.size())) {
            if (result instanceof ToolResponseMessage t) {
                t.getResponses().forEach(r -> answered.add(r.id()));
            }
        }
        return !asked.isEmpty() && asked.equals(answered);
    }

    /**
     * The newest marker on {@code messages} (ascending), or {@code saved}, the conversation's, when
     * it is newer or none is there.
     */
    private static Marker newestMarker(List<dev.atlas.conversation.Message> messages, Marker saved) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            Marker m = Marker.parse(messages.get(i).metadata().get(WINDOW), messages.get(i).sequence());
            if (m != null) {
                return saved == null || m.at() > saved.at() ? m : saved;
            }
        }
        return saved;
    }

    /** What {@link ConversationStore#history} returns: the active, delivered messages. */
    private static boolean visible(dev.atlas.conversation.Message m) {
        return m.active() && m.status() == MessageStatus.DELIVERED;
    }

    private static String key(String conversationId) {
        // Spring AI's id is the conversation's external key: refused here under the name the caller knows.
        return Limits.requireKey("conversationId", conversationId);
    }

    /** Most characters one part of a save holds: half of Atlas's limit, as {@link #batchLength} only estimates it. */
    static final long PART_LENGTH = Limits.MAX_BATCH_LENGTH / 2;

    /**
     * {@code appends} cut into the parts {@code appendAll} takes: at most {@link Limits#MAX_PAGE_SIZE} messages and
     * {@link #PART_LENGTH} characters each, in order; a save of 12 or fewer messages, which cannot be over, is one part.
     */
    static List<List<NewMessage>> parts(List<NewMessage> appends) {
        long largest = Limits.MAX_CONTENT_LENGTH + Limits.MAX_METADATA_LENGTH + Limits.MAX_REASON_LENGTH;
        if (appends.size() * largest <= PART_LENGTH) {
            return List.of(appends);
        }
        List<List<NewMessage>> parts = new ArrayList<>();
        int start = 0;
        long length = 0;
        for (int i = 0; i < appends.size(); i++) {
            long size = batchLength(appends.get(i));
            if (i > start && (i - start == Limits.MAX_PAGE_SIZE || length + size > PART_LENGTH)) {
                parts.add(appends.subList(start, i));
                start = i;
                length = 0;
            }
            length += size;
        }
        parts.add(appends.subList(start, appends.size()));
        return parts;
    }

    /**
     * What {@code appendAll} counts of {@code m} toward {@link Limits#MAX_BATCH_LENGTH}, with this adapter's JSON for the
     * metadata: Atlas may store a number longer than Jackson writes it (a double as its plain decimal), hence half a part.
     */
    private static long batchLength(NewMessage m) {
        return m.content().length() + (m.failureReason() == null ? 0 : m.failureReason().length()) + SpringMessages.write(m.metadata()).length();
    }
}
