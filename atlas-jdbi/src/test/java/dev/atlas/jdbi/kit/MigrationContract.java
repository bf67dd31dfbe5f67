package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
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
    private final TestDatabase database;

    protected MigrationContract(TestDatabase database) {
        this.database = database;
    }

    @AfterEach
    void cleanup() {
        database.cleanup();
    }

    @Test
    @DisplayName("migrating an empty database applies every version; migrating again applies none; validate passes")
    void migrateTwice() {
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
            int applied = AtlasMigrations.of(ds).migrate();
            assertThat(applied).isGreaterThanOrEqualTo(1);
            assertThat(AtlasMigrations.of(ds).migrate()).isZero();
            Flyway flyway = AtlasMigrations.of(ds).flyway();
            assertThat(flyway.validateWithResult().validationSuccessful).isTrue();
            assertThat(flyway.info().pending()).isEmpty();
            assertThat(flyway.info().applied()).extracting(MigrationInfo::getVersion).isNotEmpty();
            var store = atlas.conversations();
            var c = store.create(NewConversation.of(Owner.user("1")));
            store.append(c.id(), NewMessage.user("works after migration"));
        }
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
        try (Atlas first = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE host_orders (id INT PRIMARY KEY, note TEXT)");
                s.execute("INSERT INTO host_orders VALUES (1, 'kept')");
            }
            assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(5);
            assertThat(AtlasMigrations.of(ds).tablePrefix("second_").migrate()).isGreaterThanOrEqualTo(5);
            assertThat(AtlasMigrations.of(ds).flyway().validateWithResult().validationSuccessful).isTrue();
            var store = first.conversations();
            store.append(store.create(NewConversation.of(Owner.user("1"))).id(), NewMessage.user("works beside the host's tables"));
            assertThat(count("host_orders")).isEqualTo(1);
            assertThat(count("second_conversations")).isZero();
        }
    }

    @Test
    @DisplayName("V6 repairs a database where concurrent activations left two active siblings: the later one stays active")
    void v6RepairsDoubleActiveSiblings() throws SQLException {
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
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
            var store = atlas.conversations();
            assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(1);
            assertThat(store.history(c)).extracting(m -> m.content()).containsExactly("question", "second answer");
            assertThat(store.getMessage(first).orElseThrow().active()).isFalse();
            assertThat(store.getMessage(second).orElseThrow().active()).isTrue();
        }
    }

    @Test
    @DisplayName("V12 clears links that already dangle (a message's execution and step, a conversation's assistant and revision) and keeps the rows")
    void v12ClearsDanglingLinks() throws SQLException {
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
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
            var store = atlas.conversations();
            var message = store.message(m).orElseThrow();
            assertThat(message.content()).isEqualTo("kept");
            assertThat(message.executionId()).isNull();
            assertThat(message.stepId()).isNull();
            var conversation = store.require(c);
            assertThat(conversation.assistantId()).isNull();
            assertThat(conversation.assistantRevisionId()).isNull();
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
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
            assertThat(hostFlyway(ds).migrate().migrationsExecuted).isEqualTo(1);
            assertThat(AtlasMigrations.of(ds).migrate()).isGreaterThanOrEqualTo(5);
            // The next start of the application, in the same order.
            assertThat(hostFlyway(ds).migrate().migrationsExecuted).isZero();
            assertThat(AtlasMigrations.of(ds).migrate()).isZero();
            assertThat(hostFlyway(ds).validateWithResult().validationSuccessful).isTrue();
            assertThat(AtlasMigrations.of(ds).flyway().validateWithResult().validationSuccessful).isTrue();
            assertThat(hostFlyway(ds).info().applied()).extracting(m -> m.getVersion().getVersion()).containsExactly("1");
            assertThat(count("host_orders")).isEqualTo(1);
            var store = atlas.conversations();
            store.append(store.create(NewConversation.of(Owner.user("1"))).id(), NewMessage.user("beside the host's schema"));
        }
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

    /** How many bundled migrations are newer than {@code version}: versions are assigned per change, so they may have gaps. */
    private static int bundledAfter(DataSource ds, int version) {
        return (int) java.util.Arrays.stream(AtlasMigrations.of(ds).flyway().info().all())
                .filter(m -> Integer.parseInt(m.getVersion().getVersion()) > version).count();
    }

    @Test
    @DisplayName("reopening an up-to-date database runs only the history check (SELECTs), not Flyway; prefix and both dialects")
    void upToDateRunsOnlyTheHistoryCheck() {
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
            AtlasMigrations.of(ds).migrate();
            AtlasMigrations.of(ds).tablePrefix("other_").migrate();
            SqlRecorder recorder = new SqlRecorder(ds);
            assertThat(AtlasMigrations.of(recorder.dataSource()).migrate()).isZero();
            assertThat(AtlasMigrations.of(recorder.dataSource()).tablePrefix("other_").migrate()).isZero();
            assertThat(recorder.statements()).isNotEmpty().allSatisfy(sql -> assertThat(sql).startsWith("SELECT")
                    .doesNotContain("\"installed_rank\" > ?"));
            assertThat(recorder.statements()).hasSize(database.name().equals("PostgreSQL") ? 6 : 4);
        }
    }

    @Test
    @DisplayName("a database behind the bundled migrations (history at V5) is migrated by Flyway to the newest version")
    void pendingVersionsStillApply() {
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
            Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target("5").load().migrate();
            String newest = newestBundled(ds);
            assertThat(AtlasMigrations.of(ds).migrate()).isEqualTo(bundledAfter(ds, 5));
            assertThat(AtlasMigrations.of(ds).flyway().info().current().getVersion().getVersion()).isEqualTo(newest);
        }
    }

    @Test
    @DisplayName("another prefix's up-to-date history does not make a fresh prefix skip: every version applies to it")
    void otherPrefixUpToDateDoesNotSkip() {
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
            AtlasMigrations.of(ds).migrate();
            int applied = AtlasMigrations.of(ds).tablePrefix("fresh_").migrate();
            assertThat(applied).isEqualTo(bundledAfter(ds, 0));
        }
    }

    @Test
    @DisplayName("a database whose history is NEWER than the bundled migrations goes through Flyway, as before: Flyway ignores"
            + " the future version (its default) and applies nothing")
    void newerDatabaseGoesThroughFlyway() throws SQLException {
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
            AtlasMigrations.of(ds).migrate();
            int future = Integer.parseInt(newestBundled(ds)) + 1;
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO atlas_schema_history (installed_rank, version, description, type, script, checksum, installed_by,"
                        + " execution_time, success) SELECT MAX(installed_rank) + 1, '" + future + "', 'from a newer Atlas', 'SQL', 'V"
                        + future + "__newer.sql', 1, 'test', 1, (1 = 1) FROM atlas_schema_history");
            }
            SqlRecorder recorder = new SqlRecorder(ds);
            assertThat(AtlasMigrations.of(recorder.dataSource()).migrate()).isZero();
            // Flyway ran (it reads the whole history), not the up-to-date check alone.
            assertThat(recorder.statements()).anySatisfy(sql -> assertThat(sql).contains("\"installed_rank\" > ?"));
            assertThat(AtlasMigrations.of(ds).flyway().info().current().getVersion().getVersion()).isEqualTo(String.valueOf(future));
        }
    }

    @Test
    @DisplayName("a failed last run of the newest version is not up to date: Flyway refuses it as before")
    void failedNewestGoesThroughFlyway() throws SQLException {
        try (Atlas atlas = database.open(b -> b.migrate(false))) {
            DataSource ds = database.dataSource();
            AtlasMigrations.of(ds).migrate();
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("UPDATE atlas_schema_history SET success = (1 = 0) WHERE installed_rank = (SELECT MAX(installed_rank)"
                        + " FROM atlas_schema_history)");
            }
            assertThatThrownBy(() -> AtlasMigrations.of(ds).migrate())
                    .isInstanceOf(dev.atlas.StorageException.class)
                    .hasMessageContaining("Atlas's migrations failed");
        }
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
