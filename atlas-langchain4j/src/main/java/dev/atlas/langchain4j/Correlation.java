package dev.atlas.langchain4j;

import dev.atlas.execution.StepHandle.ToolCallHandle;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;

import java.lang.ref.WeakReference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * What the memory store and the model listener tell each other. LangChain4j hands a
 * {@code ChatModelListener} no memory id, but {@code AiServices} updates the memory and then calls
 * the model on the same thread; so the store notes, per thread, which conversation it last wrote
 * and the last message it holds, and the listener ties a model call to that conversation when the
 * request carries that very message. In the other direction the listener notes the response it just
 * recorded, so the store can link the stored {@code AiMessage} to its execution, and it parks the
 * tool calls the model asked for until the store sees their results (or, without an Atlas memory,
 * a later request carries them after that very response).
 *
 * <p>The per-thread notes hold their message weakly: a pooled thread keeps nothing alive (an image,
 * a long answer) once its caller dropped it, and a note whose message is gone ties nothing.
 */
final class Correlation {
    private Correlation() {}

    /**
     * The conversation a thread's memory last touched and the newest message of its window; its
     * Atlas instance weakly, so a listener recording for many tenants takes the tenant only from a
     * memory of its own Atlas, and a pooled thread keeps no closed Atlas alive.
     */
    record Bound(String tenant, WeakReference<dev.atlas.Atlas> atlas, UUID conversationId, WeakReference<ChatMessage> lastMessage,
                 List<WeakReference<ChatMessage>> lastCopies, List<WeakReference<ChatMessage>> previousCopies) {}

    // Reads in one turn hand out a few copies of a message (AiServices reads the memory, then adds
    // to it, which reads it again): enough to tie the turn, bounded should a caller read in a loop.
    private static final int MAX_COPIES = 8;

    /** The response the listener recorded last on a thread. */
    record Produced(String tenant, UUID conversationId, WeakReference<AiMessage> message, UUID executionId, UUID stepId) {
        Produced(String tenant, UUID conversationId, AiMessage message, UUID executionId, UUID stepId) {
            this(tenant, conversationId, new WeakReference<>(message), executionId, stepId);
        }
    }

    private static final ThreadLocal<Bound> BOUND = new ThreadLocal<>();
    private static final ThreadLocal<Produced> PRODUCED = new ThreadLocal<>();

    /** A tool call the model asked for, waiting for its result. */
    private record Call(String id, String name, ToolCallHandle handle) {}

    /**
     * The tool calls of one model response (one execution), in request order; {@code asked} is
     * that response, held weakly; {@code conversationId} is null for a call tied to none. It waits
     * for its results at most {@code abandonAfter} (the recording listener's) since it was parked or
     * last answered, by {@code clock}.
     */
    private static final class Round {
        final String tenant;
        final UUID conversationId;
        final WeakReference<AiMessage> asked;
        final List<Call> calls = new ArrayList<>();
        final Clock clock;
        final Duration abandonAfter;
        Instant lastEvent;

        Round(String tenant, UUID conversationId, AiMessage asked, Clock clock, Duration abandonAfter) {
            this.tenant = tenant;
            this.conversationId = conversationId;
            this.asked = new WeakReference<>(asked);
            this.clock = clock;
            this.abandonAfter = abandonAfter;
            this.lastEvent = clock.instant();
        }

        boolean expired() {
            // Measured as the time since the last event, not as now minus the bound: a bound beyond the instant range
            // (ChronoUnit.FOREVER's) is never reached, rather than a DateTimeException.
            return Duration.between(lastEvent, clock.instant()).compareTo(abandonAfter) > 0;
        }

        /** The moment past which it has waited too long; {@link Instant#MAX} for a bound beyond the instant range. */
        Instant due() {
            try {
                return lastEvent.plus(abandonAfter);
            } catch (java.time.DateTimeException | ArithmeticException e) {
                return Instant.MAX;
            }
        }
    }

    /** A parked call of {@code tenant} taken out of its round past the round's bound. */
    record Expired(String tenant, ToolCallHandle call) {}

    /** A parked call and the result that answers it. */
    record Answer(ToolCallHandle call, ToolExecutionResultMessage result) {}

