package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.ConfigurationException;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.migrations.AtlasMigrations;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Migrations apply once, are a no-op the second time, validate, and coexist with a host's Flyway. */
public abstract class MigrationContract {
    protected final TestDatabase database;

    protected MigrationContract(TestDatabase database) {
        this.database = database;
    }

    private final java.util.List<Atlas> opened = new java.util.ArrayList<>();

    @AfterEach
    void cleanup() {
        opened.forEach(Atlas::close);
        database.cleanup();
    }

    /** Atlas on a database the test migrated by hand (with migrations off: it must find them all applied). */
    private Atlas openOn(DataSource ds) {
        Atlas atlas = Atlas.builder().dataSource(ds).migrate(false).build();
        opened.add(atlas);
        return atlas;
    }

    @Test
    @DisplayName("migrating an empty database applies every version; migrating again applies none; validate passes")
    void migrateTwice() {
        DataSource ds = database.empty();
        int applied = AtlasMigrations.of(ds).migrate();
        assertThat(applied).isGreaterThanOrEqualTo(1);
        assertThat(AtlasMigrations.of(ds).migrate()).isZero();
        Flyway flyway = AtlasMigrations.of(ds).flyway();
        assertThat(flyway.validateWithResult().validationSuccessful).isTrue();
        assertThat(flyway.info().pending()).isEmpty();
        assertThat(flyway.info().applied()).extracting(MigrationInfo::getVersion).isNotEmpty();
        var store = openOn(ds).conversations();
        var c = store.create(NewConversation.of(Owner.user("1")));
        store.append(c.id(), NewMessage.user("works after migration"));
    }

