package dev.atlas.bench;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.UsageGroup;
import dev.atlas.graph.Direction;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.task.NewTask;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.IntSupplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Scale probe: the per-call time of the common public reads at a small table (1k rows of the
 * tenant, 10k of another tenant) and a large one (100k and 100k), each next to its raw ceiling in
 * the same run. The ceiling is the exact statements Atlas sent for that call (captured once on
 * the JDBC connection, with their parameters), replayed by raw JDBC on one held connection,
 * prepared once, every row and column read. A call whose time grows with the table (beyond the
 * log n of an index) is a defect.
 */
final class ScaleProbe implements Benchmark {
    static final int SMALL_TENANT = Integer.getInteger("bench.scale.small", 1_000);
    static final int SMALL_OTHERS = Integer.getInteger("bench.scale.smallOthers", 10_000);
    static final int LARGE_TENANT = Integer.getInteger("bench.scale.large", 100_000);
    static final int LARGE_OTHERS = Integer.getInteger("bench.scale.largeOthers", 100_000);
    static final int RUNS = 3;
    static final int WARMUP = 5;
    static final int CALLS = 30;
    /** Exact semantic search reads every vector of the tenant (about 1 s per call at 100k on PostgreSQL): fewer calls. */
    static final int SEMANTIC_CALLS = 10;
    static final int PAGE = 50;
    static final int DIMENSION = 64;
    static final String MODEL = "probe-embed";
    static final String[] READS = {"history page", "conversations list page", "executions list page", "memory full-text search",
            "memory semantic search (exact)", "task claim", "usage report (1 min window)", "graph neighbours page"};

    @Override
    public String id() {
        return "scale-probe";
    }

    @Override
    public String title() {
        return "16. Scale probe: common reads at 1k / 100k rows against the raw ceiling";
    }

