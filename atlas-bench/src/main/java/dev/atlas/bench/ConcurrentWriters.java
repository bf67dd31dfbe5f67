package dev.atlas.bench;

import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Benchmark 5 (issues 6 and 17): N concurrent writers (1, 8, 16), each on its own conversation or
 * all on one, Atlas against raw JDBC with one transaction per append (a pool checkout each) and
 * the same raw JDBC behind one fair JVM lock; sides interleaved round by round; every
 * conversation checked gapless afterwards. On SQLite Atlas opens its own pool on the benchmark's
 * file ({@link BenchDatabase#openOwnPool}), so it holds its write connection as applications do.
 */
final class ConcurrentWriters implements Benchmark {
    static final int WRITERS = 8;
    static final int[] WRITER_COUNTS = {1, 8, 16};
    static final int ROUNDS = 3;

    @Override
    public String id() {
        return "concurrent-writers";
    }

    @Override
    public String title() {
        return "5. N concurrent writers (1, 8, 16; own and shared conversation): Atlas vs raw per-append transactions and raw behind a lock";
    }

    private enum SideKind {
        ATLAS("Atlas append"), RAW("raw JDBC, one transaction per append"), RAW_LOCKED("raw JDBC behind one JVM lock");

        final String label;

        SideKind(String label) {
            this.label = label;
        }
    }

    @Override
    public Section run(Env env) throws Exception {
        long millis = Math.max(300, env.profile().concurrentMillis() / ROUNDS);
        Section s = new Section(this, "N threads append back to back, each to its own conversation or all to one. Three sides: Atlas"
                + " `append`; raw JDBC doing the same three statements in one transaction per append on the same pool (a checkout per"
                + " call); the same raw JDBC behind one fair JVM lock (what Atlas does on SQLite). Each configuration runs " + ROUNDS
                + " rounds of " + millis + " ms per side, the sides' order rotating per round (interleaved, so load hits all alike);"
                + " throughput = appends / time, latency per call (p50, p99). Afterwards every conversation of every side is checked:"
                + " sequences exactly 1..n, n equals the counter, one audit event per message, total equals the acknowledged appends."
                + " Pool: " + BenchDatabase.POOL_SIZE + " connections (Atlas's default). On SQLite Atlas runs on its own pool and file,"
                + " as an application opens it (its write connection held, statements prepared once, WAL checkpoints on a background"
                + " thread); the raw sides use the benchmark's pool on another file, with SQLite's default checkpoints.");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.openOwnPool("bench_concurrent")) {
                ConversationStore store = db.atlas().tenant("bench").conversations();
                ConversationStore rawStore = db.rawAtlas().tenant("bench").conversations();
                RawJdbc raw = new RawJdbc(db.dataSource(), db.dialect(), "bench");
                java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock(true);
                for (int writers : WRITER_COUNTS) {
                    for (boolean shared : writers == 1 ? new boolean[] {false} : new boolean[] {false, true}) {
                        int conversations = shared ? 1 : writers;
                        java.util.Map<SideKind, Run> runs = new java.util.EnumMap<>(SideKind.class);
                        for (SideKind k : SideKind.values()) {
                            runs.put(k, new Run(writers, create(k == SideKind.ATLAS ? store : rawStore, k, writers, conversations),
                                    k == SideKind.ATLAS ? db.atlasDataSource() : db.dataSource()));
                        }
                        for (int round = 0; round < ROUNDS; round++) {
                            for (int i = 0; i < SideKind.values().length; i++) {
                                SideKind k = SideKind.values()[(i + round) % SideKind.values().length];
                                Run r = runs.get(k);
                                run(r, millis, switch (k) {
                                    case ATLAS -> (target, n) -> store.append(target, NewMessage.user(Messages.content(n)));
                                    case RAW -> (target, n) -> raw.append(target, "user", Messages.content(n));
                                    case RAW_LOCKED -> (target, n) -> {
                                        lock.lock();
                                        try {
                                            raw.append(target, "user", Messages.content(n));
                                        } finally {
                                            lock.unlock();
                                        }
                                    };
                                });
                            }
                        }
                        String shape = writers + (writers == 1 ? " writer" : " writers") + (shared ? ", 1 shared conversation"
                                : writers == 1 ? "" : ", own conversations");
                        Run atlas = runs.get(SideKind.ATLAS);
                        for (SideKind k : SideKind.values()) {
                            runs.get(k).verify(db.dialect());
                        }
                        for (SideKind k : List.of(SideKind.RAW, SideKind.RAW_LOCKED)) {
                            Run base = runs.get(k);
                            s.figure(Figure.throughput(database.label(), "Atlas, " + shape, atlas.throughput(), k.label, base.throughput(),
                                    "p50/p99 Atlas " + Fmt.num(atlas.latency.medianMillis()) + "/" + Fmt.num(atlas.latency.quantileMillis(0.99))
                                            + " ms, " + k.name().toLowerCase(java.util.Locale.ROOT) + " " + Fmt.num(base.latency.medianMillis()) + "/"
                                            + Fmt.num(base.latency.quantileMillis(0.99)) + " ms; " + atlas.summary() + "; baseline " + base.summary()));
                        }
                        if (database.label().equals("SQLite") && writers == WRITERS && !shared) {
                            double ratio = atlas.throughput() / runs.get(SideKind.RAW).throughput();
                            s.target(new TargetCheck(database.label(), "8 writers: Atlas >= 2x raw per-append transactions (issue 17)",
                                    Fmt.ratio(ratio), ratio >= 2.0));
                        }
                        for (SideKind k : SideKind.values()) {
                            Run r = runs.get(k);
                            s.target(new TargetCheck(database.label(), k.label + ", " + shape + ": 0 errors, sequences gapless",
                                    r.errors.get() + " errors, " + r.problems.size() + " sequence problems",
                                    r.errors.get() == 0 && r.problems.isEmpty()));
                            r.problems.forEach(pr -> s.note(database.label() + ", " + k.label + ", " + shape + ": " + pr));
                            if (r.firstError != null) {
                                s.note(database.label() + ", " + k.label + ", " + shape + ", first error: " + r.firstError);
                            }
                        }
                        if (database.label().equals("SQLite")) {
                            s.note("SQLite, " + shape + ": Atlas's write-ahead log holds " + walFrames(db.atlasDataSource())
                                    + " frames after the run (the combiner copies the rest itself past 8,000)");
                        }
                        Env.log("%s %s: Atlas %.0f/s, raw %.0f/s, raw locked %.0f/s", database.label(), shape, atlas.throughput(),
                                runs.get(SideKind.RAW).throughput(), runs.get(SideKind.RAW_LOCKED).throughput());
                    }
                }
            }
        }
        return s;
    }

    /** Frames in the database's write-ahead log now (a passive checkpoint's second column; it copies what it can). */
    private static int walFrames(javax.sql.DataSource file) throws SQLException {
        try (Connection c = file.getConnection(); java.sql.Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            rs.next();
            return rs.getInt(2);
        }
    }

    private static List<UUID> create(ConversationStore store, SideKind kind, int writers, int conversations) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < conversations; i++) {
            ids.add(store.create(NewConversation.of(Owner.user(kind + "-" + writers + "-" + i))).id());
        }
        return ids;
    }

    /** One append of the side under test. */
    private interface Op {
        void append(UUID conversation, long n);
    }

    private static void run(Run run, long millis, Op op) throws InterruptedException {
        int writers = run.writers;
        List<UUID> ids = run.conversations;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long[] deadline = new long[1];
        for (int w = 0; w < writers; w++) {
            UUID target = ids.get(w % ids.size());
            int writer = w;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                Stats mine = new Stats();
                long n = run.ops.get() + 1;
                while (System.nanoTime() < deadline[0]) {
                    long t0 = System.nanoTime();
                    try {
                        op.append(target, writer * 1_000_000_000L + ++n);
                        mine.add(System.nanoTime() - t0);
                        run.ops.incrementAndGet();
                    } catch (RuntimeException e) {
                        if (run.errors.incrementAndGet() == 1) {
                            run.firstError = e.toString();
                        }
                    }
                }
                run.latency.addAll(mine);
            }, "bench-writer-" + w);
            threads.add(t);
            t.start();
        }
        long t0 = System.nanoTime();
        deadline[0] = t0 + millis * 1_000_000L;
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        run.nanos += System.nanoTime() - t0;
    }

    static final class Run {
        final int writers;
        final List<UUID> conversations;
        /** The database its rows are in. */
        final javax.sql.DataSource file;
        final AtomicLong ops = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final Stats latency = new Stats();
        final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        volatile String firstError;
        long nanos;

        Run(int writers, List<UUID> conversations, javax.sql.DataSource file) {
            this.writers = writers;
            this.conversations = conversations;
            this.file = file;
        }

        String label() {
            return writers + " writer(s), " + conversations.size() + " conversation(s)";
        }

        double throughput() {
            return ops.get() / (nanos / 1e9);
        }

        String summary() {
            return ops.get() + " appends, " + errors.get() + " errors, sequences " + (problems.isEmpty() ? "gapless" : "BROKEN");
        }

        /** Sequences 1..n with n = counter, one audit event per message; the total matches the acknowledged appends. */
        void verify(dev.atlas.jdbi.internal.Dialect dialect) throws SQLException {
            long total = 0;
            try (Connection c = file.getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT c.last_sequence, COUNT(m.id), COUNT(DISTINCT m.sequence),"
                         + " MIN(m.sequence), MAX(m.sequence),"
                         + " (SELECT COUNT(*) FROM atlas_message_events e WHERE e.tenant_id = c.tenant_id AND e.conversation_id = c.id"
                         + "  AND e.type = 'created')"
                         + " FROM atlas_conversations c LEFT JOIN atlas_messages m ON m.tenant_id = c.tenant_id AND m.conversation_id = c.id"
                         + " WHERE c.tenant_id = 'bench' AND c.id = ? GROUP BY c.tenant_id, c.id, c.last_sequence")) {
                for (UUID id : conversations) {
                    dialect.bindUuid(ps, 1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        long counter = rs.getLong(1);
                        long count = rs.getLong(2);
                        long distinct = rs.getLong(3);
                        long min = rs.getLong(4);
                        long max = rs.getLong(5);
                        long events = rs.getLong(6);
                        total += count;
                        if (count > 0 && (min != 1 || max != count || distinct != count || counter != count || events != count)) {
                            problems.add("conversation " + id + ": counter " + counter + ", " + count + " messages, " + distinct
                                    + " distinct sequences " + min + ".." + max + ", " + events + " events");
                        }
                    }
                }
            }
            if (total != ops.get()) {
                problems.add(ops.get() + " appends acknowledged but " + total + " messages stored");
            }
        }
    }
}
