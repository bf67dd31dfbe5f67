package dev.atlas.jdbi;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.Page;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphNeighbour;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * graph32: PostgreSQL's plan cache keeps a prepared statement on custom plans (planned on every call) while its generic plan's
 * estimate is dearer than theirs. A {@code LIMIT} bound as a parameter is estimated at 10 % of its input in the generic plan and
 * at its value in a custom one, so a page read with it was re-planned on every call. The counts come from
 * {@code pg_prepared_statements} of Atlas's one pooled connection (pgjdbc prepares a statement on the server from its fifth
 * run; PostgreSQL then plans it custom five times before it compares): plan choices, not times.
 */
// The plan counts are of the one pooled connection's statements: the test that counts runs first.
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PostgresPlanCacheTest {
    private static final String NAME = "atlas_plancache_" + ProcessHandle.current().pid();
    /** Calls per statement: 4 unnamed (pgjdbc's prepareThreshold 5), then 5 custom plans of the named one, then the choice. */
    private static final int CALLS = 15;
    private static HikariDataSource pool;
    private static Atlas atlas;

    @BeforeAll
    static void open() throws SQLException {
        PostgresTestDatabase.createMigratedDatabase(NAME);
        DataSource server = PostgresTestDatabase.server().getDatabase("postgres", NAME);
        try (Connection c = server.getConnection(); Statement s = c.createStatement()) {
            // As a tenant whose edges hang off a few hubs: 10 hubs (hub, h1..h9) each with an edge to each of 1,200 leaves ('likes' and
            // 'knows' in turn), and h1..h9 with 60 typed edges each to hub. A node's edges are estimated by the edges per distinct
            // source (1,254) or target (about 10): 10 % of the first is far above a page, so the outgoing side shows the defect.
            s.execute("INSERT INTO atlas_graph_nodes (tenant_id, id, node_key, label, type, metadata, created_at, updated_at)"
                    + " SELECT 'acme', gen_random_uuid(), k, NULL, NULL, '{}', now(), now() FROM (SELECT 'hub' AS k UNION ALL"
                    + " SELECT 'h' || i FROM generate_series(1, 9) i UNION ALL SELECT 'leaf' || i FROM generate_series(0, 1199) i) keys");
            s.execute("INSERT INTO atlas_graph_edges (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                    + " SELECT 'acme', gen_random_uuid(), h.id, n.id, CASE WHEN substr(n.node_key, 5)::int % 2 = 0 THEN 'likes' ELSE 'knows' END,"
                    + " random(), '{}', now(), now() FROM atlas_graph_nodes h, atlas_graph_nodes n WHERE h.tenant_id = 'acme'"
                    + " AND n.tenant_id = 'acme' AND h.node_key !~ '^leaf' AND n.node_key ~ '^leaf'");
            s.execute("INSERT INTO atlas_graph_edges (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                    + " SELECT 'acme', gen_random_uuid(), h.id, t.id, 't' || i, random(), '{}', now(), now()"
                    + " FROM atlas_graph_nodes h, atlas_graph_nodes t, generate_series(0, 59) i WHERE h.tenant_id = 'acme'"
                    + " AND t.tenant_id = 'acme' AND h.node_key ~ '^h[0-9]' AND t.node_key = 'hub'");
            s.execute("VACUUM ANALYZE atlas_graph_nodes");
            s.execute("VACUUM ANALYZE atlas_graph_edges");
        }
        HikariConfig config = new HikariConfig();
        config.setMaximumPoolSize(1);
        config.setDataSource(server);
        pool = new HikariDataSource(config);
        atlas = Atlas.builder().dataSource(pool).migrate(false).build();
    }

    @AfterAll
    static void close() throws SQLException {
        if (atlas != null) {
            atlas.close();
        }
        if (pool != null) {
            pool.close();
        }
        try (Connection c = PostgresTestDatabase.server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE " + NAME + " WITH (FORCE)");
        }
    }

    /** Each server-side prepared statement of the pool's connection that reads {@code table}: [generic plans, custom plans, text]. */
    private static List<String[]> plans(String table) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT generic_plans, custom_plans, statement FROM pg_prepared_statements"
                     + " WHERE NOT from_sql AND statement LIKE '%" + table + "%' ORDER BY statement")) {
            while (rs.next()) {
                rows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
            }
        }
        return rows;
    }

    @Test
    @Order(1)
    @DisplayName("graph32: a neighbour page, each direction, with and without an edge type, first and after a cursor, called "
            + CALLS + " times with one page size (4) on one connection, runs PostgreSQL's generic plan once the plan cache compares"
            + " (it was planned custom on every call: the generic plan costed the parameter LIMIT at 10 % of the hub's edges)")
    void neighbourPagesReuseTheirGenericPlan() throws SQLException {
        MemoryGraph graph = atlas.tenant("acme").graph();
        int variants = 0;
        for (Direction d : Direction.values()) {
            for (String type : new String[] {null, d == Direction.INCOMING ? "t7" : "likes"}) {
                Page<GraphNeighbour> first = graph.neighbours("hub", d, type, 4, null);
                String cursor = first.nextCursor().orElseThrow();
                for (int i = 0; i < CALLS; i++) {
                    assertThat(graph.neighbours("hub", d, type, 4, null).items()).extracting(n -> n.edge().id())
                            .containsExactlyElementsOf(first.items().stream().map(n -> n.edge().id()).toList());
                    assertThat(graph.neighbours("hub", d, type, 4, cursor).items()).hasSize(4);
                }
                variants += 2;
            }
        }
        List<String[]> plans = plans("atlas_graph_edges");
        // One prepared statement per (direction, type filter, cursor) at this page size.
        assertThat(plans).hasSize(variants);
        assertThat(plans).allSatisfy(p -> assertThat(Long.parseLong(p[0])).as("generic plans of " + p[2] + " (custom " + p[1] + ")")
                .isPositive());
    }

    /** The hub's edge ids of {@code direction} (and {@code type}) in the database's own page order, every one. */
    private static List<java.util.UUID> hubEdges(Direction direction, String type) throws SQLException {
        String end = direction == Direction.OUTGOING ? "e.source_id = h.id" : direction == Direction.INCOMING ? "e.target_id = h.id"
                : "(e.source_id = h.id OR e.target_id = h.id)";
        List<java.util.UUID> ids = new ArrayList<>();
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT e.id FROM atlas_graph_edges e JOIN atlas_graph_nodes h ON h.tenant_id = e.tenant_id"
                     + " AND h.node_key = 'hub' WHERE e.tenant_id = 'acme' AND " + end + (type == null ? "" : " AND e.type = '" + type + "'")
                     + " ORDER BY e.weight DESC, e.id")) {
            while (rs.next()) {
                ids.add(rs.getObject(1, java.util.UUID.class));
            }
        }
        return ids;
    }

    @Test
    @Order(2)
    @DisplayName("rfgraph: a walk whose page size changes on every page, across each literal page size and the sizes on both sides of"
            + " it (1 to Limits.MAX_PAGE_SIZE), each cursor handed to a page of another size, lists the hub's edges exactly as the"
            + " database's ORDER BY weight DESC, id does, each direction, with and without a type; another tenant's hub of the same key"
            + " and a one-edge page of 1000 stay apart")
    void pagesOfEverySizeWalkTheHubExactly() throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            // Another tenant's node keyed 'hub', one edge: a page that read past the tenant predicate would show it.
            s.execute("INSERT INTO atlas_graph_nodes (tenant_id, id, node_key, label, type, metadata, created_at, updated_at)"
                    + " VALUES ('other', gen_random_uuid(), 'hub', NULL, NULL, '{}', now(), now()),"
                    + " ('other', gen_random_uuid(), 'x', NULL, NULL, '{}', now(), now())");
            s.execute("INSERT INTO atlas_graph_edges (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                    + " SELECT 'other', gen_random_uuid(), h.id, x.id, 'likes', 2.0, '{}', now(), now() FROM atlas_graph_nodes h,"
                    + " atlas_graph_nodes x WHERE h.tenant_id = 'other' AND h.node_key = 'hub' AND x.tenant_id = 'other' AND x.node_key = 'x'");
        }
        MemoryGraph graph = atlas.tenant("acme").graph();
        int[] sizes = {1, 2, 3, 5, 6, 7, 10, 11, 12, 20, 21, 22, 50, 51, 52, 100, 101, 102, 200, 201, 202, 500, 501, 502, 999, 1000};
        for (Direction d : Direction.values()) {
            for (String type : new String[] {null, d == Direction.INCOMING ? "t7" : "likes"}) {
                List<java.util.UUID> expected = hubEdges(d, type);
                assertThat(expected).as(d + " " + type).hasSizeGreaterThanOrEqualTo(9);
                List<java.util.UUID> walked = new ArrayList<>();
                String cursor = null;
                int call = 0;
                do {
                    int size = sizes[call++ % sizes.length];
                    Page<GraphNeighbour> page = graph.neighbours("hub", d, type, size, cursor);
                    int left = expected.size() - walked.size();
                    assertThat(page.items()).as(d + " " + type + " page of " + size).hasSize(Math.min(size, left));
                    assertThat(page.nextCursor().isPresent()).as(d + " " + type + " page of " + size + " has more").isEqualTo(left > size);
                    page.items().forEach(n -> walked.add(n.edge().id()));
                    cursor = page.nextCursor().orElse(null);
                } while (cursor != null);
                assertThat(walked).as(d + " " + type).containsExactlyElementsOf(expected);
            }
        }
        assertThat(atlas.tenant("other").graph().neighbours("hub", Direction.OUTGOING, null, 1000, null).items()).hasSize(1);
    }
}