    @Override
    public Section run(Env env) throws Exception {
        Section s = new Section(this, "Each read on a database where the tenant holds " + Fmt.length(SMALL_TENANT) + " rows of the"
                + " read's table and another tenant " + Fmt.length(SMALL_OTHERS) + " (small), and on one where they hold "
                + Fmt.length(LARGE_TENANT) + " and " + Fmt.length(LARGE_OTHERS) + " (large). Rows are cloned by INSERT .. SELECT from"
                + " rows Atlas wrote (same columns, own ids, timestamps spread one second apart; on PostgreSQL VACUUM ANALYZE after seeding,"
                + " as autovacuum would). Ceiling: the statements Atlas sent"
                + " for the call, captured with their parameters on its JDBC connection, replayed by raw JDBC on one held connection"
                + " with the statements prepared once, every column of every row read (semantic search: plus a brute-force scan of the"
                + " tenant's vectors held in memory as float[]). Atlas and its ceiling alternate call by call, " + WARMUP + " warm-up and "
                + CALLS + " timed calls per run (semantic search 2 and " + SEMANTIC_CALLS + "), " + RUNS + " runs; figures are medians of the 3 run medians, spread in the detail column."
                + " Growth = large / small for Atlas (1.0 = flat); the target is within 1.5x (an index's log n).");
        String onlyDatabase = System.getProperty("bench.scale.database");
        for (BenchDatabase database : env.databases()) {
            if (onlyDatabase != null && !onlyDatabase.equals(database.label())) {
                continue;
            }
            double[][][] atlasMs = new double[2][READS.length][];
            double[][][] rawMs = new double[2][READS.length][];
            for (int size = 0; size < 2; size++) {
                int tenantRows = size == 0 ? SMALL_TENANT : LARGE_TENANT;
                int otherRows = size == 0 ? SMALL_OTHERS : LARGE_OTHERS;
                BenchDatabase.Opened opened = database.open("bench_scale_" + (size == 0 ? "small" : "large"));
                try (Capture capture = new Capture(opened.dataSource());
                     Atlas atlas = Atlas.builder().dataSource(capture).build()) {
                    long t0 = System.nanoTime();
                    Fixture f = seed(opened, atlas, tenantRows, otherRows);
                    settle(opened);
                    Env.log("%s scale probe %s: seeded in %.1f s", database.label(), size == 0 ? "small" : "large", (System.nanoTime() - t0) / 1e9);
                    try (Connection held = opened.dataSource().getConnection()) {
                        Replayer replay = new Replayer(held);
                        List<IntSupplier> reads = reads(atlas.tenant("t"), f);
                        for (int r = 0; r < READS.length; r++) {
                            IntSupplier read = reads.get(r);
                            read.getAsInt(); // the first call fills caches (SQLite's vector cache): capture a steady-state call
                            List<Captured> statements = capture.record(read);
                            if (Boolean.getBoolean("bench.scale.explain")) {
                                explain(held, opened.dialect(), READS[r], statements);
                            }
                            boolean semantic = r == 4;
                            IntSupplier ceiling = () -> replay.run(statements) + (semantic ? scan(f.vectors, f.query) : 0);
                            double[][] m = semantic ? measure(read, ceiling, 2, SEMANTIC_CALLS) : measure(read, ceiling, WARMUP, CALLS);
                            atlasMs[size][r] = m[0];
                            rawMs[size][r] = m[1];
                            Env.log("%s %s %s: Atlas %s ms, ceiling %s ms (%d statements)", database.label(), size == 0 ? "small" : "large",
                                    READS[r], Fmt.runs(m[0]), Fmt.runs(m[1]), statements.size());
                        }
                    }
                } finally {
                    opened.close();
                }
            }
            for (int r = 0; r < READS.length; r++) {
                double small = Stats.median(atlasMs[0][r]);
                double large = Stats.median(atlasMs[1][r]);
                double smallRaw = Stats.median(rawMs[0][r]);
                double largeRaw = Stats.median(rawMs[1][r]);
                s.figure(Figure.latency(database.label(), READS[r] + ", small (" + Fmt.length(SMALL_TENANT) + " + " + Fmt.length(SMALL_OTHERS) + ")",
                        small, "ceiling", smallRaw, "ms", "Atlas runs " + Fmt.runs(atlasMs[0][r]) + ", ceiling runs " + Fmt.runs(rawMs[0][r])));
                s.figure(Figure.latency(database.label(), READS[r] + ", large (" + Fmt.length(LARGE_TENANT) + " + " + Fmt.length(LARGE_OTHERS) + ")",
                        large, "ceiling", largeRaw, "ms", "Atlas runs " + Fmt.runs(atlasMs[1][r]) + ", ceiling runs " + Fmt.runs(rawMs[1][r])));
                s.figure(Figure.latency(database.label(), READS[r] + ", growth large / small", large, "Atlas small", small, "ms",
                        String.format(Locale.ROOT, "ceiling growth %.2fx", largeRaw / smallRaw)));
                boolean linearByDesign = r == 4;
                s.target(new TargetCheck(database.label(), READS[r] + (linearByDesign
                        ? ": exact search scores every vector of the tenant (linear by design); reported, no flatness target"
                        : ": large within 1.5x of small"), String.format(Locale.ROOT, "%.2fx (ceiling %.2fx)", large / small, largeRaw / smallRaw),
                        linearByDesign || large / small <= 1.5));
            }
        }
        return s;
    }

    /** With {@code -Dbench.scale.explain=true}: each captured SELECT's plan (PostgreSQL: EXPLAIN ANALYZE, BUFFERS) on stderr. */
    private static void explain(Connection held, Dialect d, String read, List<Captured> statements) {
        for (Captured st : statements) {
            Env.log("  %s: %s", read, st.sql().length() > 600 ? st.sql().substring(0, 600) + "..." : st.sql());
            String head = st.sql().stripLeading().toUpperCase(Locale.ROOT);
            if (!head.startsWith("SELECT") && !head.startsWith("WITH")) {
                continue;
            }
            String sql = (d == Dialect.POSTGRESQL ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN QUERY PLAN ") + st.sql();
            try (PreparedStatement ps = held.prepareStatement(sql)) {
                for (Object[] setter : st.setters()) {
                    ((Method) setter[0]).invoke(ps, (Object[]) setter[1]);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Env.log("    %s", d == Dialect.POSTGRESQL ? rs.getString(1) : rs.getString(4));
                    }
                }
            } catch (Exception e) {
                Env.log("    (no plan: %s)", e);
            }
        }
    }

    /**
     * PostgreSQL: what autovacuum does after a bulk load, before timing (as benchmark 14): statistics, and the GIN indexes'
     * pending entries merged. Without the merge every full-text search scanned the pending list of the clones (2.4 ms at 1k,
     * 9 to 25 ms at 100k, the same statements by raw JDBC alike, while EXPLAIN ANALYZE showed 0.09 ms).
     */
    private static void settle(BenchDatabase.Opened db) throws SQLException {
        if (db.dialect() != Dialect.POSTGRESQL) {
            return;
        }
        try (Connection c = db.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("VACUUM ANALYZE");
        }
    }

