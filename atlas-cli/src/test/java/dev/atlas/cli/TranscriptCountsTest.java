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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a transcript counts and shows once (new17): the message counts of the list, the header and
 * the tool threads are the messages a reader can see (a deleted one is neither shown nor counted),
 * on the command line and in the viewer's JSON; an execution's tool calls are printed once in a
 * transcript read in several chunks (show reads 100 messages at a time).
 */
class TranscriptCountsTest {
    @TempDir
    static Path dir;
    static Path db;
    static String conversation;
    static String thread;
    static String callThread;
    static String long100;

    @BeforeAll
    static void write() {
        db = dir.resolve("agent.db");
        try (Atlas atlas = Atlas.sqlite(db)) {
            Tenant acme = atlas.tenant("acme");
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("42"), "support").title("Cards"));
            acme.conversations().append(c.id(), NewMessage.user("hello"));
            Message oops = acme.conversations().append(c.id(), NewMessage.user("my card number is 4111 1111 1111 1111"));
            acme.conversations().deleteMessage(oops.id());
            Conversation t = acme.conversations().create(NewConversation.toolThread(Owner.user("42"), "support", c.id(), null));
            acme.conversations().append(t.id(), NewMessage.user("sub-task"));
            Message gone = acme.conversations().append(t.id(), NewMessage.user("removed"));
            acme.conversations().deleteMessage(gone.id());
            conversation = c.id().toString();
            thread = t.id().toString();

            Conversation l = acme.conversations().create(NewConversation.of(Owner.user("43"), "support").title("Long"));
            for (int i = 1; i < 100; i++) {
                acme.conversations().append(l.id(), NewMessage.user("question " + i));
            }
            acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(l.id()), exec -> {
                var step = exec.step();
                var call = step.toolCall("call-1", "lookup_order", "{\"order\":1234}");
                call.complete("{\"status\":\"shipped\"}");
                step.finish("", FinishReason.TOOL_CALLS);
                exec.reply(step, "Let me look.");
                var second = exec.step();
                second.finish("Shipped.", FinishReason.STOP);
                exec.reply(second, "Shipped.");
                return null;
            });
            long100 = l.id().toString();
        }
    }

    @Test
    void theHeaderAndTheThreadsCountTheMessagesNotDeleted() {
        Newcomer17CliTest.Run r = Newcomer17CliTest.inJvm("--db", db.toString(), "-t", "acme", "conversations", "show", conversation);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains(", 1 message\n").doesNotContain("card").endsWith("\nTool thread " + thread + " (1 message)\n");
    }

    @Test
    void theListCountsTheMessagesNotDeleted() {
        Newcomer17CliTest.Run r = Newcomer17CliTest.inJvm("--db", db.toString(), "-t", "acme", "conversations", "list", "--order", "creation");
        assertThat(r.exitCode()).isZero();
        List<String> counts = r.out().lines().skip(1).map(line -> line.split(" {2,}")[2]).toList();
        assertThat(counts).containsExactly("1", "1", "101");
    }

    @Test
    void anExecutionsToolCallsArePrintedOnceAcrossTheHundredthMessage() {
        Newcomer17CliTest.Run r = Newcomer17CliTest.inJvm("--db", db.toString(), "-t", "acme", "conversations", "show", long100);
        assertThat(r.exitCode()).isZero();
        assertThat(r.out().split("tool lookup_order", -1)).hasSize(2);
        assertThat(r.out()).contains("\n#100 assistant").contains("\n#101 assistant").contains(", 101 messages\n");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theViewersJsonCountsTheMessagesNotDeleted() throws Exception {
        Database database = new Database(db.toString(), null, null, "atlas_", dir.resolve("data"));
        try (Atlas atlas = database.open()) {
            ViewerApi api = new ViewerApi(atlas, database, null);
            Map<String, Object> list = (Map<String, Object>) api.route(List.of("conversations"), Map.of("tenant", "acme"));
            assertThat(((List<Map<String, Object>>) list.get("items")).stream().map(m -> m.get("messages")).toList())
                    .containsExactly(101L, 1L, 1L);
            Map<String, Object> t = (Map<String, Object>) api.route(List.of("conversations", conversation), Map.of("tenant", "acme"));
            assertThat(((Map<String, Object>) t.get("conversation")).get("messages")).isEqualTo(1L);
            assertThat(((List<Map<String, Object>>) t.get("otherThreads")).get(0).get("messages")).isEqualTo(1L);
        }
    }
}
