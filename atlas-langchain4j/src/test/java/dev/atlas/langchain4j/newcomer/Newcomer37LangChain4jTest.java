package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.store.memory.chat.ChatMemoryStore;
import dev.langchain4j.store.memory.chat.InMemoryChatMemoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a user sees of docs/langchain4j.md's "two JVMs writing one memory id at the same instant: the later window wins":
 * two app instances (two Atlas instances on one database file, which share no lock, as two JVMs) each run
 * {@code MessageWindowChatMemory.add} for one memory id (the same user in two browser tabs), which reads the window and
 * writes it back. The interleaving is made deterministic by calling the stores in the order the race takes: both read,
 * then both write. {@code InMemoryChatMemoryStore}, given the same calls, is the reference.
 */
class Newcomer37LangChain4jTest {
    @TempDir
    Path dir;

    /** Both read the window, then {@code first} writes its list plus {@code a}, then {@code second} its list plus {@code b}. */
    private static void race(ChatMemoryStore first, ChatMemoryStore second, ChatMessage a, ChatMessage b) {
        List<ChatMessage> readFirst = new ArrayList<>(first.getMessages("chat-1"));
        List<ChatMessage> readSecond = new ArrayList<>(second.getMessages("chat-1"));
        readFirst.add(a);
        first.updateMessages("chat-1", readFirst);
        readSecond.add(b);
        second.updateMessages("chat-1", readSecond);
    }

    private static void add(ChatMemoryStore store, ChatMessage m) {
        List<ChatMessage> l = new ArrayList<>(store.getMessages("chat-1"));
        l.add(m);
        store.updateMessages("chat-1", l);
    }

    @Test
    void theLaterWindowWinsAsInMemoryAndTheHistoryKeepsBoth() {
        try (Atlas one = Atlas.builder().sqlite(dir.resolve("agent.db")).build();
             Atlas two = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            Tenant tenant = one.tenant("shop");
            ChatMemoryStore a = AtlasChatMemoryStore.of(tenant);
            ChatMemoryStore b = AtlasChatMemoryStore.of(two.tenant("shop"));
            InMemoryChatMemoryStore refA = new InMemoryChatMemoryStore();
            for (ChatMemoryStore s : List.of(a, refA)) {
                add(s, SystemMessage.from("You are a support agent."));
                add(s, UserMessage.from("hi"));
                add(s, AiMessage.from("hello"));
            }
            // Two messages at once: the second write's list lacks the first's message.
            race(a, b, UserMessage.from("tab 1: where is order 5?"), UserMessage.from("tab 2: cancel order 5"));
            race(refA, refA, UserMessage.from("tab 1: where is order 5?"), UserMessage.from("tab 2: cancel order 5"));
            List<ChatMessage> window = List.of(SystemMessage.from("You are a support agent."), UserMessage.from("hi"),
                    AiMessage.from("hello"), UserMessage.from("tab 2: cancel order 5"));
            assertThat(refA.getMessages("chat-1")).isEqualTo(window);
            assertThat(a.getMessages("chat-1")).isEqualTo(window);
            assertThat(b.getMessages("chat-1")).isEqualTo(window);
            // Tab 1's question is lost to the model (no later turn sends it) but kept in the conversation's history.
            List<Conversation> conversations = tenant.conversations().list(ConversationQuery.all()).items();
            assertThat(conversations).hasSize(1);
            assertThat(tenant.conversations().messages(conversations.get(0).id(), 0, 100)).extracting(Message::content)
                    .containsExactly("You are a support agent.", "hi", "hello", "tab 1: where is order 5?", "tab 2: cancel order 5");

            // A race that splits a tool round: tab 1 stores the tool's result while tab 2 stores a question, both having read
            // the window that ends on the request. The later window holds the request without its result, as in memory.
            AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("lookup").arguments("{\"order\":\"5\"}").build());
            add(a, asks);
            add(refA, asks);
            ToolExecutionResultMessage result = ToolExecutionResultMessage.from("call_1", "lookup", "order 5 shipped");
            race(a, b, result, UserMessage.from("tab 2: hello?"));
            race(refA, refA, result, UserMessage.from("tab 2: hello?"));
            List<ChatMessage> split = new ArrayList<>(window);
            split.add(asks);
            split.add(UserMessage.from("tab 2: hello?"));
            assertThat(refA.getMessages("chat-1")).isEqualTo(split);
            assertThat(a.getMessages("chat-1")).isEqualTo(split);
            assertThat(tenant.conversations().messages(conversations.get(0).id(), 0, 100)).extracting(Message::content)
                    .endsWith("tab 2: hello?").hasSize(8);
        }
    }
}
