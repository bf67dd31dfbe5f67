package dev.atlas.migrations;

import dev.atlas.StorageException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import javax.sql.DataSource;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A new SQLite file migrated without Flyway must be indistinguishable from one Flyway migrated:
 * Flyway validates it and applies later migrations on top, and a new file never loads Flyway.
 */
class FreshSqliteTest {
    private static final String HISTORY_COLUMNS = "installed_rank, version, description, type, script, checksum, installed_by, success";

    @ParameterizedTest
    @ValueSource(strings = {"atlas_", "app_"})
    @DisplayName("the fast path gives the schema and history rows Flyway gives, timestamps and execution times aside")
    void sameAsFlyway(String prefix, @TempDir Path dir) throws Exception {
        DataSource fast = sqlite(dir.resolve("fast.db"));
        DataSource flyway = sqlite(dir.resolve("flyway.db"));

        int applied = AtlasMigrations.of(fast).tablePrefix(prefix).migrate();
        MigrateResult byFlyway = AtlasMigrations.of(flyway).tablePrefix(prefix).flyway().migrate();

        List<Bundled.Script> bundled = Bundled.scripts(getClass().getClassLoader(), "dev/atlas/migrations/sqlite");
        assertThat(applied).isEqualTo(bundled.size()).isEqualTo(byFlyway.migrationsExecuted).isGreaterThanOrEqualTo(13);
        assertThat(rows(fast, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"))
                .isEqualTo(rows(flyway, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"))
                .anySatisfy(r -> assertThat(r).contains(prefix + "messages"));
        String history = "SELECT " + HISTORY_COLUMNS + ", typeof(checksum), typeof(success) FROM \"" + prefix
                + "schema_history\" ORDER BY installed_rank";
        List<List<String>> fastHistory = rows(fast, history);
        assertThat(fastHistory).isEqualTo(rows(flyway, history)).hasSize(bundled.size());
        assertThat(fastHistory.get(0)).startsWith("1", "1", "conversations", "SQL", "V1__conversations.sql");
        // installed_on is Flyway's column default (same format), execution_time a whole number.
        assertThat(rows(fast, "SELECT typeof(installed_on), length(installed_on), typeof(execution_time) FROM \"" + prefix
                + "schema_history\" LIMIT 1"))
                .isEqualTo(rows(flyway, "SELECT typeof(installed_on), length(installed_on), typeof(execution_time) FROM \"" + prefix
                        + "schema_history\" LIMIT 1"));
    }

    @Test
    @DisplayName("Flyway validates a fast-path file, finds nothing pending, and reopening it runs nothing")
    void flywayValidates(@TempDir Path dir) throws Exception {
        DataSource ds = sqlite(dir.resolve("a.db"));
        assertThat(AtlasMigrations.of(ds).migrate()).isPositive();
        Flyway flyway = AtlasMigrations.of(ds).flyway();
        assertThat(flyway.validateWithResult().validationSuccessful).isTrue();
        flyway.validate();
        assertThat(flyway.info().pending()).isEmpty();
        assertThat(flyway.migrate().migrationsExecuted).isZero();
        assertThat(AtlasMigrations.of(ds).migrate()).isZero();
    }

    @Test
    @DisplayName("a migration added later applies on a fast-path file through real Flyway")
    void laterMigrationThroughFlyway(@TempDir Path dir) throws Exception {
        DataSource ds = sqlite(dir.resolve("a.db"));
        AtlasMigrations.of(ds).migrate();
        long newest = newest();
        Path later = Files.createDirectories(dir.resolve("later"));
        Files.writeString(later.resolve("V" + (newest + 1) + "__later_table.sql"),
                "CREATE TABLE ${prefix}later (id INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO ${prefix}later VALUES (7);\n");
        Flyway base = AtlasMigrations.of(ds).flyway();
        Flyway flyway = Flyway.configure(getClass().getClassLoader()).configuration(base.getConfiguration())
                .locations(AtlasMigrations.location(AtlasMigrations.Dialect.SQLITE), "filesystem:" + later).load();

        assertThat(flyway.migrate().migrationsExecuted).isEqualTo(1);
        flyway.validate();
        assertThat(rows(ds, "SELECT id FROM atlas_later")).containsExactly(List.of("7"));
        assertThat(rows(ds, "SELECT version, description, success FROM atlas_schema_history ORDER BY installed_rank DESC LIMIT 1"))
                .containsExactly(List.of(Long.toString(newest + 1), "later table", "1"));
    }

    @Test
    @DisplayName("a script failing midway leaves the file empty: no table, no history")
    void failureLeavesNothing(@TempDir Path dir) throws Exception {
        Path root = dir.resolve("classes");
        Path folder = Files.createDirectories(root.resolve("broken"));
        Files.writeString(folder.resolve("V1__ok.sql"), "CREATE TABLE ${prefix}first (id INTEGER);\n");
        Files.writeString(folder.resolve("V2__bad.sql"), "CREATE TABLE ${prefix}second (id INTEGER);\nCREATE TABLE ${prefix}first (id INTEGER);\n");
        Files.writeString(folder.resolve("V3__never.sql"), "CREATE TABLE ${prefix}third (id INTEGER);\n");
        DataSource ds = sqlite(dir.resolve("a.db"));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {root.toUri().toURL()}, null)) {
            List<Bundled.Script> scripts = Bundled.scripts(loader, "broken");
            assertThat(scripts).extracting(Bundled.Script::name).containsExactly("V1__ok.sql", "V2__bad.sql", "V3__never.sql");
            assertThatThrownBy(() -> FreshSqlite.apply(ds, loader, "broken", scripts, "atlas_"))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("V2__bad.sql")
                    .hasMessageContaining("atlas_first already exists");
        }
        assertThat(rows(ds, "SELECT count(*) FROM sqlite_master")).containsExactly(List.of("0"));
    }

    @Test
    @DisplayName("a database that already holds tables goes through Flyway (baseline at version 0), not the fast path")
    void nonEmptyGoesToFlyway(@TempDir Path dir) throws Exception {
        DataSource ds = sqlite(dir.resolve("a.db"));
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.executeUpdate("CREATE TABLE host_table (id INTEGER)");
        }
        assertThat(AtlasMigrations.of(ds).migrate()).isEqualTo(newestCount());
        assertThat(rows(ds, "SELECT version, type FROM atlas_schema_history WHERE installed_rank = 1"))
                .containsExactly(List.of("0", "BASELINE"));
    }

    @Test
    @DisplayName("a fresh process migrating a new file and reopening it loads no Flyway class")
    void noFlywayClassInAChildProcess(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("child.db");
        for (int run = 0; run < 2; run++) {
            List<String> loaded = child(file);
            assertThat(loaded).as("class loading of the child").anyMatch(l -> l.contains("dev.atlas.migrations.AtlasMigrations"));
            assertThat(loaded).as("run %d", run).noneMatch(l -> l.contains("org.flywaydb"));
        }
        assertThat(rows(sqlite(file), "SELECT count(*) FROM atlas_schema_history")).containsExactly(List.of(Long.toString(newestCount())));
    }

    @Test
    @DisplayName("migrators racing on a new file: one applies the scripts, the others find it current with the history check; none loads Flyway")
    void racersLoadNoFlyway(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("race.db");
        List<String> loaded = child(file, Racers.class);
        assertThat(loaded).as("class loading of the child").anyMatch(l -> l.contains("dev.atlas.migrations.FreshSqlite "));
        assertThat(loaded).noneMatch(l -> l.contains("org.flywaydb"));
        assertThat(loaded).filteredOn(l -> l.startsWith("APPLIED ")).containsExactlyInAnyOrder(
                "APPLIED " + newestCount(), "APPLIED 0", "APPLIED 0", "APPLIED 0");
        assertThat(rows(sqlite(file), "SELECT count(*) FROM atlas_schema_history")).containsExactly(List.of(Long.toString(newestCount())));
    }

    /** Four threads migrating one new file, released together; prints what each {@code migrate()} returned. */
    public static final class Racers {
        public static void main(String[] args) throws Exception {
            DataSource ds = sqlite(Path.of(args[0]));
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            List<String> results = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 4; i++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        results.add("APPLIED " + AtlasMigrations.of(ds).dialect(AtlasMigrations.Dialect.SQLITE).migrate());
                    } catch (Throwable e) {
                        results.add("FAILED " + e);
                    }
                });
                t.start();
                threads.add(t);
            }
            go.countDown();
            for (Thread t : threads) {
                t.join();
            }
            results.forEach(System.out::println);
        }
    }

    private static List<String> child(Path file) throws Exception {
        return child(file, Child.class);
    }

    private static List<String> child(Path file, Class<?> main) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = file.resolveSibling("classes.txt");
        List<String> command = new ArrayList<>(List.of(java, "-verbose:class"));
        if (Runtime.version().feature() >= 24) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName(), file.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("child failed: %s", lines.stream().filter(l -> !l.startsWith("[")).toList()).isZero();
        return lines;
    }

    /** The child: migrates the file. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            AtlasMigrations.of(sqlite(Path.of(args[0]))).dialect(AtlasMigrations.Dialect.SQLITE).migrate();
        }
    }

    private static long newest() {
        List<Bundled.Script> s = Bundled.scripts(FreshSqliteTest.class.getClassLoader(), "dev/atlas/migrations/sqlite");
        return s.get(s.size() - 1).version();
    }

    private static long newestCount() {
        return Bundled.scripts(FreshSqliteTest.class.getClassLoader(), "dev/atlas/migrations/sqlite").size();
    }

    /** A data source with Atlas's settings (WAL, foreign keys, busy timeout). */
    static DataSource sqlite(Path file) {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.enforceForeignKeys(true);
        config.setBusyTimeout(10_000);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        return ds;
    }

    private static List<List<String>> rows(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            List<List<String>> rows = new ArrayList<>();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.add(String.valueOf(rs.getString(i)));
                }
                rows.add(row);
            }
            return rows;
        }
    }

}
