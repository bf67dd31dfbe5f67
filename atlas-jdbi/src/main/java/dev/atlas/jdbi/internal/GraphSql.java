package dev.atlas.jdbi.internal;

import dev.atlas.graph.Direction;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The memory graph's statements; each neighbour and traversal shape is declared once per direction. */
final class GraphSql {
    static final String NODE_COLUMNS = "n.id AS n_id, n.node_key AS n_key, n.label AS n_label, n.type AS n_type,"
            + " n.metadata AS n_metadata, n.created_at AS n_created, n.updated_at AS n_updated";
    static final String EDGE_COLUMNS = "e.id AS e_id, s.node_key AS e_source, t.node_key AS e_target, e.type AS e_type,"
            + " e.weight AS e_weight, e.metadata AS e_metadata, e.created_at AS e_created, e.updated_at AS e_updated";
    /**
     * An upsert's new updated_at: an instance whose clock runs behind the last writer's keeps the
     * stored stamp rather than moving it back (before created_at, even). Instants compare as
     * stored on both databases (microseconds on SQLite, timestamptz on PostgreSQL); the stored
     * row's column is qualified by the table's name (a bare name is ambiguous with excluded's on PostgreSQL).
     */
    private static final String EDGE_FROM = "<p>graph_edges e JOIN <p>graph_nodes s ON s.tenant_id = e.tenant_id AND s.id = e.source_id"
            + " JOIN <p>graph_nodes t ON t.tenant_id = e.tenant_id AND t.id = e.target_id";

    /**
     * A neighbour page's order and size. No edge is in two arms (BOTH leaves a self-loop's incoming side out; the two arms
     * after a cursor take other weights), so ids never tie and the order needs no direction term: with one, SQLite sorted
     * each arm's rows for it once the arm no longer joined the start node first.
     */
    private static final String PAGE = page("e_weight", "e_id");

    /** A page's order and size over the columns {@code weight} and {@code id}: the page's rows or, on PostgreSQL, an arm's edges. */
    private static String page(String weight, String id) {
        return " ORDER BY " + weight + " DESC, " + id + " LIMIT :limit";
    }

    /** The id of the node keyed {@code :key}: a scalar subquery, so a read finds its node in its own statement (one snapshot). */
    private static final String START = "(SELECT id FROM <p>graph_nodes WHERE tenant_id = :t AND node_key = :key)";

    final Statement upsertNode;
    final Statement findNode;
    final Statement nodeIdShared;
    final Statement nodeIdForDelete;
    final Statement deleteEdgesFrom;
    final Statement deleteEdgesTo;
    final Statement deleteNode;
    final Statement upsertEdge;
    /**
     * PostgreSQL only, null on SQLite: {@link #upsertEdge} as one statement that share-locks both nodes of the tenant,
     * upserts the edge and returns it as stored: one round trip in auto-commit mode instead of six (BEGIN with the
     * source's lookup, the target's, the upsert, the read-back, COMMIT). Always one row: {@code e_source} (or
     * {@code e_target}) NULL when the tenant has no such source (target) node, and then nothing was written.
     */
    final @Nullable Statement upsertEdgeOne;
    final Statement findEdge;
    final Statement deleteEdge;
    /**
     * Per direction: [without, with] an edge-type filter, then the same two after a cursor. One statement each, binding
     * {@code :key}: no row when the tenant has no node {@code :key}, one row of NULLs when it has one without such edges,
     * else the page of edges (the node's lookup and its edges on one snapshot at every isolation level).
     */
    final Map<Direction, Statement[]> neighbours = new EnumMap<>(Direction.class);
    /**
     * PostgreSQL only (empty on SQLite): per direction, per statement of {@link #neighbours}, one rendering per size of
     * {@link #PAGE_ROWS} with its {@code LIMIT}s written as that number instead of bound. A generic plan estimates a bound
     * {@code LIMIT} at 10 % of its input, a custom plan at its value; where a node's edges are estimated in the hundreds (a
     * tenant whose edges hang off a few hubs), the plan cache found the generic plan dearer and planned every call anew
     * (0.26 ms a call: benchmark 15, graph32). With the number in the text both plans are the same and the cached one is used.
     */
    private final Map<Direction, Statement[][]> neighbourPages = new EnumMap<>(Direction.class);
    /**
     * The rows a PostgreSQL neighbour page reads: a page of {@code limit} reads the first size that holds {@code limit + 1}
     * (one row more tells that a next page exists; the rows beyond are dropped by the caller). Few sizes, so each connection
     * keeps at most this many prepared statements per neighbour statement; the common page sizes (1, 5, 10, 20, 50, 100, 200,
     * 500, 1000) read no row more than before.
     */
    static final int[] PAGE_ROWS = {2, 6, 11, 21, 51, 101, 201, 501, dev.atlas.Limits.MAX_PAGE_SIZE + 1};
    /**
     * Per direction: [without, with] an edge-type filter. One statement each, binding {@code :key}: the start node first
     * (depth 0) and then the nodes reached, or no row when the tenant has no node {@code :key}.
     */
    final Map<Direction, Statement[]> traverse = new EnumMap<>(Direction.class);

