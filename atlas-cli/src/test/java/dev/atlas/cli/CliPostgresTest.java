package dev.atlas.cli;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The same jar on a real (embedded) PostgreSQL: the commands print exactly what they print on SQLite. */
class CliPostgresTest {
    static EmbeddedPostgres server;
    static String url;
    static Fixture f;

    @BeforeAll
    static void populate() throws Exception {
        server = SharedPostgres.server();
        url = SharedPostgres.createDatabase("atlas_cli");
        f = new Fixture(Instant.parse("2026-03-02T09:00:00Z")).populate(b -> b.jdbcUrl(url).credentials("postgres", "postgres"));
    }

    /** The password travels in an environment variable, never on the command line. */
    private static Cli.Result atlas(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--db";
        all[1] = url;
        all[2] = "--user";
        all[3] = "postgres";
        System.arraycopy(args, 0, all, 4, args.length);
        return Cli.run(Map.of("ATLAS_DB_PASSWORD", "postgres"), all);
    }

    private static void assertOk(Cli.Result r, String expectedOut) {
        assertThat(r.out()).isEqualTo(expectedOut);
        assertThat(r.err()).isEmpty();
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void transcriptExecutionTreeUsageAndRetentionMatchSqlite() {
        assertOk(atlas("--tenant", "acme", "conversations", "show", f.support.toString()), Expected.of(Expected.SUPPORT_TRANSCRIPT, f));
        assertOk(atlas("--tenant", "acme", "executions", "show", f.retryExecution.toString()), Expected.of(Expected.RETRY_EXECUTION, f));
        assertOk(atlas("usage", "--from", "2026-03-01", "--to", "2026-03-05"), Expected.USAGE_BY_MODEL);
        Cli.Result retention = atlas("retention", "run", "--dry-run", "--archive-idle-after", "1d");
        assertThat(retention.out()).isEqualTo(Expected.RETENTION_DRY_RUN);
        assertThat(retention.exitCode()).isZero();
    }

    @Test
    void infoAndMigrateOnAnUpToDateDatabase() {
        Cli.Result info = atlas("info");
        assertThat(info.exitCode()).isZero();
        assertThat(info.out()).startsWith("""
                Database:        PostgreSQL %s
                Schema version:  37 (up to date)
                Tenants:         acme, globex
                """.formatted(url));
        assertThat(info.out()).contains("\natlas_conversations            4\n", "\natlas_executions               3\n");
        // The jar on PostgreSQL, its password from ATLAS_DB_PASSWORD: the shaded jar's merged service files (pgjdbc's
        // driver, Flyway's PostgreSQL support) and the process's environment; the rest of this class runs in this JVM.
        Cli.Result migrate = Cli.process(Map.of("ATLAS_DB_PASSWORD", "postgres"), "--db", url, "--user", "postgres", "migrate");
        assertThat(migrate.out()).isEqualTo("PostgreSQL " + url + " is up to date at schema version 37\n");
        assertThat(migrate.exitCode()).isZero();
    }

    @Test
    void atlasInAnotherSchemaIsReadThere() throws Exception {
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE atlas_schema");
        }
        String base = "jdbc:postgresql://localhost:" + server.getPort() + "/atlas_schema";
        try (Connection c = java.sql.DriverManager.getConnection(base, "postgres", "postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA app3");
        }
        String inApp3 = base + "?currentSchema=app3";
        new HostileFixture().populate(b -> b.jdbcUrl(inApp3).credentials("postgres", "postgres"));
        Gallery g = new Gallery().populate(b -> b.jdbcUrl(inApp3).credentials("postgres", "postgres"));
        // Nothing in public: the tables are only where the URL's currentSchema puts them.
        Database app3 = new Database(inApp3, "postgres", "postgres", "atlas_", null);
        assertThat(app3.tenants()).containsExactly(Gallery.TENANT, HostileFixture.TENANT);
        assertThat(app3.tableRows()).containsEntry("atlas_conversations", 2L);
        // The transcript (of conversations show and the viewer) reads one page of a message's
        // attachments and counts the others there, as on SQLite (CliSqliteTest and ViewerHttpTest
        // pin the output); read in this JVM, no command run.
        try (dev.atlas.Atlas atlas = app3.open()) {
            Transcript t = Transcript.load(atlas.tenant(Gallery.TENANT), app3, g.conversation, 0, 100);
            assertThat(t.entries()).extracting(Transcript.Entry::attachmentsNotShown).containsExactly(0L, 1L, 2L);
            for (Transcript.Entry e : t.entries()) {
                assertThat(e.attachments()).extracting(a -> a.asset().id())
                        .containsExactlyElementsOf(g.live.subList(0, 20).stream().map(dev.atlas.asset.Asset::id).toList());
            }
        }
    }