    /** [Atlas run medians, ceiling run medians] in ms. */
    private static double[][] measure(IntSupplier atlas, IntSupplier raw, int warmup, int calls) {
        double[] a = new double[RUNS];
        double[] b = new double[RUNS];
        for (int run = 0; run < RUNS; run++) {
            Stats sa = new Stats();
            Stats sb = new Stats();
            for (int q = 0; q < warmup + calls; q++) {
                long ta;
                long tb;
                if (q % 2 == 0) {
                    ta = time(atlas);
                    tb = time(raw);
                } else {
                    tb = time(raw);
                    ta = time(atlas);
                }
                if (q >= warmup) {
                    sa.add(ta);
                    sb.add(tb);
                }
            }
            a[run] = sa.medianMillis();
            b[run] = sb.medianMillis();
        }
        return new double[][] {a, b};
    }

    private static long time(IntSupplier s) {
        long t0 = System.nanoTime();
        int n = s.getAsInt();
        long t = System.nanoTime() - t0;
        if (n < 0) {
            throw new IllegalStateException("no result");
        }
        return t;
    }

    private static List<IntSupplier> reads(Tenant t, Fixture f) {
        List<IntSupplier> reads = new ArrayList<>();
        reads.add(() -> expect(t.conversations().history(f.conversation, PAGE).size(), PAGE, "history"));
        reads.add(() -> expect(t.conversations().list(ConversationQuery.all().limit(PAGE)).items().size(), PAGE, "conversations"));
        reads.add(() -> expect(t.executions().list(ExecutionQuery.all().limit(PAGE)).items().size(), PAGE, "executions"));
        reads.add(() -> expect(t.search().text(TextQuery.memories("tracking order").limit(10)).size(), 10, "text search"));
        reads.add(() -> expect(t.search().similar(SemanticQuery.of(SearchTarget.MEMORY, MODEL, f.query).k(10)).size(), 10, "similar"));
        reads.add(() -> expect(t.tasks().claim(Duration.ofMinutes(10)).isPresent() ? 1 : 0, 1, "claim"));
        reads.add(() -> expect(t.executions().usageReport(UsageGroup.MODEL, f.from, f.to).size(), 1, "usage"));
        reads.add(() -> expect(t.graph().neighbours("hub", Direction.OUTGOING, null, PAGE, null).items().size(), PAGE, "neighbours"));
        return reads;
    }

    private static int expect(int got, int expected, String what) {
        if (got != expected) {
            throw new IllegalStateException(what + ": expected " + expected + " rows, got " + got);
        }
        return got;
    }

    /** What the reads need: the tenant's long conversation, the query vector and the tenant's vectors, the usage window. */
    private record Fixture(UUID conversation, float[] query, float[][] vectors, Instant from, Instant to) {}

