package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Page;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphEdge;
import dev.atlas.graph.GraphNeighbour;
import dev.atlas.graph.GraphNode;
import dev.atlas.graph.GraphReach;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.internal.Check;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** {@link MemoryGraph} on Jdbi: upserts with ON CONFLICT, traversal with one recursive query. */
public final class JdbiMemoryGraph implements MemoryGraph {
    private static final String NODE_COLUMNS = "n.id AS n_id, n.node_key AS n_key, n.label AS n_label, n.type AS n_type,"
            + " n.metadata AS n_metadata, n.created_at AS n_created, n.updated_at AS n_updated";
    private static final String EDGE_COLUMNS = "e.id AS e_id, s.node_key AS e_source, t.node_key AS e_target, e.type AS e_type,"
            + " e.weight AS e_weight, e.metadata AS e_metadata, e.created_at AS e_created, e.updated_at AS e_updated";
    private static final String EDGE_FROM = "<p>graph_edges e JOIN <p>graph_nodes s ON s.tenant_id = e.tenant_id AND s.id = e.source_id"
            + " JOIN <p>graph_nodes t ON t.tenant_id = e.tenant_id AND t.id = e.target_id";

    private final Db db;
    private final String tenant;
    private final RowMapper<GraphNode> nodes;
    private final RowMapper<GraphEdge> edges;

    public JdbiMemoryGraph(Db db, String tenant) {
        this.db = db;
        this.tenant = tenant;
        Dialect d = db.dialect();
        this.nodes = Rows.guard("graph_nodes", "n_id", (rs, ctx) -> new GraphNode(d.uuid(rs, "n_id"), rs.getString("n_key"),
                rs.getString("n_label"), rs.getString("n_type"), Json.readMap(rs.getString("n_metadata")), d.instant(rs, "n_created"),
                d.instant(rs, "n_updated")));
        this.edges = Rows.guard("graph_edges", "e_id", (rs, ctx) -> new GraphEdge(d.uuid(rs, "e_id"), rs.getString("e_source"),
                rs.getString("e_target"), rs.getString("e_type"), rs.getDouble("e_weight"), Json.readMap(rs.getString("e_metadata")),
                d.instant(rs, "e_created"), d.instant(rs, "e_updated")));
    }