    @Test
    void credentialsInTheUrlAreUsedAndNeverPrinted(@TempDir Path dir) throws IOException {
        String withUserInfo = url.replace("//", "//postgres:s3cret-pw@");
        Cli.Result info = Cli.run("--db", withUserInfo, "info");
        assertThat(info.err()).isEmpty();
        assertThat(info.exitCode()).isZero();
        assertThat(info.out()).startsWith("Database:        PostgreSQL " + url.replace("//", "//postgres:****@") + "\n"
                + "Schema version:  37 (up to date)\n").doesNotContain("s3cret-pw");
        // A server refusing the login was "could not connect to detect the database: FATAL: ...", naming neither --db nor the database.
        Cli.Result refused = Cli.run(Map.of("ATLAS_DB_PASSWORD", "s3cret-pw"), "--db", url, "--user", "nobody", "info");
        assertThat(refused).isEqualTo(new Cli.Result(1, "", "atlas: cannot connect to PostgreSQL " + url
                + " (--db): FATAL: role \"nobody\" does not exist\n"));
        // A database closed to the user (CONNECT revoked) is refused at the login too, in SQLState 42501, not a login state:
        // it was still "could not connect to detect the database: FATAL: permission denied ...", naming neither --db nor the server.
        // (The server's own database: the superuser every test of the module connects as is never refused.)
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("REVOKE CONNECT ON DATABASE postgres FROM PUBLIC");
            s.execute("CREATE ROLE outsider LOGIN");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        String closed = url.replace("/atlas_cli", "/postgres");
        // The server's whole reason, its Detail line included (the first line alone was kept): joined on the one line by "; ".
        String whole = "atlas: cannot connect to PostgreSQL " + closed + " (--db): FATAL: permission denied for database \"postgres\";"
                + " Detail: User does not have CONNECT privilege.\n";
        assertThat(Cli.run("--db", closed, "--user", "outsider", "info")).isEqualTo(new Cli.Result(1, "", whole));
        // The same from the commands that open Atlas's own pool (migrate, import), whose connections leave the server's Detail out.
        assertThat(Cli.run("--db", closed, "--user", "outsider", "migrate"))
                .isEqualTo(new Cli.Result(1, "", "Migrating PostgreSQL " + closed + " ...\n" + whole));
        Path header = dir.resolve("header.jsonl");
        Files.writeString(header, "{\"type\":\"atlas-export\",\"version\":1}\n");
        Cli.Result imported = Cli.run("--db", closed, "--user", "outsider", "import", "--input", header.toString());
        assertThat(imported.exitCode()).isOne();
        assertThat(imported.out()).isEmpty();
        assertThat(imported.err().lines().reduce((first, last) -> last).orElse("") + "\n").as(imported.err()).isEqualTo(whole);
        String missing = url.replace("/atlas_cli", "/nope");
        assertThat(Cli.run("--db", missing.replace("//", "//postgres:s3cret-pw@"), "info")).isEqualTo(new Cli.Result(1, "", "atlas: cannot connect to PostgreSQL "
                + missing.replace("//", "//postgres:****@") + " (--db): FATAL: database \"nope\" does not exist\n"));
    }

    /**
     * Stopped (Ctrl-C, kill) while exporting to a file: neither the file nor its temporary sibling
     * is left. The test holds a lock on the conversations table so the export waits, mid-way,
     * with its temporary file created.
     */
    @Test
    void anExportStoppedMidWayLeavesNoFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("acme.jsonl");
        try (Connection lock = java.sql.DriverManager.getConnection(url, "postgres", "postgres")) {
            lock.setAutoCommit(false);
            try (Statement s = lock.createStatement()) {
                s.execute("LOCK TABLE atlas_conversations IN ACCESS EXCLUSIVE MODE");
            }
            ProcessBuilder pb = new ProcessBuilder(Cli.command("--db", url, "--user", "postgres", "--tenant", "acme", "export", "-o", target.toString()))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("ATLAS_DB_PASSWORD", "postgres");
            Process p = pb.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while (!(waitingOnALock() && siblings(dir).size() == 1)) {
                    assertThat(p.isAlive()).as("the export is still waiting for the lock").isTrue();
                    assertThat(System.nanoTime()).as("the export reached the locked table (waiting on a lock: %s, files: %s)", waitingOnALock(), siblings(dir)).isLessThan(deadline);
                    Thread.sleep(20);
                }
                assertThat(siblings(dir).get(0)).startsWith(".atlas-export-").endsWith(".tmp");
                p.destroy(); // SIGTERM: shutdown hooks run, as on Ctrl-C
                assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            } finally {
                p.destroyForcibly();
                lock.rollback();
            }
        }
        assertThat(siblings(dir)).isEmpty();
    }

    /** Read on a connection of its own: within a transaction PostgreSQL's activity view stays as first read. */
    private static boolean waitingOnALock() throws Exception {
        try (Connection c = java.sql.DriverManager.getConnection(url, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = 'atlas_cli'")) {
            rs.next();
            return rs.getInt(1) > 0;
        }
    }

    private static java.util.List<String> siblings(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
