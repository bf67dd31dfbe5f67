package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An export written by a newer Atlas: {@code import} says so and what to do (upgrade atlas), instead of
 * "version: must be 1, was '2'" or a column it does not know, and writes nothing.
 */
class CliNewerExportTest {
    @TempDir
    static Path dir;
    static Path export;
    static long schema;

    @BeforeAll
    static void write() {
        Path source = dir.resolve("source.db");
        try (Atlas atlas = Atlas.sqlite(source)) {
            Conversation c = atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("42"), "support").title("Hello"));
            atlas.tenant("acme").conversations().append(c.id(), NewMessage.user("hi"));
        }
        export = dir.resolve("acme.jsonl");
        Cli.Result r = Cli.run("--db", source.toString(), "-t", "acme", "export", "--output", export.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        schema = schemaVersion(source);
    }

    /** The newest migration the SQLite database at {@code db} ran. */
    static long schemaVersion(Path db) {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
             java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT max(CAST(version AS INTEGER)) FROM atlas_schema_history WHERE success")) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The export as a newer Atlas, one migration ahead, would head it. */
    static String fromANewerSchema(String file, long schema) {
        String header = "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + schema + "}\n";
        assertThat(file).startsWith(header);
        return "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + (schema + 1) + "}\n" + file.substring(header.length());
    }

    /** What the refusal of a newer schema's row adds. */
    static String upgrade(long schema) {
        return ": the file was written by a newer Atlas (schema " + (schema + 1) + "); this database is at schema " + schema
                + ": upgrade atlas to import it";
    }

    @Test
    void aNewerFormatSaysToUpgradeAndCreatesNothing() throws Exception {
        Path newer = dir.resolve("format-3.jsonl");
        Files.writeString(newer, Files.readString(export).replace("{\"type\":\"atlas-export\",\"version\":2,", "{\"type\":\"atlas-export\",\"version\":3,"));
        Path target = dir.resolve("new-1.db");
        Cli.Result r = Cli.run("--db", target.toString(), "-t", "acme", "import", "--input", newer.toString());
        assertThat(r).isEqualTo(new Cli.Result(1, "", "atlas: line 1: version: the file was written by a newer Atlas (export format 3);"
                + " this atlas reads export format 2: upgrade atlas to import it\n"));
        assertThat(target).doesNotExist();
    }

    @Test
    void aVersionBelowOneIsStillMalformed() throws Exception {
        Path zero = dir.resolve("format-0.jsonl");
        Files.writeString(zero, "{\"type\":\"atlas-export\",\"version\":0}\n");
        Cli.Result r = Cli.run("--db", dir.resolve("new-2.db").toString(), "import", "--input", zero.toString());
        assertThat(r).isEqualTo(new Cli.Result(1, "", "atlas: line 1: version: must be 1 to 2, was '0'\n"));
    }

    /** A newer schema's column in a row of format 1: the column is named, and the likely cause with what to do. */
    @Test
    void aColumnOfANewerSchemaSaysToUpgrade() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(export));
        int at = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("{\"type\":\"conversation\",\"row\":{")) {
                lines.set(i, lines.get(i).replace("\"row\":{", "\"row\":{\"pinned\":true,"));
                at = i + 1;
                break;
            }
        }
        assertThat(at).isPositive();
        Path newer = dir.resolve("newer-schema.jsonl");
        Files.writeString(newer, fromANewerSchema(String.join("\n", lines) + "\n", schema));
        Path target = dir.resolve("new-3.db");
        Cli.Result r = Cli.run("--db", target.toString(), "-t", "acme", "import", "--input", newer.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).endsWith("atlas: line " + at + ": conversation.pinned: is not a column of conversation" + upgrade(schema) + "\n");
        assertThat(target).doesNotExist();
    }

    @Test
    void aRowTypeOfANewerSchemaSaysToUpgrade() throws Exception {
        Path newer = dir.resolve("newer-type.jsonl");
        // Before the end record, where a newer Atlas would have written the row.
        Files.writeString(newer, fromANewerSchema(Files.readString(export), schema).replace("{\"type\":\"end\",",
                "{\"type\":\"conversation_pin\",\"row\":{}}\n{\"type\":\"end\","));
        int at = Files.readAllLines(newer).size() - 1;
        Cli.Result r = Cli.run("--db", dir.resolve("new-4.db").toString(), "-t", "acme", "import", "--input", newer.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).endsWith("atlas: line " + at + ": type: is not a known row type: 'conversation_pin'" + upgrade(schema) + "\n");
        assertThat(dir.resolve("new-4.db")).doesNotExist();
    }

    /** A newer schema's message role (a value this atlas's Role does not know): named, with what to do, and nothing created. */
    @Test
    void aRoleOfANewerSchemaSaysToUpgrade() throws Exception {
        String file = fromANewerSchema(Files.readString(export), schema);
        assertThat(file).contains("\"role\":\"user\"");
        Path newer = dir.resolve("newer-role.jsonl");
        Files.writeString(newer, file.replace("\"role\":\"user\"", "\"role\":\"developer\""));
        List<String> lines = Files.readAllLines(newer);
        int at = 0;
        while (!lines.get(at).contains("\"role\":\"developer\"")) {
            at++;
        }
        Path target = dir.resolve("new-5.db");
        Cli.Result r = Cli.run("--db", target.toString(), "-t", "acme", "import", "--input", newer.toString());
        assertThat(r).isEqualTo(new Cli.Result(1, "", "importing into tenant acme ...\natlas: line " + (at + 1) + ": message.role: 'developer' is not one of"
                + " [system, user, assistant, tool]" + upgrade(schema) + "\n"));
        assertThat(target).doesNotExist();
    }

    /**
     * A database a newer Atlas migrated opens (rolling upgrades, docs/cli.md's migrate): an export of this atlas
     * imports into it, the migration step finding nothing to apply, and a second import changes nothing.
     */
    @Test
    void anExportImportsIntoADatabaseANewerAtlasMigrated() throws Exception {
        Path newer = dir.resolve("newer-schema.db");
        assertThat(Cli.run("--db", newer.toString(), "migrate").exitCode()).isZero();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + newer);
             java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO atlas_schema_history SELECT installed_rank + 1, '99', 'future', type, 'V99__future.sql',"
                    + " checksum, installed_by, installed_on, execution_time, success FROM atlas_schema_history"
                    + " WHERE installed_rank = (SELECT max(installed_rank) FROM atlas_schema_history)");
        }
        Cli.Result first = Cli.run("--db", newer.toString(), "-t", "acme", "import", "--input", export.toString());
        assertThat(first.exitCode()).as(first.err()).isZero();
        java.util.regex.Matcher imported = java.util.regex.Pattern.compile("Imported (\\d+) rows \\(0 already stored, unchanged\\)\n(?s:.*)")
                .matcher(first.out());
        assertThat(imported.matches()).as(first.out()).isTrue();
        assertThat(Integer.parseInt(imported.group(1))).isPositive();
        Cli.Result again = Cli.run("--db", newer.toString(), "-t", "acme", "import", "--input", export.toString());
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo("Imported 0 rows (" + imported.group(1) + " already stored, unchanged)\n");
    }
}
