package dev.atlas.bench;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.atlas.spring.ai.AtlasChatMemoryRepository;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.UserMessage;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Issue 13: the cost of one chat turn through each framework's own chat memory, with Atlas's
 * adapters and with the frameworks' stores, on conversations that already hold 100 / 1k / 10k
 * messages. All four sides run interleaved in the same run on the same database and pool.
 */
final class ChatMemoryTurn implements Benchmark {
    static final List<Integer> LENGTHS = List.of(100, 1_000, 10_000);
    /** The frameworks' default window (Spring AI's MessageWindowChatMemory default; set explicitly on LangChain4j's). */
    static final int WINDOW = 20;
    static final int ROUNDS = 3;
    static final String TENANT = "bench";

    @Override
    public String id() {
        return "chat-memory-turn";
    }

    @Override
    public String title() {
        return "10. One chat turn through the frameworks' chat memory: Atlas adapters vs Spring AI JDBC and LangChain4j in-memory";
    }

    /** One store used through its framework's MessageWindowChatMemory. */
    private interface Side {
        String name();

        /** Stores {@code count} messages (alternating user / assistant) under {@code id} before the first turn. */
        void seed(String id, int count) throws Exception;

        /** One turn as the framework runs it; {@code n} numbers the user message, {@code n + 1} the reply. */
        void turn(String id, long n);

        /** The window the framework would send to the model now, as texts. */
        List<String> window(String id);
    }

    /** Spring AI's MessageChatMemoryAdvisor: get (the prompt's history), add(user), then after the call add(reply). */
    private record SpringSide(String name, org.springframework.ai.chat.memory.ChatMemory memory, Seeder seeder) implements Side {
        static SpringSide of(String name, ChatMemoryRepository repository, Seeder seeder) {
            return new SpringSide(name, org.springframework.ai.chat.memory.MessageWindowChatMemory.builder()
                    .chatMemoryRepository(repository).maxMessages(WINDOW).build(), seeder);
        }

        @Override
        public void seed(String id, int count) throws Exception {
            seeder.seed(id, count);
        }

        @Override
        public void turn(String id, long n) {
            List<Message> history = memory.get(id);
            if (history.isEmpty()) {
                throw new IllegalStateException(name + ": empty window for " + id);
            }
            memory.add(id, new UserMessage(Messages.content(n)));
            memory.add(id, new AssistantMessage(Messages.content(n + 1)));
        }

        @Override
        public List<String> window(String id) {
            return memory.get(id).stream().map(Message::getText).toList();
        }
    }

    /** LangChain4j's AiServices: add(user), messages() (the request), then add(reply). */
    private record Lc4jSide(String name, ChatMemoryStore store, Map<String, ChatMemory> memories, Seeder seeder) implements Side {
        static Lc4jSide of(String name, ChatMemoryStore store, Seeder seeder) {
            return new Lc4jSide(name, store, new java.util.concurrent.ConcurrentHashMap<>(), seeder);
        }

        private ChatMemory memory(String id) {
            return memories.computeIfAbsent(id, k -> MessageWindowChatMemory.builder().id(k).maxMessages(WINDOW).chatMemoryStore(store).build());
        }

        @Override
        public void seed(String id, int count) throws Exception {
            seeder.seed(id, count);
        }

        @Override
        public void turn(String id, long n) {
            ChatMemory memory = memory(id);
            memory.add(dev.langchain4j.data.message.UserMessage.from(Messages.content(n)));
            if (memory.messages().isEmpty()) {
                throw new IllegalStateException(name + ": empty window for " + id);
            }
            memory.add(AiMessage.from(Messages.content(n + 1)));
        }

        @Override
        public List<String> window(String id) {
            return memory(id).messages().stream().map(ChatMemoryTurn::text).toList();
        }
    }

    @FunctionalInterface
    private interface Seeder {
        void seed(String id, int count) throws Exception;
    }

    private static String text(ChatMessage m) {
        if (m instanceof dev.langchain4j.data.message.UserMessage u) {
            return u.singleText();
        }
        if (m instanceof AiMessage a) {
            return a.text();
        }
        return String.valueOf(m);
    }

