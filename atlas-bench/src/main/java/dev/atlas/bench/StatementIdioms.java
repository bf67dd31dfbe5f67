package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.Owner;
import dev.atlas.conversation.NewConversation;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.JsonDoc;
import dev.atlas.jdbi.internal.SearchText;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.sqlobject.SqlObjectPlugin;
import org.jdbi.v3.sqlobject.customizer.Bind;
import org.jdbi.v3.sqlobject.statement.SqlQuery;
import org.jdbi.v3.sqlobject.statement.SqlUpdate;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.function.LongConsumer;

/**
 * Issue 14, benchmark 11: the three statements of an append (counter update with RETURNING,
 * message insert, "created" event) written in each SQL idiom Atlas could use, on the same pool and
 * database, interleaved call by call: hand-written JDBC (a pool checkout and fresh prepared
 * statements per call, the baseline), Atlas's statement runner ({@code dev.atlas.jdbi.internal.sql}),
 * Jdbi's fluent API, and Jdbi SqlObject interfaces (the design card's {@code jdbi3-sqlobject}). The
 * held-connection ceiling is the fifth side; the sixth runs raw JDBC statements inside the same Jdbi
 * transaction the runner uses, so the runner's own cost is separated from Jdbi's handle and transaction. Only the idiom differs: every side runs in one
 * transaction on a pooled connection, without Atlas's validation or mapping.
 */
final class StatementIdioms implements Benchmark {
    @Override
    public String id() {
        return "statement-idioms";
    }

    @Override
    public String title() {
        return "11. Statement idioms: the runner vs raw JDBC, Jdbi fluent and Jdbi SqlObject";
    }

    /** The append's statements as a SqlObject interface. */
    public interface AppendDao {
        @SqlQuery("UPDATE <p>conversations SET last_sequence = last_sequence + 1, last_message_at = :now, activity_at = :now,"
                + " updated_at = :now, title = COALESCE(title, :autoTitle), status = CASE WHEN status = 'archived' THEN 'open' ELSE status END"
                + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL AND status != 'closed' RETURNING last_sequence")
        long next(@Bind("t") String tenant, @Bind("id") UUID id, @Bind("now") Instant now, @Bind("autoTitle") String title);

        @SqlUpdate("INSERT INTO <p>messages (tenant_id, id, conversation_id, sequence, role, content_type, content, status,"
                + " is_active, metadata, created_at, updated_at, search_text) VALUES (:t, :id, :c, :seq, :role, 'text',"
                + " :content, 'delivered', TRUE, :metadata, :now, :now, :searchText)")
        void message(@Bind("t") String tenant, @Bind("id") UUID id, @Bind("c") UUID conversation, @Bind("seq") long seq,
                     @Bind("role") String role, @Bind("content") String content, @Bind("metadata") JsonDoc metadata,
                     @Bind("now") Instant now, @Bind("searchText") String searchText);

        @SqlUpdate("INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type, details, created_at)"
                + " VALUES (:t, :id, :c, :m, 'created', :details, :now)")
        void event(@Bind("t") String tenant, @Bind("id") UUID id, @Bind("c") UUID conversation, @Bind("m") UUID message,
                   @Bind("details") JsonDoc details, @Bind("now") Instant now);
    }

    /** The same statements declared in a catalogue, as a store declares them. */
    static final class AppendSql {
        final Statement next;
        final Statement message;
        final Statement event;

        AppendSql(Catalogue c) {
            next = c.sql("bench.next", "UPDATE <p>conversations SET last_sequence = last_sequence + 1, last_message_at = :now,"
                    + " activity_at = :now, updated_at = :now, title = COALESCE(title, :autoTitle),"
                    + " status = CASE WHEN status = 'archived' THEN 'open' ELSE status END"
                    + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL AND status != 'closed' RETURNING last_sequence");
            message = c.sql("bench.message", "INSERT INTO <p>messages (tenant_id, id, conversation_id, sequence, role, content_type,"
                    + " content, status, is_active, metadata, created_at, updated_at, search_text) VALUES (:t, :id, :c, :seq, :role, 'text',"
                    + " :content, 'delivered', TRUE, :metadata, :now, :now, :searchText)");
            event = c.sql("bench.event", "INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type, details,"
                    + " created_at) VALUES (:t, :id, :c, :m, 'created', :details, :now)");
        }
    }

