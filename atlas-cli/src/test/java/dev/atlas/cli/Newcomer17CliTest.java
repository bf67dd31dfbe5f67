package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.Usage;
import dev.atlas.memory.NewMemory;
import dev.atlas.portability.ExportScope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain Java 17 application's database (README's quick start, a memory, an edited and a deleted message), then
 * the {@code atlas} command on it as docs/cli.md writes it: the transcript, migrate, export and import.
 */
class Newcomer17CliTest {
    @TempDir
    static Path dir;
    static Path db;
    static UUID convo;
    static UUID execution;
    static byte[] apiExport;

    @BeforeAll
    static void app() throws Exception {
        db = dir.resolve("agent.db");
        Clock clock = Clock.fixed(Instant.parse("2026-03-02T09:00:00Z"), ZoneOffset.UTC);
        try (Atlas atlas = Atlas.builder().sqlite(db).clock(clock).build()) {
            Tenant acme = atlas.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
            Message question = acme.conversations().append(c.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
            String answer = acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
                var step = exec.step();
                step.finish("It shipped yesterday.", FinishReason.STOP);
                exec.usage(Usage.of(12, 5));
                exec.reply(step, NewMessage.assistant("It shipped yesterday.").parent(question.id()));
                return "It shipped yesterday.";
            });
            Message thanks = acme.conversations().append(c.id(), NewMessage.user("thanks"));
            acme.conversations().edit(thanks.id(), "Thanks!");
            Message oops = acme.conversations().append(c.id(), NewMessage.user("my card number is 4111 1111 1111 1111"));
            acme.conversations().deleteMessage(oops.id());
            acme.memories().create(NewMemory.preference(Owner.user("42"), "Prefers email over phone").agent("support"));
            convo = c.id();
            execution = acme.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().get(0).id();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            acme.portability().exportTo(out, ExportScope.tenant());
            apiExport = out.toByteArray();
        }
    }

    private static Cli.Result atlas(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--db";
        all[1] = db.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return Cli.run(all);
    }

    record Run(int exitCode, String out, String err) {}

    /** The same command in this JVM, through the jar's own picocli model (what the jar prints is the same handlers' output). */
    static Run inJvm(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = AtlasCli.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /**
     * docs/cli.md, conversations show: the transcript is every message not deleted, an edited one with its new content,
     * the reply with its execution; with --limit, a More messages line with the command that goes on.
     */
    @Test
    void transcriptShowsWhatIsNotDeleted() {
        Cli.Result r = atlas("-t", "acme", "conversations", "show", convo.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEmpty();
        String header = "Conversation " + convo + ": Where is order 1234?\n";
        String transcript = """

                #1 user  2026-03-02T09:00:00Z
                   Where is order 1234?

                #2 assistant  2026-03-02T09:00:00Z  execution %s
                   It shipped yesterday.
                """.formatted(execution);
        String thanks = """

                #3 user  2026-03-02T09:00:00Z
                   Thanks!
                """;
        assertThat(r.out()).startsWith(header).endsWith(transcript + thanks).doesNotContain("card", "#4");
        Run page = inJvm("--db", db.toString(), "-t", "acme", "conversations", "show", convo.toString(), "--limit", "2");
        assertThat(page.out()).endsWith(transcript + "\nMore messages: atlas ... conversations show " + convo + " --limit=2 --after 2\n");
        assertThat(inJvm("--db", db.toString(), "-t", "acme", "conversations", "show", convo.toString(), "--after", "2").out())
                .endsWith(thanks);
    }

    /**
     * docs/cli.md, export and import: the file the command writes is byte for byte the one the application's
     * portability().exportTo writes; imported into a new file it is migrated first, and a second import changes
     * nothing; migrate on the application's database says it is up to date at schema version 37.
     */
    @Test
    void exportIsTheApplicationsExportAndImportsOnce() throws Exception {
        assertThat(inJvm("--db", db.toString(), "migrate")).isEqualTo(new Run(0, "SQLite " + db.toAbsolutePath().normalize()
                + " is up to date at schema version 37\n", "Migrating SQLite " + db.toAbsolutePath().normalize() + " ...\n"));
        Path file = dir.resolve("acme.jsonl");
        String counts = """
                  conversation                     1
                  execution                        1
                  execution_step                   1
                  memory                           1
                  message                          4
                  message_event                    6
                """;
        assertThat(inJvm("--db", db.toString(), "-t", "acme", "export", "-o", file.toString()))
                .isEqualTo(new Run(0, "Exported 14 rows to " + file + "\n" + counts, "exporting tenant acme ...\n"));
        assertThat(Files.readAllBytes(file)).isEqualTo(apiExport);
        Path copy = dir.resolve("copy.db");
        assertThat(inJvm("--db", copy.toString(), "-t", "acme-copy", "import", "-i", file.toString()))
                .isEqualTo(new Run(0, "Imported 14 rows (0 already stored, unchanged)\n" + counts, "importing into tenant acme-copy ...\n"));
        assertThat(inJvm("--db", copy.toString(), "-t", "acme-copy", "import", "-i", file.toString()))
                .isEqualTo(new Run(0, "Imported 0 rows (14 already stored, unchanged)\n", "importing into tenant acme-copy ...\n"));
        try (Atlas atlas = Atlas.sqlite(copy)) {
            Tenant copied = atlas.tenant("acme-copy");
            assertThat(copied.conversations().messages(convo, 0, 10)).extracting(Message::content)
                    .containsExactly("Where is order 1234?", "It shipped yesterday.", "Thanks!");
            assertThat(copied.conversations().history(convo)).extracting(Message::sequence).containsExactly(1L, 2L, 3L);
        }
    }
}
