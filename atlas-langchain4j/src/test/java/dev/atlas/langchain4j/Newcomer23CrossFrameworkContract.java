package dev.atlas.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.Message;
import dev.atlas.Owner;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.spring.ai.AtlasChatMemoryRepository;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;

/**
 * Newcomer 23: two services of one agent product on one database, one on Spring AI ({@code AtlasChatMemoryRepository}
 * under Spring AI's {@code MessageWindowChatMemory}), the other on LangChain4j ({@code AtlasChatMemoryStore} under
 * LangChain4j's), each with its own Atlas instance as two JVMs have, following README.md, docs/integrations.md and
 * docs/langchain4j.md only.
 */
public abstract class Newcomer23CrossFrameworkContract {
    private final TestDatabase database;
    protected Atlas atlas;

    protected Newcomer23CrossFrameworkContract(TestDatabase database) {
        this.database = database;
    }

    /** The data source of the second service's Atlas instance, as another JVM's application would give it. */
    protected javax.sql.DataSource secondInstanceDataSource() {
        return database.dataSource();
    }

    /** The services' one blob store, as docs/integrations.md asks of several instances (the default is a local directory). */
    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path blobs;

    @BeforeEach
    void open() {
        atlas = database.open(b -> b.blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(blobs)));
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    private static String shape(org.springframework.ai.chat.messages.Message m) {
        String s = m.getMessageType() + "[" + m.getText() + "]";
        if (m instanceof AssistantMessage a && a.hasToolCalls()) {
            s += a.getToolCalls();
        }
        if (m instanceof ToolResponseMessage t) {
            s += t.getResponses();
        }
        return s;
    }

    private static org.springframework.ai.chat.memory.ChatMemory springMemory(Tenant tenant) {
        return org.springframework.ai.chat.memory.MessageWindowChatMemory.builder()
                .chatMemoryRepository(AtlasChatMemoryRepository.of(tenant, Owner.of("app", "spring-ai"), null)).maxMessages(6).build();
    }

    private static ChatMemory langChain4jMemory(Tenant tenant, String id) {
        return MessageWindowChatMemory.builder().id(id).maxMessages(6).chatMemoryStore(AtlasChatMemoryStore.of(tenant)).build();
    }

    private static List<String> rows(Tenant tenant, Conversation c) {
        return tenant.conversations().messages(c.id(), 0, 1000).stream().map(m -> m.role() + ":" + m.content()).toList();
    }

