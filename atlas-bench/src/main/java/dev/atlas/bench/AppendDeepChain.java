package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An answer's append (with {@code parent}) at the end of a linear chain 100, 1,000 and 10,000
 * messages deep, against a raw JDBC append in the same run: whether what an append reads about
 * its parent grows with the depth of the conversation.
 */
final class AppendDeepChain implements Benchmark {
    static final List<Integer> DEPTHS = List.of(100, 1_000, 10_000);
    static final int RUNS = 3;
    static final int APPENDS_PER_RUN = 100;
    private static final String P = RawJdbc.PREFIX;

    @Override
    public String id() {
        return "append-deep-chain";
    }

    @Override
    public String title() {
        return "Append with parent at the end of a deep linear chain: Atlas vs raw JDBC";
    }

    @Override
    public Section run(Env env) throws Exception {
        Section s = new Section(this, "Each chain is seeded with batched raw inserts (messages alternating user/assistant, each answering"
                + " the one before, counter moved to match). Then " + RUNS + " runs; in each, " + APPENDS_PER_RUN + " Atlas appends per depth"
                + " answering the chain's last message (so the chain grows), interleaved with a raw JDBC append (counter, message, event;"
                + " no parent) to another conversation. Figure: median over the runs of (Atlas median / raw median).");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.open("bench_deep_chain")) {
                ConversationStore store = db.atlas().tenant(LongConversations.TENANT).conversations();
                RawJdbc raw = new RawJdbc(db.dataSource(), db.dialect(), LongConversations.TENANT);
                UUID rawConversation = store.create(NewConversation.of(Owner.user("raw"))).id();
                Map<Integer, UUID> conversations = new LinkedHashMap<>();
                Map<Integer, UUID> leaves = new LinkedHashMap<>();
                for (int depth : DEPTHS) {
                    UUID c = store.create(NewConversation.of(Owner.user("deep-" + depth))).id();
                    try (Connection seed = database.seedConnection("bench_deep_chain")) {
                        leaves.put(depth, seedChain(seed, db, c, depth));
                    }
                    conversations.put(depth, c);
                }
                db.analyze();
                long n = 0;
                Map<Integer, double[]> ratios = new LinkedHashMap<>();
                Map<Integer, double[]> atlasMedians = new LinkedHashMap<>();
                DEPTHS.forEach(d -> { ratios.put(d, new double[RUNS]); atlasMedians.put(d, new double[RUNS]); });
                for (int run = -1; run < RUNS; run++) {
                    for (int depth : DEPTHS) {
                        Stats atlas = new Stats();
                        Stats jdbc = new Stats();
                        for (int i = 0; i < APPENDS_PER_RUN; i++) {
                            long k = ++n;
                            UUID parent = leaves.get(depth);
                            NewMessage m = k % 2 == 0 ? NewMessage.assistant(Messages.content(k)).parent(parent)
                                    : NewMessage.user(Messages.content(k)).parent(parent);
                            UUID[] added = new UUID[1];
                            atlas.add(Stats.time(() -> added[0] = store.append(conversations.get(depth), m).id()));
                            leaves.put(depth, added[0]);
                            jdbc.add(Stats.time(() -> raw.append(rawConversation, "user", Messages.content(k))));
                        }
                        if (run >= 0) {
                            ratios.get(depth)[run] = atlas.medianMillis() / jdbc.medianMillis();
                            atlasMedians.get(depth)[run] = atlas.medianMillis();
                        }
                    }
                }
                for (int depth : DEPTHS) {
                    double ratio = Stats.median(ratios.get(depth));
                    double ms = Stats.median(atlasMedians.get(depth));
                    s.figure(Figure.latency(database.label(), "Atlas append with parent, chain " + Fmt.length(depth) + " deep", ratio,
                            "raw JDBC append", 1.0, "x raw (median of " + RUNS + " runs)", "Atlas median " + Fmt.num(ms) + " ms"));
                    Env.log("%s deep chain %,d: Atlas/raw %.2fx (median of %d), Atlas %.3f ms", database.label(), depth, ratio, RUNS, ms);
                }
            }
        }
        return s;
    }

    /** A linear chain of {@code depth} messages, each answering the one before; returns the last one's id. */
    private static UUID seedChain(Connection c, BenchDatabase.Opened db, UUID conversationId, int depth) throws Exception {
        var d = db.dialect();
        c.setAutoCommit(false);
        Instant start = Instant.now().minusSeconds(depth).truncatedTo(ChronoUnit.MICROS);
        UUID parent = null;
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + P + "messages (tenant_id, id, conversation_id, sequence, role,"
                + " content_type, content, status, is_active, metadata, created_at, updated_at, parent_id)"
                + " VALUES (?, ?, ?, ?, ?, 'text', ?, 'delivered', TRUE, ?, ?, ?, ?)")) {
            for (int seq = 1; seq <= depth; seq++) {
                UUID id = Ids.next();
                Instant at = start.plus(seq, ChronoUnit.MILLIS);
                int i = 1;
                ps.setString(i++, LongConversations.TENANT);
                d.bindUuid(ps, i++, id);
                d.bindUuid(ps, i++, conversationId);
                ps.setLong(i++, seq);
                ps.setString(i++, seq % 2 == 1 ? "user" : "assistant");
                ps.setString(i++, Messages.content(seq));
                d.bindJson(ps, i++, "{}");
                d.bindInstant(ps, i++, at);
                d.bindInstant(ps, i++, at);
                if (parent == null) {
                    ps.setNull(i, d == dev.atlas.jdbi.internal.Dialect.SQLITE ? java.sql.Types.VARCHAR : java.sql.Types.OTHER);
                } else {
                    d.bindUuid(ps, i, parent);
                }
                ps.addBatch();
                parent = id;
            }
            ps.executeBatch();
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + P + "conversations SET last_sequence = ? WHERE tenant_id = ? AND id = ?")) {
            ps.setLong(1, depth);
            ps.setString(2, LongConversations.TENANT);
            d.bindUuid(ps, 3, conversationId);
            ps.executeUpdate();
        }
        c.commit();
        return parent;
    }
}