    private final Catalogue catalogue;

    GraphSql(Catalogue c) {
        catalogue = c;
        upsertNode = c.sql("graph.upsertNode", "INSERT INTO <p>graph_nodes (tenant_id, id, node_key, label, type, metadata, created_at,"
                + " updated_at) VALUES (:t, :id, :key, :label, :type, :metadata, :now, :now) ON CONFLICT (tenant_id, node_key) DO UPDATE"
                + " SET label = excluded.label, type = excluded.type, metadata = excluded.metadata, updated_at = " + Dialect.upsertLater("<p>graph_nodes"));
        findNode = c.sql("graph.findNode", "SELECT " + NODE_COLUMNS + " FROM <p>graph_nodes n WHERE n.tenant_id = :t AND n.node_key = :key");
        // On PostgreSQL an edge's upsert share-locks its two nodes and a node's delete locks it for update, so
        // neither can slip an edge in or the node out between the other's check and write (a foreign key error).
        String nodeId = "SELECT id FROM <p>graph_nodes WHERE tenant_id = :t AND node_key = :key";
        nodeIdShared = c.sql("graph.nodeIdShared", nodeId + c.dialect().forShare());
        nodeIdForDelete = c.sql("graph.nodeIdForDelete", nodeId + c.dialect().forUpdate());
        // Two statements, one per index: SQLite answers the OR of both columns by scanning the tenant's edges.
        deleteEdgesFrom = c.sql("graph.deleteEdgesFrom", "DELETE FROM <p>graph_edges WHERE tenant_id = :t AND source_id = :id");
        deleteEdgesTo = c.sql("graph.deleteEdgesTo", "DELETE FROM <p>graph_edges WHERE tenant_id = :t AND target_id = :id");
        deleteNode = c.sql("graph.deleteNode", "DELETE FROM <p>graph_nodes WHERE tenant_id = :t AND id = :id");
        upsertEdge = c.sql("graph.upsertEdge", "INSERT INTO <p>graph_edges (tenant_id, id, source_id, target_id, type, weight, metadata,"
                + " created_at, updated_at) VALUES (:t, :id, :source, :target, :type, :weight, :metadata, :now, :now)"
                + " ON CONFLICT (tenant_id, source_id, target_id, type) DO UPDATE SET weight = excluded.weight,"
                + " metadata = excluded.metadata, updated_at = " + Dialect.upsertLater("<p>graph_edges"));
        // Data-modifying WITH is PostgreSQL's. Each node's lookup is a CTE of its own, read once (FOR SHARE materializes it):
        // no row in either, and the INSERT's SELECT writes nothing, while the outer join still answers with one row.
        upsertEdgeOne = c.dialect() != Dialect.POSTGRESQL ? null : c.sql("graph.upsertEdgeOne", "WITH s AS (SELECT id, node_key FROM <p>graph_nodes"
                + " WHERE tenant_id = :t AND node_key = :source FOR SHARE), tg AS (SELECT id, node_key FROM <p>graph_nodes"
                + " WHERE tenant_id = :t AND node_key = :target FOR SHARE), e AS (INSERT INTO <p>graph_edges (tenant_id, id, source_id, target_id, type, weight,"
                + " metadata, created_at, updated_at) SELECT :t, :id, s.id, tg.id, :type, :weight, :metadata, :now, :now FROM s, tg"
                + " ON CONFLICT (tenant_id, source_id, target_id, type) DO UPDATE SET weight = excluded.weight,"
                + " metadata = excluded.metadata, updated_at = " + Dialect.upsertLater("<p>graph_edges")
                + " RETURNING id, type, weight, metadata, created_at, updated_at)"
                + " SELECT e.id AS e_id, s.node_key AS e_source, tg.node_key AS e_target, e.type AS e_type, e.weight AS e_weight,"
                + " e.metadata AS e_metadata, e.created_at AS e_created, e.updated_at AS e_updated"
                + " FROM (SELECT 1) o LEFT JOIN s ON true LEFT JOIN tg ON true LEFT JOIN e ON true");
        findEdge = c.sql("graph.findEdge", "SELECT " + EDGE_COLUMNS + " FROM " + EDGE_FROM
                + " WHERE e.tenant_id = :t AND e.source_id = :source AND e.target_id = :target AND e.type = :type");
        deleteEdge = c.sql("graph.deleteEdge", "DELETE FROM <p>graph_edges WHERE tenant_id = :t AND type = :type"
                + " AND source_id = (SELECT id FROM <p>graph_nodes WHERE tenant_id = :t AND node_key = :source)"
                + " AND target_id = (SELECT id FROM <p>graph_nodes WHERE tenant_id = :t AND node_key = :target)");
        for (Direction d : Direction.values()) {
            Statement[] n = new Statement[4];
            Statement[] w = new Statement[2];
            for (int typed = 0; typed < 2; typed++) {
                String type = typed == 1 ? " AND e.type = :type" : "";
                String name = "graph.neighbours." + d.name().toLowerCase(java.util.Locale.ROOT) + (typed == 1 ? ".typed" : "");
                for (int after = 0; after < 2; after++) {
                    boolean a = after == 1;
                    // BOTH: a self-loop is one edge, so its incoming side (the same node and edge again) is left out.
                    String out = "e.source_id = " + START;
                    String in = "e.target_id = " + START;
                    List<String> arms = new ArrayList<>();
                    if (d != Direction.INCOMING) {
                        arms.addAll(neighbour("e.target_id", out, type, 0, a, c.dialect()));
                    }
                    if (d != Direction.OUTGOING) {
                        arms.addAll(neighbour("e.source_id", d == Direction.BOTH ? in + " AND e.source_id <> " + START : in, type, 1, a,
                                c.dialect()));
                    }
                    // V32's (tenant, source|target[, type], weight DESC, id) indexes hand each arm's edges over in page order: no
                    // sort of the node's edges. SQLite merges the arms as it reads them; PostgreSQL, which estimates a node's edges
                    // by the tenant's average degree, sorted all of a hub's edges of both directions rather than merge them, so it
                    // takes a page of each arm, each read in order, and merges those pages.
                    String rows = arms.size() == 1 ? arms.get(0) : c.dialect() == Dialect.SQLITE ? String.join(" UNION ALL ", arms)
                            : arms.stream().map(arm -> "SELECT * FROM (" + arm + PAGE + ") a").collect(Collectors.joining(" UNION ALL "));
                    n[2 * after + typed] = c.sql(name + (a ? ".after" : ""), ofNode(rows + PAGE));
                }
                w[typed] = c.sql("graph.traverse." + d.name().toLowerCase(java.util.Locale.ROOT) + (typed == 1 ? ".typed" : ""),
                        walk(d, type, c.dialect()));
            }
            neighbours.put(d, n);
            if (c.dialect() == Dialect.POSTGRESQL) {
                neighbourPages.put(d, new Statement[n.length][PAGE_ROWS.length]);
            }
            traverse.put(d, w);
        }
    }