    private static Fixture seed(BenchDatabase.Opened db, Atlas atlas, int tenantRows, int otherRows) throws SQLException {
        Random random = new Random(42);
        float[] template = new float[DIMENSION];
        for (int i = 0; i < DIMENSION; i++) {
            template[i] = (float) random.nextGaussian();
        }
        float[] query = new float[DIMENSION];
        for (int i = 0; i < DIMENSION; i++) {
            query[i] = (float) random.nextGaussian();
        }
        UUID conversation = null;
        float[][] tenantVectors = null;
        Instant executionAt = null;
        int salt = 1;
        try (Connection c = db.database().seedConnection(db.name())) {
            c.setAutoCommit(true);
            for (String name : List.of("t", "other")) {
                Tenant t = atlas.tenant(name);
                int n = name.equals("t") ? tenantRows : otherRows;
                Conversation conv = t.conversations().create(NewConversation.of(Owner.user("u-" + name), "support"));
                t.conversations().append(conv.id(), NewMessage.user("hello there, a message of the probe"));
                UUID message = one(c, db.dialect(), "atlas_messages", name, "conversation_id", conv.id());
                clone(c, db.dialect(), "atlas_messages", name, message, n - 1, salt++, Map.of("sequence", "t.sequence + i",
                        "created_at", before(db.dialect(), "t.created_at"), "updated_at", before(db.dialect(), "t.updated_at")));
                try (PreparedStatement ps = c.prepareStatement("UPDATE atlas_conversations SET last_sequence = ? WHERE tenant_id = ? AND id = "
                        + id(db.dialect()))) {
                    ps.setLong(1, n);
                    ps.setString(2, name);
                    ps.setString(3, conv.id().toString());
                    ps.executeUpdate();
                }
                if (name.equals("t")) {
                    conversation = conv.id();
                }
                clone(c, db.dialect(), "atlas_conversations", name, conv.id(), n - 1, salt++, Map.of("activity_at", before(db.dialect(),
                        "t.activity_at"), "created_at", before(db.dialect(), "t.created_at"), "updated_at", before(db.dialect(), "t.updated_at"),
                        "last_sequence", "0"));
                dev.atlas.execution.Execution created = t.executions().create(ExecutionSpec.text("openai", "gpt-probe"));
                UUID execution = created.id();
                if (name.equals("t")) {
                    executionAt = created.createdAt();
                }
                clone(c, db.dialect(), "atlas_executions", name, execution, n - 1, salt++, Map.of("created_at", before(db.dialect(),
                        "t.created_at"), "updated_at", before(db.dialect(), "t.updated_at")));
                Memory memory = t.memories().create(NewMemory.fact(Owner.user("u-" + name), "alpha bravo charlie delta filler words"));
                t.search().upsertVector(SearchTarget.MEMORY, memory.id(), MODEL, template);
                int memorySalt = salt++;
                clone(c, db.dialect(), "atlas_memories", name, memory.id(), n - 1, memorySalt, Map.of("created_at", before(db.dialect(),
                        "t.created_at"), "updated_at", before(db.dialect(), "t.updated_at")));
                float[][] own = vectors(c, db.dialect(), name, memorySalt, n, random);
                own[0] = template;
                if (name.equals("t")) {
                    tenantVectors = own;
                }
                for (int i = 0; i < 10; i++) {
                    t.memories().create(NewMemory.fact(Owner.user("u-" + name), "the tracking order arrived " + i));
                }
                UUID task = t.tasks().create(NewTask.of("probe", new LinkedHashMap<>())).id();
                clone(c, db.dialect(), "atlas_tasks", name, task, n - 1, salt++, Map.of("created_at", before(db.dialect(), "t.created_at"),
                        "updated_at", before(db.dialect(), "t.updated_at"), "run_after", before(db.dialect(), "t.run_after")));
                t.graph().upsertNode(NewGraphNode.of("hub"));
                for (int i = 0; i < PAGE + 10; i++) {
                    t.graph().upsertNode(NewGraphNode.of("leaf" + i));
                    t.graph().upsertEdge(NewGraphEdge.of("hub", "rel", "leaf" + i));
                }
                t.graph().upsertNode(NewGraphNode.of("a"));
                t.graph().upsertNode(NewGraphNode.of("b"));
                t.graph().upsertEdge(NewGraphEdge.of("a", "rel", "b"));
                UUID node = one(c, db.dialect(), "atlas_graph_nodes", name, "node_key", "a");
                int nodeSalt = salt++;
                clone(c, db.dialect(), "atlas_graph_nodes", name, node, n, nodeSalt, Map.of("node_key", "'n' || i"));
                UUID edge = one(c, db.dialect(), "atlas_graph_edges", name, "source_id", node);
                String nextNode = db.dialect() == Dialect.POSTGRESQL
                        ? "(lpad(to_hex(" + nodeSalt + "), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i % " + n + " + 1), 12, '0'))::uuid"
                        : "printf('%08x-0000-4000-8000-%012x', " + nodeSalt + ", i % " + n + " + 1)";
                clone(c, db.dialect(), "atlas_graph_edges", name, edge, n - PAGE - 11, salt++, Map.of("source_id", uid(db.dialect(), nodeSalt),
                        "target_id", nextNode));
            }
        }
        // The tenant's execution and the 59 clones within a minute before it (clone i is i seconds older).
        return new Fixture(conversation, query, tenantVectors, executionAt.minusSeconds(59).minusMillis(500), executionAt.plusSeconds(1));
    }