    // A foreign Atlas implementation (no InstanceState) keeps its rounds here; atlas-jdbi's holds them itself.
    private static final Map<dev.atlas.Atlas, Pending> FOREIGN = new java.util.WeakHashMap<>();

    /**
     * The pending rounds of {@code atlas}: held by the Atlas instance itself, so they live as long as it does, whatever
     * listener parked them (an app building its model, and so its listener, per request drops that listener before the
     * request that stores the results), and go with it.
     */
    static Pending pending(dev.atlas.Atlas atlas) {
        if (atlas instanceof dev.atlas.internal.InstanceState state) {
            return state.state(Pending.class, Pending::new);
        }
        synchronized (FOREIGN) {
            return FOREIGN.computeIfAbsent(atlas, a -> new Pending());
        }
    }

    /** Notes that {@code tenant}'s memory of {@code conversationId} holds {@code window} now. */
    static void bind(dev.atlas.Tenant tenant, UUID conversationId, List<ChatMessage> window) {
        int n = window.size();
        if (n == 0) {
            BOUND.remove();
            return;
        }
        ChatMessage last = window.get(n - 1);
        ChatMessage previous = n > 1 ? window.get(n - 2) : null;
        // The copies of this memory's newest message the thread was handed before: still its newest
        // (read again), or now the one before a new message (the turn's user message added).
        Bound old = BOUND.get();
        List<WeakReference<ChatMessage>> earlier = List.of();
        ChatMessage oldLast = old == null ? null : old.lastMessage().get();
        if (oldLast != null && old.conversationId().equals(conversationId) && old.tenant().equals(tenant.id())
                && old.atlas().get() == tenant.atlas()) {
            earlier = new ArrayList<>(old.lastCopies());
            earlier.add(old.lastMessage());
        }
        List<WeakReference<ChatMessage>> lastCopies = oldLast != null && oldLast != last && oldLast.equals(last) ? recent(earlier) : List.of();
        List<WeakReference<ChatMessage>> previousCopies = new ArrayList<>(previous != null && oldLast != null && oldLast.equals(previous) ? recent(earlier) : List.of());
        if (previous != null) {
            previousCopies.add(new WeakReference<>(previous));
        }
        BOUND.set(new Bound(tenant.id(), new WeakReference<>(tenant.atlas()), conversationId, new WeakReference<>(last), lastCopies, previousCopies));
    }

    private static List<WeakReference<ChatMessage>> recent(List<WeakReference<ChatMessage>> copies) {
        return copies.size() <= MAX_COPIES ? copies : copies.subList(copies.size() - MAX_COPIES, copies.size());
    }

    /**
     * The tenant (of {@code atlas}) whose memory last touched this thread, when {@code messages}
     * contain that memory's newest message, this very instance; else null.
     */
    static String boundTenant(dev.atlas.Atlas atlas, List<ChatMessage> messages) {
        Bound bound = BOUND.get();
        dev.atlas.Atlas memories = bound == null ? null : bound.atlas().get();
        // The memory's Atlas, or one standing for it (a proxy, as Spring's @Lazy injection makes): its tenant of that id
        // is the memory's Atlas's.
        if (memories == null || memories != atlas && atlas.tenant(bound.tenant()).atlas() != memories) {
            return null;
        }
        return boundConversation(memories, bound.tenant(), messages) == null ? null : bound.tenant();
    }

    /** The conversation of {@code tenant} whose newest message, this very instance, {@code messages} contain. */
    static UUID boundConversation(dev.atlas.Tenant tenant, List<ChatMessage> messages) {
        return boundConversation(tenant.atlas(), tenant.id(), messages);
    }

