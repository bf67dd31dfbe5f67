package dev.atlas.examples;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.assistant.Assistant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.NewMemory;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStatus;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** Runs the demo's {@code main} as a user would, then checks what it stored through the public API. */
class SupportAgentDemoTest {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void startPostgres() {
        postgres = SharedPostgres.server();
    }

    @Test
    @DisplayName("On an SQLite file the demo stores the whole story, and a second run starts again from an empty file")
    void sqlite(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("demo.db");
        runDemo(file.toString());
        String output = runDemo(file.toString());

        assertThat(output).contains("(replaced by the retry #3", "attached: tracking-map-1234.png", "completed after 1 attempt",
                "Database file:   " + file.toAbsolutePath());
        try (Atlas atlas = Atlas.sqlite(file)) {
            assertStory(atlas.tenant(tenantOf(output)));
        }
    }

    @Test
    @DisplayName("Given a JDBC URL the demo runs on PostgreSQL, each run in a tenant of its own")
    void postgres() throws Exception {
        String url = createDatabase("demo");
        String first = runDemo(url, "postgres", "postgres");
        String second = runDemo(url, "postgres", "postgres");

        assertThat(tenantOf(first)).isNotEqualTo(tenantOf(second));
        try (Atlas atlas = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").build()) {
            assertStory(atlas.tenant(tenantOf(first)));
            assertStory(atlas.tenant(tenantOf(second)));
        }
    }

    /** The key facts of one run: revision, messages with a retry, the tool loop, the asset, memories and the task. */
    private static void assertStory(Tenant tenant) throws IOException {
        List<Conversation> conversations = tenant.conversations().list(ConversationQuery.all()).items();
        assertThat(conversations).hasSize(1);
        Conversation conversation = conversations.get(0);
        Assistant bot = tenant.assistants().getBySlug("support-bot").orElseThrow();
        assertThat(conversation.assistantRevisionId()).isEqualTo(bot.currentRevisionId()).isNotNull();

        List<Message> messages = tenant.conversations().messages(conversation.id(), 0, 100);
        assertThat(messages).hasSize(5);
        assertThat(messages).filteredOn(m -> !m.active()).hasSize(1);

        List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(conversation.id())).items();
        assertThat(executions).hasSize(4).allSatisfy(e -> {
            assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(e.cost()).isPositive();
        });
        List<ExecutionTree> toolLoops = executions.stream()
                .map(e -> tenant.executions().tree(e.id()).orElseThrow())
                .filter(t -> !t.toolCalls().isEmpty())
                .toList();
        assertThat(toolLoops).hasSize(1);
        ExecutionTree loop = toolLoops.get(0);
        assertThat(loop.steps()).hasSize(2);
        assertThat(loop.toolCalls()).hasSize(2).allSatisfy(c -> assertThat(c.status()).isEqualTo(ExecutionStatus.COMPLETED));

        List<Asset> assets = tenant.assets().byExecution(loop.execution().id());
        assertThat(assets).hasSize(1);
        Asset map = assets.get(0);
        assertThat(map.mimeType()).isEqualTo("image/png");
        try (InputStream in = tenant.assets().open(map.id())) {
            assertThat(in.readNBytes(PNG_SIGNATURE.length)).isEqualTo(PNG_SIGNATURE);
        }
        Message reply = messages.stream().filter(m -> loop.execution().id().equals(m.executionId())).findFirst().orElseThrow();
        assertThat(tenant.assets().forMessage(reply.id())).extracting(a -> a.asset().id()).containsExactly(map.id());

        assertThat(tenant.memories().list(MemoryQuery.forOwner(SupportAgentDemo.USER)).items())
                .extracting(m -> m.kind().value(), Memory::content)
                .containsExactly(tuple("task", "Confirm the new delivery address of order 1234 by email"),
                        tuple("fact", "Moved to Lyon and wants deliveries sent to the new address"),
                        tuple("preference", "Prefers email over phone calls for delivery updates"));

        List<Task> tasks = tenant.tasks().forConversation(conversation.id()).items();
        assertThat(tasks).hasSize(1);
        assertThat(tasks.get(0).status()).isEqualTo(TaskStatus.COMPLETED);
    }

    @Test
    @DisplayName("the demo reads a model's memory lines as a model writes them: kinds in any case or markup are normalised,"
            + " a kind that is still none is a fact, a line without content is skipped, text Atlas refuses is mended (MemoryKind.of threw)")
    void modelLinesBecomeMemories() {
        assertThat(SupportAgentDemo.memoryOf("Preference: Prefers email").orElseThrow())
                .extracting(m -> m.kind().value(), NewMemory::content).containsExactly("preference", "Prefers email");
        assertThat(SupportAgentDemo.memoryOf("  - **FACT** :  Lives in Lyon ").orElseThrow())
                .extracting(m -> m.kind().value(), NewMemory::content).containsExactly("fact", "Lives in Lyon");
        assertThat(SupportAgentDemo.memoryOf("delivery_window: mornings").orElseThrow().kind().value()).isEqualTo("delivery_window");
        assertThat(SupportAgentDemo.memoryOf("Delivery Window: mornings").orElseThrow().kind()).isEqualTo(dev.atlas.memory.MemoryKind.FACT);
        assertThat(SupportAgentDemo.memoryOf("Note that the user is in a hurry: ships by Friday").orElseThrow())
                .extracting(m -> m.kind().value(), NewMemory::content).containsExactly("fact", "ships by Friday");
        assertThat(SupportAgentDemo.memoryOf("1st: wrong").orElseThrow().kind()).isEqualTo(dev.atlas.memory.MemoryKind.FACT);
        assertThat(SupportAgentDemo.memoryOf("fact: a\u0000b \uD83D").orElseThrow().content()).isEqualTo("a\uFFFDb \uFFFD");
        assertThat(SupportAgentDemo.memoryOf("Here is what is worth remembering")).isEmpty();
        assertThat(SupportAgentDemo.memoryOf("task:   ")).isEmpty();
        assertThat(SupportAgentDemo.memoryOf("")).isEmpty();
    }

    /** Runs {@code main} and returns what it printed (also echoed to the real standard output). */
    private static String runDemo(String... args) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            SupportAgentDemo.main(args);
        } finally {
            System.setOut(original);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        original.print(output);
        return output;
    }

    private static String tenantOf(String output) {
        Matcher m = Pattern.compile("Atlas on \\w+, tenant (\\S+)").matcher(output);
        assertThat(m.find()).as("the demo prints its tenant").isTrue();
        return m.group(1);
    }

    private static String createDatabase(String name) throws Exception {
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return postgres.getJdbcUrl("postgres", name);
    }
}
