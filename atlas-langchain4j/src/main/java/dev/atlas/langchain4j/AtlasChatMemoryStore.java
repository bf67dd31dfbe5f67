package dev.atlas.langchain4j;

import dev.atlas.AtlasException;
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
 * concurrent first writers, in one process or several, share one conversation. Ids with equal
 * strings ({@code 42} and {@code "42"}) are one memory. An id whose type has no {@code toString}
 * of its own is refused with {@link dev.atlas.InvalidInputException} naming {@code memoryId}: its
 * string would be a class name and hash code, which two users' ids may share.
 *
 * <p>LangChain4j hands {@link #updateMessages} the whole current window each time. The store
 * compares it with the window it holds: messages it does not hold yet are appended (each one row,
 * in constant time); messages the window dropped stay in the conversation's history; and a small
 * marker in the conversation's metadata ({@value Messages#KEY}{@code .window}) records which stored
 * messages form the window. So {@link #getMessages} returns exactly the list LangChain4j last gave,
 * as its {@code InMemoryChatMemoryStore} would, while Atlas keeps the whole transcript. A list
 * whose marker would not fit beside the application's own metadata of the conversation (at most
 * {@link Limits#MAX_METADATA_LENGTH} characters as JSON) is refused with
 * {@link ConflictException} naming {@code metadata}, before any message is appended. A list
 * that replaces the window ({@code ChatMemory.set}: a compacted memory, compensating tools
 * rewriting earlier results, an edited message) is stored the same way: the messages it shares
 * with the window, in the window's order, keep their rows, the others are appended, and the marker
 * gives the list's order. Stored messages are never changed or removed: the history shows the original
 * messages, then their replacements.
 *
 * <p>Role and text land in Atlas's own columns; tool requests, a tool result's id, name and
 * {@code isError}, and everything else a message carries are kept in its metadata and round-trip
 * exactly. A message of another class than LangChain4j's own, or holding such a content (an app's
 * subclass or its own {@code ChatMessage} or {@code Content}), or with attributes LangChain4j's JSON
 * cannot write, could not be given back and is refused with
 * {@link dev.atlas.InvalidInputException} naming {@code messages[i]}, before any write.
 * {@link #deleteMessages} soft-deletes the conversation, which frees its key: the next
 * write under the same memory id starts a new conversation; the tool calls of the conversation
 * still waiting for their results (recorded by an {@link AtlasChatModelListener} of this Atlas)
 * are cancelled, since no result can reach them any more; those another Atlas instance's listener recorded (in another
 * JVM, or another instance opened in this one) are beyond its reach and stay processing until {@code executions().sweepInterrupted} closes them, also when
 * that instance clears the id later. A conversation deleted by another
 * process (or through Atlas) while {@link #updateMessages} stores a list does not fail it: the
 * whole list goes to a new conversation.
 *
 * <p>An inline image of a user message or of a tool result is kept as an Atlas asset, written once
 * with its message; so is the JSON of a message too large for a row's metadata (a PDF, a tool call
 * carrying a file). Stores cache the text of such assets they wrote or read (at most 32 MiB for the
 * JVM, per tenant and asset, least recently used out), so reading or updating a window does not
 * read them again. An asset that is gone (deleted, discarded, purged) once no cache holds it never
 * makes the memory unreadable: a gone image is left out of its message (an empty text standing in
 * when nothing else remains), a message whose JSON asset is gone reads as its row's role and text,
 * and a tool round holding one (the response asking for tools and the results that follow it) is
 * left out whole: read so, a request has lost its tool calls or a result its call's id, which a
 * provider refuses.
 * Each is attached to its message as a part of it
 * ({@link dev.atlas.asset.AssetStore#attachPart}), so it goes, row and bytes, when retention
 * hard-deletes the message or purges the conversation (after {@link #deleteMessages}, say), and
 * when the conversation or its owner is erased.
 *
 * <p>Thread-safe. Writes to one memory id of a tenant are serialised within this JVM, across
 * the stores of one Atlas instance (two instances, on two databases, never wait on each other); two processes writing one memory id at the same instant both append their messages and
 * the later window wins, as LangChain4j's own stores behave. The store keeps no message instance
 * alive once its caller drops it (the asset cache may keep its images' text until evicted).
 *
 * <p>Needs LangChain4j 1.19.0 or later: with an older {@code langchain4j-core} the factories (and
 * {@link AtlasChatModelListener}'s) fail with {@link dev.atlas.ConfigurationException} naming it.
 */
public final class AtlasChatMemoryStore implements ChatMemoryStore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(AtlasChatMemoryStore.class);
    private static final int LOCK_STRIPES = 64;
    private static final int PAGE = Limits.MAX_PAGE_SIZE;
    private static final UUID PLACEHOLDER = new UUID(0, 0);
    /** Under {@link Messages#KEY} of a tool result's row: the sequence of the request it answers. */
    private static final String REQUEST = "request";
    // One set of stripes per Atlas instance, shared by every store of it in the JVM, so stores an app
    // builds per request still take turns on a memory id, while another Atlas (another database)
    // with the same tenant and memory id never waits on them. Weak: a closed Atlas is not kept.
    private static final Map<dev.atlas.Atlas, ReentrantLock[]> LOCKS = new java.util.WeakHashMap<>();

    private final Tenant tenant;
    private final ConversationStore conversations;
    private final Function<Object, NewConversation> newConversation;
    private final RecentMessages recent = new RecentMessages();
    private final AssetCache assetTexts;
    private final ReentrantLock[] locks;
    private final boolean sendableOnly;

    private AtlasChatMemoryStore(Tenant tenant, Function<Object, NewConversation> newConversation) {
        this(tenant, newConversation, false);
    }

    private AtlasChatMemoryStore(Tenant tenant, Function<Object, NewConversation> newConversation, boolean sendableOnly) {
        LangChain4jVersion.require();
        this.sendableOnly = sendableOnly;
        this.tenant = Limits.requireNonNull("tenant", tenant);
        this.conversations = tenant.conversations();
        this.locks = stripes(tenant.atlas());
        this.assetTexts = new AssetCache(tenant);
        this.newConversation = Limits.requireNonNull("newConversation", newConversation);
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

    /**
     * A store like this one (same tenant, same new conversations) whose {@link #getMessages} gives a window a provider
     * accepts: each tool result right after the response whose call it answers (two instances' rounds interleaved,
     * request A, request B, result A, result B, read as A, its result, B, its result); a tool round (a response asking
     * for tools and its results) whose results are not all there is left out of what it returns, unless only tool
     * requests and results follow it (a turn in progress, its results still being added), and so is a tool result that
     * answers no request before it. Such windows come from a race of two instances on one memory id, which providers
     * refuse on every turn; the memory's next write stores the window so, while the history keeps every message. A round
     * left out because another instance stored a question while its tool ran is put back, right before its result, by
     * the instance (the thread) that stored it, so its model call gets the tool's output. Each result is paired with the
     * request its own thread stored, so two rounds of one tool without tool call ids keep their own results.
     * Opt-in because it gives back a list other than the one last given, which {@code InMemoryChatMemoryStore} and this
     * store by default return exactly.
     *
     * @return a new store reading sendable windows only
     */
    public AtlasChatMemoryStore sendableWindowsOnly() {
        return new AtlasChatMemoryStore(tenant, newConversation, true);
    }

    /** Whether a class's {@code toString} is its own, not Object's class name and hash code. */
    private static final ClassValue<Boolean> OWN_TO_STRING = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                return type.getMethod("toString").getDeclaringClass() != Object.class;
            } catch (NoSuchMethodException impossible) {
                return false;
            }
        }
    };

    /** The external key a memory id maps to. */
    static String key(Object memoryId) {
        Limits.requireNonNull("memoryId", memoryId);
        if (!OWN_TO_STRING.get(memoryId.getClass())) {
            // Object's toString is the class name and hash code: it differs between processes for
            // most types, and two ids with one hash code would share (and read) one conversation.
            throw new dev.atlas.InvalidInputException("memoryId", "a " + memoryId.getClass().getName()
                    + " has no toString of its own, so it names no stable key; use a String, a number, a UUID or a type with a toString");
        }
        // The key's limits (not blank, at most 255 characters) named after the caller's argument.
        return Limits.requireKey("memoryId", String.valueOf(memoryId));
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
        List<Long> sequences = new ArrayList<>();
        List<Long> requests = new ArrayList<>();
        for (Stored s : read(c)) {
            messages.add(s.message());
            sequences.add(s.sequence());
            requests.add(s.request());
            // A racing caller may hand these very instances back after another write dropped them
            // from the window: they are then recognised rather than stored twice.
            recent.put(c.id(), s.sequence(), s.message());
        }
        if (sendableOnly) {
            UUID id = c.id();
            messages = SendableWindow.of(messages, sequences, requests, sequence -> Correlation.owns(tenant, id, sequence));
        }
        Correlation.bind(tenant, c.id(), messages);
        return messages;
    }

    @Override
    public void updateMessages(Object memoryId, List<ChatMessage> messages) {
        Limits.requireNonNull("messages", messages);
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (m == null) {
                throw new dev.atlas.InvalidInputException("messages[" + i + "]", "must not be null");
            }
            String foreign = Messages.foreignClass(m);
            if (foreign != null) {
                // Kept as LangChain4j's JSON, which names no class: stored, it would read back as another
                // class, or (with fields of its own) not at all, failing every later read of the memory.
                throw new dev.atlas.InvalidInputException("messages[" + i + "]", "is or holds a " + foreign
                        + "; a store gives back LangChain4j's own message and content classes only (SystemMessage, UserMessage,"
                        + " AiMessage, ToolExecutionResultMessage, CustomMessage; TextContent, ImageContent, ...); nothing was stored");
            }
        }
        String key = key(memoryId);
        ReentrantLock lock = lock(key);
        // The tool calls the messages complete are heard by the execution listeners once the key's lock is released.
        try (var deferred = dev.atlas.internal.ListenerCalls.defer()) {
            lock.lock();
            try {
                for (int attempt = 1; ; attempt++) {
                    try {
                        write(key, memoryId, messages);
                        return;
                    } catch (Cleared cleared) {
                        // Deleted meanwhile by a writer this JVM's lock does not hold up (another instance's
                        // deleteMessages, or the app through Atlas): that frees the key, and the list, all of
                        // it, goes to a new conversation, as a list given after a clear does. Bounded: a
                        // memory cleared again and again fails the turn rather than spinning.
                        if (attempt == 3) {
                            throw cleared.notFound;
                        }
                    }
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** Thrown by {@link #write} when the conversation it writes to was deleted during the write. */
    private static final class Cleared extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient dev.atlas.NotFoundException notFound;

        Cleared(dev.atlas.NotFoundException notFound) {
            super(null, null, false, false);
            this.notFound = notFound;
        }
    }

    /** One attempt of {@link #updateMessages}, under the memory's lock. */
    private void write(String key, Object memoryId, List<ChatMessage> messages) {
        // Created only once the list is known to be storable: a refused list leaves nothing behind.
        Conversation existing = conversations.getByKey(key).orElse(null);
        Window before = existing == null ? Window.EMPTY : Window.parse(window(existing));
        List<Stored> held = existing == null ? List.of() : read(existing, before);
        Plan plan = plan(held, existing, messages);
        // Every new message is mapped (and so validated) before the first one is written; kept
        // messages, and their images, are not looked at again.
        List<Messages.Mapped> prepared = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            if (plan.kept().get(i) != null) {
                prepared.add(null);
                continue;
            }
            // Assets are checked with placeholder references of the same size as the real ones.
            List<UUID> placeholders = Messages.inlineImages(messages.get(i)).stream().map(x -> PLACEHOLDER).toList();
            prepared.add(Messages.map(messages.get(i), placeholders, PLACEHOLDER, "messages[" + i + "]"));
        }
        // Another process may have created it meanwhile: then this list, all new to it, is appended and its window wins.
        Conversation c = existing != null ? existing : conversations.ensure(key, newConversation(memoryId));
        markerFits(c, before, plan);
        try {
            write(c, before, held, plan, prepared, messages);
        } catch (dev.atlas.NotFoundException e) {
            if (conversations.get(c.id()).isEmpty()) {
                throw new Cleared(e);
            }
            throw e;
        }
    }

    /** Appends the new messages of {@code plan} to {@code c} and records the window; completes the tool calls answered. */
    private void write(Conversation c, Window before, List<Stored> held, Plan plan, List<Messages.Mapped> prepared, List<ChatMessage> messages) {
        Map<Long, UUID> heldRounds = new java.util.HashMap<>();
        for (Stored s : held) {
            if (asksForTools(s.message())) {
                heldRounds.put(s.sequence(), s.round());
            }
        }
        List<Long> sequences = new ArrayList<>(messages.size());
        // The rows this write appends: a round among them is this very list's, its note new.
        java.util.Set<Long> written = new java.util.HashSet<>();
        // The execution of each response asking for tools this write appends, by its row.
        Map<Long, UUID> writtenRounds = new java.util.HashMap<>();
        List<Runnable> completions = new ArrayList<>();
        // The response whose tool calls the results that follow it answer: its sequence, and its
        // execution once known.
        Long roundSequence = null;
        UUID round = null;
        boolean roundKnown = false;
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            Long kept = plan.kept().get(i);
            if (kept == null) {
                UUID answers = null;
                // The round this thread stored, when the result answers one of its calls: another caller's round may
                // have come in between (interleaved rounds), or a question (its round then out of the window).
                Correlation.Asked own = m instanceof ToolExecutionResultMessage r ? Correlation.askedBy(tenant, c.id(), r) : null;
                if (own != null && !written.contains(own.sequence) && !stillOpen(held, own.sequence, (ToolExecutionResultMessage) m)) {
                    // A note left on a pooled thread: the round's calls were answered since on another thread (the app
                    // stores results where it runs the tools, or on the request approving them), or the round left the
                    // window; this result is not its, and is paired by the stored messages instead, as any thread's.
                    Correlation.turnWentOn(tenant, c.id());
                    own = null;
                }
                int paired = own == null && m instanceof ToolExecutionResultMessage ? SendableWindow.requestAnswered(messages, i) : -1;
                if (own != null && own.executionId != null) {
                    answers = own.executionId;
                } else if (paired >= 0 && !sequences.get(paired).equals(roundSequence)) {
                    // The round just before it has no call this result answers (another caller's round of another tool came
                    // in between): the request it answers is the nearest before it with such a call, as reads pair them.
                    long request = sequences.get(paired);
                    answers = writtenRounds.containsKey(request) ? writtenRounds.get(request)
                            : heldRounds.containsKey(request) ? heldRounds.get(request) : roundOf(c.id(), request);
                } else if (m instanceof ToolExecutionResultMessage && roundSequence != null) {
                    if (!roundKnown) {
                        round = roundOf(c.id(), roundSequence);
                        roundKnown = true;
                    }
                    answers = round;
                }
                if (own != null && sendableOnly) {
                    putRoundBack(own, plan.kept(), sequences);
                } else if (sendableOnly && m instanceof ToolExecutionResultMessage r && !SendableWindow.answersAnOpenCall(messages, i)) {
                    putRoundBack(held, r, plan.kept(), sequences);
                }
                Message row = append(c.id(), m, prepared.get(i), answers, own == null ? null : own.sequence, completions);
                kept = row.sequence();
                written.add(kept);
                recent.put(c.id(), kept, m);
                if (asksForTools(m)) {
                    roundSequence = kept;
                    round = executionOf(row);
                    roundKnown = true;
                    writtenRounds.put(kept, round);
                    Correlation.asked(new Correlation.Asked(tenant, c.id(), kept, row.id(), round, (AiMessage) m));
                } else if (own != null) {
                    own.open.remove(own.match((ToolExecutionResultMessage) m));
                    own.results.add(kept);
                    own.resultIds.add(row.id());
                } else if (!(m instanceof ToolExecutionResultMessage)) {
                    Correlation.turnWentOn(tenant, c.id());
                }
            } else if (asksForTools(m)) {
                roundSequence = kept;
                round = heldRounds.get(kept);
                roundKnown = heldRounds.containsKey(kept);
            }
            if (!(m instanceof ToolExecutionResultMessage) && !asksForTools(m)) {
                roundSequence = null;
                round = null;
                roundKnown = false;
            }
            sequences.add(kept);
        }
        Window after = Window.of(sequences);
        if (!after.sameAs(before)) {
            storeWindow(c, after);
        }
        Correlation.bind(tenant, c.id(), messages);
        // Last, once the rows and the window are stored: a failure here must not fail the turn,
        // whose retry would then append the messages again.
        completions.forEach(Runnable::run);
    }

    @Override
    public void deleteMessages(Object memoryId) {
        String key = key(memoryId);
        ReentrantLock lock = lock(key);
        // The tool calls the clear cancels are heard by the execution listeners once the key's lock is released.
        try (var deferred = dev.atlas.internal.ListenerCalls.defer()) {
            lock.lock();
            try {
                conversations.getByKey(key).ifPresent(c -> {
                    conversations.delete(c.id());
                    recent.forget(c.id());
                    cancelUnanswered(c.id());
                });
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Cancels the tool calls of the cleared conversation still waiting for their results (the model
     * asked, the app never ran them, or the AI service threw before their results): no result can
     * complete them any more, as a result stored later goes to a new conversation. Cancelled rather
     * than failed, as Spring AI's adapter closes the calls it knows will not run.
     */
    private void cancelUnanswered(UUID conversationId) {
        for (ToolCallHandle call : Correlation.pending(tenant.atlas()).dropConversation(tenant.id(), conversationId)) {
            try {
                call.cancel();
            } catch (AtlasException e) {
                // The sweep (or another instance) may have closed it already; the clear itself is done.
                LOG.warn("tool call {} of cleared conversation {} not cancelled: {}", call.id(), conversationId, e.toString());
            }
        }
    }

    /**
     * Puts the window marker into the conversation's metadata, keeping whatever else is there:
     * compare-and-set, re-read when the app (or another process) wrote the metadata since it was
     * read, so its write is not lost.
     */
    private void storeWindow(Conversation c, Window window) {
        Map<String, Object> read = c.metadata();
        for (int attempt = 1; ; attempt++) {
            Map<String, Object> metadata = new LinkedHashMap<>(read);
            Map<String, Object> ours = metadata.get(Messages.KEY) instanceof Map<?, ?> m ? copy(m) : new LinkedHashMap<>();
            ours.put("window", window.stored());
            metadata.put(Messages.KEY, ours);
            if (attempt == 10) {
                // The messages are stored: failing the turn now would have its retry append them again.
                conversations.updateMetadata(c.id(), metadata);
                return;
            }
            try {
                conversations.updateMetadata(c.id(), read, metadata);
                return;
            } catch (ConflictException e) {
                read = conversations.require(c.id()).metadata();
            }
        }
    }

    /**
     * Puts this thread's round (its request and the results stored so far) back into the window right before its next
     * result, when the list lacks them: another caller's question stored while the tool ran left the round out of its
     * sendable read, and so out of the window it wrote. Without it the result would answer no request, be left out of
     * every read, and the round lost. Only rows still there under the ids this thread stored (not rolled back, not
     * deleted) are put back.
     */
    private void putRoundBack(Correlation.Asked own, List<Long> kept, List<Long> sequences) {
        if (kept.contains(own.sequence) || sequences.contains(own.sequence) || !stillThere(own.conversationId, own.sequence, own.messageId)) {
            return;
        }
        sequences.add(own.sequence);
        for (int k = 0; k < own.results.size(); k++) {
            long result = own.results.get(k);
            if (!kept.contains(result) && !sequences.contains(result) && stillThere(own.conversationId, result, own.resultIds.get(k))) {
                sequences.add(result);
            }
        }
    }

    /**
     * Puts back, right before {@code result}, the round of the stored window {@code held} whose open call it answers, when
     * the list lacks it: a sendable read left it out as another caller's round being filled, and this caller (another
     * thread of the instance that stored the request: an app adding results where it runs its tools) stores its result.
     */
    private static void putRoundBack(List<Stored> held, ToolExecutionResultMessage result, List<Long> kept, List<Long> sequences) {
        List<Long> requests = new ArrayList<>();
        List<List<dev.langchain4j.agent.tool.ToolExecutionRequest>> open = new ArrayList<>();
        List<List<Long>> results = new ArrayList<>();
        for (Stored s : held) {
            if (s.message() instanceof AiMessage ai && ai.hasToolExecutionRequests()) {
                requests.add(s.sequence());
                open.add(new ArrayList<>(ai.toolExecutionRequests()));
                results.add(new ArrayList<>());
            } else if (s.message() instanceof ToolExecutionResultMessage r) {
                for (int k = open.size() - 1; k >= 0; k--) {
                    int q = SendableWindow.answered(open.get(k), r);
                    if (q >= 0) {
                        open.get(k).remove(q);
                        results.get(k).add(s.sequence());
                        break;
                    }
                }
            }
        }
        for (int k = open.size() - 1; k >= 0; k--) {
            if (SendableWindow.answered(open.get(k), result) >= 0) {
                if (!kept.contains(requests.get(k)) && !sequences.contains(requests.get(k))) {
                    sequences.add(requests.get(k));
                    for (Long r : results.get(k)) {
                        if (!kept.contains(r) && !sequences.contains(r)) {
                            sequences.add(r);
                        }
                    }
                }
                return;
            }
        }
    }

    /**
     * {@link SendableWindow#stillOpen} for the stored window {@code held}; false when the request is older than all of it
     * but its system message: evicted, or dropped by the app (a round another caller's question left out of the window
     * lies among its rows).
     */
    private static boolean stillOpen(List<Stored> held, long request, ToolExecutionResultMessage result) {
        List<ChatMessage> window = new ArrayList<>(held.size());
        List<Long> sequences = new ArrayList<>(held.size());
        List<Long> requests = new ArrayList<>(held.size());
        long oldest = Long.MAX_VALUE;
        for (Stored s : held) {
            window.add(s.message());
            sequences.add(s.sequence());
            requests.add(s.request());
            if (!(s.message() instanceof SystemMessage)) {
                // The system message stays in the window from the first turn on: it dates nothing.
                oldest = Math.min(oldest, s.sequence());
            }
        }
        if (request < oldest) {
            return false;
        }
        return SendableWindow.stillOpen(window, sequences, requests, request, result);
    }

    private boolean stillThere(UUID conversationId, long sequence, UUID messageId) {
        return conversations.getMessage(messageId).filter(m -> m.conversationId().equals(conversationId) && m.sequence() == sequence).isPresent();
    }

    /**
     * Refuses the list, before any message is appended, when the window marker it needs would not
     * fit the conversation's metadata beside what the app keeps there: refused only after the
     * append, the turn failed with its messages stored and its retry appended them again. The new
     * messages' sequences are taken to follow the conversation's last one, as they do unless
     * another process appends meanwhile.
     */
    private void markerFits(Conversation c, Window before, Plan plan) {
        List<Long> sequences = new ArrayList<>(plan.kept().size());
        long next = c.lastSequence();
        for (Long kept : plan.kept()) {
            sequences.add(kept != null ? kept : ++next);
        }
        Window after = Window.of(sequences);
        if (after.sameAs(before)) {
            return;
        }
        Map<String, Object> metadata = new LinkedHashMap<>(c.metadata());
        Map<String, Object> ours = metadata.get(Messages.KEY) instanceof Map<?, ?> m ? copy(m) : new LinkedHashMap<>();
        ours.put("window", after.stored());
        metadata.put(Messages.KEY, ours);
        int length;
        try {
            length = Messages.JSON.writeValueAsString(metadata).length();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return; // Metadata Atlas stored is JSON; let the store's own check speak otherwise.
        }
        if (length > Limits.MAX_METADATA_LENGTH) {
            throw new ConflictException("metadata", "the conversation's metadata leaves no room for the memory's window marker ("
                    + Messages.KEY + ".window): it would be " + length + " characters, at most " + Limits.MAX_METADATA_LENGTH
                    + " are allowed; make the application's metadata of conversation " + c.id() + " smaller; nothing was stored");
        }
    }

    /** The new conversation the app's function gives for {@code memoryId}, refused by the name the app gave that function. */
    private NewConversation newConversation(Object memoryId) {
        NewConversation nc = newConversation.apply(memoryId);
        if (nc == null) {
            throw new dev.atlas.InvalidInputException("newConversation", "returned null for memory id " + key(memoryId));
        }
        return nc;
    }

    /** The write lock stripes of {@code atlas}'s memories. */
    private static ReentrantLock[] stripes(dev.atlas.Atlas atlas) {
        synchronized (LOCKS) {
            return LOCKS.computeIfAbsent(Limits.requireNonNull("tenant.atlas()", atlas), a -> {
                ReentrantLock[] stripes = new ReentrantLock[LOCK_STRIPES];
                for (int i = 0; i < LOCK_STRIPES; i++) {
                    stripes[i] = new ReentrantLock();
                }
                return stripes;
            });
        }
    }

    /**
     * The write lock of a memory of this tenant. Among its Atlas instance's stripes (not its
     * view's: a view's identity changes once Atlas stops caching views, which would let two
     * writers of one memory in this JVM race), by tenant and key, so tenants sharing a memory id
     * (most use "default") do not queue on one lock held across blob I/O.
     */
    private ReentrantLock lock(String key) {
        return locks[Math.floorMod(31 * tenant.id().hashCode() + key.hashCode(), LOCK_STRIPES)];
    }

    /**
     * Appends a new message; for a tool result, adds to {@code completions} the completion of its
     * call in {@code answers}, the execution of the response it follows.
     */
    private Message append(UUID conversationId, ChatMessage message, Messages.Mapped mapped, UUID answers, Long request,
                           List<Runnable> completions) {
        NewMessage m = mapped.row();
        List<UUID> images = new ArrayList<>();
        List<Image> inline = Messages.inlineImages(message);
        UUID jsonAsset = null;
        Message stored;
        try {
            for (Image image : inline) {
                // The bytes go to the blob store as an asset; the message's JSON refers to it.
                byte[] bytes = Base64.getDecoder().decode(image.base64Data());
                images.add(tenant.assets().create(NewAsset.of(AssetType.IMAGE, "langchain4j-image", image.mimeType()), bytes).id());
            }
            if (!images.isEmpty()) {
                // The JSON must refer to the images' real ids: mapped with placeholders, it would name
                // no asset and a read could not put the image back.
                mapped = Messages.map(message, images, PLACEHOLDER, "message");
                m = mapped.row();
            }
            if (mapped.json() != null) {
                jsonAsset = tenant.assets().create(NewAsset.of(AssetType.JSON, "langchain4j-message.json", "application/json"),
                        mapped.json().getBytes(java.nio.charset.StandardCharsets.UTF_8)).id();
                m = mapped.row(jsonAsset);
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
            if (request != null) {
                // Which request this result answers, for reads pairing results with requests: without ids, two rounds of
                // one tool interleaved by two callers cannot be told apart by their messages.
                Map<String, Object> meta = new LinkedHashMap<>(m.metadata());
                Map<String, Object> ours = meta.get(Messages.KEY) instanceof Map<?, ?> x ? copy(x) : new LinkedHashMap<>();
                ours.put(REQUEST, request);
                meta.put(Messages.KEY, ours);
                m = m.metadata(meta);
            }
            stored = conversations.append(conversationId, m);
        } catch (RuntimeException e) {
            // The message was refused: its assets would be ones nothing refers to; discard frees their bytes at once.
            if (jsonAsset != null) {
                images.add(jsonAsset);
            }
            for (UUID asset : images) {
                try {
                    tenant.assets().discard(asset);
                } catch (RuntimeException d) {
                    e.addSuppressed(d);
                }
            }
            throw e;
        }
        for (int i = 0; i < images.size(); i++) {
            attach(stored, images.get(i));
            // The text given is the asset's exact encoding (see Messages.inlineImages): reads need no blob.
            assetTexts.put(images.get(i), inline.get(i).base64Data());
        }
        if (jsonAsset != null) {
            attach(stored, jsonAsset);
            assetTexts.put(jsonAsset, mapped.json());
        }
        if (message instanceof ToolExecutionResultMessage result) {
            // Only this Atlas's rounds: another instance with this tenant id has other rows.
            ToolCallHandle call = Correlation.pending(tenant.atlas()).unpark(tenant.id(), conversationId, answers, result.id(), result.toolName());
            if (call != null) {
                String text = m.content();
                completions.add(() -> {
                    try {
                        if (Boolean.TRUE.equals(result.isError())) {
                            call.fail(text.isEmpty() ? "tool error" : text);
                        } else {
                            call.complete(text);
                        }
                    } catch (AtlasException e) {
                        // The sweep may have closed a long call already; the message itself is stored.
                        LOG.warn("tool call {} of conversation {} not completed: {}", call.id(), conversationId, e.toString());
                    }
                });
            }
        }
        return stored;
    }

    /**
     * Attaches an asset to its committed message, as a part of it. Best effort: the message's
     * metadata names the asset, which is all a read needs; failing here would fail a turn whose
     * message is stored (the asset then outlives the message, as an upload would).
     */
    private void attach(Message stored, UUID asset) {
        try {
            // As a part: the asset is the message's own content, so retention and erase take it with the message.
            tenant.assets().attachPart(stored.id(), asset);
        } catch (AtlasException e) {
            LOG.warn("asset {} not attached to message {}: {}", asset, stored.id(), e.toString());
        }
    }

    private static boolean asksForTools(ChatMessage m) {
        return m instanceof AiMessage ai && ai.hasToolExecutionRequests();
    }

    /** The execution a stored response asking for tools came from (kept in its metadata), if linked. */
    private static UUID executionOf(Message row) {
        if (row.metadata().get("executionId") instanceof String s) {
            try {
                return UUID.fromString(s);
            } catch (IllegalArgumentException notOurs) {
                return null;
            }
        }
        return null;
    }

    /** The row of the request a stored tool result answers, where the store knew it when storing the result (its metadata). */
    private static Long requestOf(Message row) {
        return row.metadata().get(Messages.KEY) instanceof Map<?, ?> fields && fields.get(REQUEST) instanceof Number n ? n.longValue() : null;
    }

    /** {@link #executionOf} the row at {@code sequence}: a response kept outside the held window. */
    private UUID roundOf(UUID conversationId, long sequence) {
        List<Message> rows = conversations.messages(conversationId, sequence - 1, 1);
        return rows.isEmpty() || rows.get(0).sequence() != sequence ? null : executionOf(rows.get(0));
    }

    /** A stored message with its sequence and, for a response asking for tools, its execution. */
    record Stored(long sequence, ChatMessage message, UUID round, Long request) {}

    /** For each position of the new list: the sequence of the held message it keeps, or null for a new one. */
    private record Plan(List<Long> kept) {}

    /**
     * Matches the new list against the held window: the messages equal to held ones, in the
     * window's order, keep their rows, wherever new messages come between them, so a window
     * LangChain4j replaces ({@code ChatMemory.set}: compaction, compensating tools) stores only its
     * new messages; the window marker gives their order. Anything else is new, appended at the end
     * of the history: nothing stored is ever changed.
     *
     * <p>A message the window no longer holds but this store recently handed out or was given, the
     * very instance, is kept too, not stored again: callers racing on one memory id hand lists built
     * from older windows (LangChain4j reads, then writes, without a lock). Only when it is newer than
     * every message kept before it in the list. A new message equal to an earlier, evicted one (a
     * user repeating "ok") is another instance, and so gets a new row, as a new message should.
     */
    private Plan plan(List<Stored> held, Conversation existing, List<ChatMessage> messages) {
        UUID conversationId = existing == null ? null : existing.id();
        long lastSequence = existing == null ? 0 : existing.lastSequence();
        List<Long> kept = new ArrayList<>(messages.size());
        java.util.Set<Long> used = new java.util.HashSet<>();
        for (Stored s : held) {
            used.add(s.sequence());
        }
        int next = 0;
        long newestKept = 0;
        for (ChatMessage m : messages) {
            Long sequence = null;
            // In the window's order only: a message equal to one the list put before it is a new
            // message repeating it (a user's second "ok" as the window drops the first), not that one.
            for (int j = next; j < held.size() && sequence == null; j++) {
                if (held.get(j).message().equals(m)) {
                    sequence = held.get(j).sequence();
                    next = j + 1;
                }
            }
            while (sequence == null) {
                Long found = recent.find(conversationId, m, newestKept, used);
                if (found == null) {
                    break;
                }
                used.add(found);
                // Its row may have been written in an application's transaction that rolled back (the sequence then
                // taken by a later message, or by none yet): taken for it, the message would be stored nowhere.
                if (!rolledBack(conversationId, lastSequence, found, m)) {
                    sequence = found;
                }
            }
            kept.add(sequence);
            if (sequence != null) {
                newestKept = Math.max(newestKept, sequence);
            }
        }
        return new Plan(kept);
    }

    /**
     * Whether the row {@code m} was given at {@code sequence} was rolled back: the conversation's last sequence is below it,
     * or a row there holds another message (role, text). A row missing at or below the last sequence was deleted since
     * (moderation, retention), and stays so. One read, for a recent instance only.
     */
    private boolean rolledBack(UUID conversationId, long lastSequence, long sequence, ChatMessage m) {
        if (sequence > lastSequence) {
            return true;
        }
        List<Message> rows = conversations.messages(conversationId, sequence - 1, 1);
        if (rows.isEmpty() || rows.get(0).sequence() != sequence) {
            return false;
        }
        List<UUID> placeholders = Messages.inlineImages(m).stream().map(x -> PLACEHOLDER).toList();
        NewMessage row = Messages.map(m, placeholders, PLACEHOLDER, "message").row();
        return row.role() != rows.get(0).role() || !row.content().equals(rows.get(0).content());
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

    /**
     * The window's messages, one query per run of sequences (a window is usually one or two runs), and one for the live
     * assets its messages name (images, JSON kept as an asset), whichever of them the cache holds: an asset deleted since
     * it was cached (a user removing a photo) must not reach a model again, and an asset's row, unlike its bytes, changes.
     */
    private List<Stored> read(Conversation c, Window window) {
        List<Message> rows = new ArrayList<>();
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
                        rows.add(m);
                    }
                }
                after = page.get(page.size() - 1).sequence();
            }
        }
        List<UUID> named = new ArrayList<>();
        for (Message m : rows) {
            assetsOf(m, named);
        }
        java.util.Set<UUID> live = named.isEmpty() ? java.util.Set.of() : tenant.assets().getAll(named).keySet();
        Function<UUID, String> image = id -> live.contains(id) ? imageBase64(id) : null;
        List<Stored> out = new ArrayList<>();
        // The indexes in out of the messages whose JSON asset is gone (read as their columns).
        List<Integer> lost = new ArrayList<>(0);
        boolean[] gone = new boolean[1];
        Function<UUID, String> json = id -> {
            String text = live.contains(id) ? assetText(id) : null;
            gone[0] = text == null;
            return text;
        };
        for (Message m : rows) {
            gone[0] = false;
            ChatMessage message = Messages.fromAtlas(m, image, json);
            // Null only for a message whose JSON asset is gone and whose columns describe no message.
            if (message != null) {
                if (gone[0]) {
                    lost.add(out.size());
                }
                out.add(new Stored(m.sequence(), message, executionOf(m), requestOf(m)));
            }
        }
        return lost.isEmpty() ? out : withoutBrokenToolRounds(out, lost);
    }

    /** Adds to {@code out} the assets {@code row} names (its JSON's, its images'); a reference that is no id is left to the read to refuse. */
    private static void assetsOf(Message row, List<UUID> out) {
        if (!(row.metadata().get(Messages.KEY) instanceof Map<?, ?> fields)) {
            return;
        }
        List<Object> refs = new ArrayList<>();
        refs.add(fields.get("jsonAsset"));
        if (fields.get("assets") instanceof List<?> assets) {
            refs.addAll(assets);
        }
        for (Object ref : refs) {
            if (ref instanceof String id) {
                try {
                    out.add(UUID.fromString(id));
                } catch (IllegalArgumentException notAnId) {
                    // Messages.fromAtlas refuses it, naming the row and the field.
                }
            }
        }
    }

    /**
     * {@code window} without the tool rounds (a response asking for tools and the results that follow
     * it) holding a message at one of the indexes {@code lost}, whose JSON asset is gone: read as its
     * columns, a request has lost its tool calls and a result its call's id, which a provider refuses
     * (a result answering no call, a call without its result), failing every later turn. Such a round
     * is left out whole, as a gone image is left out of its message; a lost response that was no tool
     * round (no results follow it) stays, as its text.
     */
    private static List<Stored> withoutBrokenToolRounds(List<Stored> window, List<Integer> lost) {
        List<Stored> out = new ArrayList<>(window.size());
        int i = 0;
        while (i < window.size()) {
            // A round: a response asking for tools (or one whose requests may be lost), then its results.
            int end = i;
            ChatMessage head = window.get(i).message();
            boolean round = head instanceof ToolExecutionResultMessage
                    || (head instanceof AiMessage && end + 1 < window.size() && window.get(end + 1).message() instanceof ToolExecutionResultMessage);
            if (round) {
                end = head instanceof AiMessage ? i + 1 : i;
                while (end < window.size() && window.get(end).message() instanceof ToolExecutionResultMessage) {
                    end++;
                }
            } else {
                end = i + 1;
            }
            boolean broken = false;
            for (int j = i; j < end && round && !broken; j++) {
                broken = lost.contains(j);
            }
            if (!broken) {
                out.addAll(window.subList(i, end));
            }
            i = end;
        }
        return out;
    }

    /**
     * An image asset's base64 text, or null when the asset is gone (deleted, discarded, purged):
     * the image is then left out of its message, as the Spring AI adapter leaves out a gone medium,
     * so that one removed image never makes the memory unreadable (every later turn failing).
     * Bytes missing under a live asset are the blob store's failure and fail the read.
     */
    private String imageBase64(UUID assetId) {
        try {
            return assetTexts.get(assetId, id -> Base64.getEncoder().encodeToString(assetBytes(id)));
        } catch (dev.atlas.NotFoundException gone) {
            return null;
        }
    }

    /** A message's JSON kept as an asset, or null when the asset is gone: the message then reads as its columns. */
    private String assetText(UUID assetId) {
        try {
            return assetTexts.get(assetId, id -> new String(assetBytes(id), java.nio.charset.StandardCharsets.UTF_8));
        } catch (dev.atlas.NotFoundException gone) {
            return null;
        }
    }

    private byte[] assetBytes(UUID assetId) {
        try (java.io.InputStream in = tenant.assets().open(assetId)) {
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new dev.atlas.StorageException("asset " + assetId + " of a stored message could not be read: " + e.getMessage(), null, true, e);
        }
    }

    @Override
    public String toString() {
        return "AtlasChatMemoryStore[" + tenant.id() + "]";
    }
}