    @Override
    public Section run(Env env) throws Exception {
        Profile p = env.profile();
        Section s = new Section(this, "The three statements of a plain append in four idioms on Atlas's own pool and Jdbi, plus the"
                + " held-connection ceiling; interleaved call by call (rotating order) for " + (p.roundMillis() * p.rounds() * 6 / 1000.0)
                + " s after a warm-up (then, on PostgreSQL, ANALYZE, as autovacuum has run on any database in use); throughput = calls / time spent in that side's calls. Decides issue 14's question: SqlObject"
                + " interfaces as the statement catalogue, or the plain-JDBC runner.");
        for (BenchDatabase database : env.databases()) {
            try (BenchDatabase.Opened db = database.open("bench_idioms");
                 RawJdbc.Held heldRaw = new RawJdbc(db.dataSource(), db.dialect(), "bench").held()) {
                var store = db.atlas().tenant("bench").conversations();
                UUID[] conversations = new UUID[6];
                for (int i = 0; i < conversations.length; i++) {
                    conversations[i] = store.create(NewConversation.of(Owner.user("side-" + i))).id();
                }
                Db atlasDb = ((JdbiAtlas) db.atlas()).db();
                Jdbi jdbi = BenchJdbi.of(atlasDb);
                jdbi.installPlugin(new SqlObjectPlugin());
                RawJdbc raw = new RawJdbc(db.dataSource(), db.dialect(), "bench");
                PlainJdbi fluent = new PlainJdbi(db, "bench");
                AppendSql q = new AppendSql(new Catalogue(atlasDb.dialect(), atlasDb.prefix()));
                Sql sql = new Sql(atlasDb, new TenantId("bench"));

                LongConsumer rawSide = n -> raw.append(conversations[0], "user", Messages.content(n));
                LongConsumer runnerSide = n -> jdbi.inTransaction(h -> {
                    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
                    String content = Messages.content(n);
                    UUID id = Ids.next();
                    long seq = sql.on(h.getConnection(), q.next).bind("id", conversations[1]).bind("now", now).bind("autoTitle", title(content)).one(Sql.LONG);
                    sql.on(h.getConnection(), q.message).bind("id", id).bind("c", conversations[1]).bind("seq", seq).bind("role", "user")
                            .bind("content", content).bind("metadata", new JsonDoc("{}")).bind("now", now)
                            .bind("searchText", SearchText.index(content)).update();
                    sql.on(h.getConnection(), q.event).bind("id", Ids.next()).bind("c", conversations[1]).bind("m", id)
                            .bind("details", details(seq)).bind("now", now).update();
                    return seq;
                });
                LongConsumer fluentSide = n -> fluent.append(conversations[2], "user", Messages.content(n));
                LongConsumer sqlObjectSide = n -> jdbi.inTransaction(h -> {
                    AppendDao dao = h.attach(AppendDao.class);
                    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
                    String content = Messages.content(n);
                    UUID id = Ids.next();
                    long seq = dao.next("bench", conversations[3], now, title(content));
                    dao.message("bench", id, conversations[3], seq, "user", content, new JsonDoc("{}"), now, SearchText.index(content));
                    dao.event("bench", Ids.next(), conversations[3], id, details(seq), now);
                    return seq;
                });
                LongConsumer heldSide = n -> heldRaw.append(conversations[4], "user", Messages.content(n));
                LongConsumer rawInTransactionSide = n -> fluent.rawInJdbiTransaction(conversations[5], "user", Messages.content(n));

                List<AppendVsRawJdbc.Side> sides = List.of(new AppendVsRawJdbc.Side(), new AppendVsRawJdbc.Side(),
                        new AppendVsRawJdbc.Side(), new AppendVsRawJdbc.Side(), new AppendVsRawJdbc.Side(), new AppendVsRawJdbc.Side());
                List<LongConsumer> ops = List.of(rawSide, runnerSide, fluentSide, sqlObjectSide, heldSide, rawInTransactionSide);
                AppendVsRawJdbc.Side.interleave(sides, ops, p.roundMillis() * sides.size(), false);
                db.analyze();
                AppendVsRawJdbc.Side.interleave(sides, ops, p.roundMillis() * p.rounds() * sides.size(), true);
                String[] names = {"raw JDBC, pool checkout per call", "statement runner", "Jdbi fluent", "Jdbi SqlObject",
                        "raw JDBC, held connection, prepared once", "raw JDBC statements inside a Jdbi transaction"};
                for (int i = 1; i < names.length; i++) {
                    AppendVsRawJdbc.Side side = sides.get(i);
                    s.figure(Figure.throughput(database.label(), names[i], side.throughput(), names[0], sides.get(0).throughput(),
                            "median " + Fmt.num(side.latency.medianMillis()) + " ms"));
                }
                s.figure(Figure.throughput(database.label(), names[1], sides.get(1).throughput(), names[5], sides.get(5).throughput(),
                        "the runner's own cost: both run in the same Jdbi transaction"));
                double runnerVsSqlObject = sides.get(1).throughput() / sides.get(3).throughput();
                s.figure(Figure.throughput(database.label(), names[1], sides.get(1).throughput(), names[3], sides.get(3).throughput(),
                        "the runner over SqlObject"));
                s.target(new TargetCheck(database.label(), "runner >= 0.8x raw JDBC (issue 14's append target for the catalogue idiom)",
                        Fmt.ratio(sides.get(1).throughput() / sides.get(0).throughput()),
                        sides.get(1).throughput() / sides.get(0).throughput() >= 0.8));
                s.target(new TargetCheck(database.label(), "SqlObject >= 0.8x raw JDBC",
                        Fmt.ratio(sides.get(3).throughput() / sides.get(0).throughput()),
                        sides.get(3).throughput() / sides.get(0).throughput() >= 0.8));
                Env.log("%s idioms: runner/raw-in-tx %.2f", database.label(), sides.get(1).throughput() / sides.get(5).throughput());
                Env.log("%s idioms: runner/raw %.2f, fluent/raw %.2f, sqlobject/raw %.2f, runner/sqlobject %.2f", database.label(),
                        sides.get(1).throughput() / sides.get(0).throughput(), sides.get(2).throughput() / sides.get(0).throughput(),
                        sides.get(3).throughput() / sides.get(0).throughput(), runnerVsSqlObject);
            }
        }
        return s;
    }

    private static String title(String content) {
        return content.length() > 80 ? content.substring(0, 80) : content;
    }

    private static JsonDoc details(long seq) {
        return new JsonDoc("{\"sequence\":" + seq + ",\"role\":\"user\",\"status\":\"delivered\"}");
    }
}