    @Override
    public GraphNode upsertNode(NewGraphNode node) {
        Check.notNull("node", node);
        JsonDoc metadata = Json.write("metadata", node.metadata());
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            h.createUpdate("INSERT INTO <p>graph_nodes (tenant_id, id, node_key, label, type, metadata, created_at, updated_at)"
                            + " VALUES (:t, :id, :key, :label, :type, :metadata, :now, :now)"
                            + " ON CONFLICT (tenant_id, node_key) DO UPDATE SET label = excluded.label, type = excluded.type,"
                            + " metadata = excluded.metadata, updated_at = excluded.updated_at")
                    .bind("t", tenant).bind("id", id).bind("key", node.key()).bind("label", node.label()).bind("type", node.type())
                    .bind("metadata", metadata).bind("now", db.now())
                    .execute();
            return findNode(h, node.key()).orElseThrow();
        });
    }

    @Override
    public Optional<GraphNode> getNode(String key) {
        Check.key("key", key);
        return db.read(h -> findNode(h, key));
    }

    private Optional<GraphNode> findNode(Handle h, String key) {
        return h.createQuery("SELECT " + NODE_COLUMNS + " FROM <p>graph_nodes n WHERE n.tenant_id = :t AND n.node_key = :key")
                .bind("t", tenant).bind("key", key).map(nodes).findOne();
    }

    private UUID requireNodeId(Handle h, String key) {
        return findNode(h, key).map(GraphNode::id).orElseThrow(() -> new NotFoundException("graph node", key));
    }

    @Override
    public void deleteNode(String key) {
        Check.key("key", key);
        db.write(h -> {
            Optional<GraphNode> node = findNode(h, key);
            if (node.isEmpty()) {
                throw new NotFoundException("graph node", key, "key");
            }
            h.createUpdate("DELETE FROM <p>graph_edges WHERE tenant_id = :t AND (source_id = :id OR target_id = :id)")
                    .bind("t", tenant).bind("id", node.get().id()).execute();
            h.createUpdate("DELETE FROM <p>graph_nodes WHERE tenant_id = :t AND id = :id")
                    .bind("t", tenant).bind("id", node.get().id()).execute();
            return null;
        });
    }

    @Override
    public GraphEdge upsertEdge(NewGraphEdge edge) {
        Check.notNull("edge", edge);
        JsonDoc metadata = Json.write("metadata", edge.metadata());
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            UUID source = requireNodeId(h, edge.sourceKey());
            UUID target = requireNodeId(h, edge.targetKey());
            h.createUpdate("INSERT INTO <p>graph_edges (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                            + " VALUES (:t, :id, :source, :target, :type, :weight, :metadata, :now, :now)"
                            + " ON CONFLICT (tenant_id, source_id, target_id, type) DO UPDATE SET weight = excluded.weight,"
                            + " metadata = excluded.metadata, updated_at = excluded.updated_at")
                    .bind("t", tenant).bind("id", id).bind("source", source).bind("target", target).bind("type", edge.type())
                    .bind("weight", edge.weight()).bind("metadata", metadata).bind("now", db.now())
                    .execute();
            return h.createQuery("SELECT " + EDGE_COLUMNS + " FROM " + EDGE_FROM
                            + " WHERE e.tenant_id = :t AND e.source_id = :source AND e.target_id = :target AND e.type = :type")
                    .bind("t", tenant).bind("source", source).bind("target", target).bind("type", edge.type())
                    .map(edges).one();
        });
    }

    @Override
    public void deleteEdge(String sourceKey, String type, String targetKey) {
        Check.key("sourceKey", sourceKey);
        Check.key("type", type);
        Check.key("targetKey", targetKey);
        int deleted = db.write(h -> h.createUpdate("DELETE FROM <p>graph_edges WHERE tenant_id = :t AND type = :type"
                        + " AND source_id = (SELECT id FROM <p>graph_nodes WHERE tenant_id = :t AND node_key = :source)"
                        + " AND target_id = (SELECT id FROM <p>graph_nodes WHERE tenant_id = :t AND node_key = :target)")
                .bind("t", tenant).bind("type", type).bind("source", sourceKey).bind("target", targetKey)
                .execute());
        if (deleted == 0) {
            throw new NotFoundException("graph edge", sourceKey + " -" + type + "-> " + targetKey, "sourceKey");
        }
    }

    @Override
    public Page<GraphNeighbour> neighbours(String key, Direction direction, String edgeType, int limit, String cursor) {
        Check.key("key", key);
        Check.notNull("direction", direction);
        Check.optionalKey("edgeType", edgeType);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        NeighbourCursor after = Check.optional("cursor", cursor, 200) == null ? null : NeighbourCursor.parse(cursor);
        String typeFilter = edgeType == null ? "" : " AND e.type = :type";
        // dir tells apart the two rows of a self-loop seen from both ends, so the keyset is unique.
        String sql = switch (direction) {
            case OUTGOING -> select("e.target_id", "e.source_id = :id", typeFilter, 0);
            case INCOMING -> select("e.source_id", "e.target_id = :id", typeFilter, 1);
            case BOTH -> select("e.target_id", "e.source_id = :id", typeFilter, 0) + " UNION ALL "
                    + select("e.source_id", "e.target_id = :id", typeFilter, 1);
        };
        String keyset = after == null ? ""
                : " WHERE (e_weight < :w OR (e_weight = :w AND (e_id > :edge OR (e_id = :edge AND dir > :dir))))";
        List<Row> rows = db.read(h -> {
            UUID id = requireNodeId(h, key);
            var query = h.createQuery("SELECT * FROM (" + sql + ") x" + keyset + " ORDER BY e_weight DESC, e_id, dir LIMIT :limit")
                    .bind("t", tenant).bind("id", id).bind("limit", limit + 1);
            if (edgeType != null) {
                query.bind("type", edgeType);
            }
            if (after != null) {
                query.bind("w", after.weight()).bind("edge", after.edge()).bind("dir", after.dir());
            }
            return query.map((rs, ctx) -> new Row(new GraphNeighbour(nodes.map(rs, ctx), edges.map(rs, ctx)), rs.getInt("dir"))).list();
        });
        boolean more = rows.size() > limit;
        List<Row> page = more ? rows.subList(0, limit) : rows;
        List<GraphNeighbour> items = page.stream().map(Row::neighbour).toList();
        if (!more) {
            return new Page<>(items, Optional.empty());
        }
        Row last = page.get(limit - 1);
        return new Page<>(items, Optional.of(new NeighbourCursor(last.neighbour().edge().weight(), last.neighbour().edge().id(), last.dir())
                .encode()));
    }

    private record Row(GraphNeighbour neighbour, int dir) {}

    /** Position after a neighbour row: its edge's weight (exact bits), edge id and direction. */
    private record NeighbourCursor(double weight, UUID edge, int dir) {
        String encode() {
            String raw = "n:" + Double.toString(weight) + ":" + edge + ":" + dir;
            return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
        }

        static NeighbourCursor parse(String cursor) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":");
                if (parts.length != 4 || !parts[0].equals("n")) {
                    throw new IllegalArgumentException();
                }
                int dir = Integer.parseInt(parts[3]);
                double weight = Double.parseDouble(parts[1]);
                if ((dir != 0 && dir != 1) || !Double.isFinite(weight)) {
                    throw new IllegalArgumentException();
                }
                return new NeighbourCursor(weight, UUID.fromString(parts[2]), dir);
            } catch (RuntimeException e) {
                throw new InvalidInputException("cursor", "is not a cursor returned by a previous page");
            }
        }
    }

    private static String select(String otherEnd, String condition, String typeFilter, int dir) {
        return "SELECT " + NODE_COLUMNS + ", " + EDGE_COLUMNS + ", " + dir + " AS dir FROM " + EDGE_FROM
                + " JOIN <p>graph_nodes n ON n.tenant_id = e.tenant_id AND n.id = " + otherEnd
                + " WHERE e.tenant_id = :t AND " + condition + typeFilter;
    }

    @Override
    public List<GraphReach> traverse(String key, Direction direction, String edgeType, int maxDepth, int limit) {
        Check.key("key", key);
        Check.notNull("direction", direction);
        Check.optionalKey("edgeType", edgeType);
        Check.positive("maxDepth", maxDepth, Limits.MAX_GRAPH_DEPTH);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        String typeFilter = edgeType == null ? "" : " AND e.type = :type";
        String step = switch (direction) {
            case OUTGOING -> "SELECT e.target_id, w.depth + 1 FROM walk w JOIN <p>graph_edges e ON e.tenant_id = :t AND e.source_id = w.node_id"
                    + " WHERE w.depth < :maxDepth" + typeFilter;
            case INCOMING -> "SELECT e.source_id, w.depth + 1 FROM walk w JOIN <p>graph_edges e ON e.tenant_id = :t AND e.target_id = w.node_id"
                    + " WHERE w.depth < :maxDepth" + typeFilter;
            case BOTH -> "SELECT CASE WHEN e.source_id = w.node_id THEN e.target_id ELSE e.source_id END, w.depth + 1 FROM walk w"
                    + " JOIN <p>graph_edges e ON e.tenant_id = :t AND (e.source_id = w.node_id OR e.target_id = w.node_id)"
                    + " WHERE w.depth < :maxDepth" + typeFilter;
        };
        // UNION (not UNION ALL) drops repeated (node, depth) pairs, so each level holds each node
        // at most once and cycles cannot blow up the walk before the depth bound ends it.
        String sql = "WITH RECURSIVE walk (node_id, depth) AS (SELECT id, 0 FROM <p>graph_nodes WHERE tenant_id = :t AND id = :start"
                + " UNION " + step + ")"
                + " SELECT " + NODE_COLUMNS + ", r.depth AS depth FROM (SELECT node_id, MIN(depth) AS depth FROM walk GROUP BY node_id) r"
                + " JOIN <p>graph_nodes n ON n.tenant_id = :t AND n.id = r.node_id"
                + " WHERE r.node_id <> :start ORDER BY r.depth, n.node_key LIMIT :limit";
        return db.read(h -> {
            UUID start = requireNodeId(h, key);
            var query = h.createQuery(sql).bind("t", tenant).bind("start", start).bind("maxDepth", maxDepth).bind("limit", limit);
            if (edgeType != null) {
                query.bind("type", edgeType);
            }
            return List.copyOf(query.map((rs, ctx) -> new GraphReach(nodes.map(rs, ctx), rs.getInt("depth"))).list());
        });
    }
}
