package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.graph.Direction;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQLite's planner must walk the memory graph from indexes: each step of a traversal looks its
 * node's edges up by (tenant, source) or (tenant, target). Scanning every edge of the tenant per
 * step made a depth-10 walk over 6,000 edges take seconds (SQLite put the edges in the outer loop,
 * and answered INCOMING and BOTH steps from the tenant's whole range of the unique index), and
 * the nodes reached were read by scanning all of the tenant's nodes.
 */
class SqliteGraphQueryPlanTest {
    private final SqliteTestDatabase database = new SqliteTestDatabase();
    private Atlas atlas;

    @BeforeEach
    void open() {
        atlas = database.open();
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    private List<String> plan(String jdbc) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection(); PreparedStatement s = c.prepareStatement("EXPLAIN QUERY PLAN " + jdbc);
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                rows.add(rs.getString("detail"));
            }
        }
        return rows;
    }

    @Test
    @DisplayName("every traversal (each direction, with and without an edge type) finds a step's edges by (tenant, source) or (tenant, target), never by scanning the tenant's edges")
    void traversalStepsUseIndexes() throws SQLException {
        MemoryGraph graph = atlas.tenant("acme").graph();
        graph.upsertNode(NewGraphNode.of("a"));
        graph.upsertNode(NewGraphNode.of("b"));
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        Db db = ((JdbiAtlas) atlas).db();
        Map<String, String> seen = new TreeMap<>();
        db.statementListener((name, jdbc) -> {
            if (name.startsWith("graph.traverse")) {
                seen.put(name, jdbc);
            }
        });
        try {
            for (Direction d : Direction.values()) {
                graph.traverse("a", d, null, 3, 10);
                graph.traverse("a", d, "r", 3, 10);
            }
        } finally {
            db.statementListener(null);
        }
        assertThat(seen).hasSize(6);
        for (Map.Entry<String, String> s : seen.entrySet()) {
            List<String> plan = plan(s.getValue());
            List<String> edgeSteps = plan.stream().filter(p -> p.matches("SEARCH e .*")).toList();
            assertThat(edgeSteps).as(s.getKey() + ": " + plan).isNotEmpty()
                    .allSatisfy(p -> assertThat(p).matches(".*\\(tenant_id=\\? AND (source|target)_id=\\?.*\\)"));
            assertThat(plan).as(s.getKey()).noneSatisfy(p -> assertThat(p).startsWith("SCAN e"));
            // The nodes reached are then read by primary key, not by scanning the tenant's nodes.
            assertThat(plan).as(s.getKey() + ": " + plan).anySatisfy(p -> assertThat(p).matches("SEARCH n .*\\(tenant_id=\\? AND id=\\?\\)"))
                    .noneSatisfy(p -> assertThat(p).matches("(SCAN n|SEARCH n .*\\(tenant_id=\\?\\)).*"));
        }
    }

    @Test
    @DisplayName("neighbour pages and a node's delete find the node's edges by (tenant, source) or (tenant, target), never by scanning the tenant's edges")
    void neighboursUseIndexes() throws SQLException {
        MemoryGraph graph = atlas.tenant("acme").graph();
        graph.upsertNode(NewGraphNode.of("a"));
        graph.upsertNode(NewGraphNode.of("b"));
        graph.upsertNode(NewGraphNode.of("c"));
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        graph.upsertEdge(NewGraphEdge.of("c", "r", "a"));
        Db db = ((JdbiAtlas) atlas).db();
        Map<String, String> seen = new TreeMap<>();
        db.statementListener((name, jdbc) -> {
            if (name.startsWith("graph.neighbours") || name.startsWith("graph.deleteEdges")) {
                seen.put(name, jdbc);
            }
        });
        try {
            for (Direction d : Direction.values()) {
                for (String type : new String[] {null, "r"}) {
                    String cursor = graph.neighbours("a", d, type, 1, null).nextCursor().orElse(null);
                    if (cursor != null) {
                        graph.neighbours("a", d, type, 1, cursor);
                    }
                }
            }
            graph.deleteNode("a");
        } finally {
            db.statementListener(null);
        }
        assertThat(seen).containsKeys("graph.deleteEdgesFrom", "graph.deleteEdgesTo", "graph.neighbours.both", "graph.neighbours.both.typed.after",
                "graph.neighbours.incoming", "graph.neighbours.outgoing.typed");
        for (Map.Entry<String, String> s : seen.entrySet()) {
            List<String> plan = plan(s.getValue());
            assertThat(plan).as(s.getKey() + ": " + plan)
                    .anySatisfy(p -> assertThat(p).matches("SEARCH (e|atlas_graph_edges) .*\\(tenant_id=\\? AND (source|target)_id=\\?.*\\)"))
                    .noneSatisfy(p -> assertThat(p).matches("(SCAN (e|atlas_graph_edges)|SEARCH (e|atlas_graph_edges) .*\\(tenant_id=\\?\\)).*"));
        }
    }
}
