package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 6, benchmark 7: a retention purge of many archived conversations while one writer keeps
 * appending to another conversation. The writer's latency during the purge is compared with its
 * latency with no purge running, in the same run on the same database.
 */
final class RetentionUnderLoad implements Benchmark {
    static final String TENANT = "bench";
    static final int MESSAGES_PER_CONVERSATION = 10;
    static final long WARMUP_MILLIS = 300;
    /** Rows per transaction while seeding: 200 conversations with their 2,000 messages and 2,000 events. */
    static final int SEED_CHUNK = 200;
    /** SQLite only: the purge repeated with this batch size, to show what sets the writer's worst latency. */
    static final int DIAGNOSTIC_BATCH = 50;

    private static final String INSERT_CONVERSATION = "INSERT INTO atlas_conversations (tenant_id, id, owner_type, owner_id, type, title,"
            + " status, metadata, last_sequence, last_message_at, activity_at, archived_at, created_at, updated_at)"
            + " VALUES (?, ?, 'user', ?, 'user', ?, 'archived', ?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_MESSAGE = "INSERT INTO atlas_messages (tenant_id, id, conversation_id, sequence, role,"
            + " content_type, content, status, is_active, metadata, created_at, updated_at)"
            + " VALUES (?, ?, ?, ?, ?, 'text', ?, 'delivered', TRUE, ?, ?, ?)";

    @Override
    public String id() {
        return "retention-purge";
    }

    @Override
    public String title() {
        return "7. Retention purge of archived conversations while a writer appends";
    }

    @Override
    public Section run(Env env) throws Exception {
        int conversations = env.profile().purgeConversations();
        long baselineMillis = Math.max(1_000, env.profile().concurrentMillis() / 3);
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(90));
        Section s = new Section(this, Fmt.length(conversations) + " conversations archived 200 days ago, " + MESSAGES_PER_CONVERSATION
                + " messages each (with their audit events; seeded with batched raw inserts of the rows appends write), are purged by"
                + " `retention().runRetention(RetentionPolicy.none().purgeArchivedAfter(90 days))` (default batch: "
                + policy.batchSize() + " rows per transaction, a conversation counting its messages and events) while one thread appends to another conversation of the same"
                + " tenant through `conversations().append`, back to back. Baseline: the same writer for " + baselineMillis
                + " ms just before, with no purge running (after a " + WARMUP_MILLIS + " ms warm-up). Ratio = during / baseline."
                + " Afterwards: the report's counts, the rows left in the tables, and the writer's sequences are checked. With fewer"
                + " than 100 appends during the purge, p99 is the worst one. SQLite only, diagnostic: the same run with"
                + " `batchSize(" + DIAGNOSTIC_BATCH + ")` on a fresh database.");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.open("bench_retention")) {
                measure(s, database, db, conversations, baselineMillis, policy, "");
            }
            if (database.dialect() == Dialect.SQLITE) {
                // Diagnostic: the writer waits for the batch that holds SQLite's write lock, so the
                // batch size should set its worst latency.
                try (BenchDatabase.Opened db = database.open("bench_retention_b" + DIAGNOSTIC_BATCH)) {
                    measure(s, database, db, conversations, baselineMillis, policy.batchSize(DIAGNOSTIC_BATCH),
                            " [diagnostic: batch " + DIAGNOSTIC_BATCH + "]");
                }
            }
        }
        return s;
    }

    private void measure(Section s, BenchDatabase database, BenchDatabase.Opened db, int conversations, long baselineMillis,
                         RetentionPolicy policy, String tag) throws Exception {
        String label = database.label();
        Tenant tenant = db.atlas().tenant(TENANT);
        ConversationStore store = tenant.conversations();
        UUID live = store.create(NewConversation.of(Owner.user("writer"), "support").title("Live conversation")).id();

        long s0 = System.nanoTime();
        try (Connection c = database.seedConnection(db.name())) {
            seed(c, db.dialect(), conversations);
        }
        double seedSeconds = (System.nanoTime() - s0) / 1e9;
        if (db.dialect() == Dialect.POSTGRESQL) {
            try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                st.execute("ANALYZE");
            }
        }
        Env.log("%s: seeded %,d archived conversations x %d messages in %.1f s", label, conversations, MESSAGES_PER_CONVERSATION,
                seedSeconds);

        Writer writer = new Writer(store, live);
        Thread thread = new Thread(writer, "bench-retention-writer");
        thread.start();
        RetentionReport report;
        double purgeSeconds;
        try {
            Thread.sleep(WARMUP_MILLIS);
            writer.phase = Writer.BASELINE;
            Thread.sleep(baselineMillis);
            writer.phase = Writer.PURGE;
            long p0 = System.nanoTime();
            report = tenant.retention().runRetention(policy);
            purgeSeconds = (System.nanoTime() - p0) / 1e9;
        } finally {
            writer.phase = Writer.STOP;
            thread.join();
        }

        // What must be gone, and the writer's conversation intact.
        long messagesPurged = (long) conversations * MESSAGES_PER_CONVERSATION;
        List<String> problems = new ArrayList<>();
        expect(problems, "report conversations.deleted", report.count("conversations.deleted"), conversations);
        expect(problems, "report messages.deleted", report.count("messages.deleted"), messagesPurged);
        expect(problems, "report message_events.deleted", report.count("message_events.deleted"), messagesPurged);
        try (Connection c = db.dataSource().getConnection()) {
            expect(problems, "conversations left", count(c, db.dialect(), "SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = ?", null), 1);
            expect(problems, "messages left outside the live conversation", count(c, db.dialect(),
                    "SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = ? AND conversation_id <> ?", live), 0);
            expect(problems, "audit events left outside the live conversation", count(c, db.dialect(),
                    "SELECT COUNT(*) FROM atlas_message_events WHERE tenant_id = ? AND conversation_id <> ?", live), 0);
            if (db.dialect() == Dialect.SQLITE) {
                // the full-text rows follow by trigger: only the live conversation's messages may remain
                expect(problems, "full-text rows of messages", count(c, db.dialect(),
                        "SELECT COUNT(*) FROM atlas_search_keys WHERE tenant_id = ? AND target_type = 'message'", null), writer.ops.get());
            }
        }
        ConcurrentWriters.Run sequences = new ConcurrentWriters.Run(1, List.of(live), db.dataSource());
        sequences.ops.set(writer.ops.get());
        sequences.verify(db.dialect());

        double rate = conversations / purgeSeconds;
        Stats base = writer.baseline;
        Stats during = writer.during;
        s.figure(Figure.latency(label, "writer append during the purge (p99)" + tag, during.quantileMillis(0.99), "writer append, no purge (p99)",
                base.quantileMillis(0.99), "ms", String.format(Locale.ROOT, "median %s vs %s ms; n=%d during, n=%d baseline",
                        Fmt.num(during.medianMillis()), Fmt.num(base.medianMillis()), during.count(), base.count())));
        s.figure(Figure.latency(label, "writer append during the purge (worst)" + tag, during.maxMillis(), "writer append, no purge (worst)",
                base.maxMillis(), "ms", "purge took " + Fmt.num(purgeSeconds) + " s"));
        s.figure(new Figure(label, "purge of " + Fmt.length(conversations) + " conversations, writer running" + tag, rate,
                "seeding the same rows (batched raw inserts, " + SEED_CHUNK + " conversations per transaction)", conversations / seedSeconds,
                "conversations/s", rate / (conversations / seedSeconds),
                Fmt.num(rate * MESSAGES_PER_CONVERSATION) + " messages/s; report " + report.counts()));
        s.target(new TargetCheck(label, "purge removed every purged row (report counts and rows left)" + tag,
                problems.isEmpty() ? "all counts as expected" : String.join("; ", problems), problems.isEmpty()));
        s.target(new TargetCheck(label, "writer during the purge: 0 errors, sequences gapless" + tag,
                writer.errors.get() + " errors, " + sequences.problems.size() + " sequence problems",
                writer.errors.get() == 0 && sequences.problems.isEmpty()));
        problems.forEach(p -> s.note(label + ": " + p));
        sequences.problems.forEach(p -> s.note(label + ", writer: " + p));
        if (writer.firstError != null) {
            s.note(label + ", writer's first error: " + writer.firstError);
        }
        Env.log("%s%s purge: %.0f conversations/s (%.1f s); writer p99 %.2f -> %.2f ms, worst %.2f -> %.2f ms", label, tag, rate, purgeSeconds,
                base.quantileMillis(0.99), during.quantileMillis(0.99), base.maxMillis(), during.maxMillis());
    }

    private static void expect(List<String> problems, String what, long actual, long expected) {
        if (actual != expected) {
            problems.add(what + ": " + actual + ", expected " + expected);
        }
    }

    private static long count(Connection c, Dialect dialect, String sql, UUID conversation) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, TENANT);
            if (conversation != null) {
                dialect.bindUuid(ps, 2, conversation);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Archived conversations with their messages and "created" events: the rows appends and archiving would have written. */
    private static void seed(Connection c, Dialect dialect, int conversations) throws SQLException {
        c.setAutoCommit(false);
        Instant created = Instant.now().minus(Duration.ofDays(300)).truncatedTo(ChronoUnit.MICROS);
        Instant archived = Instant.now().minus(Duration.ofDays(200)).truncatedTo(ChronoUnit.MICROS);
        RawJdbc events = new RawJdbc(null, dialect, TENANT);
        try (PreparedStatement conv = c.prepareStatement(INSERT_CONVERSATION); PreparedStatement msg = c.prepareStatement(INSERT_MESSAGE);
             PreparedStatement evt = c.prepareStatement(RawJdbc.INSERT_EVENT)) {
            for (int i = 0; i < conversations; i++) {
                UUID id = Ids.next();
                Instant last = created.plusSeconds(MESSAGES_PER_CONVERSATION);
                conv.setString(1, TENANT);
                dialect.bindUuid(conv, 2, id);
                conv.setString(3, "u-" + i % 500);
                conv.setString(4, "Archived " + i);
                dialect.bindJson(conv, 5, "{}");
                conv.setLong(6, MESSAGES_PER_CONVERSATION);
                dialect.bindInstant(conv, 7, last);
                dialect.bindInstant(conv, 8, last);
                dialect.bindInstant(conv, 9, archived);
                dialect.bindInstant(conv, 10, created);
                dialect.bindInstant(conv, 11, archived);
                conv.addBatch();
                for (int seq = 1; seq <= MESSAGES_PER_CONVERSATION; seq++) {
                    String role = seq % 2 == 1 ? "user" : "assistant";
                    Instant at = created.plusSeconds(seq);
                    UUID messageId = Ids.next();
                    msg.setString(1, TENANT);
                    dialect.bindUuid(msg, 2, messageId);
                    dialect.bindUuid(msg, 3, id);
                    msg.setLong(4, seq);
                    msg.setString(5, role);
                    msg.setString(6, Messages.content((long) i * MESSAGES_PER_CONVERSATION + seq));
                    dialect.bindJson(msg, 7, "{}");
                    dialect.bindInstant(msg, 8, at);
                    dialect.bindInstant(msg, 9, at);
                    msg.addBatch();
                    events.bindEvent(evt, id, messageId, seq, role, at);
                    evt.addBatch();
                }
                if ((i + 1) % SEED_CHUNK == 0 || i == conversations - 1) {
                    // conversations first: messages reference them
                    conv.executeBatch();
                    msg.executeBatch();
                    evt.executeBatch();
                    c.commit();
                }
            }
        }
    }

    /** Appends back to back; records each append's latency under the phase it started in. */
    static final class Writer implements Runnable {
        static final int WARMUP = 0;
        static final int BASELINE = 1;
        static final int PURGE = 2;
        static final int STOP = 3;

        private final ConversationStore store;
        private final UUID conversation;
        volatile int phase = WARMUP;
        final Stats baseline = new Stats();
        final Stats during = new Stats();
        final AtomicLong ops = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        volatile String firstError;

        Writer(ConversationStore store, UUID conversation) {
            this.store = store;
            this.conversation = conversation;
        }

        @Override
        public void run() {
            long n = 0;
            while (true) {
                int p = phase;
                if (p == STOP) {
                    return;
                }
                long t0 = System.nanoTime();
                try {
                    store.append(conversation, NewMessage.user(Messages.content(++n)));
                    ops.incrementAndGet();
                } catch (RuntimeException e) {
                    if (errors.incrementAndGet() == 1) {
                        firstError = e.toString();
                    }
                    continue;
                }
                long t = System.nanoTime() - t0;
                if (p == BASELINE) {
                    baseline.add(t);
                } else if (p == PURGE) {
                    during.add(t);
                }
            }
        }
    }
}