    /**
     * A random vector for each cloned memory {@code 1..n-1} of {@code tenant} (distinct vectors: identical ones tie, and a
     * search checks every tied candidate); returns them indexed by the clone's number (index 0 for the API's memory).
     */
    private static float[][] vectors(Connection c, Dialect d, String tenant, int memorySalt, int n, Random random) throws SQLException {
        float[][] all = new float[n][];
        Instant now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        c.setAutoCommit(false);
        try (PreparedStatement v = c.prepareStatement("INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension,"
                + " vector, conversation_id, created_at, updated_at) VALUES (?, ?, 'memory', ?, ?, ?, ?, NULL, ?, ?)")) {
            for (int i = 1; i < n; i++) {
                float[] x = new float[DIMENSION];
                for (int k = 0; k < DIMENSION; k++) {
                    x[k] = (float) random.nextGaussian();
                }
                all[i] = x;
                v.setString(1, tenant);
                d.bindUuid(v, 2, dev.atlas.Ids.next());
                d.bindUuid(v, 3, UUID.fromString(String.format(Locale.ROOT, "%08x-0000-4000-8000-%012x", memorySalt, i)));
                v.setString(4, MODEL);
                v.setInt(5, DIMENSION);
                v.setBytes(6, dev.atlas.jdbi.internal.Vectors.encode(x));
                d.bindInstant(v, 7, now);
                d.bindInstant(v, 8, now);
                v.addBatch();
                if (i % 2_000 == 0) {
                    v.executeBatch();
                    c.commit();
                }
            }
            v.executeBatch();
            c.commit();
        } finally {
            c.setAutoCommit(true);
        }
        return all;
    }

    private static String before(Dialect d, String column) {
        return d == Dialect.POSTGRESQL ? column + " - i * interval '1 second'" : column + " - i * 1000000";
    }

    private static String id(Dialect d) {
        return d == Dialect.POSTGRESQL ? "CAST(? AS uuid)" : "?";
    }

    private static String uid(Dialect d, int salt) {
        return d == Dialect.POSTGRESQL ? "(lpad(to_hex(" + salt + "), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid"
                : "printf('%08x-0000-4000-8000-%012x', " + salt + ", i)";
    }