    /**
     * The neighbour statement of {@code direction} ({@code variant} indexes {@link #neighbours}' array) for a page of
     * {@code limit}: on SQLite the one declared, binding {@code :limit} ({@code limit + 1}); on PostgreSQL the rendering that
     * reads {@link #pageRows} rows, binding no limit.
     */
    Statement neighbours(Direction direction, int variant, int limit) {
        Statement[][] pages = neighbourPages.get(direction);
        if (pages == null) {
            return neighbours.get(direction)[variant];
        }
        int rows = pageRows(limit);
        int r = java.util.Arrays.binarySearch(PAGE_ROWS, rows);
        Statement s = pages[variant][r];
        if (s == null) {
            // Rendered on first use (two threads may both render it: the same immutable statement). :limit appears only in
            // page()'s LIMIT clauses.
            Statement declared = neighbours.get(direction)[variant];
            s = catalogue.render(declared.name(), declared.declared().replace(":limit", Integer.toString(rows)));
            pages[variant][r] = s;
        }
        return s;
    }

    /** The rows {@link #neighbours(Direction, int, int)}'s statement reads at most for a page of {@code limit} (at least {@code limit + 1}). */
    int pageRows(int limit) {
        if (neighbourPages.isEmpty()) {
            return limit + 1;
        }
        for (int rows : PAGE_ROWS) {
            if (rows > limit) {
                return rows;
            }
        }
        throw new IllegalArgumentException("a page of " + limit + " is above Limits.MAX_PAGE_SIZE");
    }

