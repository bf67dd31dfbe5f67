package dev.atlas.examples.springai;

import dev.atlas.Tenant;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.spring.ai.AtlasChatMemoryRepository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SpringAiAppTest {
    @Test
    void runsOfflineAndAtlasHoldsTranscriptExecutionsAndCost(@TempDir Path dir) {
        try (ConfigurableApplicationContext app = SpringApplication.run(SpringAiApp.class,
                "--atlas.sqlite-path=" + dir.resolve("app.db"))) {
            assertThat(app.getBean(ChatMemoryRepository.class)).isInstanceOf(AtlasChatMemoryRepository.class);
            Tenant tenant = app.getBean(Tenant.class);
            var conversation = tenant.conversations().requireByKey(SpringAiApp.CHAT_ID);
            // 3 turns: a plain one (2 messages) and two with a tool round (4 messages each).
            assertThat(tenant.conversations().messages(conversation.id(), 0, 100)).hasSize(10);
            var executions = tenant.executions().list(ExecutionQuery.all().conversation(conversation.id()).limit(10)).items();
            assertThat(executions).hasSize(3);
            assertThat(executions).allSatisfy(e -> assertThat(e.cost()).isNotNull());

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            SpringAiApp.report(tenant, new PrintStream(bytes, true, StandardCharsets.UTF_8));
            String report = bytes.toString(StandardCharsets.UTF_8);
            assertThat(report).contains("== Transcript", "lookup({\"order\":1234}) -> \"order 1234 shipped\"", "== Cost by model", "scripted/scripted-1: 3 executions");
        }
    }

    /** The README's command keeps its file (atlas-data/spring-ai-app.db): a second run goes on with the same chat. */
    @Test
    void runsTwiceOnTheSameFile(@TempDir Path dir) {
        SpringApplication.run(SpringAiApp.class, "--atlas.sqlite-path=" + dir.resolve("app.db")).close();
        try (ConfigurableApplicationContext app = SpringApplication.run(SpringAiApp.class,
                "--atlas.sqlite-path=" + dir.resolve("app.db"))) {
            Tenant tenant = app.getBean(Tenant.class);
            var conversation = tenant.conversations().requireByKey(SpringAiApp.CHAT_ID);
            var executions = tenant.executions().list(ExecutionQuery.all().conversation(conversation.id()).limit(10)).items();
            assertThat(executions).hasSize(6).allSatisfy(e -> assertThat(e.cost()).isNotNull());
            assertThat(tenant.conversations().messages(conversation.id(), 0, 100)).hasSize(20);
        }
    }
}