    private static UUID one(Connection c, Dialect d, String table, String tenant, String column, Object value) throws SQLException {
        String cast = value instanceof UUID ? id(d) : "?";
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM " + table + " WHERE tenant_id = ? AND " + column + " = " + cast)) {
            ps.setString(1, tenant);
            ps.setString(2, value.toString());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("no row in " + table);
                }
                return UUID.fromString(rs.getString(1));
            }
        }
    }

    /** Inserts {@code count} copies of row {@code template} of {@code tenant}: own ids, {@code overrides} by column ({@code i} is 1..count). */
    private static void clone(Connection c, Dialect d, String table, String tenant, UUID template, int count, int salt,
                              Map<String, String> overrides) throws SQLException {
        if (count <= 0) {
            return;
        }
        List<String> columns = new ArrayList<>();
        try (java.sql.Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                columns.add(rs.getMetaData().getColumnName(i));
            }
        }
        StringBuilder select = new StringBuilder();
        for (String col : columns) {
            select.append(select.length() == 0 ? "" : ", ");
            select.append(col.equals("id") ? uid(d, salt) : overrides.getOrDefault(col, "t." + col));
        }
        String insert = "INSERT INTO " + table + " (" + String.join(", ", columns) + ") SELECT " + select + " FROM " + table + " t"
                + (d == Dialect.POSTGRESQL ? " CROSS JOIN generate_series(1, ?) AS n(i)" : " CROSS JOIN n")
                + " WHERE t.tenant_id = ? AND t.id = " + id(d);
        String sql = d == Dialect.POSTGRESQL ? insert : "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) " + insert;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setInt(1, count);
            ps.setString(2, tenant);
            ps.setString(3, template.toString());
            int n = ps.executeUpdate();
            if (n != count) {
                throw new IllegalStateException(table + ": cloned " + n + " rows, expected " + count);
            }
        }
    }

    /** The ceiling's scoring: cosine of every vector, bounded top-10. */
    private static int scan(float[][] vectors, float[] q) {
        double[] best = new double[10];
        java.util.Arrays.fill(best, -2);
        double qn = 0;
        for (float v : q) {
            qn += v * v;
        }
        for (float[] v : vectors) {
            double dot = 0;
            double vn = 0;
            for (int i = 0; i < v.length; i++) {
                dot += v[i] * q[i];
                vn += v[i] * v[i];
            }
            double score = dot / Math.sqrt(qn * vn);
            if (score > best[9]) {
                int i = 9;
                while (i > 0 && best[i - 1] < score) {
                    best[i] = best[i - 1];
                    i--;
                }
                best[i] = score;
            }
        }
        return 0;
    }

    /** One statement Atlas executed: its SQL and the parameter setters called before it, in order. */
    private record Captured(String sql, List<Object[]> setters, String execute) {}

    /** Replays captured statements on one held connection, each prepared once. */
    private static final class Replayer {
        private final Connection held;
        private final Map<String, PreparedStatement> prepared = new HashMap<>();

        Replayer(Connection held) {
            this.held = held;
        }

        int run(List<Captured> statements) {
            int rows = 0;
            try {
                for (Captured s : statements) {
                    PreparedStatement ps = prepared.get(s.sql());
                    if (ps == null) {
                        ps = held.prepareStatement(s.sql());
                        prepared.put(s.sql(), ps);
                    }
                    ps.clearParameters();
                    for (Object[] setter : s.setters()) {
                        ((Method) setter[0]).invoke(ps, (Object[]) setter[1]);
                    }
                    boolean results = ps.execute();
                    if (results) {
                        try (ResultSet rs = ps.getResultSet()) {
                            int n = rs.getMetaData().getColumnCount();
                            while (rs.next()) {
                                for (int i = 1; i <= n; i++) {
                                    rs.getObject(i);
                                }
                                rows++;
                            }
                        }
                    }
                }
            } catch (SQLException | IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("replay failed", e);
            }
            return rows;
        }
    }

    /**
     * A DataSource that hands Atlas the pool's connections, and, while {@link #record} runs, notes every prepared statement
     * Atlas executes with its parameters. Outside a recording it only forwards calls.
     */
    private static final class Capture implements DataSource, AutoCloseable {
        private final DataSource pool;
        private volatile List<Captured> recording;
        private final Map<Connection, Connection> physicals = new java.util.IdentityHashMap<>();

        Capture(DataSource pool) {
            this.pool = pool;
        }

        synchronized List<Captured> record(IntSupplier call) {
            List<Captured> list = java.util.Collections.synchronizedList(new ArrayList<>());
            recording = list;
            try {
                call.getAsInt();
            } finally {
                recording = null;
            }
            return List.copyOf(list);
        }

        @Override
        public Connection getConnection() throws SQLException {
            return wrap(pool.getConnection());
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return wrap(pool.getConnection(user, password));
        }

        private Connection wrap(Connection c) {
            InvocationHandler h = (proxy, method, args) -> {
                if (method.getName().equals("unwrap") && args[0] == Connection.class) {
                    // Atlas keeps prepared statements per physical connection (Db.shareStatements): one stable wrapper each,
                    // so its statement cache works as on the bare pool and its statements are still seen.
                    Connection physical = c.unwrap(Connection.class);
                    synchronized (physicals) {
                        return physicals.computeIfAbsent(physical, this::wrap);
                    }
                }
                Object result = invoke(c, method, args);
                if (result instanceof PreparedStatement ps && method.getName().startsWith("prepare")) {
                    return statement(ps, (String) args[0]);
                }
                return result;
            };
            return (Connection) Proxy.newProxyInstance(ScaleProbe.class.getClassLoader(), new Class<?>[] {Connection.class}, h);
        }

        private PreparedStatement statement(PreparedStatement ps, String sql) {
            List<Object[]> setters = new ArrayList<>();
            InvocationHandler h = (proxy, method, args) -> {
                String name = method.getName();
                if (name.startsWith("set") && args != null && args.length >= 2 && args[0] instanceof Integer) {
                    setters.add(new Object[] {method, args.clone()});
                } else if (name.equals("clearParameters")) {
                    setters.clear();
                } else if (name.startsWith("execute") && (args == null || args.length == 0)) {
                    List<Captured> r = recording;
                    if (r != null) {
                        r.add(new Captured(sql, List.copyOf(setters), name));
                    }
                }
                return invoke(ps, method, args);
            };
            return (PreparedStatement) Proxy.newProxyInstance(ScaleProbe.class.getClassLoader(), new Class<?>[] {PreparedStatement.class}, h);
        }

        private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return pool.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            pool.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            pool.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return pool.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return pool.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return pool.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return pool.isWrapperFor(iface);
        }

        @Override
        public void close() {}
    }
}