    /**
     * The page {@code edges} of node {@code :key}, told apart from no node: the node's lookup LEFT JOINs the page, so a node
     * without edges is one row of NULLs and a missing node no row.
     */
    private static String ofNode(String edges) {
        // No ORDER BY here: the page is ordered by its own statement, and its at most :limit rows are put in that order
        // again by the caller (an ORDER BY over the join sorted them in a step of its own on both databases).
        return "SELECT y.* FROM (SELECT 1 AS found FROM <p>graph_nodes WHERE tenant_id = :t AND node_key = :key) s"
                + " LEFT JOIN (" + edges + ") y ON 1 = 1";
    }

    /**
     * One direction's edges of the node, {@code dir} telling which: one arm; after a cursor, those after {@code (:w, :edge, :dir)}
     * in the page order as two arms, each an index range that starts at the cursor: the cursor's weight from its edge id on
     * ({@code e.weight = :w AND e.id >= :edge}), then the lighter edges ({@code e.weight < :w}). One range from the cursor's
     * weight on read a run of equal weights (every edge's default 1.0) from its start again on every later page.
     */
    private static List<String> neighbour(String otherEnd, String condition, String typeFilter, int dir, boolean after, Dialect dialect) {
        // The edge's two keys without joining its two nodes again: one end is node :key (found by that key, so stored as
        // bound), the other the neighbour n. Each joined node cost a lookup per row, and on PostgreSQL most of the plan's time.
        String ends = dir == 0 ? ":key AS e_source, n.node_key AS e_target" : "n.node_key AS e_source, :key AS e_target";
        String columns = "SELECT " + NODE_COLUMNS + ", e.id AS e_id, " + ends + ", e.type AS e_type, e.weight AS e_weight,"
                + " e.metadata AS e_metadata, e.created_at AS e_created, e.updated_at AS e_updated, " + dir + " AS dir";
        String where = " WHERE e.tenant_id = :t AND " + condition + typeFilter;
        List<String> ranges = after ? List.of(" AND e.weight = :w AND e.id >= :edge AND (e.id > :edge OR " + dir + " > :dir)",
                " AND e.weight < :w") : List.of("");
        if (dialect == Dialect.SQLITE) {
            String rows = columns + " FROM <p>graph_edges e JOIN <p>graph_nodes n ON n.tenant_id = e.tenant_id AND n.id = " + otherEnd + where;
            return ranges.stream().map(range -> rows + range).toList();
        }
        // PostgreSQL estimates a node's edges by the table's average degree (the node is a subquery, so a hub's own count is
        // never used): where that estimate came near a page, it read all of a hub's edges (or all after the cursor), hash-joined
        // them to every node of the table and sorted them for one page. Here each arm takes its page of edges first (its own
        // ORDER BY and LIMIT over the index range) and each of those edges looks its neighbour up by primary key (LATERAL;
        // OFFSET 0 keeps it a per-row lookup, never a join): no plan reads more than a page (PostgresQueryPlanTest, rf60).
        return ranges.stream().map(range -> columns + " FROM (SELECT e.id, " + otherEnd + " AS other_id, e.type, e.weight, e.metadata,"
                + " e.created_at, e.updated_at FROM <p>graph_edges e" + where + range + page("e.weight", "e.id")
                + ") e CROSS JOIN LATERAL (SELECT * FROM <p>graph_nodes n WHERE n.tenant_id = :t AND n.id = e.other_id OFFSET 0) n").toList();
    }

