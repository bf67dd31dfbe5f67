package dev.atlas.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An import into a new SQLite file while another process creates that file: the import builds
 * its database aside and puts it under the name only whole, so it never removes nor half-fills a
 * database another created, and a second import behaves as if run after the first.
 *
 * <p>The import under test reads {@code --input -}; the test holds its standard input open after
 * the header, so the other process runs exactly while the import is under way.
 */
class CliImportRaceTest {
    @TempDir
    static Path dir;
    static Path export;
    static String header;
    static String rows;
    static String acmeConversations;

    @BeforeAll
    static void populate() throws Exception {
        Path db = dir.resolve("source.db");
        new Fixture(Instant.parse("2026-03-02T09:00:00Z")).populate(b -> b.sqlite(db));
        export = dir.resolve("acme.jsonl");
        assertThat(Cli.run("--db", db.toString(), "--tenant", "acme", "export", "-o", export.toString()).exitCode()).isZero();
        String all = Files.readString(export);
        header = all.substring(0, all.indexOf('\n') + 1);
        rows = all.substring(header.length());
        acmeConversations = Cli.run("--db", db.toString(), "--tenant", "acme", "conversations", "list").out();
    }

    /** An import started with the header sent, stopped where it reads the rows: its progress line is on stderr. */
    private static Process pausedImport(Path target) throws Exception {
        Process p = new ProcessBuilder(Cli.command("--db", target.toString(), "--tenant", "acme", "import", "--input", "-")).start();
        OutputStream in = p.getOutputStream();
        in.write(header.getBytes(StandardCharsets.UTF_8));
        in.flush();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        assertThat(err.readLine()).isEqualTo("importing into tenant acme ...");
        return p;
    }

    private static Cli.Result finish(Process p, String rest) throws Exception {
        try (OutputStream in = p.getOutputStream()) {
            in.write(rest.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Cli.Result(p.exitValue(), out, err);
    }

    private static List<String> siblings(Path db) throws Exception {
        try (var files = Files.list(db.getParent())) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.contains(db.getFileName().toString())).sorted().toList();
        }
    }

    @Test
    void aFailedImportNeverRemovesADatabaseAnotherImportCreatedMeanwhile() throws Exception {
        Path target = dir.resolve("failed-import-meets-another.db");
        Process failing = pausedImport(target);
        Cli.Result other = Cli.run("--db", target.toString(), "--tenant", "acme", "import", "--input", export.toString());
        assertThat(other.exitCode()).as(other.err()).isZero();
        assertThat(other.out()).contains("(0 already stored, unchanged)");

        Cli.Result failed = finish(failing, "{not json\n");
        assertThat(failed).isEqualTo(new Cli.Result(1, "", "atlas: line 2: is not JSON: Unexpected character ('n' (code 110)):"
                + " was expecting double-quote to start field name\n"));
        // What the other import reported stored is there, and nothing of the failed one is left beside it.
        assertThat(Cli.run("--db", target.toString(), "--tenant", "acme", "conversations", "list"))
                .isEqualTo(new Cli.Result(0, acmeConversations, ""));
        assertThat(siblings(target)).containsExactly(target.getFileName().toString());
    }

    @Test
    void anImportWhoseNewDatabaseAnotherCreatedMeanwhileImportsIntoIt() throws Exception {
        Path target = dir.resolve("two-imports.db");
        Process second = pausedImport(target);
        Cli.Result first = Cli.run("--db", target.toString(), "--tenant", "acme", "import", "--input", export.toString());
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("(0 already stored, unchanged)");

        // As if run after the first: everything already stored, nothing imported twice.
        Cli.Result done = finish(second, rows);
        assertThat(done.err()).isEqualTo(target + " was created meanwhile by another process: importing into it ...\n"
                + CliAssetBytesTest.missing(target, 1));
        assertThat(done.exitCode()).isZero();
        assertThat(done.out()).startsWith("Imported 0 rows (");
        Path again = dir.resolve("two-imports.jsonl");
        assertThat(Cli.run("--db", target.toString(), "--tenant", "acme", "export", "-o", again.toString()).exitCode()).isZero();
        assertThat(Files.readString(again)).isEqualTo(Files.readString(export));
        assertThat(siblings(target)).containsExactly(target.getFileName().toString());
    }

    /** A new file named by a jdbc:sqlite: URL is built aside with the URL's parameters and put under the name the URL gives. */
    @Test
    void anImportIntoANewFileNamedByAUrlKeepsItsParameters() throws Exception {
        for (String form : new String[] {"jdbc:sqlite:%s?busy_timeout=5000", "jdbc:sqlite:file:%s?busy_timeout=5000"}) {
            Path target = dir.resolve("by-url-" + form.length() + ".db");
            String url = String.format(form, target);
            Cli.Result r = Cli.run("--db", url, "--tenant", "acme", "import", "--input", export.toString());
            // Opened by a URL, Atlas keeps asset bytes in the working directory's atlas-data/assets (AtlasConfig#assetDirectory).
            assertThat(r.err()).as(form).isEqualTo("importing into tenant acme ...\n"
                    + CliAssetBytesTest.missingIn(Path.of("atlas-data", "assets").toAbsolutePath(), 1));
            assertThat(r.exitCode()).as(form).isZero();
            assertThat(Cli.run("--db", url, "--tenant", "acme", "conversations", "list")).as(form)
                    .isEqualTo(new Cli.Result(0, acmeConversations, ""));
            assertThat(siblings(target)).as(form).containsExactly(target.getFileName().toString());
        }
    }

    /** Stopped (Ctrl-C, kill) while importing into a new file: neither the file nor the directory it was built in is left. */
    @Test
    void anImportStoppedWhileBuildingANewFileLeavesNothing() throws Exception {
        Path target = dir.resolve("stopped.db");
        Process p = pausedImport(target);
        p.destroy(); // SIGTERM: shutdown hooks run, as on Ctrl-C
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(siblings(target)).isEmpty();
    }
}
