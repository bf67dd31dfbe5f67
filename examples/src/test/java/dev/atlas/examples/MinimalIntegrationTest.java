package dev.atlas.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atlas.Atlas;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The README's 20-line integration runs as documented: it prints the history and stores the reply linked to its execution. */
class MinimalIntegrationTest {

    @Test
    @DisplayName("MinimalIntegration prints the question and the answer, and stores the answer linked to a completed execution")
    void runsAsDocumented() throws Exception {
        Path file = Path.of("atlas-data", "minimal.db");   // under the working directory (target/ in this build)
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Files.deleteIfExists(Path.of(file + suffix));
        }
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            MinimalIntegration.main(new String[0]);
        } finally {
            System.setOut(out);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8).lines().toList())
                .containsExactly("user: Where is order 1234?", "assistant: It ships today.");
        try (Atlas atlas = Atlas.sqlite(file)) {
            List<Conversation> conversations = atlas.conversations().list(ConversationQuery.all()).items();
            assertThat(conversations).hasSize(1);
            List<Message> history = atlas.conversations().history(conversations.get(0).id());
            Message answer = history.get(1);
            assertThat(answer.parentId()).isEqualTo(history.get(0).id());
            Execution execution = atlas.executions().get(answer.executionId()).orElseThrow();
            assertThat(execution.status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(execution.usage().inputTokens()).isEqualTo(12L);
            assertThat(execution.usage().outputTokens()).isEqualTo(4L);
        }
    }
}