    @Test
    @DisplayName("instances starting at once on an empty database (replicas of one app) all open; each version is applied once")
    void concurrentStartsOnAnEmptyDatabase() throws Exception {
        DataSource ds = database.empty();
        int instances = 4;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(instances);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(instances);
        try {
            java.util.List<java.util.concurrent.Future<Atlas>> starts = new java.util.ArrayList<>();
            for (int i = 0; i < instances; i++) {
                starts.add(pool.submit(() -> {
                    start.await();
                    return Atlas.builder().dataSource(ds).build();
                }));
            }
            for (var f : starts) {
                opened.add(f.get(120, java.util.concurrent.TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        Flyway flyway = AtlasMigrations.of(ds).flyway();
        assertThat(flyway.info().pending()).isEmpty();
        java.util.List<String> versions = java.util.Arrays.stream(flyway.info().applied())
                .map(m -> m.getVersion().getVersion()).toList();
        assertThat(versions).doesNotHaveDuplicates().contains(newestBundled(ds));
        for (int i = 0; i < instances; i++) {
            var store = opened.get(i).conversations();
            var c = store.create(NewConversation.of(Owner.user("replica-" + i)));
            store.append(c.id(), NewMessage.user("written by replica " + i));
        }
        assertThat(opened.get(0).conversations().list(ConversationQuery.all()).items()).hasSize(instances);
    }

    @Test
    @DisplayName("a custom table prefix names every table and Atlas's own history table")
    void customPrefix() throws SQLException {
        try (Atlas atlas = database.open(b -> b.tablePrefix("agent_"))) {
            var store = atlas.tenant("t").conversations();
            store.create(NewConversation.of(Owner.user("1")));
            assertThat(store.list(ConversationQuery.all()).items()).hasSize(1);
            assertThat(count("agent_conversations")).isEqualTo(1);
            assertThat(count("agent_schema_history")).isGreaterThanOrEqualTo(1);
            assertThat(tableExists("atlas_conversations")).isFalse();
        }
    }

    @Test
    @DisplayName("Atlas's history table coexists with a host's own Flyway history")
    void coexistsWithHostFlyway() throws SQLException {
        try (Atlas atlas = database.open()) {
            assertThat(atlas.databaseKind()).isNotNull();
            DataSource ds = database.dataSource();
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE flyway_schema_history (installed_rank INT PRIMARY KEY, version TEXT)");
                s.execute("INSERT INTO flyway_schema_history VALUES (1, '42')");
            }
            assertThat(AtlasMigrations.of(ds).migrate()).isZero();
            assertThat(count("flyway_schema_history")).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("Atlas migrates into a database that already holds the host's tables, and a second prefix beside the first")
    void joinsNonEmptyDatabase() throws SQLException {
        DataSource ds = database.empty();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE host_orders (id INT PRIMARY KEY, note TEXT)");
            s.execute("INSERT INTO host_orders VALUES (1, 'kept')");
        }
        assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(5);
        assertThat(AtlasMigrations.of(ds).tablePrefix("second_").migrate()).isGreaterThanOrEqualTo(5);
        assertThat(AtlasMigrations.of(ds).flyway().validateWithResult().validationSuccessful).isTrue();
        var store = openOn(ds).conversations();
        store.append(store.create(NewConversation.of(Owner.user("1"))).id(), NewMessage.user("works beside the host's tables"));
        assertThat(count("host_orders")).isEqualTo(1);
        assertThat(count("second_conversations")).isZero();
    }

    @Test
    @DisplayName("V6 repairs a database where concurrent activations left two active siblings: the later one stays active")
    void v6RepairsDoubleActiveSiblings() throws SQLException {
        DataSource ds = database.empty();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target("5").load().migrate();
        // The store speaks the newest schema, so the V5 rows are written with SQL, as Atlas 0.1 wrote them.
        boolean pg = database.name().equals("PostgreSQL");
        String now = pg ? "now()" : "0";
        UUID c = UUID.randomUUID();
        UUID q = UUID.randomUUID();
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        try (Connection conn = ds.getConnection()) {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO atlas_conversations (tenant_id, id, owner_type, owner_id, type,"
                    + " status, metadata, last_sequence, activity_at, created_at, updated_at) VALUES ('" + Atlas.DEFAULT_TENANT
                    + "', ?, 'user', '1', 'user', 'open', '{}', 3, " + now + ", " + now + ", " + now + ")")) {
                bindId(ps, 1, c, pg);
                ps.executeUpdate();
            }
            Object[][] rows = {{q, 1, "user", "question", null}, {first, 2, "assistant", "first answer", q},
                    {second, 3, "assistant", "second answer", q}};
            for (Object[] r : rows) {
                try (PreparedStatement ps = conn.prepareStatement("INSERT INTO atlas_messages (tenant_id, id, conversation_id, sequence,"
                        + " role, content_type, content, status, is_active, parent_id, metadata, created_at, updated_at) VALUES ('"
                        + Atlas.DEFAULT_TENANT + "', ?, ?, ?, ?, 'text', ?, 'delivered', (1 = 1), ?, '{}', " + now + ", " + now + ")")) {
                    bindId(ps, 1, (UUID) r[0], pg);
                    bindId(ps, 2, c, pg);
                    ps.setInt(3, (Integer) r[1]);
                    ps.setString(4, (String) r[2]);
                    ps.setString(5, (String) r[3]);
                    bindId(ps, 6, (UUID) r[4], pg);
                    ps.executeUpdate();
                }
            }
        }
        assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(1);
        var store = openOn(ds).conversations();
        assertThat(store.history(c)).extracting(m -> m.content()).containsExactly("question", "second answer");
        assertThat(store.getMessage(first).orElseThrow().active()).isFalse();
        assertThat(store.getMessage(second).orElseThrow().active()).isTrue();
    }

    @Test
    @DisplayName("V35 on a V34 database keeps every flag (a tool result V34 hid stays hidden); after it a new tool result to the same"
            + " assistant message shows beside the shown one, and activating the hidden one shows all three")
    void v35LetsToolResultsWithoutAnExecutionShowTogether() throws SQLException {
        DataSource ds = database.empty();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target("34").load().migrate();
        boolean pg = database.name().equals("PostgreSQL");
        String now = pg ? "now()" : "0";
        UUID c = UUID.randomUUID();
        UUID q = UUID.randomUUID();
        UUID call = UUID.randomUUID();
        UUID hidden = UUID.randomUUID();
        UUID shown = UUID.randomUUID();
        try (Connection conn = ds.getConnection()) {
            insert(conn, pg, "INSERT INTO atlas_conversations (tenant_id, id, owner_type, owner_id, type, status, metadata, last_sequence,"
                    + " activity_at, created_at, updated_at) VALUES ('" + Atlas.DEFAULT_TENANT + "', ?, 'user', '1', 'user', 'open', '{}', 4, "
                    + now + ", " + now + ", " + now + ")", c);
            Object[][] rows = {{q, 1, "user", "question", null, true}, {call, 2, "assistant", "calls two tools", q, true},
                    {hidden, 3, "tool", "first result", call, false}, {shown, 4, "tool", "second result", call, true}};
            for (Object[] r : rows) {
                try (PreparedStatement ps = conn.prepareStatement("INSERT INTO atlas_messages (tenant_id, id, conversation_id, sequence,"
                        + " role, content_type, content, status, is_active, parent_id, metadata, created_at, updated_at, search_text) VALUES ('"
                        + Atlas.DEFAULT_TENANT + "', ?, ?, ?, ?, 'text', ?, 'delivered', " + ((Boolean) r[5] ? "(1 = 1)" : "(1 = 0)")
                        + ", ?, '{}', " + now + ", " + now + ", ?)")) {
                    bindId(ps, 1, (UUID) r[0], pg);
                    bindId(ps, 2, c, pg);
                    ps.setInt(3, (Integer) r[1]);
                    ps.setString(4, (String) r[2]);
                    ps.setString(5, (String) r[3]);
                    bindId(ps, 6, (UUID) r[4], pg);
                    ps.setString(7, (String) r[3]);
                    ps.executeUpdate();
                }
            }
        }
        assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(1);
        var store = openOn(ds).conversations();
        assertThat(store.history(c)).extracting(m -> m.content()).containsExactly("question", "calls two tools", "second result");
        store.append(c, NewMessage.tool("third result").parent(call));
        assertThat(store.history(c)).extracting(m -> m.content())
                .containsExactly("question", "calls two tools", "second result", "third result");
        assertThat(store.activate(hidden).active()).isTrue();
        assertThat(store.history(c)).extracting(m -> m.content())
                .containsExactly("question", "calls two tools", "first result", "second result", "third result");
    }

    @Test
    @DisplayName("V12 clears links that already dangle (a message's execution and step, a conversation's assistant and revision) and keeps the rows")
    void v12ClearsDanglingLinks() throws SQLException {
        DataSource ds = database.empty();
        // The newest version before V12, whichever numbers other changes took.
        org.flywaydb.core.api.MigrationVersion v12 = org.flywaydb.core.api.MigrationVersion.fromVersion("12");
        String before = java.util.Arrays.stream(AtlasMigrations.of(ds).flyway().info().all()).map(MigrationInfo::getVersion)
                .filter(v -> v.compareTo(v12) < 0).max(java.util.Comparator.naturalOrder()).orElseThrow().getVersion();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target(before).load().migrate();
        boolean pg = database.name().equals("PostgreSQL");
        String now = pg ? "now()" : "0";
        UUID c = UUID.randomUUID();
        UUID m = UUID.randomUUID();
        try (Connection conn = ds.getConnection()) {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO atlas_conversations (tenant_id, id, owner_type, owner_id, type,"
                    + " status, metadata, last_sequence, activity_at, created_at, updated_at, assistant_id, assistant_revision_id) VALUES ('"
                    + Atlas.DEFAULT_TENANT + "', ?, 'user', '1', 'user', 'open', '{}', 1, " + now + ", " + now + ", " + now + ", ?, ?)")) {
                bindId(ps, 1, c, pg);
                bindId(ps, 2, UUID.randomUUID(), pg);
                bindId(ps, 3, UUID.randomUUID(), pg);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO atlas_messages (tenant_id, id, conversation_id, sequence,"
                    + " role, content_type, content, status, is_active, execution_id, step_id, metadata, created_at, updated_at) VALUES ('"
                    + Atlas.DEFAULT_TENANT + "', ?, ?, 1, 'assistant', 'text', 'kept', 'delivered', (1 = 1), ?, ?, '{}', " + now + ", " + now + ")")) {
                bindId(ps, 1, m, pg);
                bindId(ps, 2, c, pg);
                bindId(ps, 3, UUID.randomUUID(), pg);
                bindId(ps, 4, UUID.randomUUID(), pg);
                ps.executeUpdate();
            }
        }
        assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(1);
        var store = openOn(ds).conversations();
        var message = store.message(m).orElseThrow();
        assertThat(message.content()).isEqualTo("kept");
        assertThat(message.executionId()).isNull();
        assertThat(message.stepId()).isNull();
        var conversation = store.require(c);
        assertThat(conversation.assistantId()).isNull();
        assertThat(conversation.assistantRevisionId()).isNull();
    }

    @Test
    @DisplayName("V37 indexes the owners of the assets a V36 database holds: eraseOwner's dry run counts an asset stored with its"
            + " owner before V37, and neither another owner's nor one of no owner")
    void v37IndexesAssetOwners() throws SQLException {
        DataSource ds = database.empty();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target("36").load().migrate();
        boolean pg = database.name().equals("PostgreSQL");
        String now = pg ? "now()" : "0";
        try (Connection conn = ds.getConnection()) {
            for (String[] a : new String[][] {{"'user'", "'alice'", "a/1"}, {"'user'", "'bob'", "b/1"}, {"NULL", "NULL", "n/1"}}) {
                insert(conn, pg, "INSERT INTO atlas_assets (tenant_id, id, type, filename, blob_key, size_bytes, sha256, owner_type, owner_id,"
                        + " metadata, created_at, updated_at) VALUES ('" + Atlas.DEFAULT_TENANT + "', ?, 'document', 'f', '" + a[2] + "', 1, 'x', "
                        + a[0] + ", " + a[1] + ", '{}', " + now + ", " + now + ")", UUID.randomUUID());
            }
        }
        assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(1);
        try (Connection conn = ds.getConnection(); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(pg
                ? "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'atlas_assets_owner'"
                : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'atlas_assets_owner'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).isOne();
        }
        assertThat(openOn(ds).portability().eraseOwner(Owner.user("alice"), true).count("assets")).isOne();
    }

    @Test
    @DisplayName("V32 indexes the edges a V31 database holds: a node's neighbours page afterwards in their order (heaviest first, then by"
            + " edge id, outgoing before incoming), each direction, with and without a type, across pages; V33 indexes the blob keys with a"
            + " segment ending in . it holds (assets and pending purges, every tenant): assets.dottedKeys, which register and the deletion"
            + " of purged bytes run, reads exactly those")
    void v32AndV33IndexExistingRows() throws SQLException {
        DataSource ds = database.empty();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target("31").load().migrate();
        boolean pg = database.name().equals("PostgreSQL");
        String now = pg ? "now()" : "0";
        String[] keys = {"h", "a", "b", "c"};
        UUID[] nodes = new UUID[keys.length];
        try (Connection conn = ds.getConnection()) {
            for (int i = 0; i < keys.length; i++) {
                nodes[i] = UUID.randomUUID();
                try (PreparedStatement ps = conn.prepareStatement("INSERT INTO atlas_graph_nodes (tenant_id, id, node_key, metadata, created_at,"
                        + " updated_at) VALUES ('" + Atlas.DEFAULT_TENANT + "', ?, '" + keys[i] + "', '{}', " + now + ", " + now + ")")) {
                    bindId(ps, 1, nodes[i], pg);
                    ps.executeUpdate();
                }
            }
            // {source, target, type, weight}: ties of weight (ordered by id), a self-loop, both types.
            for (Object[] e : edges()) {
                try (PreparedStatement ps = conn.prepareStatement("INSERT INTO atlas_graph_edges (tenant_id, id, source_id, target_id, type, weight,"
                        + " metadata, created_at, updated_at) VALUES ('" + Atlas.DEFAULT_TENANT + "', ?, ?, ?, '" + e[2] + "', " + e[3] + ", '{}', "
                        + now + ", " + now + ")")) {
                    bindId(ps, 1, UUID.randomUUID(), pg);
                    bindId(ps, 2, nodes[(int) e[0]], pg);
                    bindId(ps, 3, nodes[(int) e[1]], pg);
                    ps.executeUpdate();
                }
            }
        }
        try (Connection conn = ds.getConnection()) {
            // A segment starting with a dot (.hidden) or holding one (a.b) is not one ending in a dot.
            for (String[] a : new String[][] {{"a", "scans./old."}, {"a", "scans/report."}, {"a", "plain/k.bin"}, {"a", ".hidden/x"},
                    {"b", "a.b/c"}, {"b", "Mixed./Case"}, {"b", "x.."}}) {
                insert(conn, pg, "INSERT INTO atlas_assets (tenant_id, id, type, filename, blob_key, size_bytes, sha256, metadata, created_at,"
                        + " updated_at) VALUES ('" + a[0] + "', ?, 'image', 'f', '" + a[1] + "', 1, 'x', '{}', " + now + ", " + now + ")",
                        UUID.randomUUID());
            }
            for (String key : new String[] {"gone./k", "gone/k"}) {
                insert(conn, pg, "INSERT INTO atlas_blob_intents (tenant_id, blob_key, created_at) VALUES ('b', '" + key + "', " + now + ")");
            }
        }
        assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(1);
        java.util.List<String> dotted = new java.util.ArrayList<>();
        try (Connection conn = ds.getConnection(); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(
                dev.atlas.jdbi.internal.DeclaredStatements.asset(pg ? dev.atlas.jdbi.internal.Dialect.POSTGRESQL
                        : dev.atlas.jdbi.internal.Dialect.SQLITE, "assets.dottedKeys").jdbc())) {
            while (rs.next()) {
                dotted.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
            }
        }
        assertThat(dotted).containsExactlyInAnyOrder("a|scans./old.|1", "a|scans/report.|1", "b|mixed./case|1", "b|x..|1", "b|gone./k|0");
        var graph = openOn(ds).graph();
        for (dev.atlas.graph.Direction d : dev.atlas.graph.Direction.values()) {
            for (String type : new String[] {null, "r", "s"}) {
                java.util.List<dev.atlas.graph.GraphNeighbour> whole = graph.neighbours("h", d, type, 100, null).items();
                java.util.List<dev.atlas.graph.GraphNeighbour> paged = new java.util.ArrayList<>();
                String cursor = null;
                do {
                    dev.atlas.Page<dev.atlas.graph.GraphNeighbour> page = graph.neighbours("h", d, type, 1, cursor);
                    paged.addAll(page.items());
                    cursor = page.nextCursor().orElse(null);
                } while (cursor != null);
                java.util.List<String> shown = whole.stream().map(n -> n.edge().sourceKey() + "-" + n.edge().type() + "->" + n.edge().targetKey()
                        + " " + n.edge().weight()).toList();
                assertThat(paged).as(d + " " + type).isEqualTo(whole);
                // Heaviest first, then by edge id (as text), an edge seen from both ends (none here but the self-loop, listed once).
                for (int i = 1; i < whole.size(); i++) {
                    var x = whole.get(i - 1).edge();
                    var y = whole.get(i).edge();
                    assertThat(x.weight() > y.weight() || x.weight() == y.weight() && x.id().toString().compareTo(y.id().toString()) < 0)
                            .as(d + " " + type + ": " + shown).isTrue();
                }
                long expectedCount = java.util.Arrays.stream(edges()).filter(e -> (type == null || e[2].equals(type))
                        && (d == dev.atlas.graph.Direction.OUTGOING ? (int) e[0] == 0 : d == dev.atlas.graph.Direction.INCOMING ? (int) e[1] == 0
                        : (int) e[0] == 0 || (int) e[1] == 0)).count();
                assertThat(whole).as(d + " " + type + ": " + shown).hasSize((int) expectedCount);
            }
        }
    }

    private static Object[][] edges() {
        return new Object[][] {{0, 1, "r", 0.5}, {0, 2, "r", 0.5}, {0, 3, "s", 0.9}, {1, 0, "r", 0.5}, {2, 0, "s", 0.1}, {0, 0, "r", 0.7}};
    }

    @Test
    @DisplayName("V14 keeps every tool call, index and foreign key (SQLite rebuilds the table, here with foreign keys enforced) and allows calls outside a step")
    void v14KeepsToolCallsIndexesAndReferences() throws SQLException {
        boolean pg = database.name().equals("PostgreSQL");
        DataSource ds = database.empty();
        if (!pg) {
            org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
            config.enforceForeignKeys(true);
            org.sqlite.SQLiteDataSource enforcing = new org.sqlite.SQLiteDataSource(config);
            enforcing.setUrl("jdbc:sqlite:" + ((SqliteTestDatabase) database).file());
            ds = enforcing;
        }
        org.flywaydb.core.api.MigrationVersion v14 = org.flywaydb.core.api.MigrationVersion.fromVersion("14");
        String before = java.util.Arrays.stream(AtlasMigrations.of(ds).flyway().info().all()).map(MigrationInfo::getVersion)
                .filter(v -> v.compareTo(v14) < 0).max(java.util.Comparator.naturalOrder()).orElseThrow().getVersion();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target(before).load().migrate();
        String now = pg ? "now()" : "0";
        String t = "'" + Atlas.DEFAULT_TENANT + "'";
        UUID e = UUID.randomUUID();
        UUID s = UUID.randomUUID();
        UUID call = UUID.randomUUID();
        java.util.List<String> schemaBefore;
        try (Connection conn = ds.getConnection()) {
            insert(conn, pg, "INSERT INTO atlas_executions (tenant_id, id, provider, model, type, status, metadata, created_at, updated_at)"
                    + " VALUES (" + t + ", ?, 'openai', 'gpt-4o', 'text', 'completed', '{}', " + now + ", " + now + ")", e);
            insert(conn, pg, "INSERT INTO atlas_execution_steps (tenant_id, id, execution_id, sequence, status, started_at, created_at,"
                    + " updated_at) VALUES (" + t + ", ?, ?, 1, 'completed', " + now + ", " + now + ", " + now + ")", s, e);
            insert(conn, pg, "INSERT INTO atlas_execution_tool_calls (tenant_id, id, execution_id, step_id, provider_call_id, call_index,"
                    + " name, type, arguments, result, status, started_at, created_at, updated_at, metadata) VALUES (" + t + ", ?, ?, ?,"
                    + " 'c1', 0, 'lookup', 'local', '{\"a\":1}', 'shipped', 'completed', " + now + ", " + now + ", " + now
                    + ", '{\"k\":\"v\"}')", call, e, s);
            insert(conn, pg, "INSERT INTO atlas_assets (tenant_id, id, type, filename, blob_key, size_bytes, sha256, tool_call_id,"
                    + " metadata, created_at, updated_at) VALUES (" + t + ", ?, 'image', 'a.png', 'k', 1, 'x', ?, '{}', " + now + ", "
                    + now + ")", UUID.randomUUID(), call);
            schemaBefore = pg ? java.util.List.of() : toolCallSchema(conn);
        }
        // V14 itself (a later migration, V27, changes the table's listing indexes on purpose).
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target(v14).load().migrate();
        if (!pg) {
            try (Connection conn = ds.getConnection()) {
                java.util.List<String> after = new java.util.ArrayList<>(toolCallSchema(conn));
                assertThat(after.remove("index atlas_execution_tool_calls_outside_step")).isTrue();
                assertThat(after).isEqualTo(schemaBefore);
                try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("PRAGMA foreign_key_check")) {
                    assertThat(rs.next()).as("foreign_key_check finds no violation").isFalse();
                }
            }
        }
        assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(1);
        var kept = openOn(ds).executions().tree(e).orElseThrow().steps().get(0).toolCalls();
        assertThat(kept).hasSize(1);
        assertThat(kept.get(0).id()).isEqualTo(call);
        assertThat(kept.get(0).arguments()).isEqualTo("{\"a\":1}");
        assertThat(kept.get(0).result()).isEqualTo("shipped");
        assertThat(kept.get(0).metadata()).isEqualTo(java.util.Map.of("k", "v"));
    }

    /** The SQLite table's indexes (name and text) and foreign keys, to compare before and after a rebuild. */
    private static java.util.List<String> toolCallSchema(Connection conn) throws SQLException {
        java.util.List<String> out = new java.util.ArrayList<>();
        try (Statement st = conn.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                    + " AND tbl_name = 'atlas_execution_tool_calls' ORDER BY name")) {
                while (rs.next()) {
                    out.add(rs.getString("sql") == null ? "auto " + rs.getString("name") : "index " + rs.getString("name"));
                    if (rs.getString("sql") != null && !rs.getString("name").endsWith("outside_step")) {
                        out.add(rs.getString("sql").replaceAll("\\s+", " "));
                    }
                }
            }
            try (ResultSet rs = st.executeQuery("PRAGMA foreign_key_list('atlas_execution_tool_calls')")) {
                while (rs.next()) {
                    out.add("fk " + rs.getString("table") + " " + rs.getString("from") + " -> " + rs.getString("to"));
                }
            }
            try (ResultSet rs = st.executeQuery("PRAGMA foreign_key_list('atlas_assets')")) {
                while (rs.next()) {
                    out.add("assets fk " + rs.getString("table") + " " + rs.getString("from") + " -> " + rs.getString("to"));
                }
            }
        }
        return out;
    }

    private static void insert(Connection conn, boolean pg, String sql, UUID... ids) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            for (int i = 0; i < ids.length; i++) {
                bindId(ps, i + 1, ids[i], pg);
            }
            ps.executeUpdate();
        }
    }

    private static void bindId(PreparedStatement ps, int index, UUID id, boolean pg) throws SQLException {
        if (id == null) {
            ps.setNull(index, pg ? java.sql.Types.OTHER : java.sql.Types.VARCHAR);
        } else if (pg) {
            ps.setObject(index, id);
        } else {
            ps.setString(index, id.toString());
        }
    }

    // ---- beside a host's own Flyway, with the host's default settings (issue 11.8) -------

    /** The host's Flyway exactly as an application configures it: nothing but the data source (V1 in classpath:db/migration). */
    private static Flyway hostFlyway(DataSource ds) {
        return Flyway.configure().dataSource(ds).load();
    }

    @Test
    @DisplayName("README recipe: on a fresh database the host's default Flyway runs first (its V1 applied), then Atlas; restarts apply nothing")
    void hostFlywayFirstThenAtlas() throws SQLException {
        DataSource ds = database.empty();
        assertThat(hostFlyway(ds).migrate().migrationsExecuted).isEqualTo(1);
        assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(5);
        // The next start of the application, in the same order.
        assertThat(hostFlyway(ds).migrate().migrationsExecuted).isZero();
        assertThat(AtlasMigrations.of(ds).migrate()).isZero();
        assertThat(hostFlyway(ds).validateWithResult().validationSuccessful).isTrue();
        assertThat(AtlasMigrations.of(ds).flyway().validateWithResult().validationSuccessful).isTrue();
        assertThat(hostFlyway(ds).info().applied()).extracting(m -> m.getVersion().getVersion()).containsExactly("1");
        assertThat(count("host_orders")).isEqualTo(1);
        var store = openOn(ds).conversations();
        store.append(store.create(NewConversation.of(Owner.user("1"))).id(), NewMessage.user("beside the host's schema"));
    }

    @Test
    @DisplayName("when Atlas migrated first, the host's default Flyway refuses the non-empty schema; baselineOnMigrate with"
            + " baselineVersion 0 (README) applies the host's V1, and later starts need only the defaults")
    void atlasFirstThenHostFlyway() throws SQLException {
        try (Atlas atlas = database.open()) {
            DataSource ds = database.dataSource();
            assertThatThrownBy(() -> hostFlyway(ds).migrate()).isInstanceOf(FlywayException.class)
                    .hasMessageContaining("non-empty schema").hasMessageContaining("no schema history table");
            assertThat(tableExists("host_orders")).isFalse();
            var once = Flyway.configure().dataSource(ds).baselineOnMigrate(true).baselineVersion("0").load();
            assertThat(once.migrate().migrationsExecuted).isEqualTo(1);
            assertThat(count("host_orders")).isEqualTo(1);
            assertThat(hostFlyway(ds).migrate().migrationsExecuted).isZero();
            assertThat(hostFlyway(ds).validateWithResult().validationSuccessful).isTrue();
            assertThat(AtlasMigrations.of(ds).migrate()).isZero();
            var store = atlas.conversations();
            store.append(store.create(NewConversation.of(Owner.user("1"))).id(), NewMessage.user("beside the host's schema"));
        }
    }

    @Test
    @DisplayName("Flyway's own hint, baselineOnMigrate alone, would skip the host's V1: why the README says baselineVersion 0")
    void baselineAloneSkipsHostV1() throws SQLException {
        try (Atlas atlas = database.open()) {
            DataSource ds = database.dataSource();
            assertThat(Flyway.configure().dataSource(ds).baselineOnMigrate(true).load().migrate().migrationsExecuted).isZero();
            assertThat(tableExists("host_orders")).isFalse();
        }
    }

    // ---- the up-to-date fast path (issue 17.2) --------------------------------------------

    /** The newest bundled version: the one Flyway itself would apply last. */
    private static String newestBundled(DataSource ds) {
        MigrationInfo[] all = AtlasMigrations.of(ds).flyway().info().all();
        return all[all.length - 1].getVersion().getVersion();
    }

    /** How many bundled versions are above {@code version}: versions need not be contiguous (each helper's number is reserved). */
    private static int bundledAbove(DataSource ds, int version) {
        int n = 0;
        for (MigrationInfo m : AtlasMigrations.of(ds).flyway().info().all()) {
            if (Integer.parseInt(m.getVersion().getVersion()) > version) {
                n++;
            }
        }
        return n;
    }

    @Test
    @DisplayName("reopening an up-to-date database runs only the history check (SELECTs), not Flyway; prefix and both dialects")
    void upToDateRunsOnlyTheHistoryCheck() {
        DataSource ds = database.empty();
        AtlasMigrations.of(ds).migrate();
        AtlasMigrations.of(ds).tablePrefix("other_").migrate();
        SqlRecorder recorder = new SqlRecorder(ds);
        assertThat(AtlasMigrations.of(recorder.dataSource()).migrate()).isZero();
        assertThat(AtlasMigrations.of(recorder.dataSource()).tablePrefix("other_").migrate()).isZero();
        assertThat(recorder.statements()).isNotEmpty().allSatisfy(sql -> assertThat(sql).startsWith("SELECT")
                .doesNotContain("\"installed_rank\" > ?"));
        assertThat(recorder.statements()).hasSize(database.name().equals("PostgreSQL") ? 6 : 4);
    }

    @Test
    @DisplayName("a database behind the bundled migrations (history at V5) is migrated by Flyway to the newest version")
    void pendingVersionsStillApply() {
        DataSource ds = database.empty();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target("5").load().migrate();
        String newest = newestBundled(ds);
        assertThat(AtlasMigrations.of(ds).migrate()).isEqualTo(bundledAbove(ds, 5));
        assertThat(AtlasMigrations.of(ds).flyway().info().current().getVersion().getVersion()).isEqualTo(newest);
    }

    @Test
    @DisplayName("another prefix's up-to-date history does not make a fresh prefix skip: every version applies to it")
    void otherPrefixUpToDateDoesNotSkip() {
        DataSource ds = database.empty();
        AtlasMigrations.of(ds).migrate();
        int applied = AtlasMigrations.of(ds).tablePrefix("fresh_").migrate();
        assertThat(applied).isEqualTo(bundledAbove(ds, 0));
    }

    @Test
    @DisplayName("a database whose history is NEWER than the bundled migrations goes through Flyway, as before: Flyway ignores"
            + " the future version (its default) and applies nothing")
    void newerDatabaseGoesThroughFlyway() throws SQLException {
        DataSource ds = database.empty();
        int future = migratedThenNewer(ds);
        SqlRecorder recorder = new SqlRecorder(ds);
        assertThat(AtlasMigrations.of(recorder.dataSource()).migrate()).isZero();
        // Flyway ran (it reads the whole history), not the up-to-date check alone.
        assertThat(recorder.statements()).anySatisfy(sql -> assertThat(sql).contains("\"installed_rank\" > ?"));
        assertThat(AtlasMigrations.of(ds).flyway().info().current().getVersion().getVersion()).isEqualTo(String.valueOf(future));
    }

    @Test
    @DisplayName("a failed last run of the newest version is not up to date: Flyway refuses it as before")
    void failedNewestGoesThroughFlyway() throws SQLException {
        DataSource ds = database.empty();
        AtlasMigrations.of(ds).migrate();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("UPDATE atlas_schema_history SET success = (1 = 0) WHERE installed_rank = (SELECT MAX(installed_rank)"
                    + " FROM atlas_schema_history)");
        }
        assertThatThrownBy(() -> AtlasMigrations.of(ds).migrate())
                .isInstanceOf(dev.atlas.StorageException.class)
                .hasMessageContaining("Atlas's migrations failed");
    }

    @Test
    @DisplayName("with migrations off, an empty database stops Atlas at start-up with a ConfigurationException saying to migrate;"
            + " nothing is created")
    void migrateOffOnAnEmptyDatabaseFailsAtStartUp() throws SQLException {
        assertThatThrownBy(() -> database.open(b -> b.migrate(false)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("migrate is off and the database (prefix atlas_) has no Atlas tables, this Atlas needs version "
                        + newestBundled(database.dataSource()))
                .hasMessageContaining("AtlasMigrations.of(dataSource).tablePrefix(\"atlas_\").migrate()");
        assertThat(tableExists("atlas_schema_history")).isFalse();
        assertThat(tableExists("atlas_conversations")).isFalse();
    }

    @Test
    @DisplayName("with migrations off, a database behind the bundled migrations (at V5) stops Atlas at start-up naming both versions;"
            + " nothing is migrated")
    void migrateOffOnAnOlderDatabaseFailsAtStartUp() {
        DataSource ds = database.empty();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target("5").load().migrate();
        assertThatThrownBy(() -> Atlas.builder().dataSource(ds).migrate(false).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("is at schema version 5, this Atlas needs version " + newestBundled(ds));
        assertThat(AtlasMigrations.of(ds).flyway().info().current().getVersion().getVersion()).isEqualTo("5");
    }

    @Test
    @DisplayName("with migrations off, a database with a failed migration stops Atlas at start-up naming the version")
    void migrateOffWithAFailedMigrationFailsAtStartUp() throws SQLException {
        DataSource ds = database.empty();
        AtlasMigrations.of(ds).migrate();
        String newest = newestBundled(ds);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("UPDATE atlas_schema_history SET success = (1 = 0) WHERE version = '" + newest + "'");
        }
        assertThatThrownBy(() -> Atlas.builder().dataSource(ds).migrate(false).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("Atlas's migration " + newest + " (prefix atlas_) failed and was not repaired");
    }

    @Test
    @DisplayName("with migrations off, a database newer than this jar (a rolling upgrade's older instance) opens and works")
    void migrateOffOnANewerDatabaseOpens() throws SQLException {
        DataSource ds = database.empty();
        migratedThenNewer(ds);
        var store = openOn(ds).conversations();
        assertThat(store.append(store.create(NewConversation.of(Owner.user("1"))).id(), NewMessage.user("still works")).sequence())
                .isEqualTo(1);
    }

    /** Migrates {@code ds}, then records a successful run of the next version, as a newer Atlas would; returns that version. */
    private static int migratedThenNewer(DataSource ds) throws SQLException {
        AtlasMigrations.of(ds).migrate();
        int future = Integer.parseInt(newestBundled(ds)) + 1;
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO atlas_schema_history (installed_rank, version, description, type, script, checksum, installed_by,"
                    + " execution_time, success) SELECT MAX(installed_rank) + 1, '" + future + "', 'from a newer Atlas', 'SQL', 'V"
                    + future + "__newer.sql', 1, 'test', 1, (1 = 1) FROM atlas_schema_history");
        }
        return future;
    }

    private long count(String table) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private boolean tableExists(String table) throws SQLException {
        try (Connection c = database.dataSource().getConnection();
             ResultSet rs = c.getMetaData().getTables(null, null, table, null)) {
            return rs.next();
        }
    }
}
