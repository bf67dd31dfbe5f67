package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An export cut short (a full disk, a copy interrupted) or edited by hand, imported with {@code atlas import}: refused,
 * exit 1, naming the line and the field, and nothing of it stored, into a new database file or an existing one.
 */
class CliDamagedExportTest {

    /** Exports acme's 2 conversations and 6 messages from a new database under {@code dir}; returns the file's lines. */
    private static List<String> export(Path dir) throws Exception {
        Path db = dir.resolve("agent.db");
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            Tenant acme = atlas.tenant("acme");
            for (int c = 0; c < 2; c++) {
                var conversation = acme.conversations().create(NewConversation.of(Owner.user("42"), "support").title("t" + c));
                for (int m = 0; m < 3; m++) {
                    acme.conversations().append(conversation.id(), NewMessage.user("message " + c + "." + m));
                }
            }
        }
        Path file = dir.resolve("acme.jsonl");
        Cli.Result r = Cli.run("--db", db.toString(), "-t", "acme", "export", "-o", file.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    }

    private static int lineOf(List<String> lines, String type, int nth) {
        int seen = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("{\"type\":\"" + type + "\"") && seen++ == nth) {
                return i;
            }
        }
        throw new AssertionError("no " + type + " line " + nth);
    }

    /** Conversations and messages of the SQLite file {@code db}, all tenants. */
    private static long[] counts(Path db) throws Exception {
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement()) {
            long[] out = new long[2];
            try (var rs = s.executeQuery("SELECT (SELECT count(*) FROM atlas_conversations), (SELECT count(*) FROM atlas_messages)")) {
                rs.next();
                out[0] = rs.getLong(1);
                out[1] = rs.getLong(2);
            }
            return out;
        }
    }

    private static Path write(Path dir, String name, List<String> lines, String tail) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, String.join("\n", lines) + tail, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void anExportMeetingAStoredValueNoImportTakesFailsNamingTheRowAndWritesNoFile(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("agent.db");
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            atlas.tenant("acme").prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "2.50", "10",
                    java.time.Instant.parse("2026-01-01T00:00:00Z")));
        }
        String id;
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var s = c.createStatement()) {
            // Over Limits.MAX_PRICE_PER_MILLION: as SQL, or an older Atlas, could store it.
            s.executeUpdate("UPDATE atlas_model_prices SET input_micros_per_mtok = 1000001000000");
            try (var rs = s.executeQuery("SELECT id FROM atlas_model_prices")) {
                rs.next();
                id = rs.getString(1);
            }
        }
        Path file = dir.resolve("acme.jsonl");
        Cli.Result r = Cli.run("--db", db.toString(), "-t", "acme", "export", "-o", file.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).endsWith("atlas: model_prices row " + id + " is unreadable: model_price.input_micros_per_mtok: must be between 0"
                + " and 1000000000000, was 1000001000000: an import would refuse it, so the export stops here; correct or delete the row,"
                + " then export again\n");
        assertThat(r.out()).isEmpty();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).doesNotContain("acme.jsonl").noneMatch(n -> n.startsWith("acme.jsonl"));
        }
    }

    @Test
    void aFileCutInsideALineIsRefusedNamingTheLineAndNothingIsImported(@TempDir Path dir) throws Exception {
        List<String> lines = export(dir);
        int cut = lineOf(lines, "message", 4);
        List<String> kept = new ArrayList<>(lines.subList(0, cut + 1));
        String last = kept.get(cut);
        kept.set(cut, last.substring(0, last.length() / 2));
        Path file = write(dir, "cut.jsonl", kept, "");

        Path fresh = dir.resolve("fresh.db");
        Cli.Result r = Cli.run("--db", fresh.toString(), "-t", "acme", "import", "-i", file.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("importing into tenant acme ...\natlas: line " + (cut + 1) + ": ");
        assertThat(Files.exists(fresh)).as("no database is left behind").isFalse();

        Path existing = dir.resolve("existing.db");
        try (Atlas atlas = Atlas.builder().sqlite(existing).build()) {
            atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("7"), "support"));
        }
        Cli.Result into = Cli.run("--db", existing.toString(), "-t", "acme", "import", "-i", file.toString());
        assertThat(into.exitCode()).as(into.err()).isEqualTo(1);
        assertThat(into.err()).startsWith("importing into tenant acme ...\natlas: line " + (cut + 1) + ": ");
        assertThat(counts(existing)).containsExactly(1, 0);
    }

    @Test
    void aHandEditedValueIsRefusedNamingTheLineAndFieldAndNothingIsImported(@TempDir Path dir) throws Exception {
        List<String> lines = export(dir);
        int edited = lineOf(lines, "message", 5);
        assertThat(lines.get(edited)).contains("\"role\":\"user\"");
        lines.set(edited, lines.get(edited).replace("\"role\":\"user\"", "\"role\":\"robot\""));
        Path file = write(dir, "edited.jsonl", lines, "\n");

        Path existing = dir.resolve("existing.db");
        try (Atlas atlas = Atlas.builder().sqlite(existing).build()) {
            atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("7"), "support"));
        }
        Cli.Result r = Cli.run("--db", existing.toString(), "-t", "acme", "import", "-i", file.toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("importing into tenant acme ...\natlas: line " + (edited + 1) + ": message.role: ");
        assertThat(counts(existing)).containsExactly(1, 0);
    }

    /** A line edited into JSON that is not an object of the format, and a duplicated line with a changed value. */
    @Test
    void aLineThatIsNotARowAndAContradictingDuplicateAreRefused(@TempDir Path dir) throws Exception {
        List<String> lines = export(dir);
        int at = lineOf(lines, "message", 2);
        List<String> notRow = new ArrayList<>(lines);
        notRow.add(at, "[1,2,3]");
        Path fresh = dir.resolve("fresh.db");
        Cli.Result r = Cli.run("--db", fresh.toString(), "-t", "acme", "import", "-i", write(dir, "array.jsonl", notRow, "\n").toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("importing into tenant acme ...\natlas: line " + (at + 1) + ": ");
        assertThat(Files.exists(fresh)).isFalse();

        List<String> twice = new ArrayList<>(lines);
        String again = lines.get(at).replace("\"content\":\"message 0.2\"", "\"content\":\"message 0.2, edited\"");
        assertThat(again).isNotEqualTo(lines.get(at));
        twice.add(at + 1, again);
        Cli.Result dup = Cli.run("--db", fresh.toString(), "-t", "acme", "import", "-i", write(dir, "twice.jsonl", twice, "\n").toString());
        assertThat(dup.exitCode()).as(dup.err()).isEqualTo(1);
        assertThat(dup.err()).startsWith("importing into tenant acme ...\natlas: line " + (at + 2) + ": ");
        assertThat(Files.exists(fresh)).isFalse();
    }
}
