package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.Page;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphNeighbour;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.jdbi.internal.Dialect;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The price of migration V32's weight-ordered graph_edges indexes (6 indexes where V31 had 3):
 * edge writes through {@link MemoryGraph#upsertEdge} against raw JDBC writing the same rows into
 * the V32 table and into a table shaped as before V32, and what the indexes buy, a hub's
 * neighbour pages read in order instead of sorted.
 */
final class GraphEdges implements Benchmark {
    /** Nodes per tenant for the write sides; an edge's (source, type) pair is unique per call, its target spread. */
    static final int NODES = 1_000;
    /** The hub's outgoing edges, every one of default weight 1.0. */
    static final int HUB_EDGES = 20_000;
    static final int PAGE = 50;
    /** Quick profile: every how many pages the V31-shaped table's page is read (each costs the hub's whole degree); full reads all. */
    static final int V31_STRIDE = 1;
    static final String OLD = "v31_graph_edges";
    /** A fourth write side: V32 without its two typed indexes (primary key, unique, (tenant, source|target, weight DESC, id)). */
    static final String FOUR = "four_graph_edges";
    static final String EDGES = RawJdbc.PREFIX + "graph_edges";
    static final String NODES_TABLE = RawJdbc.PREFIX + "graph_nodes";

    @Override
    public String id() {
        return "graph-edges";
    }

    @Override
    public String title() {
        return "15. Graph edges: V32's weight-ordered indexes, write cost and paging gain";
    }

    @Override
    public Section run(Env env) throws Exception {
        Profile p = env.profile();
        double seconds = p.roundMillis() * p.rounds() / 1000.0;
        Section s = new Section(this, "Migration V32 gave graph_edges six indexes (primary key, V3's unique (tenant, source, target, type),"
                + " and (tenant, source|target[, type], weight DESC, id)) where V31 had three (primary key, the unique one,"
                + " (tenant, target, type)). Writes: MemoryGraph.upsertEdge of new edges (each call a new (source, type) among "
                + Fmt.length(NODES) + " nodes, weights spread), then weight-changing re-writes of the edges each side wrote, against"
                + " the ceiling: raw JDBC on one held connection, statements prepared once, sending Atlas's upsert statement"
                + " (INSERT .. ON CONFLICT DO UPDATE, auto-commit, node ids known) into (a) the V32 table as Atlas has it and (b) a"
                + " table shaped as before V32 (V3's columns, keys and indexes), in the same database, and (c) a 4-index alternative, V32 without its two typed indexes (primary key, the unique one,"
                + " (tenant, source, weight DESC, id), (tenant, target, weight DESC, id)). Atlas's call also looks both"
                + " nodes up and reads the edge back: on SQLite in one transaction, on PostgreSQL in the same statement (share-locking"
                + " both nodes, RETURNING the edge, auto-commit); on SQLite Atlas runs on its own"
                + " pool and file as an application opens it (held write connection, background checkpoints). The four sides run"
                + " interleaved call by call (rotating order) for " + seconds + " s per side after a warm-up (then, on PostgreSQL,"
                + " ANALYZE); throughput = calls / time spent in that side's calls. Paging: a hub with " + Fmt.length(HUB_EDGES)
                + " outgoing edges of weight 1.0, every page of " + PAGE + " through the cursor (MemoryGraph.neighbours, OUTGOING, no"
                + " type), against Atlas's statement for that page sent by raw JDBC on the V32 table and on the V31-shaped table"
                + " (which reads and sorts the hub's edges for every page; both tables hold the same edge ids, so its page k is read from"
                + " the cursor the V32 table's walk had before page k" + (V31_STRIDE == 1 ? "" : ", in the quick profile every "
                + V31_STRIDE + "th page, its walk their sum x " + V31_STRIDE) + "); one walk of all pages per side, interleaved page by page"
                + " after one warm-up page each (PostgreSQL: VACUUM ANALYZE after seeding). The write sides' figures are throughputs"
                + " (higher is better), the paging ones latencies (ratio above 1: slower than the baseline).");
        for (BenchDatabase database : env.databases()) {
            writes(database, p, s);
            paging(database, s, p.name().equals("full") ? 1 : V31_STRIDE);
        }
        return s;
    }

    // ---- writes -----------------------------------------------------------------------------

    private static void writes(BenchDatabase database, Profile p, Section s) throws Exception {
        try (BenchDatabase.Opened db = database.openOwnPool("bench_graph_writes")) {
            Dialect dialect = db.dialect();
            createOldTable(db.dataSource(), dialect, OLD);
            createOldTable(db.dataSource(), dialect, FOUR);
            UUID[] atlasNodes = seedNodes(db.atlasDataSource(), dialect, "atlas", NODES, "n");
            UUID[] rawNodes = seedNodes(db.dataSource(), dialect, "raw", NODES, "n");
            MemoryGraph graph = db.atlas().tenant("atlas").graph();
            try (Connection c = db.dataSource().getConnection();
                 PreparedStatement v32 = c.prepareStatement(upsert(EDGES));
                 PreparedStatement v31 = c.prepareStatement(upsert(OLD));
                 PreparedStatement four = c.prepareStatement(upsert(FOUR))) {
                c.setAutoCommit(true);
                // Each side counts its own calls (interleave's call number starts again after the warm-up): call k writes edge k.
                long[] written = new long[4];
                LongConsumer atlasNew = n -> {
                    long k = ++written[0];
                    graph.upsertEdge(new NewGraphEdge("n" + source(k), type(k), "n" + target(k), weight(k), java.util.Map.of()));
                };
                LongConsumer v32New = n -> rawUpsert(v32, dialect, rawNodes, ++written[1], weight(written[1]));
                LongConsumer v31New = n -> rawUpsert(v31, dialect, rawNodes, ++written[2], weight(written[2]));
                LongConsumer fourNew = n -> rawUpsert(four, dialect, rawNodes, ++written[3], weight(written[3]));
                List<AppendVsRawJdbc.Side> inserts = sides();
                List<LongConsumer> insertOps = List.of(atlasNew, v32New, v31New, fourNew);
                AppendVsRawJdbc.Side.interleave(inserts, insertOps, p.roundMillis() * inserts.size(), false);
                db.analyze();
                AppendVsRawJdbc.Side.interleave(inserts, insertOps, p.roundMillis() * p.rounds() * inserts.size(), true);
                // Re-writes: call k of a side re-writes that side's edge (k % written) + 1 with a new weight (another k's).
                long[] count = written.clone();
                long[] re = new long[4];
                LongConsumer atlasRe = n -> {
                    long k = ++re[0];
                    long e = k % count[0] + 1;
                    graph.upsertEdge(new NewGraphEdge("n" + source(e), type(e), "n" + target(e), reweight(k), java.util.Map.of()));
                };
                LongConsumer v32Re = n -> rawUpsert(v32, dialect, rawNodes, ++re[1] % count[1] + 1, reweight(re[1]));
                LongConsumer v31Re = n -> rawUpsert(v31, dialect, rawNodes, ++re[2] % count[2] + 1, reweight(re[2]));
                LongConsumer fourRe = n -> rawUpsert(four, dialect, rawNodes, ++re[3] % count[3] + 1, reweight(re[3]));
                List<AppendVsRawJdbc.Side> rewrites = sides();
                List<LongConsumer> rewriteOps = List.of(atlasRe, v32Re, v31Re, fourRe);
                AppendVsRawJdbc.Side.interleave(rewrites, rewriteOps, p.roundMillis() * rewrites.size(), false);
                AppendVsRawJdbc.Side.interleave(rewrites, rewriteOps, p.roundMillis() * p.rounds() * rewrites.size(), true);
                report(s, database.label(), "new edge", inserts);
                report(s, database.label(), "weight-changing re-write", rewrites);
                long atlasRows = count(db.atlasDataSource(), EDGES, "atlas");
                long v32Rows = count(db.dataSource(), EDGES, "raw");
                long v31Rows = count(db.dataSource(), OLD, "raw");
                long fourRows = count(db.dataSource(), FOUR, "raw");
                boolean ok = atlasRows == written[0] && v32Rows == written[1] && v31Rows == written[2] && fourRows == written[3];
                s.note(database.label() + " writes: " + (ok ? "row check passed" : "ROW CHECK FAILED") + " (edges written/stored: Atlas "
                        + written[0] + "/" + atlasRows + ", raw V32 table " + written[1] + "/" + v32Rows + ", raw V31-shaped table "
                        + written[2] + "/" + v31Rows + ", raw 4-index table " + written[3] + "/" + fourRows + "; re-writes change weights only)");
            }
        }
    }

    private static List<AppendVsRawJdbc.Side> sides() {
        return List.of(new AppendVsRawJdbc.Side(), new AppendVsRawJdbc.Side(), new AppendVsRawJdbc.Side(), new AppendVsRawJdbc.Side());
    }

    private static void report(Section s, String db, String what, List<AppendVsRawJdbc.Side> sides) {
        AppendVsRawJdbc.Side atlas = sides.get(0);
        AppendVsRawJdbc.Side v32 = sides.get(1);
        AppendVsRawJdbc.Side v31 = sides.get(2);
        AppendVsRawJdbc.Side four = sides.get(3);
        s.figure(Figure.throughput(db, "raw JDBC " + what + ", V32 table (6 indexes)", v32.throughput(),
                "raw JDBC " + what + ", V31-shaped table (3 indexes)", v31.throughput(), "cost of V32's indexes; medians "
                        + us(v32.latency) + " vs " + us(v31.latency) + " us"));
        s.figure(Figure.throughput(db, "Atlas upsertEdge, " + what, atlas.throughput(), "ceiling: raw JDBC " + what + ", V32 table",
                v32.throughput(), "Atlas's own overhead (2 node look-ups, the upsert, the read-back: one transaction on SQLite, one statement on"
                        + " PostgreSQL); medians "
                        + us(atlas.latency) + " vs " + us(v32.latency) + " us"));
        s.figure(Figure.throughput(db, "Atlas upsertEdge, " + what, atlas.throughput(), "raw JDBC " + what + ", V31-shaped table",
                v31.throughput(), "Atlas today against the pre-V32 ceiling"));
        s.figure(Figure.throughput(db, "raw JDBC " + what + ", 4-index alternative (V32 without the typed indexes)", four.throughput(),
                "raw JDBC " + what + ", V31-shaped table (3 indexes)", v31.throughput(), "medians " + us(four.latency) + " vs "
                        + us(v31.latency) + " us (V32 table " + us(v32.latency) + " us)"));
        Env.log("%s %s: Atlas %.0f/s, raw V32 %.0f/s, raw V31 %.0f/s, raw 4-index %.0f/s (V32/V31 %.2fx, Atlas/V32 %.2fx, 4-index/V31 %.2fx);"
                        + " medians %s / %s / %s / %s us", db, what, atlas.throughput(), v32.throughput(), v31.throughput(), four.throughput(),
                v32.throughput() / v31.throughput(), atlas.throughput() / v32.throughput(), four.throughput() / v31.throughput(),
                us(atlas.latency), us(v32.latency), us(v31.latency), us(four.latency));
    }

    private static String us(Stats st) {
        return Fmt.num(st.medianMillis() * 1000);
    }

    private static long source(long n) {
        return n % NODES;
    }

    private static long target(long n) {
        return (n * 7 + n / NODES) % NODES;
    }

    private static String type(long n) {
        return "t" + n / NODES;
    }

    private static double weight(long n) {
        return (n * 2_654_435_761L % 100_000) / 1000.0;
    }

    private static double reweight(long n) {
        return ((n + 50_000) * 2_654_435_761L % 100_000) / 1000.0 + 0.0005;
    }

    private static String upsert(String table) {
        return "INSERT INTO " + table + " (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                + " VALUES ('raw', ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, source_id, target_id, type) DO UPDATE"
                + " SET weight = excluded.weight, metadata = excluded.metadata, updated_at = " + Dialect.upsertLater(table);
    }

    private static void rawUpsert(PreparedStatement ps, Dialect dialect, UUID[] nodes, long n, double weight) {
        try {
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            dialect.bindUuid(ps, 1, Ids.next());
            dialect.bindUuid(ps, 2, nodes[(int) source(n)]);
            dialect.bindUuid(ps, 3, nodes[(int) target(n)]);
            ps.setString(4, type(n));
            ps.setDouble(5, weight);
            dialect.bindJson(ps, 6, "{}");
            dialect.bindInstant(ps, 7, now);
            dialect.bindInstant(ps, 8, now);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("raw edge upsert failed", e);
        }
    }

    // ---- paging -----------------------------------------------------------------------------

    private static void paging(BenchDatabase database, Section s, int stride) throws Exception {
        try (BenchDatabase.Opened db = database.open("bench_graph_pages")) {
            Dialect dialect = db.dialect();
            createOldTable(db.dataSource(), dialect, OLD);
            long t0 = System.nanoTime();
            UUID[] nodes = seedNodes(db.dataSource(), dialect, "pages", HUB_EDGES + 1, "p");
            UUID[] edgeIds = new UUID[HUB_EDGES + 1];
            for (int i = 1; i <= HUB_EDGES; i++) {
                edgeIds[i] = Ids.next();
            }
            seedHub(db.dataSource(), dialect, nodes, edgeIds, EDGES);
            seedHub(db.dataSource(), dialect, nodes, edgeIds, OLD);
            if (dialect == Dialect.POSTGRESQL) {
                try (Connection c = db.dataSource().getConnection(); Statement st = c.createStatement()) {
                    st.execute("VACUUM ANALYZE");
                }
            }
            Env.log("%s: seeded a hub of %,d edges in both tables in %.1f s", database.label(), HUB_EDGES, (System.nanoTime() - t0) / 1e9);
            MemoryGraph graph = db.atlas().tenant("pages").graph();
            try (Connection c = db.dataSource().getConnection();
                 RawPages v32 = new RawPages(c, dialect, EDGES);
                 RawPages v31 = new RawPages(c, dialect, OLD)) {
                String[] cursor = new String[1];
                long[] atlasPages = new long[1];
                int[] atlasRows = new int[1];
                boolean[] atlasDone = new boolean[1];
                Runnable atlasPage = () -> {
                    Page<GraphNeighbour> page = graph.neighbours("p0", Direction.OUTGOING, null, PAGE, cursor[0]);
                    atlasRows[0] += page.items().size();
                    atlasPages[0]++;
                    cursor[0] = page.nextCursor().orElse(null);
                    atlasDone[0] = cursor[0] == null;
                };
                // Warm-up: one first page each.
                graph.neighbours("p0", Direction.OUTGOING, null, PAGE, null);
                v32.page(null, null);
                v31.page(null, null);
                Stats atlas = new Stats();
                Stats raw32 = new Stats();
                Stats raw31 = new Stats();
                long atlasNanos = 0;
                long v32Nanos = 0;
                long v31Nanos = 0;
                int v31Pages = 0;
                int v31Rows = 0;
                int mismatches = 0;
                Double w = null;
                UUID edge = null;
                boolean v32Done = false;
                List<String> v32Ids = null;
                List<String> v31Ids = null;
                // Both tables hold the same edge ids, so the V31-shaped table's page k is read from the V32 walk's cursor
                // before page k; with a stride, every stride-th page of it is read and its walk is their sum times the stride.
                for (int k = 0; !(atlasDone[0] && v32Done); k++) {
                    Double pw = w;
                    UUID pe = edge;
                    boolean old = !v32Done && k % stride == 0;
                    for (int i = 0; i < 3; i++) {
                        int side = (i + k) % 3;
                        if (side == 0 && !atlasDone[0]) {
                            long dt = Stats.time(atlasPage);
                            atlas.add(dt);
                            atlasNanos += dt;
                        } else if (side == 1 && !v32Done) {
                            long t = System.nanoTime();
                            v32Ids = v32.page(pw, pe);
                            long dt = System.nanoTime() - t;
                            raw32.add(dt);
                            v32Nanos += dt;
                        } else if (side == 2 && old) {
                            long t = System.nanoTime();
                            v31Ids = v31.page(pw, pe);
                            long dt = System.nanoTime() - t;
                            raw31.add(dt);
                            v31Nanos += dt;
                            v31Pages++;
                            v31Rows += Math.min(PAGE, v31Ids.size());
                        }
                    }
                    if (old && !v31Ids.equals(v32Ids)) {
                        mismatches++;
                    }
                    if (v32Ids != null && !v32Done) {
                        if (v32Ids.size() > PAGE) {
                            w = v32.lastWeight;
                            edge = UUID.fromString(v32Ids.get(PAGE - 1));
                        } else {
                            v32Done = true;
                        }
                    }
                }
                int v32Pages = raw32.count();
                int v32Rows = (v32Pages - 1) * PAGE + Math.min(PAGE, v32Ids.size());
                double v31Walk = v31Nanos / 1e6 * v32Pages / v31Pages;
                String label = database.label();
                String sampled = v31Pages == v32Pages ? "every page" : v31Pages + " of the " + v32Pages + " pages (every " + stride
                        + "th), walk = their sum x " + stride;
                s.figure(Figure.latency(label, "Atlas neighbours, all " + atlasPages[0] + " pages of the " + Fmt.length(HUB_EDGES)
                        + "-edge hub (ms per page, median)", atlas.medianMillis(), "raw JDBC, same statement, V32 table",
                        raw32.medianMillis(), "ms", "walks " + Fmt.num(atlasNanos / 1e6) + " ms vs " + Fmt.num(v32Nanos / 1e6)
                                + " ms; Atlas " + atlas.describe()));
                s.figure(Figure.latency(label, "raw JDBC page, V31-shaped table (sorts the hub's edges; ms per page, median)",
                        raw31.medianMillis(), "raw JDBC, same statement, V32 table", raw32.medianMillis(), "ms",
                        sampled + "; " + raw31.describe()));
                s.figure(Figure.latency(label, "raw JDBC walk of all pages, V31-shaped table", v31Walk,
                        "Atlas neighbours walk of all pages (V32)", atlasNanos / 1e6, "ms (walk)", "what V32 buys a hub's full walk; " + sampled));
                boolean ok = atlasRows[0] == HUB_EDGES && v32Rows == HUB_EDGES && mismatches == 0
                        && (v31Pages != v32Pages || v31Rows == HUB_EDGES);
                s.note(label + " paging: " + (ok ? "row check passed" : "ROW CHECK FAILED") + " (neighbours read: Atlas " + atlasRows[0]
                        + " in " + atlasPages[0] + " pages, raw V32 " + v32Rows + " in " + v32Pages + "; the V31-shaped table's "
                        + v31Pages + " pages read gave the V32 table's edge ids, " + mismatches + " mismatches)");
                Env.log("%s paging: Atlas %.2f ms/page, raw V32 %.2f, raw V31 %.2f (%d pages); walks %.0f / %.0f / %.0f ms", label,
                        atlas.medianMillis(), raw32.medianMillis(), raw31.medianMillis(), v31Pages, atlasNanos / 1e6, v32Nanos / 1e6, v31Walk);
            }
        }
    }

    /**
     * Atlas's neighbour statement for OUTGOING without a type (GraphSql), first page and after a
     * cursor, on {@code table}, sent by raw JDBC: the cursor is the last row's (weight, id).
     */
    static final class RawPages implements AutoCloseable {
        private final Dialect dialect;
        private final PreparedStatement first;
        private final PreparedStatement after;
        private final List<String> firstParams = new ArrayList<>();
        private final List<String> afterParams = new ArrayList<>();
        /** The weight of row {@value PAGE} of the last page read. */
        double lastWeight;

        RawPages(Connection c, Dialect dialect, String table) throws SQLException {
            this.dialect = dialect;
            first = c.prepareStatement(jdbc(limit(statement(table, dialect, false), dialect), firstParams));
            after = c.prepareStatement(jdbc(limit(statement(table, dialect, true), dialect), afterParams));
        }

        /** As GraphSql sends it: on PostgreSQL the page's LIMIT written as a number (graph32: a plan the plan cache keeps), on SQLite bound. */
        private static String limit(String statement, Dialect dialect) {
            return dialect == Dialect.POSTGRESQL ? statement.replace(":limit", Integer.toString(PAGE + 1)) : statement;
        }

        /** The edge ids of the page after {@code (w, edge)} (null: the first), up to {@value PAGE} + 1, every column read. */
        List<String> page(Double w, UUID edge) {
            PreparedStatement ps = w == null ? first : after;
            List<String> params = w == null ? firstParams : afterParams;
            try {
                for (int i = 0; i < params.size(); i++) {
                    switch (params.get(i)) {
                        case "t" -> ps.setString(i + 1, "pages");
                        case "key" -> ps.setString(i + 1, "p0");
                        case "limit" -> ps.setInt(i + 1, PAGE + 1);
                        case "w" -> ps.setDouble(i + 1, w);
                        case "edge" -> dialect.bindUuid(ps, i + 1, edge);
                        case "dir" -> ps.setInt(i + 1, 0);
                        default -> throw new IllegalStateException(params.get(i));
                    }
                }
                List<Object[]> page = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getString("e_id") == null) {
                            continue;
                        }
                        page.add(new Object[] {rs.getDouble("e_weight"), rs.getString("e_id"), rs.getString("n_key"), rs.getString("n_label"),
                                rs.getString("n_type"), rs.getString("n_metadata"), rs.getString("n_created"), rs.getString("n_updated"),
                                rs.getString("e_source"), rs.getString("e_target"), rs.getString("e_type"), rs.getString("e_metadata"),
                                rs.getString("e_created"), rs.getString("e_updated"), rs.getString("n_id")});
                    }
                }
                // The statement's order, restated as Atlas does (the join that tells a missing node leaves it to the plan).
                page.sort(java.util.Comparator.<Object[]>comparingDouble(r -> -(Double) r[0]).thenComparing(r -> (String) r[1]));
                if (page.size() >= PAGE) {
                    lastWeight = (Double) page.get(PAGE - 1)[0];
                }
                return page.stream().map(r -> (String) r[1]).toList();
            } catch (SQLException e) {
                throw new IllegalStateException("raw neighbour page failed", e);
            }
        }

        @Override
        public void close() throws SQLException {
            first.close();
            after.close();
        }
    }

    private static final String NODE_COLUMNS = "n.id AS n_id, n.node_key AS n_key, n.label AS n_label, n.type AS n_type,"
            + " n.metadata AS n_metadata, n.created_at AS n_created, n.updated_at AS n_updated";
    private static final String ORDER = " ORDER BY e_weight DESC, e_id LIMIT :limit";

    /**
     * GraphSql's neighbours statement, OUTGOING, untyped (copied: GraphSql is internal to atlas-jdbi): the edge's keys are
     * {@code :key} and the neighbour's, no join of the edge's two nodes again; on PostgreSQL each arm takes its page of
     * edges first and looks each neighbour up by primary key (rf60), as GraphSql does.
     */
    static String statement(String table, Dialect dialect, boolean after) {
        String start = "(SELECT id FROM " + NODES_TABLE + " WHERE tenant_id = :t AND node_key = :key)";
        String columns = "SELECT " + NODE_COLUMNS + ", e.id AS e_id, :key AS e_source, n.node_key AS e_target, e.type AS e_type,"
                + " e.weight AS e_weight, e.metadata AS e_metadata, e.created_at AS e_created, e.updated_at AS e_updated, 0 AS dir";
        String where = " WHERE e.tenant_id = :t AND e.source_id = " + start;
        List<String> ranges = after ? List.of(" AND e.weight = :w AND e.id >= :edge AND (e.id > :edge OR 0 > :dir)", " AND e.weight < :w")
                : List.of("");
        List<String> arms = dialect == Dialect.SQLITE
                ? ranges.stream().map(r -> columns + " FROM " + table + " e JOIN " + NODES_TABLE
                        + " n ON n.tenant_id = e.tenant_id AND n.id = e.target_id" + where + r).toList()
                : ranges.stream().map(r -> columns + " FROM (SELECT e.id, e.target_id AS other_id, e.type, e.weight, e.metadata,"
                        + " e.created_at, e.updated_at FROM " + table + " e" + where + r + " ORDER BY e.weight DESC, e.id LIMIT :limit)"
                        + " e CROSS JOIN LATERAL (SELECT * FROM " + NODES_TABLE + " n WHERE n.tenant_id = :t AND n.id = e.other_id OFFSET 0) n")
                        .toList();
        String union = arms.size() == 1 ? arms.get(0) : dialect == Dialect.SQLITE ? String.join(" UNION ALL ", arms)
                : String.join(" UNION ALL ", arms.stream().map(a -> "SELECT * FROM (" + a + ORDER + ") a").toList());
        return "SELECT y.* FROM (SELECT 1 AS found FROM " + NODES_TABLE + " WHERE tenant_id = :t AND node_key = :key) s"
                + " LEFT JOIN (" + union + ORDER + ") y ON 1 = 1";
    }

    private static final Pattern PARAM = Pattern.compile(":(\\w+)");

    /** {@code :name} parameters to JDBC's {@code ?}, their names in order into {@code names}. */
    static String jdbc(String sql, List<String> names) {
        Matcher m = PARAM.matcher(sql);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            names.add(m.group(1));
            m.appendReplacement(b, "?");
        }
        m.appendTail(b);
        return b.toString();
    }

    // ---- schema and seeding -----------------------------------------------------------------

    /** graph_edges as V3 made it and V31 left it: the same columns, keys and foreign keys, V3's target index. */
    private static void createOldTable(DataSource ds, Dialect dialect, String table) throws SQLException {
        boolean pg = dialect == Dialect.POSTGRESQL;
        String ddl = "CREATE TABLE " + table + " (tenant_id " + (pg ? "text" : "TEXT") + " NOT NULL, id " + (pg ? "uuid" : "TEXT")
                + " NOT NULL, source_id " + (pg ? "uuid" : "TEXT") + " NOT NULL, target_id " + (pg ? "uuid" : "TEXT") + " NOT NULL,"
                + " type " + (pg ? "text" : "TEXT") + " NOT NULL, weight " + (pg ? "double precision" : "REAL") + " NOT NULL,"
                + " metadata " + (pg ? "jsonb NOT NULL" : "TEXT NOT NULL CHECK (json_valid(metadata))") + ", created_at "
                + (pg ? "timestamptz" : "INTEGER") + " NOT NULL, updated_at " + (pg ? "timestamptz" : "INTEGER") + " NOT NULL,"
                + " PRIMARY KEY (tenant_id, id), UNIQUE (tenant_id, source_id, target_id, type),"
                + " FOREIGN KEY (tenant_id, source_id) REFERENCES " + NODES_TABLE + " (tenant_id, id),"
                + " FOREIGN KEY (tenant_id, target_id) REFERENCES " + NODES_TABLE + " (tenant_id, id))";
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute(ddl);
            if (table.equals(FOUR)) {
                st.execute("CREATE INDEX " + table + "_source ON " + table + " (tenant_id, source_id, weight DESC, id)");
                st.execute("CREATE INDEX " + table + "_target ON " + table + " (tenant_id, target_id, weight DESC, id)");
            } else {
                st.execute("CREATE INDEX " + table + "_target ON " + table + " (tenant_id, target_id, type)");
            }
        }
    }

    private static UUID[] seedNodes(DataSource ds, Dialect dialect, String tenant, int count, String keyPrefix) throws SQLException {
        UUID[] ids = new UUID[count];
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + NODES_TABLE
                    + " (tenant_id, id, node_key, label, type, metadata, created_at, updated_at) VALUES (?, ?, ?, NULL, NULL, ?, ?, ?)")) {
                Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
                for (int i = 0; i < count; i++) {
                    ids[i] = Ids.next();
                    ps.setString(1, tenant);
                    dialect.bindUuid(ps, 2, ids[i]);
                    ps.setString(3, keyPrefix + i);
                    dialect.bindJson(ps, 4, "{}");
                    dialect.bindInstant(ps, 5, now);
                    dialect.bindInstant(ps, 6, now);
                    ps.addBatch();
                    if (i % 1000 == 999) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            c.commit();
        }
        return ids;
    }

    /** Node 0 of tenant "pages" linked to every other node, weight 1.0, type "link". */
    private static void seedHub(DataSource ds, Dialect dialect, UUID[] nodes, UUID[] edgeIds, String table) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table
                    + " (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                    + " VALUES ('pages', ?, ?, ?, 'link', 1.0, ?, ?, ?)")) {
                Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
                for (int i = 1; i < nodes.length; i++) {
                    dialect.bindUuid(ps, 1, edgeIds[i]);
                    dialect.bindUuid(ps, 2, nodes[0]);
                    dialect.bindUuid(ps, 3, nodes[i]);
                    dialect.bindJson(ps, 4, "{}");
                    dialect.bindInstant(ps, 5, now);
                    dialect.bindInstant(ps, 6, now);
                    ps.addBatch();
                    if (i % 1000 == 0) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            c.commit();
        }
    }

    private static long count(DataSource ds, String table, String tenant) throws SQLException {
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE tenant_id = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
