package dev.atlas.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Files the user may not read or write: the database, its directory, the export target and the
 * import input. Each is one line naming the file and why, exit code 1, no stack trace, and
 * nothing written (no database created, no partial export, no rows imported).
 */
class CliFilePermissionsTest {
    @TempDir
    static Path shared;
    static Path source;
    static Path export;

    @TempDir
    Path dir;

    private final List<Path> restore = new ArrayList<>();

    @BeforeAll
    static void populate() {
        source = shared.resolve("source.db");
        new Fixture(Instant.parse("2026-03-02T09:00:00Z")).populate(b -> b.sqlite(source));
        export = shared.resolve("acme.jsonl");
        assertThat(Cli.run("--db", source.toString(), "--tenant", "acme", "export", "-o", export.toString()).exitCode()).isZero();
    }

    /** Sets {@code path}'s permissions (as chmod), restored after the test so the temporary directory can be removed. */
    private void chmod(Path path, String permissions) throws Exception {
        restore.add(0, path);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
    }

    @AfterEach
    void restorePermissions() throws Exception {
        for (Path p : restore) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
        }
    }

    /** A database migrated in this JVM, as {@code atlas migrate} does it: a CLI run is a JVM start, kept for the checks. */
    private Path migrated(String name) {
        return CliUserErrorsTest.migrated(dir.resolve(name));
    }

    private static List<String> files(Path dir) throws Exception {
        try (var list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void anUnreadableDatabaseFileIsNamedWithPermissionDenied() throws Exception {
        Path db = migrated("unreadable.db");
        chmod(db, "---------");
        String denied = "atlas: cannot read SQLite " + db + " (--db): permission denied\n";
        assertThat(Cli.runAsUser("--db", db.toString(), "info")).isEqualTo(new Cli.Result(1, "", denied));
        assertThat(Cli.runAsUser("--db", db.toString(), "-t", "acme", "conversations", "list")).isEqualTo(new Cli.Result(1, "", denied));
        assertThat(Cli.runAsUser("--db", db.toString(), "-t", "acme", "import", "--input", export.toString()))
                .isEqualTo(new Cli.Result(1, "", denied));
        assertThat(Cli.runAsUser("--db", db.toString(), "migrate"))
                .isEqualTo(new Cli.Result(1, "", "Migrating SQLite " + db + " ...\n" + denied));
        Path output = dir.resolve("out.jsonl");
        assertThat(Cli.runAsUser("--db", db.toString(), "-t", "acme", "export", "-o", output.toString()))
                .isEqualTo(new Cli.Result(1, "", denied));
        assertThat(files(dir)).containsExactly("unreadable.db");
    }

    @Test
    void aDatabaseInAnUnreadableDirectoryIsNamedWithPermissionDeniedNotAsMissing() throws Exception {
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Path db = CliUserErrorsTest.migrated(locked.resolve("agent.db"));
        chmod(locked, "---------");
        String denied = "atlas: cannot read SQLite " + db + " (--db): permission denied\n";
        assertThat(Cli.runAsUser("--db", db.toString(), "info")).isEqualTo(new Cli.Result(1, "", denied));
        assertThat(Cli.runAsUser("--db", db.toString(), "migrate"))
                .isEqualTo(new Cli.Result(1, "", "Migrating SQLite " + db + " ...\n" + denied));
    }

    @Test
    void importIntoAReadOnlyDatabaseFileNamesItAndImportsNothing() throws Exception {
        Path db = migrated("read-only.db");
        chmod(db, "r--r--r--");
        assertThat(Cli.runAsUser("--db", db.toString(), "-t", "acme", "import", "--input", export.toString()))
                .isEqualTo(new Cli.Result(1, "", "importing into tenant acme ...\natlas: cannot write SQLite " + db + " (--db): permission denied\n"));
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM atlas_conversations")) {
            assertThat(rs.getLong(1)).isZero();
        }
    }

    @Test
    void aDatabaseInAReadOnlyDirectorySaysSQLiteNeedsToWriteThere() throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Path db = CliUserErrorsTest.migrated(ro.resolve("agent.db"));
        chmod(ro, "r-xr-xr-x");
        String why = "atlas: cannot write SQLite " + db + " (--db): its directory " + ro
                + " is not writable, and SQLite keeps its -wal, -shm and -journal files there\n";
        assertThat(Cli.runAsUser("--db", db.toString(), "-t", "acme", "import", "--input", export.toString()))
                .isEqualTo(new Cli.Result(1, "", why));
        assertThat(Cli.runAsUser("--db", db.toString(), "-t", "acme", "conversations", "list")).isEqualTo(new Cli.Result(1, "", why));
        assertThat(files(ro)).containsExactly("agent.db");
    }

    @Test
    void aNewDatabaseInAnUnwritableDirectoryIsNotCreated() throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        chmod(ro, "r-xr-xr-x");
        Path db = ro.resolve("new.db");
        String denied = "atlas: cannot create SQLite file " + db + " (--db): permission denied\n";
        assertThat(Cli.runAsUser("--db", db.toString(), "migrate")).isEqualTo(new Cli.Result(1, "", "Migrating SQLite " + db + " ...\n" + denied));
        assertThat(Cli.runAsUser("--db", db.toString(), "-t", "acme", "import", "--input", export.toString()))
                .isEqualTo(new Cli.Result(1, "", denied));
        assertThat(files(ro)).isEmpty();
    }

    @Test
    void anExportIntoAnUnwritableDirectoryLeavesNothingAndKeepsTheFileThere() throws Exception {
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Path kept = ro.resolve("kept.jsonl");
        Files.writeString(kept, "keep me\n");
        chmod(ro, "r-xr-xr-x");
        Path fresh = ro.resolve("acme.jsonl");
        assertThat(Cli.runAsUser("--db", source.toString(), "-t", "acme", "export", "-o", fresh.toString()))
                .isEqualTo(new Cli.Result(1, "", "exporting tenant acme ...\natlas: cannot write --output " + fresh + ": permission denied\n"));
        assertThat(Cli.runAsUser("--db", source.toString(), "-t", "acme", "export", "-o", kept.toString(), "--force"))
                .isEqualTo(new Cli.Result(1, "", "exporting tenant acme ...\natlas: cannot write --output " + kept + ": permission denied\n"));
        assertThat(files(ro)).containsExactly("kept.jsonl");
        assertThat(Files.readString(kept)).isEqualTo("keep me\n");
    }

    @Test
    void anUnreadableImportFileIsNamedAndNoDatabaseIsCreated() throws Exception {
        Path input = dir.resolve("secret.jsonl");
        Files.copy(export, input);
        chmod(input, "---------");
        Path db = dir.resolve("new.db");
        assertThat(Cli.runAsUser("--db", db.toString(), "-t", "acme", "import", "--input", input.toString()))
                .isEqualTo(new Cli.Result(1, "", "atlas: cannot read --input " + input + ": permission denied\n"));
        assertThat(files(dir)).containsExactly("secret.jsonl");
    }

    /**
     * A pipe or device named by --output ({@code >(gzip > x)}, {@code /dev/stdout}, {@code /dev/null})
     * is written into as '-' would be; it was refused as an existing file, and with --force the
     * rename at the end replaced the pipe or device itself with a regular file.
     */
    @Test
    void anExportIntoAPipeOrDeviceWritesIntoItAndNeverReplacesIt() throws Exception {
        Path fifo = dir.resolve("pipe");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        java.util.concurrent.CompletableFuture<byte[]> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return Files.readAllBytes(fifo);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Cli.Result r = Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", fifo.toString());
        // Should the export not have opened the pipe, the reader still waits in its open: open the pipe once so it ends.
        // Read-write, never write-only: a write-only open waits for a reader, for ever once the reader has closed the pipe
        // but not yet completed its future (read.isDone() cannot tell that apart); a read-write open never waits.
        try (java.nio.channels.FileChannel once = java.nio.channels.FileChannel.open(fifo, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            assertThat(once.isOpen()).isTrue();
        }
        assertThat(r).isEqualTo(new Cli.Result(0, "", "exporting tenant acme ...\n" + CliAssetBytesTest.note(source, 1)));
        // The same export as the file written from the same database.
        assertThat(new String(read.get(60, java.util.concurrent.TimeUnit.SECONDS), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(Files.readString(export));
        assertThat(Files.isRegularFile(fifo)).isFalse();
        assertThat(files(dir)).containsExactly("pipe");

        assertThat(Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", "/dev/null"))
                .isEqualTo(new Cli.Result(0, "", "exporting tenant acme ...\n" + CliAssetBytesTest.note(source, 1)));
        assertThat(Files.isRegularFile(Path.of("/dev/null"))).isFalse();
    }

    /**
     * Without --force the export refuses a file that appears while it is written (another export
     * to the same name, say): the check before the export is not enough, the rename at the end
     * replaced it.
     */
    @Test
    void withoutForceAFileCreatedDuringTheExportIsKept() throws Exception {
        Path tmp = Files.writeString(dir.resolve(".atlas-export-1.tmp"), "the export\n");
        Path target = Files.writeString(dir.resolve("out.jsonl"), "another export, written meanwhile\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PortabilityCommands.publish(tmp, target, false, "out.jsonl"))
                .isInstanceOf(CliException.class).hasMessage("cannot write out.jsonl: the file exists (--force replaces it)");
        assertThat(Files.readString(target)).isEqualTo("another export, written meanwhile\n");

        PortabilityCommands.publish(tmp, target, true, "out.jsonl");
        assertThat(Files.readString(target)).isEqualTo("the export\n");
    }

    /** Exit codes are part of the interface scripts rely on: every --help lists them. */
    @Test
    void helpListsTheExitCodes() {
        String codes = "Exit codes:\n"
                + "  0   Success.\n"
                + "  1   Failed at run time (a file, the database, the data); why is on stderr.\n"
                + "  2   Wrong command line; what, and a pointer to --help, on stderr.\n";
        // The top level and a nested subcommand (every command's help has the same footer).
        assertThat(Cli.run("--help").out()).endsWith(codes);
        assertThat(Cli.run("conversations", "show", "--help").out()).endsWith(codes);
    }
}
