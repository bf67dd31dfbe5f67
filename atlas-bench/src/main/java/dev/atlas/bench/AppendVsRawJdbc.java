package dev.atlas.bench;

import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.internal.Dialect;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.function.LongConsumer;

/** Issue 6, benchmark 1: one append through Atlas against the same rows written by hand-written JDBC. */
final class AppendVsRawJdbc implements Benchmark {
    static final double TARGET = 0.8;

    @Override
    public String id() {
        return "append-vs-jdbc";
    }

    @Override
    public String title() {
        return "1. Append one message: Atlas vs raw JDBC";
    }

    @Override
    public Section run(Env env) throws Exception {
        Profile p = env.profile();
        Section s = new Section(this, "Single-threaded appends of a ~120-character user message. Baseline: hand-written JDBC"
                + " (prepared statements, one transaction) doing the same work: counter update with RETURNING, message insert,"
                + " \"created\" audit-event insert, with the same settings (on SQLite Atlas runs on its own pool and file, as an application opens it, so its write connection is held, its statements prepared once and its WAL checkpoints run on a background thread; the raw sides use the benchmark's pool on another file, with SQLite's default checkpoints on the committing connection). Two diagnostic sides split the gap:"
                + " the same three statements through Atlas's configured Jdbi without Atlas's logic, and the raw JDBC statements"
                + " inside a Jdbi transaction. A fifth side is the ceiling (issue 17): raw JDBC on one connection held for the whole run,"
                + " the three statements prepared once (on SQLite with explicit BEGIN IMMEDIATE / COMMIT); on PostgreSQL a sixth side holds"
                + " a connection too and sends the append as one statement in auto-commit mode (a data-modifying WITH, one round trip), as"
                + " Atlas does for a plain message there, and the ceiling is the faster of the two. The sides run interleaved call by call"
                + " (rotating order) for " + (p.roundMillis() * p.rounds() / 1000.0) + " s per side after a warm-up (then, on PostgreSQL, ANALYZE, as autovacuum has run on any database in use: plans cached while the tables were empty would otherwise slow every side alike); throughput = calls / time spent in that side's calls.");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.openOwnPool("bench_append");
                 RawJdbc.Held heldRaw = new RawJdbc(db.dataSource(), db.dialect(), "bench").held();
                 RawJdbc.Held heldOne = db.dialect() == Dialect.POSTGRESQL
                         ? new RawJdbc(db.dataSource(), db.dialect(), "bench").heldOneStatement() : null) {
                ConversationStore store = db.atlas().tenant("bench").conversations();
                ConversationStore rawStore = db.rawAtlas().tenant("bench").conversations();
                UUID atlasConversation = store.create(NewConversation.of(Owner.user("atlas"))).id();
                UUID rawConversation = rawStore.create(NewConversation.of(Owner.user("raw"))).id();
                UUID jdbiConversation = rawStore.create(NewConversation.of(Owner.user("jdbi"))).id();
                UUID handleConversation = rawStore.create(NewConversation.of(Owner.user("handle"))).id();
                UUID heldConversation = rawStore.create(NewConversation.of(Owner.user("held"))).id();
                UUID heldOneConversation = rawStore.create(NewConversation.of(Owner.user("held-one"))).id();
                RawJdbc raw = new RawJdbc(db.dataSource(), db.dialect(), "bench");
                PlainJdbi plain = new PlainJdbi(db, "bench");
                LongConsumer atlasAppend = n -> store.append(atlasConversation, NewMessage.user(Messages.content(n)));
                LongConsumer rawAppend = n -> raw.append(rawConversation, "user", Messages.content(n));
                LongConsumer jdbiAppend = n -> plain.append(jdbiConversation, "user", Messages.content(n));
                LongConsumer handleAppend = n -> plain.rawInJdbiTransaction(handleConversation, "user", Messages.content(n));
                LongConsumer heldAppend = n -> heldRaw.append(heldConversation, "user", Messages.content(n));

                Side atlas = new Side();
                Side jdbc = new Side();
                Side jdbi = new Side();
                Side handle = new Side();
                Side held = new Side();
                Side heldOneSide = new Side();
                List<Side> sides = new java.util.ArrayList<>(List.of(atlas, jdbc, jdbi, handle, held));
                List<LongConsumer> ops = new java.util.ArrayList<>(List.of(atlasAppend, rawAppend, jdbiAppend, handleAppend, heldAppend));
                if (heldOne != null) {
                    sides.add(heldOneSide);
                    ops.add(n -> heldOne.append(heldOneConversation, "user", Messages.content(n)));
                }
                Side.interleave(sides, ops, p.roundMillis() * sides.size(), false);
                db.analyze();
                Side.interleave(sides, ops, p.roundMillis() * p.rounds() * sides.size(), true);
                double ratio = atlas.throughput() / jdbc.throughput();
                s.figure(Figure.throughput(database.label(), "Atlas append", atlas.throughput(), "raw JDBC append", jdbc.throughput(),
                        "Atlas median " + Fmt.num(atlas.latency.medianMillis()) + " ms, raw median " + Fmt.num(jdbc.latency.medianMillis())
                                + " ms"));
                s.figure(Figure.throughput(database.label(), "diagnostic: same 3 statements through Atlas's Jdbi, no Atlas logic",
                        jdbi.throughput(), "raw JDBC append", jdbc.throughput(), "median " + Fmt.num(jdbi.latency.medianMillis()) + " ms"));
                s.figure(Figure.throughput(database.label(), "diagnostic: raw JDBC statements inside a Jdbi transaction",
                        handle.throughput(), "raw JDBC append", jdbc.throughput(), "Jdbi handle and transaction management only; median "
                                + Fmt.num(handle.latency.medianMillis()) + " ms"));
                s.figure(Figure.throughput(database.label(), "Atlas append", atlas.throughput(),
                        "diagnostic: same 3 statements through Atlas's Jdbi", jdbi.throughput(), "cost of Atlas's own logic over Jdbi"));
                // The ceiling is the faster way raw JDBC can write these rows: on PostgreSQL also one statement.
                double ceilingThroughput = heldOne == null ? held.throughput() : Math.max(held.throughput(), heldOneSide.throughput());
                double ceiling = atlas.throughput() / ceilingThroughput;
                if (heldOne != null) {
                    s.figure(Figure.throughput(database.label(), "Atlas append", atlas.throughput(),
                            "ceiling: raw JDBC on one held connection, the append as one statement (auto-commit)", heldOneSide.throughput(),
                            "medians: Atlas " + Fmt.num(atlas.latency.medianMillis()) + " ms, raw held one statement "
                                    + Fmt.num(heldOneSide.latency.medianMillis()) + " ms; Atlas sends a plain append as this one statement too"));
                }
                s.figure(Figure.throughput(database.label(), "Atlas append", atlas.throughput(),
                        "ceiling: raw JDBC on one held connection, statements prepared once", held.throughput(),
                        "medians: Atlas " + Fmt.num(atlas.latency.medianMillis()) + " ms, raw held " + Fmt.num(held.latency.medianMillis())
                                + " ms (" + Fmt.ratio(held.latency.medianMillis() / atlas.latency.medianMillis()) + ")" + (database.label().equals("SQLite")
                                ? "; explicit BEGIN IMMEDIATE / COMMIT" : "")));
                s.target(new TargetCheck(database.label(), "Atlas >= " + TARGET + "x raw JDBC throughput", Fmt.ratio(ratio), ratio >= TARGET));
                s.target(new TargetCheck(database.label(), "Atlas >= 0.9x the held-connection ceiling (issue 17; the faster of the held sides)", Fmt.ratio(ceiling),
                        ceiling >= 0.9));
                s.note(database.label() + ": " + sameRows(db, atlasConversation, rawConversation, jdbiConversation, handleConversation)
                        + "; held connection " + java.util.Arrays.toString(counts(db, heldConversation))
                        + (heldOne == null ? "" : "; held, one statement " + java.util.Arrays.toString(counts(db, heldOneConversation))));
                Env.log("%s append: Atlas %.0f/s, raw %.0f/s, %.2fx", database.label(), atlas.throughput(), jdbc.throughput(), ratio);
            }
        }
        return s;
    }

    /** Every side must have written one message and one event per append, nothing else. */
    private static String sameRows(BenchDatabase.Opened db, UUID atlas, UUID raw, UUID jdbi, UUID handle) throws SQLException {
        long[] a = counts(db.atlasDataSource(), db, atlas);
        long[] r = counts(db, raw);
        long[] j = counts(db, jdbi);
        long[] h = counts(db, handle);
        boolean ok = consistent(a) && consistent(r) && consistent(j) && consistent(h);
        return (ok ? "row check passed" : "ROW CHECK FAILED") + " (appends/messages/events: Atlas " + a[0] + "/" + a[1] + "/" + a[2]
                + ", raw JDBC " + r[0] + "/" + r[1] + "/" + r[2] + ", Jdbi statements " + j[0] + "/" + j[1] + "/" + j[2]
                + ", raw in Jdbi transaction " + h[0] + "/" + h[1] + "/" + h[2] + ")";
    }

    private static boolean consistent(long[] c) {
        return c[0] == c[1] && c[1] == c[2];
    }

    private static long[] counts(BenchDatabase.Opened db, UUID conversation) throws SQLException {
        return counts(db.dataSource(), db, conversation);
    }

    private static long[] counts(javax.sql.DataSource file, BenchDatabase.Opened db, UUID conversation) throws SQLException {
        try (Connection c = file.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT c.last_sequence,"
                     + " (SELECT COUNT(*) FROM atlas_messages m WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id),"
                     + " (SELECT COUNT(*) FROM atlas_message_events e WHERE e.tenant_id = c.tenant_id AND e.conversation_id = c.id)"
                     + " FROM atlas_conversations c WHERE c.tenant_id = 'bench' AND c.id = ?")) {
            db.dialect().bindUuid(ps, 1, conversation);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        }
    }

    /** The appends of one side: every call timed, sides interleaved call by call. */
    static final class Side {
        final Stats latency = new Stats();
        long ops;
        long nanos;

        /**
         * Runs one call of each side in turn, rotating which goes first, until {@code millis} pass.
         * Call-by-call interleaving gives every side the same share of whatever else the machine is doing.
         */
        static void interleave(List<Side> sides, List<LongConsumer> ops, long millis, boolean timed) {
            long deadline = System.nanoTime() + millis * 1_000_000L;
            long n = 0;
            while (System.nanoTime() < deadline) {
                n++;
                for (int i = 0; i < sides.size(); i++) {
                    int k = (int) ((i + n) % sides.size());
                    long t0 = System.nanoTime();
                    ops.get(k).accept(n);
                    long dt = System.nanoTime() - t0;
                    if (timed) {
                        Side side = sides.get(k);
                        side.latency.add(dt);
                        side.ops++;
                        side.nanos += dt;
                    }
                }
            }
        }

        /** Appends per second of time spent in this side's calls. */
        double throughput() {
            return ops / (nanos / 1e9);
        }
    }
}