    @Override
    public Section run(Env env) throws Exception {
        Profile p = env.profile();
        int turnsPerRound = "full".equals(p.name()) ? 300 : 40;
        int warmup = "full".equals(p.name()) ? 100 : 10;
        Section s = new Section(this, "Median time of one chat turn on a conversation that already held N messages before the"
                + " run, each store used through its framework's own MessageWindowChatMemory with a window of " + WINDOW
                + " messages, as an application would. A Spring AI turn is what MessageChatMemoryAdvisor does: get (the"
                + " prompt's history), add(user message), add(assistant reply). A LangChain4j turn is what AiServices does:"
                + " add(user message), messages() (the request), add(reply). " + ROUNDS + " rounds of " + turnsPerRound
                + " turns per side and length (after " + warmup + " warm-up turns, the first of which is reported apart),"
                + " the four sides and three lengths interleaved turn by turn; the value is the median of the " + ROUNDS
                + " round medians (the rounds in the detail). Wall time (µs/turn) and, since a loaded machine makes a turn"
                + " longer than a scheduler slice wait for the run queue, the calling thread's CPU time (µs CPU/turn: the whole"
                + " cost on SQLite, which runs in-process; without the server's work on PostgreSQL). Same database file / database and pool for every side;"
                + " LangChain4j's InMemoryChatMemoryStore touches no database. " + AppendVsLength.springVersion()
                + ", LangChain4j " + lc4jVersion() + ".");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.open("bench_turn")) {
                runOn(s, database, db, turnsPerRound, warmup);
            }
        }
        s.note("Spring AI's JdbcChatMemoryRepository and LangChain4j's InMemoryChatMemoryStore keep only the window:"
                + " MessageWindowChatMemory saves the window and they replace the stored conversation with it, so the first"
                + " turn deletes the N - " + WINDOW + " older messages (its time is the 'first turn' in the detail) and every"
                + " later turn runs on a " + WINDOW + "-message conversation whatever N was. Atlas's adapters append only and"
                + " keep all N + 2 x turns messages; the Spring AI adapter reads its window from a marker on the newest messages (a conversation without one reads its newest " + WINDOW + ").");
        return s;
    }

    private static void runOn(Section s, BenchDatabase database, BenchDatabase.Opened db, int turnsPerRound, int warmup) throws Exception {
        Tenant tenant = db.atlas().tenant(TENANT);
        RawJdbc raw = new RawJdbc(db.dataSource(), db.dialect(), TENANT);
        SpringChatMemory springJdbc = new SpringChatMemory(db);
        InMemoryChatMemoryStore inMemory = new InMemoryChatMemoryStore();
        Owner owner = Owner.user("bench");
        Seeder atlasSeed = (id, count) -> {
            Conversation c = tenant.conversations().ensure(id, NewConversation.of(owner, "bench"));
            try (Connection seed = database.seedConnection("bench_turn")) {
                raw.seed(seed, c.id(), count);
            }
        };
        List<Side> sides = List.of(
                SpringSide.of("Atlas Spring AI adapter", AtlasChatMemoryRepository.of(tenant, owner, "bench"), atlasSeed),
                SpringSide.of("Spring AI JdbcChatMemoryRepository", springJdbc.repository(), springJdbc::seed),
                Lc4jSide.of("Atlas LangChain4j store", AtlasChatMemoryStore.of(tenant, owner, "bench"), atlasSeed),
                Lc4jSide.of("LangChain4j InMemoryChatMemoryStore", inMemory, (id, count) -> {
                    List<ChatMessage> all = new ArrayList<>(count);
                    for (int i = 1; i <= count; i++) {
                        all.add(i % 2 == 1 ? dev.langchain4j.data.message.UserMessage.from(Messages.content(i)) : AiMessage.from(Messages.content(i)));
                    }
                    inMemory.updateMessages(id, all);
                }));
                Map<Side, Map<Integer, String>> ids = new java.util.IdentityHashMap<>();
        for (int si = 0; si < sides.size(); si++) {
            Side side = sides.get(si);
            Map<Integer, String> byLength = new LinkedHashMap<>();
            for (int l : LENGTHS) {
                // Atlas's two adapters share the tenant: distinct keys per side.
                String id = "turn-" + si + "-" + l;
                long t0 = System.nanoTime();
                side.seed(id, l);
                byLength.put(l, id);
                Env.log("%s: %s seeded %,d messages in %.1f s", database.label(), side.name(), l, (System.nanoTime() - t0) / 1e9);
            }
            ids.put(side, byLength);
        }
        if (db.dialect() == dev.atlas.jdbi.internal.Dialect.POSTGRESQL) {
            // As autovacuum would soon after a bulk load (see benchmark 3).
            try (Connection c = db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
                st.execute("ANALYZE");
            }
        }

        Map<Integer, Long> next = new LinkedHashMap<>();
        LENGTHS.forEach(l -> next.put(l, (long) l + 1));
        Map<Side, Map<Integer, Long>> first = new java.util.IdentityHashMap<>();
        for (int w = 0; w < warmup; w++) {
            for (int l : LENGTHS) {
                long n = next.get(l);
                for (Side side : sides) {
                    long t = Stats.time(() -> side.turn(ids.get(side).get(l), n));
                    if (w == 0) {
                        first.computeIfAbsent(side, k -> new LinkedHashMap<>()).put(l, t);
                    }
                }
                next.put(l, n + 2);
            }
        }
        Map<Side, Map<Integer, List<Stats>>> rounds = new java.util.IdentityHashMap<>();
        Map<Side, Map<Integer, List<Stats>>> cpuRounds = new java.util.IdentityHashMap<>();
        for (Side side : sides) {
            Map<Integer, List<Stats>> m = new LinkedHashMap<>();
            Map<Integer, List<Stats>> c = new LinkedHashMap<>();
            LENGTHS.forEach(l -> m.put(l, new ArrayList<>()));
            LENGTHS.forEach(l -> c.put(l, new ArrayList<>()));
            rounds.put(side, m);
            cpuRounds.put(side, c);
        }
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int r = 0; r < ROUNDS; r++) {
            Map<Side, Map<Integer, Stats>> round = new java.util.IdentityHashMap<>();
            Map<Side, Map<Integer, Stats>> cpuRound = new java.util.IdentityHashMap<>();
            for (Side side : sides) {
                Map<Integer, Stats> m = new LinkedHashMap<>();
                Map<Integer, Stats> c = new LinkedHashMap<>();
                LENGTHS.forEach(l -> m.put(l, new Stats()));
                LENGTHS.forEach(l -> c.put(l, new Stats()));
                round.put(side, m);
                cpuRound.put(side, c);
            }
            for (int i = 0; i < turnsPerRound; i++) {
                for (int l : LENGTHS) {
                    long n = next.get(l);
                    // Rotate the order so no side always runs right after the same one.
                    for (int k = 0; k < sides.size(); k++) {
                        Side side = sides.get((i + k) % sides.size());
                        // Wall time, and the CPU time of this thread: on a loaded machine a turn longer than a
                        // scheduler slice waits for the run queue, which wall time shows and CPU time does not.
                        long c0 = threads.getCurrentThreadCpuTime();
                        round.get(side).get(l).add(Stats.time(() -> side.turn(ids.get(side).get(l), n)));
                        cpuRound.get(side).get(l).add(threads.getCurrentThreadCpuTime() - c0);
                    }
                    next.put(l, n + 2);
                }
            }
            for (Side side : sides) {
                for (int l : LENGTHS) {
                    rounds.get(side).get(l).add(round.get(side).get(l));
                    cpuRounds.get(side).get(l).add(cpuRound.get(side).get(l));
                }
            }
            Env.log("%s chat-memory-turn round %d/%d done", database.label(), r + 1, ROUNDS);
        }

        Side atlasSpring = sides.get(0);
        Side jdbc = sides.get(1);
        Side atlasLc4j = sides.get(2);
        Side mem = sides.get(3);
        for (int l : LENGTHS) {
            double as = micros(rounds.get(atlasSpring).get(l));
            double sj = micros(rounds.get(jdbc).get(l));
            double al = micros(rounds.get(atlasLc4j).get(l));
            double im = micros(rounds.get(mem).get(l));
            String at = " turn at " + Fmt.length(l);
            s.figure(Figure.latency(database.label(), atlasSpring.name() + at, as, jdbc.name() + at, sj, UNIT,
                    detail(rounds.get(atlasSpring).get(l), first.get(atlasSpring).get(l)) + "; baseline " + detail(rounds.get(jdbc).get(l), first.get(jdbc).get(l))));
            s.figure(Figure.latency(database.label(), atlasSpring.name() + at, as, mem.name() + at, im, UNIT,
                    "baseline " + detail(rounds.get(mem).get(l), first.get(mem).get(l))));
            s.figure(Figure.latency(database.label(), atlasLc4j.name() + at, al, mem.name() + at, im, UNIT,
                    detail(rounds.get(atlasLc4j).get(l), first.get(atlasLc4j).get(l))));
            s.figure(Figure.latency(database.label(), atlasSpring.name() + at, micros(cpuRounds.get(atlasSpring).get(l)),
                    jdbc.name() + at, micros(cpuRounds.get(jdbc).get(l)), CPU_UNIT, "CPU rounds " + rounds(cpuRounds.get(atlasSpring).get(l))
                            + "; baseline " + rounds(cpuRounds.get(jdbc).get(l))));
            s.figure(Figure.latency(database.label(), atlasLc4j.name() + at, micros(cpuRounds.get(atlasLc4j).get(l)),
                    mem.name() + at, micros(cpuRounds.get(mem).get(l)), CPU_UNIT, "CPU rounds " + rounds(cpuRounds.get(atlasLc4j).get(l))
                            + "; baseline " + rounds(cpuRounds.get(mem).get(l))));
        }

        // Same turns, same windows: each adapter's window equals its framework's own store's, and Atlas kept every message.
        long turns = warmup + (long) ROUNDS * turnsPerRound;
        boolean windowsEqual = true;
        boolean allKept = true;
        for (int l : LENGTHS) {
            windowsEqual &= atlasSpring.window(ids.get(atlasSpring).get(l)).equals(jdbc.window(ids.get(jdbc).get(l)));
            windowsEqual &= atlasLc4j.window(ids.get(atlasLc4j).get(l)).equals(mem.window(ids.get(mem).get(l)));
            for (Side side : List.of(atlasSpring, atlasLc4j)) {
                long stored = tenant.conversations().getByKey(ids.get(side).get(l)).orElseThrow().lastSequence();
                allKept &= stored == l + 2 * turns;
            }
        }
        s.target(new TargetCheck(database.label(), "after the run each Atlas adapter's window equals its framework's own store's,"
                + " at every length", windowsEqual ? "equal" : "different", windowsEqual));
        s.target(new TargetCheck(database.label(), "Atlas adapters append only: each conversation holds N + 2 x " + turns + " turns",
                allKept ? "all kept" : "messages missing", allKept));
        Env.log("%s chat-memory-turn done", database.label());
    }

    static final String UNIT = "µs/turn";
    static final String CPU_UNIT = "µs CPU/turn";

    private static String rounds(List<Stats> rounds) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < rounds.size(); i++) {
            b.append(i == 0 ? "" : " / ").append(Fmt.num(rounds.get(i).medianMillis() * 1000));
        }
        return b.append(" µs").toString();
    }

    private static double micros(List<Stats> rounds) {
        return Stats.median(rounds.stream().mapToDouble(Stats::medianMillis).toArray()) * 1000;
    }

    private static String detail(List<Stats> rounds, long firstNanos) {
        StringBuilder b = new StringBuilder("rounds ");
        for (int i = 0; i < rounds.size(); i++) {
            b.append(i == 0 ? "" : " / ").append(Fmt.num(rounds.get(i).medianMillis() * 1000));
        }
        int n = rounds.stream().mapToInt(Stats::count).sum();
        return b.append(String.format(Locale.ROOT, " µs, p95 %s µs (round 2), n=%d, first turn %s µs",
                Fmt.num(rounds.get(rounds.size() / 2).p95Millis() * 1000), n, Fmt.num(firstNanos / 1e3))).toString();
    }

    private static String lc4jVersion() {
        // LangChain4j's jars carry no Implementation-Version; Maven's pom.properties does.
        try (java.io.InputStream in = ChatMemory.class.getResourceAsStream("/META-INF/maven/dev.langchain4j/langchain4j-core/pom.properties")) {
            java.util.Properties props = new java.util.Properties();
            if (in != null) {
                props.load(in);
            }
            return props.getProperty("version", "(version unknown)");
        } catch (java.io.IOException e) {
            return "(version unknown)";
        }
    }
}