    private static UUID boundConversation(dev.atlas.Atlas atlas, String tenant, List<ChatMessage> messages) {
        Bound bound = BOUND.get();
        ChatMessage last = bound == null ? null : bound.lastMessage().get();
        if (last == null) {
            BOUND.remove();
            return null;
        }
        // A tenant id names a tenant of one Atlas only: another Atlas (another database) with the same
        // tenant id has no such conversation.
        if (!bound.tenant().equals(tenant) || bound.atlas().get() != atlas) {
            return null;
        }
        // Newest first: the memory's newest message is the request's last or close to it.
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) == last) {
                return bound.conversationId();
            }
        }
        // Retrieval augmentation with storeRetrievedContentInChatMemory(false): AiServices sends the
        // memory with its newest message, a user message, swapped for the augmented copy. The
        // message before it, one of the copies the memory handed this thread, then followed by one user
        // message only, ties the call.
        int n = messages.size();
        if (last instanceof dev.langchain4j.data.message.UserMessage && n >= 2 && messages.get(n - 1) instanceof dev.langchain4j.data.message.UserMessage) {
            ChatMessage before = messages.get(n - 2);
            for (WeakReference<ChatMessage> copy : bound.previousCopies()) {
                if (copy.get() == before) {
                    return bound.conversationId();
                }
            }
        }
        return null;
    }

    /**
     * The tool round a thread stored last in a conversation: its request's row (sequence and id), its execution when
     * linked, the calls not answered yet (id and tool name, in request order) and the rows of the results stored so
     * far. {@code AiServices} stores a response asking for tools and then, on that same thread, its results (streaming
     * too: both on the thread that completes the response), so a result this thread stores answers this round when it
     * matches one of its open calls, whatever another caller stored in between: without ids, a result of the same tool
     * cannot be told apart by its content.
     */
    static final class Asked {
        final WeakReference<dev.atlas.Atlas> atlas;
        final String tenant;
        final UUID conversationId;
        final long sequence;
        final UUID messageId;
        final UUID executionId;
        final List<String[]> open;
        final List<Long> results = new ArrayList<>();
        final List<UUID> resultIds = new ArrayList<>();

        Asked(dev.atlas.Tenant tenant, UUID conversationId, long sequence, UUID messageId, UUID executionId, AiMessage asked) {
            this.atlas = new WeakReference<>(tenant.atlas());
            this.tenant = tenant.id();
            this.conversationId = conversationId;
            this.sequence = sequence;
            this.messageId = messageId;
            this.executionId = executionId;
            this.open = new ArrayList<>();
            asked.toolExecutionRequests().forEach(r -> open.add(new String[] {r.id(), r.name()}));
        }

        /** The index of the open call {@code result} answers: the one with its id, or, without one, the first of its tool. */
        int match(ToolExecutionResultMessage result) {
            for (int k = 0; k < open.size(); k++) {
                String id = open.get(k)[0];
                if (result.id() != null ? result.id().equals(id) : id == null && Objects.equals(result.toolName(), open.get(k)[1])) {
                    return k;
                }
            }
            return -1;
        }
    }

    // A thread's open rounds, one per conversation, the newest last; a few, since a thread runs one turn at a time (more
    // only where one thread plays several instances, as a test does, or leaves rounds unanswered).
    private static final int MAX_ASKED = 8;
    private static final ThreadLocal<List<Asked>> ASKED = ThreadLocal.withInitial(ArrayList::new);

    /** Notes that this thread stored a response asking for tools, the round it now has open in that conversation. */
    static void asked(Asked asked) {
        List<Asked> all = ASKED.get();
        all.removeIf(a -> a.atlas.get() == null || sameConversation(a, asked.atlas.get(), asked.tenant, asked.conversationId));
        all.add(asked);
        if (all.size() > MAX_ASKED) {
            all.remove(0);
        }
    }

    private static boolean sameConversation(Asked a, dev.atlas.Atlas atlas, String tenant, UUID conversationId) {
        return a.atlas.get() == atlas && a.tenant.equals(tenant) && a.conversationId.equals(conversationId);
    }

    private static Asked askedIn(dev.atlas.Tenant tenant, UUID conversationId) {
        for (Asked a : ASKED.get()) {
            if (sameConversation(a, tenant.atlas(), tenant.id(), conversationId)) {
                return a;
            }
        }
        return null;
    }

    /** The round this thread stored last in {@code tenant}'s conversation, when {@code result} answers one of its open calls; else null. */
    static Asked askedBy(dev.atlas.Tenant tenant, UUID conversationId, ToolExecutionResultMessage result) {
        Asked a = askedIn(tenant, conversationId);
        return a != null && a.match(result) >= 0 ? a : null;
    }

    /** Whether this thread stored the request at {@code sequence} of {@code tenant}'s conversation, its round still open: its results are on their way. */
    static boolean owns(dev.atlas.Tenant tenant, UUID conversationId, long sequence) {
        Asked a = askedIn(tenant, conversationId);
        return a != null && a.sequence == sequence && !a.open.isEmpty();
    }

    /** Ends this thread's round in {@code tenant}'s conversation: it stored another kind of message there, so the turn went on. */
    static void turnWentOn(dev.atlas.Tenant tenant, UUID conversationId) {
        ASKED.get().removeIf(a -> sameConversation(a, tenant.atlas(), tenant.id(), conversationId));
    }

    static void produced(Produced produced) {
        PRODUCED.set(produced);
    }

    /** The response recorded on this thread if it produced {@code message} in this conversation; consumed. */
    static Produced takeProduced(String tenant, UUID conversationId, ChatMessage message) {
        Produced p = PRODUCED.get();
        if (p == null) {
            return null;
        }
        AiMessage produced = p.message().get();
        if (produced == null) {
            PRODUCED.remove();
            return null;
        }
        if (p.tenant().equals(tenant) && p.conversationId().equals(conversationId) && produced.equals(message)) {
            PRODUCED.remove();
            return p;
        }
        return null;
    }

    /**
     * The rounds of one Atlas instance whose results were not all seen yet, by tenant and execution: a tenant
     * id names a tenant of one Atlas only, so another instance (another database, or the same
     * one) with that tenant id never completes them. Bounded, as calls whose result never comes (an app that stops
     * the loop, an {@code AiServices} call that threw) must not grow it without end: a round waiting longer than its
     * listener's {@code abandonAfter} ({@link #expired()}), and the oldest rounds beyond {@link #MAX_ROUNDS}
     * ({@link #park}), are taken out and their calls failed by the caller, so none stays processing.
     */
    static final class Pending {
        /** The most rounds one Atlas instance keeps waiting. */
        static final int MAX_ROUNDS = 10_000;
        /** A round's key: its tenant and execution id (an import keeps ids, so a copy in another tenant has the same id). */
        private record Key(String tenant, UUID execution) {}

        private final int maxRounds;
        private final Map<Key, Round> rounds = new LinkedHashMap<>();
        // By each clock rounds are measured with, a moment before which none of its rounds is due: every request checks
        // for rounds due, and with thousands waiting one reading of the clock is what it can afford, not one per round.
        // A lower bound only (a round answered in part is due later, a round taken out not at all); once a clock passes
        // it, expired() looks at every round and sets it anew.
        private final Map<Clock, Instant> due = new java.util.HashMap<>();
        // How many rounds each tenant has waiting: past the bound the tenant with the most gives up its oldest, so one
        // tenant's tool loops that never end do not push out another tenant's round waiting for its user.
        private final Map<String, Integer> perTenant = new java.util.HashMap<>();
        /** A conversation of a tenant: {@link #contexts}' key (an import keeps ids, so a copy in another tenant has the same id). */
        private record ConversationKey(String tenant, UUID conversation) {}
        // The caller's context (see CallerContext: OpenTelemetry's) of each conversation's latest call that asked for tools,
        // for the round sending their results, whichever listener of this Atlas records it (one built per request is gone
        // by then); bounded, as rounds whose results never come (an app that stops the loop) must not grow it.
        // A round failed as abandoned or pushed out by the bound takes its context along: its results never come.
        private final Map<ConversationKey, Asked> contexts = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ConversationKey, Asked> eldest) {
                return size() > MAX_ROUNDS;
            }
        };

        /** The context {@code context} of the call recorded as {@code execution}, which asked for tools. */
        private record Asked(UUID execution, Object context) {}

        Pending() {
            this(MAX_ROUNDS);
        }

        Pending(int maxRounds) {
            this.maxRounds = maxRounds;
        }

        /** Drops every round: their Atlas is closed, so none can be completed (nor failed). */
        void clear() {
            synchronized (rounds) {
                rounds.clear();
                due.clear();
                perTenant.clear();
                contexts.clear();
            }
        }

        /**
         * Notes {@code context}, the caller's where the call recorded as {@code executionId} of {@code tenant}'s
         * conversation asked for tools.
         */
        void askedFrom(String tenant, UUID conversationId, UUID executionId, Object context) {
            synchronized (rounds) {
                contexts.put(new ConversationKey(tenant, conversationId), new Asked(executionId, context));
            }
        }

        /** The caller's context of the latest call of {@code tenant}'s conversation that asked for tools, taken; null when none. */
        Object takeAskedFrom(String tenant, UUID conversationId) {
            synchronized (rounds) {
                Asked asked = contexts.remove(new ConversationKey(tenant, conversationId));
                return asked == null ? null : asked.context();
            }
        }

        /** Drops the context of {@code round}, recorded as {@code execution}, taken out unanswered; not a later round's. */
        private void abandoned(Round round, UUID execution) {
            if (round.conversationId != null) {
                ConversationKey key = new ConversationKey(round.tenant, round.conversationId);
                Asked asked = contexts.get(key);
                if (asked != null && asked.execution().equals(execution)) {
                    contexts.remove(key);
                }
            }
        }

        /**
         * Parks a tool call of the response {@code asked}, recorded as {@code executionId} (in
         * {@code conversationId}, or none when null), after the ones parked before it; the round waits at most
         * {@code abandonAfter} by {@code clock} (those of the first call parked). Gives the calls of the rounds beyond
         * {@link #MAX_ROUNDS}, taken out, for the caller to fail: the oldest of the tenant with the most rounds waiting.
         */
        List<ToolCallHandle> park(String tenant, UUID conversationId, AiMessage asked, UUID executionId, String toolCallId, String toolName,
                                  ToolCallHandle call, Clock clock, Duration abandonAfter) {
            List<ToolCallHandle> evicted = new ArrayList<>();
            synchronized (rounds) {
                Round round = rounds.computeIfAbsent(new Key(tenant, executionId), k -> {
                    perTenant.merge(tenant, 1, Integer::sum);
                    return new Round(tenant, conversationId, asked, clock, abandonAfter);
                });
                round.calls.add(new Call(toolCallId, toolName, call));
                due.merge(round.clock, round.due(), (a, b) -> a.isBefore(b) ? a : b);
                while (rounds.size() > maxRounds) {
                    int most = java.util.Collections.max(perTenant.values());
                    for (Iterator<Map.Entry<Key, Round>> it = rounds.entrySet().iterator(); it.hasNext(); ) {
                        Map.Entry<Key, Round> e = it.next();
                        Round oldest = e.getValue();
                        if (perTenant.get(oldest.tenant) == most) {
                            oldest.calls.forEach(c -> evicted.add(c.handle()));
                            it.remove();
                            gone(oldest);
                            abandoned(oldest, e.getKey().execution());
                            break;
                        }
                    }
                }
            }
            return evicted;
        }

        /** The calls of the rounds that waited longer than their bound, taken out, for the caller to fail. */
        List<Expired> expired() {
            List<Expired> out = new ArrayList<>();
            synchronized (rounds) {
                boolean passed = false;
                for (Map.Entry<Clock, Instant> d : due.entrySet()) {
                    if (d.getKey().instant().isAfter(d.getValue())) {
                        passed = true;
                        break;
                    }
                }
                if (!passed) {
                    return out;
                }
                due.clear();
                for (Iterator<Map.Entry<Key, Round>> it = rounds.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<Key, Round> e = it.next();
                    Round round = e.getValue();
                    if (round.expired()) {
                        round.calls.forEach(c -> out.add(new Expired(round.tenant, c.handle())));
                        it.remove();
                        gone(round);
                        abandoned(round, e.getKey().execution());
                    } else {
                        due.merge(round.clock, round.due(), (a, b) -> a.isBefore(b) ? a : b);
                    }
                }
            }
            return out;
        }

        /**
         * The parked calls the tool results of a request answer, removed: the results that follow a
         * response recorded by {@code tenant}'s listener, that very instance (as an app without an
         * Atlas memory, or {@code AiServices} without chat memory, sends it back with the results).
         * A response read back from a store is another instance, and matches nothing here.
         */
        List<Answer> answeredIn(String tenant, List<ChatMessage> messages) {
            List<Answer> out = new ArrayList<>();
            if (messages.stream().noneMatch(ToolExecutionResultMessage.class::isInstance)) {
                return out;
            }
            synchronized (rounds) {
                for (int i = 0; i < messages.size() && !rounds.isEmpty(); i++) {
                    if (!(messages.get(i) instanceof AiMessage ai) || !ai.hasToolExecutionRequests()) {
                        continue;
                    }
                    Map.Entry<Key, Round> asked = null;
                    for (Map.Entry<Key, Round> e : rounds.entrySet()) {
                        if (e.getValue().asked.get() == ai && e.getValue().tenant.equals(tenant)) {
                            asked = e;
                            break;
                        }
                    }
                    for (int j = i + 1; asked != null && j < messages.size() && messages.get(j) instanceof ToolExecutionResultMessage result; j++) {
                        ToolCallHandle call = take(asked.getKey(), asked.getValue(), result.id(), result.toolName());
                        if (call != null) {
                            out.add(new Answer(call, result));
                        }
                    }
                }
            }
            return out;
        }

        /**
         * The parked calls of {@code tenant}'s conversation {@code conversationId}, removed: its memory
         * was cleared, so no result can reach them any more (a later result goes to a new conversation).
         */
        List<ToolCallHandle> dropConversation(String tenant, UUID conversationId) {
            List<ToolCallHandle> out = new ArrayList<>();
            synchronized (rounds) {
                for (Iterator<Round> it = rounds.values().iterator(); it.hasNext(); ) {
                    Round round = it.next();
                    if (round.tenant.equals(tenant) && conversationId.equals(round.conversationId)) {
                        round.calls.forEach(c -> out.add(c.handle()));
                        it.remove();
                        gone(round);
                    }
                }
            }
            return out;
        }
        /**
         * The parked call a tool result answers, removed: within the round of {@code executionId} (the
         * response that asked for it, when the store knows it), the call with the result's id, or, for a
         * result without an id, the first call of the same tool without one; a call of another response
         * (one the app abandoned, say) never takes such a result. Otherwise (no known round, or a result
         * with an id whose call is in another round: callers racing on one memory interleave their
         * rounds) the newest round of the conversation holding a matching call.
         */
        ToolCallHandle unpark(String tenant, UUID conversationId, UUID executionId, String toolCallId, String toolName) {
            synchronized (rounds) {
                if (executionId != null) {
                    Key key = new Key(tenant, executionId);
                    Round round = rounds.get(key);
                    ToolCallHandle call = round == null || !conversationId.equals(round.conversationId)
                            ? null : take(key, round, toolCallId, toolName);
                    if (call != null || toolCallId == null) {
                        return call;
                    }
                }
                List<Map.Entry<Key, Round>> all = new ArrayList<>(rounds.entrySet());
                for (int i = all.size() - 1; i >= 0; i--) {
                    Round round = all.get(i).getValue();
                    if (round.tenant.equals(tenant) && conversationId.equals(round.conversationId)) {
                        ToolCallHandle call = take(all.get(i).getKey(), round, toolCallId, toolName);
                        if (call != null) {
                            return call;
                        }
                    }
                }
                return null;
            }
        }

        /** Counts {@code round}, just taken out, no longer among its tenant's. */
        private void gone(Round round) {
            perTenant.computeIfPresent(round.tenant, (t, n) -> n == 1 ? null : n - 1);
        }

        private ToolCallHandle take(Key key, Round round, String toolCallId, String toolName) {
            for (Iterator<Call> it = round.calls.iterator(); it.hasNext(); ) {
                Call c = it.next();
                boolean matches = toolCallId != null ? toolCallId.equals(c.id()) : c.id() == null && Objects.equals(toolName, c.name());
                if (matches) {
                    it.remove();
                    if (round.calls.isEmpty()) {
                        rounds.remove(key);
                        gone(round);
                    } else {
                        // Answered in part: the round's other calls get the whole bound again from here.
                        round.lastEvent = round.clock.instant();
                    }
                    return c.handle();
                }
            }
            return null;
        }
    }
}