    @Test
    @DisplayName("a Spring AI service and a LangChain4j service (two Atlas instances) on one conversation: every message stored once in the"
            + " order written; Spring AI reads the LangChain4j service's tool round as a tool round (the calls with their ids, name and"
            + " arguments, each result answering its call), LangChain4j reads the list it last gave; another tenant reads, lists and clears"
            + " that id as one that exists nowhere; taking turns at once loses nothing")
    void springAiAndLangChain4jServicesShareOneConversation() throws Exception {
        javax.sql.DataSource second = secondInstanceDataSource();
        try (AutoCloseable closesSecond = second instanceof AutoCloseable c ? c : () -> { };
             Atlas other = Atlas.builder().dataSource(second).blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(blobs)).build()) {
            Tenant springTenant = atlas.tenant("acme");
            Tenant lcTenant = other.tenant("acme");
            org.springframework.ai.chat.memory.ChatMemory spring = springMemory(springTenant);
            ChatMemory lc = langChain4jMemory(lcTenant, "chat-1");
            String huge = "1" + "0".repeat(1500);
            for (int t = 0; t < 2; t++) {
                spring.add("chat-1", new org.springframework.ai.chat.messages.UserMessage("s-u" + t));
                spring.add("chat-1", AssistantMessage.builder().content("")
                        .toolCalls(List.of(new AssistantMessage.ToolCall("sc" + t, "function", "lookup", "{\"n\":" + t + "}"))).build());
                spring.add("chat-1", ToolResponseMessage.builder().responses(List.of(new ToolResponseMessage.ToolResponse("sc" + t, "lookup", "s-r" + t))).build());
                spring.add("chat-1", new AssistantMessage("s-a" + t));
                lc.add(dev.langchain4j.data.message.UserMessage.from("l-u" + t));
                ToolExecutionRequest req = ToolExecutionRequest.builder().id("lc" + t).name("lookup").arguments("{\"n\":" + huge + ",\"q\":\"\\u0000\"}").build();
                lc.add(AiMessage.from(req));
                lc.add(ToolExecutionResultMessage.from(req, "l-r" + t));
                lc.add(AiMessage.from("l-a" + t));
            }
            List<Conversation> conversations = springTenant.conversations().list(ConversationQuery.all()).items();
            assertThat(conversations).singleElement().satisfies(c -> assertThat(c.owner()).isEqualTo(Owner.of("app", "spring-ai")));
            assertThat(rows(springTenant, conversations.get(0))).containsExactly("user:s-u0", "assistant:", "tool:[{\"id\":\"sc0\",\"name\":\"lookup\",\"responseData\":\"s-r0\"}]",
                    "assistant:s-a0", "user:l-u0", "assistant:", "tool:l-r0", "assistant:l-a0",
                    "user:s-u1", "assistant:", "tool:[{\"id\":\"sc1\",\"name\":\"lookup\",\"responseData\":\"s-r1\"}]",
                    "assistant:s-a1", "user:l-u1", "assistant:", "tool:l-r1", "assistant:l-a1");
            String args = "{\"n\":" + huge + ",\"q\":\"\\u0000\"}";
            // Spring AI's window: what its last save kept (its own eviction, as over the in-memory repository), then what the
            // other service appended since, its tool round read as one, arguments byte for byte.
            assertThat(spring.get("chat-1").stream().map(Newcomer23CrossFrameworkContract::shape).toList()).containsExactly(
                    "TOOL[][ToolResponse[id=lc0, name=lookup, responseData=l-r0]]", "ASSISTANT[l-a0]", "USER[s-u1]",
                    "ASSISTANT[][ToolCall[id=sc1, type=function, name=lookup, arguments={\"n\":1}]]",
                    "TOOL[][ToolResponse[id=sc1, name=lookup, responseData=s-r1]]", "ASSISTANT[s-a1]", "USER[l-u1]",
                    "ASSISTANT[][ToolCall[id=lc1, type=function, name=lookup, arguments=" + args + "]]",
                    "TOOL[][ToolResponse[id=lc1, name=lookup, responseData=l-r1]]", "ASSISTANT[l-a1]");
            // LangChain4j's: the list it last gave (docs/langchain4j.md, getMessages), the other service's messages not in it.
            ToolExecutionRequest req1 = ToolExecutionRequest.builder().id("lc1").name("lookup").arguments(args).build();
            List<ChatMessage> lcWindow = List.of(AiMessage.from("l-a0"), dev.langchain4j.data.message.UserMessage.from("l-u1"), AiMessage.from(req1),
                    ToolExecutionResultMessage.from(req1, "l-r1"), AiMessage.from("l-a1"));
            assertThat(lc.messages()).isEqualTo(lcWindow);
            assertThat(AtlasChatMemoryStore.of(springTenant).getMessages("chat-1")).isEqualTo(lcWindow);
            // The same id under another tenant (the tenant taken per request), on either instance: as if it existed nowhere.
            for (Tenant globex : List.of(atlas.tenant("globex"), other.tenant("globex"))) {
                AtlasChatMemoryRepository repository = AtlasChatMemoryRepository.of(globex, Owner.of("app", "spring-ai"), null);
                assertThat(repository.findByConversationId("chat-1")).isEmpty();
                assertThat(repository.findConversationIds()).isEmpty();
                assertThat(AtlasChatMemoryStore.of(globex).getMessages("chat-1")).isEmpty();
                repository.deleteByConversationId("chat-1");
                AtlasChatMemoryStore.of(globex).deleteMessages("chat-1");
                assertThat(globex.conversations().list(ConversationQuery.all()).items()).isEmpty();
            }
            assertThat(springTenant.conversations().list(ConversationQuery.all()).items()).containsExactlyElementsOf(conversations);
            assertThat(lc.messages()).isEqualTo(lcWindow);

            // Both services taking turns at once on another conversation.
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                ChatMemory lc2 = langChain4jMemory(lcTenant, "chat-2");
                Future<?> s = pool.submit(() -> {
                    for (int t = 0; t < 5; t++) {
                        spring.add("chat-2", new org.springframework.ai.chat.messages.UserMessage("s-u" + t));
                        spring.add("chat-2", new AssistantMessage("s-a" + t));
                    }
                    return null;
                });
                Future<?> l = pool.submit(() -> {
                    for (int t = 0; t < 5; t++) {
                        lc2.add(dev.langchain4j.data.message.UserMessage.from("l-u" + t));
                        lc2.add(AiMessage.from("l-a" + t));
                    }
                    return null;
                });
                s.get(60, TimeUnit.SECONDS);
                l.get(60, TimeUnit.SECONDS);
                Conversation c2 = springTenant.conversations().requireByKey("chat-2");
                List<String> stored = tenantContents(springTenant, c2);
                assertThat(stored).hasSize(20).doesNotHaveDuplicates();
                assertThat(stored.stream().filter(x -> x.startsWith("s-")).toList()).isEqualTo(turns("s"));
                assertThat(stored.stream().filter(x -> x.startsWith("l-")).toList()).isEqualTo(turns("l"));
                assertThat(lc2.messages()).isEqualTo(List.of(dev.langchain4j.data.message.UserMessage.from("l-u2"), AiMessage.from("l-a2"),
                        dev.langchain4j.data.message.UserMessage.from("l-u3"), AiMessage.from("l-a3"),
                        dev.langchain4j.data.message.UserMessage.from("l-u4"), AiMessage.from("l-a4")));
                List<String> springWindow = spring.get("chat-2").stream().map(org.springframework.ai.chat.messages.Message::getText).toList();
                // In the stored order, ending with what the Spring service said last, and holding every message the other
                // service appended after that.
                assertThat(stored).containsSubsequence(springWindow);
                assertThat(springWindow).contains("s-u4", "s-a4").containsAll(stored.subList(stored.indexOf("s-a4") + 1, stored.size()));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static List<String> tenantContents(Tenant tenant, Conversation c) {
        return tenant.conversations().messages(c.id(), 0, 1000).stream().map(Message::content).toList();
    }

    private static List<String> turns(String who) {
        List<String> out = new java.util.ArrayList<>();
        for (int t = 0; t < 5; t++) {
            out.add(who + "-u" + t);
            out.add(who + "-a" + t);
        }
        return out;
    }
}
