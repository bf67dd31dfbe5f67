package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A newcomer following docs/cli.md: option values out of their documented ranges, and ids of
 * another tenant. Run in this JVM through the jar's own picocli model (a process each would only
 * add start-up time; what the jar prints is the same handlers' output).
 */
class Newcomer10CliTest {
    @TempDir
    static Path dir;
    static Path db;
    static String globexConversation;
    static String globexExecution;

    @BeforeAll
    static void data() {
        db = dir.resolve("agent.db");
        try (Atlas atlas = new Database(db.toString(), null, null, "atlas_", null).openAndMigrate()) {
            Tenant globex = atlas.tenant("globex");
            Conversation c = globex.conversations().create(NewConversation.of(Owner.user("7")).title("globex secret title"));
            globex.conversations().append(c.id(), NewMessage.user("globex secret"));
            globexConversation = c.id().toString();
            dev.atlas.execution.ExecutionHandle run = globex.executions().start(
                    dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
            run.complete();
            globexExecution = run.id().toString();
            atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("1")));
        }
    }

    record Run(int exitCode, String out, String err) {}

    static Run atlas(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        picocli.CommandLine cli = AtlasCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        String[] all = new String[args.length + 2];
        all[0] = "--db";
        all[1] = db.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int code = cli.execute(all);
        return new Run(code, out.toString(), err.toString());
    }

    /** docs/cli.md: a wrong option value is exit 2, the message names the option, then "Try 'atlas <command> --help'". */
    @Test
    void optionValuesOutOfRangeAreUsageErrorsNamingTheOption() {
        String[][] cases = {
                {"conversations list --limit 0", "atlas: --limit: must be between 1 and 100, was 0", "atlas conversations list"},
                {"conversations list --limit 101", "atlas: --limit: must be between 1 and 100, was 101", "atlas conversations list"},
                {"usage --by week", "atlas: --by: 'week' is not one of [day, model, provider, agent, conversation, owner, project, tenant]", "atlas usage"},
                {"serve --port 70000", "atlas: --port: must be between 0 and 65535, was 70000", "atlas serve"},
                {"serve --port -1", "atlas: --port: must be between 0 and 65535, was -1", "atlas serve"},
                {"executions list --limit 0", "atlas: --limit: must be between 1 and 100, was 0", "atlas executions list"},
                {"conversations show 0190f1e2-8b3c-7def-8123-456789abcdef --limit 1001", "atlas: --limit: must be between 1 and 1000, was 1001",
                        "atlas conversations show"},
                {"conversations list --limit 99999999999", "atlas: --limit: '99999999999' is not an int",
                        "atlas conversations list"},
                {"usage --format xml", "atlas: --format: 'xml' is not one of [table, csv, json]",
                        "atlas usage"},
                {"retention run --batch-size 0 --archive-idle-after 1d", "atlas: --batch-size: must be between 1 and 10000, was 0", "atlas retention run"},
                {"retention run --batch-size 10001 --archive-idle-after 1d", "atlas: --batch-size: must be between 1 and 10000, was 10001",
                        "atlas retention run"},
                {"conversations list --owner user", "atlas: --owner: must be <type>:<id>, e.g. user:42, was 'user'", "atlas conversations list"},
                {"conversations list --owner user:", "atlas: --owner: must be <type>:<id>, e.g. user:42, was 'user:'", "atlas conversations list"},
                {"export", "atlas: --output: is required", "atlas export"},
                // An option given without its value is not a missing option: it was "--limit: is required" of an optional --limit.
                {"conversations list --limit", "atlas: --limit: needs a value", "atlas conversations list"},
                {"export -o", "atlas: --output: needs a value", "atlas export"},
                {"conversations list --owner --limit 5", "atlas: --owner: needs a value, found the option '--limit'", "atlas conversations list"},
                {"-t", "atlas: --tenant: needs a value", "atlas"},
                {"conversations show", "atlas: <id>: is required", "atlas conversations show"},
                {"export -o a --output b", "atlas: --output: should be specified only once", "atlas export"},
                {"usage --from 2026-02-30", "atlas: --from: must be a date (2026-01-31) or an instant (2026-01-31T12:00:00Z), was '2026-02-30'",
                        "atlas usage"},
                {"usage --from 2026-03-01T25:00:00Z",
                        "atlas: --from: must be a date (2026-01-31) or an instant (2026-01-31T12:00:00Z), was '2026-03-01T25:00:00Z'", "atlas usage"},
                {"usage --from 2026-03-01 --to 2026-02-01", "atlas: --to: must be after --from", "atlas usage"},
                {"retention run --delete-messages-after 1.5d",
                        "atlas: --delete-messages-after: must be a duration such as 30d, 12h, 45m or P30D, was '1.5d'", "atlas retention run"},
                {"retention run --lease 2d --archive-idle-after 1d", "atlas: --lease: must be between 1s and 1d, was '2d'", "atlas retention run"},
                {"conversations show 0190f1e2-8b3c-7def-8123-456789abcdef --after abc",
                        "atlas: --after: 'abc' is not a long", "atlas conversations show"},
                // Stored text is hostile, and so is typed text: a terminal escape in a value is quoted as a visible code.
                {"usage --by \u001b[2J", "atlas: --by: '\\u001b[2J' is not one of [day, model, provider, agent, conversation, owner, project, tenant]",
                        "atlas usage"},
        };
        for (String[] c : cases) {
            Run r = atlas(c[0].split(" "));
            assertThat(r).as(c[0]).isEqualTo(new Run(2, "", c[1] + "\nTry '" + c[2] + " --help' for more information.\n"));
        }
    }

    /**
     * Ids of another tenant behave as ids that exist nowhere, word for word, on every command that takes one
     * (conversations show is pinned by CliSqliteTest#anotherTenantsConversationsAreNotListed); an export names
     * nothing of it and leaves no file.
     */
    @Test
    void anotherTenantsIdsAreIdsThatExistNowhere() {
        String nowhere = "0190f1e2-8b3c-7def-8123-456789abcdef";
        assertThat(atlas("-t", "acme", "executions", "show", globexExecution))
                .isEqualTo(new Run(1, "", "atlas: execution " + globexExecution + " not found\n"));
        assertThat(atlas("-t", "acme", "executions", "show", nowhere))
                .isEqualTo(new Run(1, "", "atlas: execution " + nowhere + " not found\n"));
        assertThat(atlas("-t", "acme", "executions", "list", "--conversation", globexConversation))
                .isEqualTo(atlas("-t", "acme", "executions", "list", "--conversation", nowhere));
        Path file = dir.resolve("foreign.jsonl");
        Run export = atlas("-t", "acme", "export", "--conversation", globexConversation, "-o", file.toString());
        assertThat(export).isEqualTo(new Run(1, "", "exporting tenant acme ...\natlas: --conversation: conversation "
                + globexConversation + " not found\n"));
        assertThat(file).doesNotExist();
        assertThat(dir.toFile().list()).allSatisfy(name -> assertThat(name).doesNotContain("foreign"));
    }

    /**
     * A newcomer who swaps --db and --input (or names the export file as --db) gets a failure, exit 1, and the export
     * file is left byte for byte as it was, with nothing created beside it (CliUserErrorsTest pins the message of info).
     * (import says it otherwise, "could not open a connection pool for ...": reported, not pinned here.)
     */
    @Test
    void anExportGivenAsTheDatabaseIsLeftUntouched() throws Exception {
        Path export = dir.resolve("swap").resolve("acme.jsonl");
        java.nio.file.Files.createDirectories(export.getParent());
        assertThat(atlas("-t", "globex", "export", "-o", export.toString()).exitCode()).isZero();
        byte[] before = java.nio.file.Files.readAllBytes(export);
        String notADatabase = "atlas: cannot read SQLite " + export + " (--db): [SQLITE_NOTADB] File opened that is not a database file (file is not a database)\n";
        for (String[] args : new String[][]{{"migrate"}, {"-t", "globex", "import", "--input", export.toString()}}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            picocli.CommandLine cli = AtlasCli.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            String[] all = new String[args.length + 2];
            all[0] = "--db";
            all[1] = export.toString();
            System.arraycopy(args, 0, all, 2, args.length);
            Run r = new Run(cli.execute(all), out.toString(), err.toString());
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            if (args[0].equals("migrate")) {
                assertThat(r.err()).isEqualTo("Migrating SQLite " + export + " ...\n" + notADatabase);
            }
            assertThat(java.nio.file.Files.readAllBytes(export)).isEqualTo(before);
            assertThat(export.getParent().toFile().list()).containsExactly("acme.jsonl");
        }
    }
}
