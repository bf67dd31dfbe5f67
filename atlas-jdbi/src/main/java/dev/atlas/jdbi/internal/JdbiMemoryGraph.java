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
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;


import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** {@link MemoryGraph} on the statement layer ({@link GraphSql}): upserts with ON CONFLICT, traversal with one recursive query. */
public final class JdbiMemoryGraph implements MemoryGraph {
    private final Db db;
    private final Sql sql;
    private final GraphSql q;
    private final RowMapper<GraphNode> nodes;
    private final RowMapper<GraphEdge> edges;

    public JdbiMemoryGraph(Db db, String tenant) {
        this.db = db;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(GraphSql.class, GraphSql::new);
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
            sql.on(h, q.upsertNode).bind("id", id).bind("key", node.key()).bind("label", node.label()).bind("type", node.type())
                    .bind("metadata", metadata).bind("now", db.now()).update();
            return findNode(h, node.key()).orElseThrow();
        });
    }

    @Override
    public Optional<GraphNode> getNode(String key) {
        Check.key("key", key);
        return db.read(h -> findNode(h, key));
    }

    private Optional<GraphNode> findNode(Handle h, String key) {
        return sql.on(h, q.findNode).bind("key", key).optional(nodes);
    }

    /** The start node of a read absent (or another tenant's): a NotFoundException on key, as requireNode's. */
    private static NotFoundException notFound(String key) {
        return new NotFoundException("graph node", key, "key");
    }

    private UUID lockedNodeId(Handle h, Statement statement, String key, String field) {
        return sql.on(h, statement).bind("key", key).optional(sql.uuidColumn())
                .orElseThrow(() -> new NotFoundException("graph node", key, field));
    }

    @Override
    public void deleteNode(String key) {
        Check.key("key", key);
        db.write(h -> {
            UUID id = lockedNodeId(h, q.nodeIdForDelete, key, "key");
            sql.on(h, q.deleteEdgesFrom).bind("id", id).update();
            sql.on(h, q.deleteEdgesTo).bind("id", id).update();
            sql.on(h, q.deleteNode).bind("id", id).update();
            return null;
        });
    }

    @Override
    public GraphEdge upsertEdge(NewGraphEdge edge) {
        Check.notNull("edge", edge);
        JsonDoc metadata = Json.write("metadata", edge.metadata());
        UUID id = Ids.next(db.clock());
        if (q.upsertEdgeOne != null) {
            // PostgreSQL: one statement locks both nodes, upserts and returns the edge (auto-commit; in an application's
            // transaction it joins it). A missing node (or another tenant's) is told as the lookups below tell it, source first.
            return db.writeOneStatement(h -> sql.on(h, q.upsertEdgeOne).bind("source", edge.sourceKey())
                    .bind("target", edge.targetKey()).bind("id", id).bind("type", edge.type()).bind("weight", edge.weight())
                    .bind("metadata", metadata).bind("now", db.now()).one((rs, ctx) -> {
                        if (rs.getString("e_source") == null) {
                            throw new NotFoundException("graph node", edge.sourceKey(), "sourceKey");
                        }
                        if (rs.getString("e_target") == null) {
                            throw new NotFoundException("graph node", edge.targetKey(), "targetKey");
                        }
                        return edges.map(rs, ctx);
                    }));
        }
        return db.write(h -> {
            UUID source = lockedNodeId(h, q.nodeIdShared, edge.sourceKey(), "sourceKey");
            UUID target = lockedNodeId(h, q.nodeIdShared, edge.targetKey(), "targetKey");
            sql.on(h, q.upsertEdge).bind("id", id).bind("source", source).bind("target", target).bind("type", edge.type())
                    .bind("weight", edge.weight()).bind("metadata", metadata).bind("now", db.now()).update();
            return sql.on(h, q.findEdge).bind("source", source).bind("target", target).bind("type", edge.type()).one(edges);
        });
    }

    @Override
    public void deleteEdge(String sourceKey, String type, String targetKey) {
        Check.key("sourceKey", sourceKey);
        Check.key("type", type);
        Check.key("targetKey", targetKey);
        int deleted = db.write(h -> sql.on(h, q.deleteEdge).bind("type", type).bind("source", sourceKey).bind("target", targetKey)
                .update());
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
        Cursor.Listing listing = sql.listing("neighbours", key, direction, edgeType);
        Cursor after = cursor == null ? null : Cursor.decode(cursor, listing, 3);
        double weight = after == null ? 0 : weight(after);
        // One statement finds the node and reads its edges: one snapshot at every isolation level, in an application's
        // transaction too. No row: no node; a row of NULLs: the node without such edges.
        List<Row> rows = db.read(h -> {
            // On PostgreSQL the statement carries its page size as a number (a plan cached per connection, see GraphSql)
            // and may read a few rows more than limit + 1: the page keeps the first limit + 1 in the page order.
            Statement statement = q.neighbours(direction, (after == null ? 0 : 2) + (edgeType == null ? 0 : 1), limit);
            Sql.Call call = sql.on(h, statement).bind("key", key);
            if (statement.parameters().contains("limit")) {
                call.bind("limit", limit + 1);
            }
            if (edgeType != null) {
                call.bind("type", edgeType);
            }
            if (after != null) {
                call.bind("w", weight).bind("edge", after.uuid(1)).bind("dir", (int) after.number(2));
            }
            List<Optional<Row>> found = call.list((rs, ctx) -> rs.getString("e_id") == null ? Optional.empty()
                    : Optional.of(Row.of(new GraphNeighbour(nodes.map(rs, ctx), edges.map(rs, ctx)), rs.getInt("dir"))));
            if (found.isEmpty()) {
                throw notFound(key);
            }
            // The statement's page, in its order: heaviest first, then by id (UUIDs order as their text on both databases),
            // outgoing before incoming. The join that tells a missing node leaves the order to the plan, so it is restated here.
            return found.stream().flatMap(Optional::stream).sorted(PAGE_ORDER).limit(limit + 1L).toList();
        });
        // The cursor keeps the weight's exact bits (Double.toString round-trips), the edge id and the direction.
        Page<Row> page = Cursor.page(rows, limit, r -> Cursor.encode(listing, Double.toString(r.neighbour().edge().weight()),
                r.neighbour().edge().id(), r.dir()));
        return new Page<>(page.items().stream().map(Row::neighbour).toList(), page.nextCursor());
    }

    private static double weight(Cursor c) {
        try {
            double w = Double.parseDouble(c.string(0));
            long dir = c.number(2);
            if (Double.isFinite(w) && (dir == 0 || dir == 1)) {
                return w;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new InvalidInputException("cursor", "is not a cursor returned by a previous page of this listing");
    }

    /** A page's row; {@code id} is the edge id's text, made once per row rather than on every comparison of the sort. */
    private record Row(GraphNeighbour neighbour, int dir, String id) {
        static Row of(GraphNeighbour neighbour, int dir) {
            return new Row(neighbour, dir, neighbour.edge().id().toString());
        }
    }

    /** A neighbour page's order, as the database's: weights compared as numbers (0.0 equals -0.0), ids as text. */
    private static final java.util.Comparator<Row> PAGE_ORDER = (a, b) -> {
        double wa = a.neighbour().edge().weight();
        double wb = b.neighbour().edge().weight();
        if (wa != wb) {
            return wa > wb ? -1 : 1;
        }
        int byId = a.id().compareTo(b.id());
        return byId != 0 ? byId : Integer.compare(a.dir(), b.dir());
    };

    @Override
    public List<GraphReach> traverse(String key, Direction direction, String edgeType, int maxDepth, int limit) {
        Check.key("key", key);
        Check.notNull("direction", direction);
        Check.optionalKey("edgeType", edgeType);
        Check.positive("maxDepth", maxDepth, Limits.MAX_GRAPH_DEPTH);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        // One statement looks the start node up and walks: one snapshot at every isolation level, in an application's
        // transaction too. Its first row is the start node (depth 0); none: no node.
        return db.read(h -> {
            Sql.Call call = sql.on(h, q.traverse.get(direction)[edgeType == null ? 0 : 1]).bind("key", key)
                    .bind("maxDepth", maxDepth).bind("limit", limit + 1);
            if (edgeType != null) {
                call.bind("type", edgeType);
            }
            List<GraphReach> reached = call.list((rs, ctx) -> new GraphReach(nodes.map(rs, ctx), rs.getInt("depth")));
            if (reached.isEmpty()) {
                throw notFound(key);
            }
            return List.copyOf(reached.subList(1, reached.size()));
        });
    }
}
