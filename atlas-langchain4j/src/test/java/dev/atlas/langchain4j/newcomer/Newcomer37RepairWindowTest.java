package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.conversation.Message;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/langchain4j.md: a window holding a tool request without its result (a split race, a crashed tool run) is given
 * back as stored; the application repairs it with {@code ChatMemory.set} of the messages without the request, after
 * which the window, read by any instance, holds no request, and the history still does.
 */
class Newcomer37RepairWindowTest {
    @TempDir
    Path dir;

    @Test
    void setWithoutTheDanglingRequestRepairsTheWindowAndKeepsTheHistory() {
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("agent.db")).build();
             Atlas other = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            Tenant tenant = atlas.tenant("shop");
            AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
            AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("lookup").arguments("{}").build());
            List<ChatMessage> broken = List.of(SystemMessage.from("Be brief."), UserMessage.from("where is order 5?"), asks,
                    UserMessage.from("hello?"));
            store.updateMessages("chat-1", broken);
            assertThat(store.getMessages("chat-1")).isEqualTo(broken);

            MessageWindowChatMemory memory = MessageWindowChatMemory.builder().id("chat-1").maxMessages(20).chatMemoryStore(store).build();
            memory.set(memory.messages().stream().filter(m -> !(m instanceof AiMessage ai && ai.hasToolExecutionRequests())).toList());
            List<ChatMessage> repaired = List.of(SystemMessage.from("Be brief."), UserMessage.from("where is order 5?"),
                    UserMessage.from("hello?"));
            assertThat(store.getMessages("chat-1")).isEqualTo(repaired);
            assertThat(AtlasChatMemoryStore.of(other.tenant("shop")).getMessages("chat-1")).isEqualTo(repaired);
            // Nothing was appended: the repair only moved the window.
            List<Message> history = tenant.conversations().messages(store.conversation("chat-1").orElseThrow().id(), 0, 100);
            assertThat(history).hasSize(4);
            assertThat(history.get(2).role().toString()).isEqualToIgnoringCase("assistant");
        }
    }
}
