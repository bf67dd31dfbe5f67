package dev.atlas.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator's shell meets: output to a pipe whose reader went away (a consumer that died,
 * {@code atlas export -o - | gzip > full-disk}), and a database another process holds the write lock of.
 */
class CliPipesAndLocksTest {
    @TempDir
    static Path dir;
    static Path db;

    @BeforeAll
    static void populate() {
        db = dir.resolve("source.db");
        new Fixture(Instant.parse("2026-03-02T09:00:00Z")).populate(b -> b.sqlite(db));
    }

    /** The command with its standard output a pipe the reader closed before anything was written. */
    private static Cli.Result toAClosedPipe(String... args) throws Exception {
        return result(startedToAClosedPipe(args));
    }

    /** The command started with its standard output a pipe the reader closed: several run side by side. */
    private static Process startedToAClosedPipe(String... args) throws Exception {
        return startedToAClosedPipe(java.util.Map.of(), args);
    }

    private static Process startedToAClosedPipe(java.util.Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Cli.command(args));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getInputStream().close();
        p.getOutputStream().close();
        return p;
    }

    private static Cli.Result result(Process p) throws Exception {
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Cli.Result(p.exitValue(), "", new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /**
     * {@code export --output -} wrote into System.out, whose PrintStream swallows write errors: with the reader gone
     * (the backup's gzip or ssh failed) the export ran to its end and exited 0, so a script with pipefail took the
     * lost export for a backup. It fails naming the output, as a full disk does for a file.
     */
    @Test
    void anExportToAPipeItsReaderClosedFails() throws Exception {
        assertThat(toAClosedPipe("--db", db.toString(), "--tenant", "acme", "export", "--output", "-"))
                .isEqualTo(new Cli.Result(1, "", "exporting tenant acme ...\natlas: cannot write --output -: Broken pipe\n"));
    }

    /**
     * Decided: a listing or report whose reader stopped early ({@code | head -1}) ends quietly, exit 0, as Unix tools do.
     * In every locale: the JDK's message for the closed pipe is the C library's, translated (German messages, as
     * LANGUAGE=de gives under C.UTF-8 where the C library's translations are installed: "Datenübergabe unterbrochen
     * (broken pipe)"), and comparing it with "Broken pipe" made such a listing fail, exit 1.
     */
    @Test
    void aListingToAPipeItsReaderClosedEndsQuietly() throws Exception {
        Process list = startedToAClosedPipe("--db", db.toString(), "--tenant", "acme", "conversations", "list");
        Process usage = startedToAClosedPipe("--db", db.toString(), "usage", "--format", "csv");
        Process german = startedToAClosedPipe(java.util.Map.of("LC_ALL", "C.UTF-8", "LANGUAGE", "de"),
                "--db", db.toString(), "--tenant", "acme", "conversations", "list");
        assertThat(result(list)).isEqualTo(new Cli.Result(0, "", ""));
        assertThat(result(usage)).isEqualTo(new Cli.Result(0, "", ""));
        assertThat(result(german)).isEqualTo(new Cli.Result(0, "", ""));
    }

    /**
     * A listing or report redirected to a file on a full disk ({@code atlas usage --format csv > report.csv} from
     * cron) exited 0 with nothing written: the PrintStream swallowed the write error, as it swallows a closed pipe's.
     * Only a reader that stopped early ends quietly; any other failure to write standard output fails the command,
     * exit 1, naming it (here Linux's {@code /dev/full}, which fails every write as a full disk does). {@code serve}
     * runs until stopped, so it was never checked: its URL, which carries the only access token, was lost and the
     * viewer ran on unreachable. It fails as soon as that URL cannot be written.
     */
    @Test
    void aListingThatCannotBeWrittenFails() throws Exception {
        String[][] commands = {{"--db", db.toString(), "--tenant", "acme", "conversations", "list"},
                {"--db", db.toString(), "--tenant", "acme", "serve", "--port", "0"}};
        // Started together: each is a JVM's start-up, which the two cores run side by side.
        java.util.List<Process> started = new java.util.ArrayList<>();
        try {
            for (String[] args : commands) {
                Process p = new ProcessBuilder(Cli.command(args)).redirectOutput(new java.io.File("/dev/full")).start();
                p.getOutputStream().close();
                started.add(p);
            }
            for (int i = 0; i < commands.length; i++) {
                Process p = started.get(i);
                String command = String.join(" ", java.util.Arrays.asList(commands[i]).subList(4, commands[i].length));
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(command + " ran on").isTrue();
                String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(new Cli.Result(p.exitValue(), "", err)).as(command)
                        .isEqualTo(new Cli.Result(1, "", "atlas: cannot write standard output: No space left on device\n"));
            }
        } finally {
            for (Process p : started) {
                // Only one that ran on (a failed run) is still alive.
                p.destroyForcibly();
            }
        }
    }

    /**
     * Another process (the application, a second import) holds the SQLite write lock for longer than Atlas waits
     * (10 s): the command said only {@code database call failed (retryable): [SQLITE_BUSY] The database file is
     * locked (database is locked)}, naming neither the file nor what to do. Exit 1, as docs/cli.md says for a
     * database that cannot be used, naming the file; nothing is imported.
     */
    @Test
    void aDatabaseAnotherProcessHoldsTheWriteLockOfIsNamed() throws Exception {
        Path export = dir.resolve("acme.jsonl");
        assertThat(Cli.run("--db", db.toString(), "--tenant", "acme", "export", "--output", export.toString()).exitCode()).isZero();
        Path target = CliUserErrorsTest.migrated(dir.resolve("locked.db"));
        try (java.sql.Connection holder = java.sql.DriverManager.getConnection("jdbc:sqlite:" + target);
             java.sql.Statement s = holder.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            // Another process: SQLite's file locks are between processes.
            assertThat(Cli.process("--db", target.toString(), "--tenant", "acme", "import", "--input", export.toString()))
                    .isEqualTo(new Cli.Result(1, "", "importing into tenant acme ...\natlas: cannot write SQLite " + target
                            + " (--db): another process kept it locked for writing longer than Atlas waits (10 s); run the command"
                            + " again once that process is done\n"));
            s.execute("ROLLBACK");
        }
        assertThat(Cli.run("--db", target.toString(), "--tenant", "acme", "conversations", "list"))
                .isEqualTo(new Cli.Result(0, "No conversations.\n", ""));
    }
}
