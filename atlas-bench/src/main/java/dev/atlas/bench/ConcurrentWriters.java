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

/** Issue 6, benchmark 5: 8 concurrent writers on one conversation and on 8 conversations; sequences checked afterwards. */
final class ConcurrentWriters implements Benchmark {
    static final int WRITERS = 8;

    @Override
    public String id() {
        return "concurrent-writers";
    }

    @Override
    public String title() {
        return "5. 8 concurrent writers: one conversation and 8 conversations";
    }

    @Override
    public Section run(Env env) throws Exception {
        long millis = env.profile().concurrentMillis();
        Section s = new Section(this, WRITERS + " threads append for " + millis + " ms, all to one conversation, then each to its own;"
                + " baseline: 1 thread appending for the same time, same database. Afterwards every conversation is checked: messages"
                + " have sequences exactly 1..n, n equals the conversation's counter, and every message has its audit event. Pool: "
                + BenchDatabase.POOL_SIZE + " connections (Atlas's default).");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.open("bench_concurrent")) {
                ConversationStore store = db.atlas().tenant("bench").conversations();
                Run single = run(store, 1, 1, millis);
                Run shared = run(store, WRITERS, 1, millis);
                Run separate = run(store, WRITERS, WRITERS, millis);
                for (Run r : List.of(single, shared, separate)) {
                    r.verify(db);
                }
                s.figure(Figure.throughput(database.label(), WRITERS + " writers, 1 conversation", shared.throughput(),
                        "1 writer", single.throughput(), shared.summary()));
                s.figure(Figure.throughput(database.label(), WRITERS + " writers, " + WRITERS + " conversations", separate.throughput(),
                        "1 writer", single.throughput(), separate.summary()));
                for (Run r : List.of(single, shared, separate)) {
                    s.target(new TargetCheck(database.label(), r.label() + ": 0 errors, sequences gapless",
                            r.errors.get() + " errors, " + r.problems.size() + " sequence problems", r.errors.get() == 0 && r.problems.isEmpty()));
                    r.problems.forEach(pr -> s.note(database.label() + ", " + r.label() + ": " + pr));
                    if (r.firstError != null) {
                        s.note(database.label() + ", " + r.label() + ", first error: " + r.firstError);
                    }
                }
                Env.log("%s concurrent: 1w %.0f/s, 8w/1c %.0f/s, 8w/8c %.0f/s", database.label(), single.throughput(),
                        shared.throughput(), separate.throughput());
            }
        }
        return s;
    }

    private static Run run(ConversationStore store, int writers, int conversations, long millis) throws InterruptedException {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < conversations; i++) {
            ids.add(store.create(NewConversation.of(Owner.user("w" + writers + "-" + i))).id());
        }
        Run run = new Run(writers, ids);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        long[] deadline = new long[1];
        for (int w = 0; w < writers; w++) {
            UUID target = ids.get(w % conversations);
            int writer = w;
            Thread t = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                long n = 0;
                while (System.nanoTime() < deadline[0]) {
                    try {
                        store.append(target, NewMessage.user(Messages.content(writer * 1_000_000_000L + ++n)));
                        run.ops.incrementAndGet();
                    } catch (RuntimeException e) {
                        if (run.errors.incrementAndGet() == 1) {
                            run.firstError = e.toString();
                        }
                    }
                }
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
        run.nanos = System.nanoTime() - t0;
        return run;
    }

    static final class Run {
        final int writers;
        final List<UUID> conversations;
        final AtomicLong ops = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        volatile String firstError;
        long nanos;

        Run(int writers, List<UUID> conversations) {
            this.writers = writers;
            this.conversations = conversations;
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
        void verify(BenchDatabase.Opened db) throws SQLException {
            long total = 0;
            try (Connection c = db.dataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("SELECT c.last_sequence, COUNT(m.id), COUNT(DISTINCT m.sequence),"
                         + " MIN(m.sequence), MAX(m.sequence),"
                         + " (SELECT COUNT(*) FROM atlas_message_events e WHERE e.tenant_id = c.tenant_id AND e.conversation_id = c.id"
                         + "  AND e.type = 'created')"
                         + " FROM atlas_conversations c LEFT JOIN atlas_messages m ON m.tenant_id = c.tenant_id AND m.conversation_id = c.id"
                         + " WHERE c.tenant_id = 'bench' AND c.id = ? GROUP BY c.tenant_id, c.id, c.last_sequence")) {
                for (UUID id : conversations) {
                    db.dialect().bindUuid(ps, 1, id);
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