    private static String walk(Direction direction, String typeFilter, Dialect dialect) {
        String outgoing = "SELECT e.target_id, w.depth + 1 FROM walk w CROSS JOIN <p>graph_edges e WHERE e.tenant_id = :t AND e.source_id = w.node_id";
        String incoming = "SELECT e.source_id, w.depth + 1 FROM walk w CROSS JOIN <p>graph_edges e" + byTarget(dialect)
                + " WHERE e.tenant_id = :t AND e.target_id = w.node_id";
        String depth = " AND w.depth < :maxDepth" + typeFilter;
        // SQLite: CROSS JOIN keeps the walk's row outside, so each step looks its edges up by
        // index (left to itself SQLite scanned every edge of the tenant per step: seconds for a
        // depth-10 walk over a few thousand edges); BOTH is two recursive selects (SQLite 3.34+),
        // one per index, since SQLite answers an OR of the two columns by scanning. PostgreSQL
        // plans the OR form well and allows one recursive reference only.
        String step = switch (direction) {
            case OUTGOING -> outgoing + depth;
            case INCOMING -> incoming + depth;
            case BOTH -> dialect == Dialect.SQLITE ? outgoing + depth + " UNION " + incoming + depth
                    : "SELECT CASE WHEN e.source_id = w.node_id THEN e.target_id ELSE e.source_id END, w.depth + 1 FROM walk w"
                    + " CROSS JOIN <p>graph_edges e WHERE e.tenant_id = :t AND (e.source_id = w.node_id OR e.target_id = w.node_id)" + depth;
        };
        // UNION (not UNION ALL) drops repeated (node, depth) pairs, so each level holds each node
        // at most once and cycles cannot blow up the walk before the depth bound ends it.
        // The start node (depth 0, so first) comes back too: no row at all tells that the tenant has no node :key.
        return "WITH RECURSIVE walk (node_id, depth) AS (SELECT id, 0 FROM <p>graph_nodes WHERE tenant_id = :t AND node_key = :key"
                + " UNION " + step + ")"
                + " SELECT " + NODE_COLUMNS + ", r.depth AS depth FROM (SELECT node_id, MIN(depth) AS depth FROM walk GROUP BY node_id) r"
                + " CROSS JOIN <p>graph_nodes n WHERE n.tenant_id = :t AND n.id = r.node_id"
                + " ORDER BY r.depth, " + dialect.binary("n.node_key") + " LIMIT :limit";
    }

    /**
     * SQLite answers a lookup by target from the tenant's whole range of the (covering) unique
     * index unless told to use the target index (V3's {@code graph_edges_target}).
     */
    private static String byTarget(Dialect dialect) {
        return dialect == Dialect.SQLITE ? " INDEXED BY <p>graph_edges_target" : "";
    }
}
