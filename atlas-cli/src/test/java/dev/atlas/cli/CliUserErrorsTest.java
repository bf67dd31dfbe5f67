package dev.atlas.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Mistakes a user makes on the command line: a clear message, the documented exit code, and no file left behind. */
class CliUserErrorsTest {
    @TempDir
    static Path dir;
    static Path db;

    @BeforeAll
    static void migrate() {
        db = dir.resolve("agent.db");
        assertThat(Cli.run("--db", db.toString(), "migrate").exitCode()).isZero();
    }

    @Test
    void readCommandsOnAMissingSqliteUrlCreateNoFile() {
        Path missing = dir.resolve("missing-url.db");
        Cli.Result r = Cli.run("--db", "jdbc:sqlite:" + missing, "info");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("atlas: no SQLite database at " + missing + " (run 'atlas --db jdbc:sqlite:" + missing
                + " migrate' to create one)\n");
        assertThat(missing).doesNotExist();
    }

    @Test
    void importOfAMissingFileFailsBeforeCreatingTheDatabase() {
        Path fresh = dir.resolve("import-target.db");
        Path input = dir.resolve("no-such-export.jsonl");
        Cli.Result r = Cli.run("--db", fresh.toString(), "import", "--input", input.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("atlas: cannot read " + input + ": no such file\n");
        assertThat(fresh).doesNotExist();
    }

    @Test
    void exportIntoAMissingDirectoryNamesTheFile() {
        Path output = dir.resolve("no-such-dir").resolve("out.jsonl");
        Cli.Result r = Cli.run("--db", db.toString(), "export", "--output", output.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("atlas: cannot write " + output + ": no directory " + output.getParent() + "\n");
    }

    @Test
    void badOptionValuesCheckedByTheLibraryAreUsageErrors() {
        Cli.Result status = Cli.run("--db", db.toString(), "conversations", "list", "--status", "bogus");
        assertThat(status.err()).isEqualTo("atlas: --status: 'bogus' is not one of [open, archived, closed]\n"
                + "Try 'atlas conversations list --help' for more information.\n");
        assertThat(status.exitCode()).isEqualTo(2);

        Cli.Result cursor = Cli.run("--db", db.toString(), "executions", "list", "--after", "garbage");
        assertThat(cursor.err()).isEqualTo("atlas: --after: is not a cursor returned by a previous page of this listing\n"
                + "Try 'atlas executions list --help' for more information.\n");
        assertThat(cursor.exitCode()).isEqualTo(2);

        Cli.Result tenant = Cli.run("--db", db.toString(), "--tenant", " ", "conversations", "list");
        assertThat(tenant.err()).isEqualTo("atlas: --tenant: must not be blank\n"
                + "Try 'atlas conversations list --help' for more information.\n");
        assertThat(tenant.exitCode()).isEqualTo(2);
    }

    @Test
    void aZeroOrNegativeRetentionDurationIsAUsageError() {
        for (String value : new String[] {"0d", "P-3D"}) {
            Cli.Result r = Cli.run("--db", db.toString(), "retention", "run", "--archive-idle-after", value);
            assertThat(r.err()).isEqualTo("atlas: --archive-idle-after must be a positive duration such as 30d, 12h, 45m or P30D, was '"
                    + value + "'\nTry 'atlas retention run --help' for more information.\n");
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void aNegativeSequenceIsAUsageError() {
        Cli.Result r = Cli.run("--db", db.toString(), "conversations", "show", "0190f1e2-8b3c-7def-8123-456789abcdef", "--after", "-5");
        assertThat(r.err()).isEqualTo("atlas: --after must be a message sequence (0 or more), was -5\n"
                + "Try 'atlas conversations show --help' for more information.\n");
        assertThat(r.exitCode()).isEqualTo(2);
    }

    @Test
    void aFileThatIsNotADatabaseIsNamedInOneLine() throws Exception {
        Path notes = dir.resolve("notes.txt");
        java.nio.file.Files.writeString(notes, "not a database, just some text that is long enough to be read as a header\n".repeat(10));
        Cli.Result r = Cli.run("--db", notes.toString(), "info");
        assertThat(r.err()).isEqualTo("atlas: cannot read SQLite " + notes
                + ": [SQLITE_NOTADB] File opened that is not a database file (file is not a database)\n");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void anErrorQuotingAHostileImportFileShowsItsControlsAsCodes() throws Exception {
        Path hostile = dir.resolve("hostile.jsonl");
        java.nio.file.Files.writeString(hostile, "{\"type\":\"atlas-export\",\"version\":1}\n{\"type\":\"\\u001b]0;pwned\\u0007\\u001b[2J\"}\n");
        Cli.Result r = Cli.run("--db", db.toString(), "--tenant", "acme", "import", "--input", hostile.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("importing into tenant acme ...\n"
                + "atlas: line 2: type: is not a known row type: \\u001b]0;pwned\\u0007\\u001b[2J\n");
    }

    @Test
    void aPasswordInTheDbUrlIsNeverPrinted() {
        String[][] cases = {
                {"jdbc:postgresql://127.0.0.1:notaport/atlas?password=hunter2", "info"},
                {"jdbc:postgresql://admin:hunter2@127.0.0.1:notaport/atlas", "info"},
                {"jdbc:postgresql://admin:hunter2@127.0.0.1:1/atlas", "migrate"},
                {"jdbc:postgresql://127.0.0.1:notaport/atlas?password=hunter2", "serve"},
                {"jdbc:sqlite:" + dir.resolve("secret.db") + "?password=hunter2", "info"},
        };
        for (String[] c : cases) {
            for (boolean verbose : new boolean[] {false, true}) {
                Cli.Result r = verbose ? Cli.run("--verbose", "--db", c[0], c[1]) : Cli.run("--db", c[0], c[1]);
                assertThat(r.exitCode()).as(c[0] + " " + c[1]).isEqualTo(1);
                assertThat(r.out() + r.err()).as(c[0] + " " + c[1]).doesNotContain("hunter2");
            }
        }
        Cli.Result sqlite = Cli.run("--db", "jdbc:sqlite:" + dir.resolve("secret.db") + "?password=hunter2", "info");
        assertThat(sqlite.err()).isEqualTo("atlas: no SQLite database at " + dir.resolve("secret.db") + " (run 'atlas --db jdbc:sqlite:"
                + dir.resolve("secret.db") + "?password=**** migrate' to create one)\n");
    }

    @Test
    void exportNeverReplacesTheDatabaseAndReplacesAnotherFileOnlyWithForce() throws Exception {
        Path copy = dir.resolve("export-onto-itself.db");
        assertThat(Cli.run("--db", copy.toString(), "migrate").exitCode()).isZero();
        for (boolean force : new boolean[] {false, true}) {
            Cli.Result r = force ? Cli.run("--db", copy.toString(), "export", "--output", copy.toString(), "--force")
                    : Cli.run("--db", copy.toString(), "export", "--output", copy.toString());
            assertThat(r.exitCode()).as("force " + force).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.err()).isEqualTo("atlas: cannot write " + copy + ": it is the database being exported\n");
        }
        assertThat(Cli.run("--db", copy.toString(), "info").exitCode()).isZero();

        Path existing = dir.resolve("existing.jsonl");
        java.nio.file.Files.writeString(existing, "keep me\n");
        Cli.Result refused = Cli.run("--db", copy.toString(), "export", "--output", existing.toString());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.err()).isEqualTo("atlas: cannot write " + existing + ": the file exists (--force replaces it)\n");
        assertThat(java.nio.file.Files.readString(existing)).isEqualTo("keep me\n");
        Cli.Result replaced = Cli.run("--db", copy.toString(), "export", "--output", existing.toString(), "--force");
        assertThat(replaced.exitCode()).isZero();
        assertThat(java.nio.file.Files.readString(existing)).startsWith("{\"type\":\"atlas-export\"");
    }

    @Test
    void importOfAHostileFileFailsNamingTheLineAndWritesNothing() throws Exception {
        String header = "{\"type\":\"atlas-export\",\"version\":1}\n";
        java.util.Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("deep", header + "{\"a\":".repeat(5000) + "1" + "}".repeat(5000) + "\n");
        files.put("huge", header + "{\"type\":\"conversation\",\"x\":\"" + "a".repeat(21_000_000) + "\"}\n");
        files.put("long-number", header + "{\"type\":\"conversation\",\"x\":" + "9".repeat(5000) + "}\n");
        Path target = dir.resolve("hostile-import.db");
        for (var e : files.entrySet()) {
            Path input = dir.resolve(e.getKey() + ".jsonl");
            java.nio.file.Files.writeString(input, e.getValue());
            Cli.Result r = Cli.run("--db", target.toString(), "--tenant", "acme", "import", "--input", input.toString());
            assertThat(r.exitCode()).as(e.getKey()).isEqualTo(1);
            assertThat(r.out()).as(e.getKey()).isEmpty();
            assertThat(r.err()).as(e.getKey()).startsWith("importing into tenant acme ...\natlas: line 2: is not JSON: ")
                    .containsAnyOf("nesting depth", "String value length", "Number value length").endsWith(")\n");
            assertThat(r.err().lines().count()).as(e.getKey()).isEqualTo(2);
        }
        Cli.Result info = Cli.run("--db", target.toString(), "--tenant", "acme", "conversations", "list");
        assertThat(info.out()).isEqualTo("No conversations.\n");
    }
}
