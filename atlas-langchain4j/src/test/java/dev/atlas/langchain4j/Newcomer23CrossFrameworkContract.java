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
import java.util.UUID;
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
                    for (int t = 0; t < 3; t++) {
                        spring.add("chat-2", new org.springframework.ai.chat.messages.UserMessage("s-u" + t));
                        spring.add("chat-2", new AssistantMessage("s-a" + t));
                    }
                    return null;
                });
                Future<?> l = pool.submit(() -> {
                    for (int t = 0; t < 3; t++) {
                        lc2.add(dev.langchain4j.data.message.UserMessage.from("l-u" + t));
                        lc2.add(AiMessage.from("l-a" + t));
                    }
                    return null;
                });
                s.get(60, TimeUnit.SECONDS);
                l.get(60, TimeUnit.SECONDS);
                Conversation c2 = springTenant.conversations().requireByKey("chat-2");
                List<String> stored = tenantContents(springTenant, c2);
                assertThat(stored).hasSize(12).doesNotHaveDuplicates();
                assertThat(stored.stream().filter(x -> x.startsWith("s-")).toList()).isEqualTo(turns("s"));
                assertThat(stored.stream().filter(x -> x.startsWith("l-")).toList()).isEqualTo(turns("l"));
                assertThat(lc2.messages()).isEqualTo(List.of(dev.langchain4j.data.message.UserMessage.from("l-u0"), AiMessage.from("l-a0"),
                        dev.langchain4j.data.message.UserMessage.from("l-u1"), AiMessage.from("l-a1"),
                        dev.langchain4j.data.message.UserMessage.from("l-u2"), AiMessage.from("l-a2")));
                List<String> springWindow = spring.get("chat-2").stream().map(org.springframework.ai.chat.messages.Message::getText).toList();
                // In the stored order, ending with what the Spring service said last, and holding every message the other
                // service appended after that.
                assertThat(stored).containsSubsequence(springWindow);
                assertThat(springWindow).contains("s-u2", "s-a2").containsAll(stored.subList(stored.indexOf("s-a2") + 1, stored.size()));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    @DisplayName("LangChain4j tool results its store keeps as JSON (a NUL in the text, in an asset; two texts, in metadata) read in"
            + " Spring AI as answering their call by id and name, their text byte for byte; the asset's bytes missing, the read fails")
    void langChain4jToolResultsKeptAsJsonAnswerTheirCall() {
        Tenant tenant = atlas.tenant("acme");
        ToolExecutionRequest nul = ToolExecutionRequest.builder().id("lc0").name("lookup").arguments("{}").build();
        ToolExecutionRequest big = ToolExecutionRequest.builder().id("lc1").name("fetch").arguments("{}").build();
        AtlasChatMemoryStore.of(tenant).updateMessages("chat-1", List.of(dev.langchain4j.data.message.UserMessage.from("l-u0"),
                AiMessage.from(nul, big), ToolExecutionResultMessage.from(nul, "r\u0000x"), ToolExecutionResultMessage.builder().id("lc1")
                        .toolName("fetch").contents(dev.langchain4j.data.message.TextContent.from("a"), dev.langchain4j.data.message.TextContent.from("b")).build(),
                AiMessage.from("l-a0")));
        Conversation chat1 = tenant.conversations().requireByKey("chat-1");
        List<Message> rows = tenant.conversations().messages(chat1.id(), 0, 10);
        // Beside the JSON (or its asset), the row of the request each result answers (2, the response asking for both).
        @SuppressWarnings("unchecked") java.util.Map<String, Object> nulResult = (java.util.Map<String, Object>) rows.get(2).metadata().get("langchain4j");
        @SuppressWarnings("unchecked") java.util.Map<String, Object> twoTexts = (java.util.Map<String, Object>) rows.get(3).metadata().get("langchain4j");
        assertThat(nulResult).containsOnlyKeys("jsonAsset", "request");
        assertThat(twoTexts).containsOnlyKeys("json", "request");
        assertThat(List.of(nulResult.get("request"), twoTexts.get("request"))).map(n -> ((Number) n).longValue()).containsExactly(2L, 2L);
        List<org.springframework.ai.chat.messages.Message> read = AtlasChatMemoryRepository.of(tenant, Owner.of("app", "spring-ai"), null)
                .findByConversationId("chat-1");
        assertThat(read).hasSize(5);
        assertThat(((ToolResponseMessage) read.get(2)).getResponses()).containsExactly(new ToolResponseMessage.ToolResponse("lc0", "lookup", "r\u0000x"));
        assertThat(((ToolResponseMessage) read.get(3)).getResponses()).containsExactly(new ToolResponseMessage.ToolResponse("lc1", "fetch", "a\nb"));

        // The JSON asset live, its bytes missing (a blob store failing): the read fails, as LangChain4j's store's and a
        // medium's, instead of handing the model a round whose answer lost its calls.
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(blobs)) {
            for (java.nio.file.Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                java.nio.file.Files.delete(f);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> AtlasChatMemoryRepository.of(tenant, Owner.of("app", "spring-ai"), null)
                .findByConversationId("chat-1")).isInstanceOf(dev.atlas.StorageException.class);

        // The JSON asset gone (detached and discarded; a purge alike): the round it belonged to (the answer asking for both
        // tools and both results) is left out whole, as LangChain4j's store leaves it out, never read as an answer without
        // its calls followed by results a provider refuses; the Spring AI service's turns save, evict and diff past it,
        // deleting and duplicating nothing.
        UUID asset = UUID.fromString((String) ((java.util.Map<?, ?>) rows.get(2).metadata().get("langchain4j")).get("jsonAsset"));
        tenant.assets().detach(rows.get(2).id(), asset);
        tenant.assets().discard(asset);
        org.springframework.ai.chat.memory.ChatMemory spring = springMemory(tenant);
        assertThat(spring.get("chat-1").stream().map(Newcomer23CrossFrameworkContract::shape).toList())
                .containsExactly("USER[l-u0]", "ASSISTANT[l-a0]");
        spring.add("chat-1", new org.springframework.ai.chat.messages.UserMessage("s-u1"));
        spring.add("chat-1", new AssistantMessage("s-a1"));
        // A list built by hand (no ids, no read before): matched by content against the same window.
        AtlasChatMemoryRepository.of(tenant, Owner.of("app", "spring-ai"), null).saveAll("chat-1", List.of(
                new org.springframework.ai.chat.messages.UserMessage("l-u0"), new AssistantMessage("l-a0"),
                new org.springframework.ai.chat.messages.UserMessage("s-u1"), new AssistantMessage("s-a1"),
                new org.springframework.ai.chat.messages.UserMessage("s-u2")));
        spring.add("chat-1", new AssistantMessage("s-a2"));
        spring.add("chat-1", new org.springframework.ai.chat.messages.UserMessage("s-u3"));
        assertThat(spring.get("chat-1").stream().map(Newcomer23CrossFrameworkContract::shape).toList())
                .containsExactly("ASSISTANT[l-a0]", "USER[s-u1]", "ASSISTANT[s-a1]", "USER[s-u2]", "ASSISTANT[s-a2]", "USER[s-u3]");
        assertThat(tenant.conversations().messages(chat1.id(), 0, 20)).extracting(Message::id)
                .startsWith(rows.stream().map(Message::id).toArray(UUID[]::new)).hasSize(10);
        assertThat(tenantContents(tenant, chat1).subList(5, 10)).containsExactly("s-u1", "s-a1", "s-u2", "s-a2", "s-u3");

        // JSON LangChain4j's store reads back (no limit on a name's length) reads in Spring AI too: an attribute's key of
        // 60,000 characters, over Jackson's default 50,000, leaves the answer its calls.
        ToolExecutionRequest keyed = ToolExecutionRequest.builder().id("lc2").name("lookup").arguments("{\"n\":2}").build();
        List<ChatMessage> longKey = List.of(AiMessage.builder().toolExecutionRequests(List.of(keyed))
                .attributes(java.util.Map.of("k".repeat(60_000), "v")).build(), ToolExecutionResultMessage.from(keyed, "l-r2"));
        AtlasChatMemoryStore.of(tenant).updateMessages("chat-2", longKey);
        assertThat(AtlasChatMemoryStore.of(tenant).getMessages("chat-2")).isEqualTo(longKey);
        assertThat(AtlasChatMemoryRepository.of(tenant, Owner.of("app", "spring-ai"), null).findByConversationId("chat-2").stream()
                .map(Newcomer23CrossFrameworkContract::shape).toList()).containsExactly(
                "ASSISTANT[][ToolCall[id=lc2, type=function, name=lookup, arguments={\"n\":2}]]",
                "TOOL[][ToolResponse[id=lc2, name=lookup, responseData=l-r2]]");
    }

    @Test
    @DisplayName("the images of LangChain4j user messages (inline base64, kept as assets; a URL) read in Spring AI as the user message's"
            + " media, mime type and bytes exact, its text exact also when the message's JSON is in an asset (a NUL); a gone image is left"
            + " out; the Spring AI service's next turn saves past them, appending and deleting nothing else")
    void langChain4jImagesReadAsSpringAiMedia() {
        Tenant tenant = atlas.tenant("acme");
        byte[] png = new byte[70_000];
        new java.util.Random(7).nextBytes(png);
        byte[] jpeg = {(byte) 0xFF, (byte) 0xD8, 0, 1, 2, (byte) 0xFF, (byte) 0xD9};
        String b64 = java.util.Base64.getEncoder().encodeToString(png);
        dev.langchain4j.data.message.UserMessage withImages = dev.langchain4j.data.message.UserMessage.from(
                dev.langchain4j.data.message.TextContent.from("what is on these?"),
                dev.langchain4j.data.message.ImageContent.from(b64, "image/png"),
                dev.langchain4j.data.message.ImageContent.from(dev.langchain4j.data.image.Image.builder()
                        .url(java.net.URI.create("https://example.com/cat.gif")).mimeType("image/gif").build()));
        // A text the columns cannot hold as is (a NUL): the message's JSON goes to an asset, its image to another.
        dev.langchain4j.data.message.UserMessage inAsset = dev.langchain4j.data.message.UserMessage.from(
                dev.langchain4j.data.message.TextContent.from("and \u0000 this"),
                dev.langchain4j.data.message.ImageContent.from(java.util.Base64.getEncoder().encodeToString(jpeg), "image/jpeg"));
        List<ChatMessage> lcMessages = List.of(withImages, AiMessage.from("a cat"), inAsset, AiMessage.from("a jpeg"));
        AtlasChatMemoryStore.of(tenant).updateMessages("chat-1", lcMessages);

        AtlasChatMemoryRepository repository = AtlasChatMemoryRepository.of(tenant, Owner.of("app", "spring-ai"), null);
        List<org.springframework.ai.chat.messages.Message> read = repository.findByConversationId("chat-1");
        assertThat(read).hasSize(4);
        var first = (org.springframework.ai.chat.messages.UserMessage) read.get(0);
        assertThat(first.getText()).isEqualTo("what is on these?");
        assertThat(first.getMedia()).hasSize(2);
        assertThat(first.getMedia().get(0).getMimeType().toString()).isEqualTo("image/png");
        assertThat(first.getMedia().get(0).getDataAsByteArray()).isEqualTo(png);
        assertThat(first.getMedia().get(1).getMimeType().toString()).isEqualTo("image/gif");
        assertThat(first.getMedia().get(1).getData()).isEqualTo("https://example.com/cat.gif");
        var third = (org.springframework.ai.chat.messages.UserMessage) read.get(2);
        assertThat(third.getText()).isEqualTo("and \u0000 this");
        assertThat(third.getMedia()).singleElement().satisfies(m -> {
            assertThat(m.getMimeType().toString()).isEqualTo("image/jpeg");
            assertThat(m.getDataAsByteArray()).isEqualTo(jpeg);
        });

        // The next turn of the Spring AI service: its window, media and all, saves back as stored.
        Conversation chat1 = tenant.conversations().requireByKey("chat-1");
        List<UUID> before = tenant.conversations().messages(chat1.id(), 0, 20).stream().map(Message::id).toList();
        org.springframework.ai.chat.memory.ChatMemory spring = springMemory(tenant);
        spring.add("chat-1", new org.springframework.ai.chat.messages.UserMessage("s-u0"));
        assertThat(tenant.conversations().messages(chat1.id(), 0, 20)).extracting(Message::id)
                .startsWith(before.toArray(UUID[]::new)).hasSize(5);

        // The PNG gone (detached and discarded): left out of the message's media (LangChain4j's store may serve it from its
        // cache until evicted, docs/langchain4j.md; Spring AI asks the asset store at each read).
        Message row = tenant.conversations().messages(chat1.id(), 0, 1).get(0);
        UUID image = UUID.fromString((String) ((List<?>) ((java.util.Map<?, ?>) row.metadata().get("langchain4j")).get("assets")).get(0));
        tenant.assets().detach(row.id(), image);
        tenant.assets().discard(image);
        assertThat(((org.springframework.ai.chat.messages.UserMessage) repository.findByConversationId("chat-1").get(0)).getMedia())
                .singleElement().satisfies(m -> assertThat(m.getMimeType().toString()).isEqualTo("image/gif"));
    }

    @Test
    @DisplayName("LangChain4j images whose base64 its store keeps inline (not its canonical encoding) read in Spring AI as their exact"
            + " bytes (line-wrapped MIME, URL-safe), and text that is no base64 is left out instead of sent to the model as the"
            + " bytes a lenient decoder makes of it")
    void langChain4jInlineBase64ImagesReadExactOrLeftOut() {
        Tenant tenant = atlas.tenant("acme");
        byte[] bytes = new byte[300];
        new java.util.Random(11).nextBytes(bytes);
        String mime = java.util.Base64.getMimeEncoder().encodeToString(bytes);
        String urlSafe = java.util.Base64.getUrlEncoder().encodeToString(bytes);
        assertThat(mime).contains("\r\n");
        assertThat(urlSafe).containsAnyOf("-", "_");
        dev.langchain4j.data.message.UserMessage user = dev.langchain4j.data.message.UserMessage.from(
                dev.langchain4j.data.message.TextContent.from("three images"),
                dev.langchain4j.data.message.ImageContent.from(mime, "image/png"),
                dev.langchain4j.data.message.ImageContent.from(urlSafe, "image/webp"),
                dev.langchain4j.data.message.ImageContent.from("hello world!", "image/jpeg"));
        AtlasChatMemoryStore.of(tenant).updateMessages("chat-b64", List.of(user, AiMessage.from("seen")));

        var read = (org.springframework.ai.chat.messages.UserMessage) AtlasChatMemoryRepository.of(tenant, Owner.of("app", "spring-ai"), null)
                .findByConversationId("chat-b64").get(0);
        assertThat(read.getText()).isEqualTo("three images");
        assertThat(read.getMedia()).extracting(m -> m.getMimeType().toString()).containsExactly("image/png", "image/webp");
        assertThat(read.getMedia().get(0).getDataAsByteArray()).isEqualTo(bytes);
        assertThat(read.getMedia().get(1).getDataAsByteArray()).isEqualTo(bytes);
    }

    private static List<String> tenantContents(Tenant tenant, Conversation c) {
        return tenant.conversations().messages(c.id(), 0, 1000).stream().map(Message::content).toList();
    }

    private static List<String> turns(String who) {
        List<String> out = new java.util.ArrayList<>();
        for (int t = 0; t < 3; t++) {
            out.add(who + "-u" + t);
            out.add(who + "-a" + t);
        }
        return out;
    }

    /**
     * Both services record their calls with AtlasTelemetry: run by the SQLite test only (what it checks is the listeners',
     * the same on either database).
     */
    protected void bothServicesTraceTheirCallsPerTenant() throws Exception {
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter springSpans = io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
        io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter lcSpans = io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
        io.opentelemetry.sdk.OpenTelemetrySdk springSdk = sdk(springSpans);
        io.opentelemetry.sdk.OpenTelemetrySdk lcSdk = sdk(lcSpans);
        javax.sql.DataSource second = secondInstanceDataSource();
        javax.sql.DataSource third = secondInstanceDataSource();
        try (AutoCloseable closesSecond = second instanceof AutoCloseable c ? c : () -> { };
             AutoCloseable closesThird = third instanceof AutoCloseable c ? c : () -> { };
             Atlas springAtlas = Atlas.builder().dataSource(second).blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(blobs))
                     .executionListener(dev.atlas.opentelemetry.AtlasTelemetry.create(springSdk)).build();
             Atlas lcAtlas = Atlas.builder().dataSource(third).blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(blobs))
                     .executionListener(dev.atlas.opentelemetry.AtlasTelemetry.create(lcSdk)).build()) {
            dev.atlas.examples.springai.scripted.ScriptedChatModel springModel = new dev.atlas.examples.springai.scripted.ScriptedChatModel();
            io.opentelemetry.api.common.AttributeKey<String> tenantKey = io.opentelemetry.api.common.AttributeKey.stringKey("atlas.tenant.id");
            io.opentelemetry.api.common.AttributeKey<String> conversationKey = io.opentelemetry.api.common.AttributeKey.stringKey("gen_ai.conversation.id");
            for (String tenantId : List.of("acme", "globex")) {
                Tenant lcTenant = lcAtlas.tenant(tenantId);
                AtlasChatModelListener listener = AtlasChatModelListener.of(lcTenant, "openai", "support");
                Assistant assistant = dev.langchain4j.service.AiServices.builder(Assistant.class)
                        .chatModel(new dev.atlas.examples.langchain4j.scripted.ScriptedChatModel(List.of(listener)))
                        .chatMemoryProvider(AtlasChatMemory.provider(lcTenant, 20)).tools(new dev.atlas.examples.langchain4j.scripted.OrderTools()).build();
                io.opentelemetry.api.trace.Span lcRequest = lcSdk.getTracer("app").spanBuilder("POST /lc " + tenantId).startSpan();
                try (io.opentelemetry.context.Scope ignored = lcRequest.makeCurrent()) {
                    assertThat(assistant.chat("chat-9", "where is order 5")).isEqualTo("done: order 5 is archived");
                }
                lcRequest.end();

                Tenant springTenant = springAtlas.tenant(tenantId);
                AtlasChatMemoryRepository repository = AtlasChatMemoryRepository.of(springTenant, Owner.of("app", "spring-ai"), null);
                org.springframework.ai.chat.client.ChatClient chat = org.springframework.ai.chat.client.ChatClient.builder(springModel)
                        .defaultAdvisors(dev.atlas.spring.ai.AtlasRecordingAdvisor.of(springTenant, repository, "openai", null).advisors())
                        .defaultAdvisors(org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor.builder(
                                org.springframework.ai.chat.memory.MessageWindowChatMemory.builder().chatMemoryRepository(repository).build()).build())
                        .build();
                io.opentelemetry.api.trace.Span springRequest = springSdk.getTracer("app").spanBuilder("POST /spring " + tenantId).startSpan();
                try (io.opentelemetry.context.Scope ignored = springRequest.makeCurrent()) {
                    assertThat(chat.prompt().user("thanks").advisors(a -> a.param(org.springframework.ai.chat.memory.ChatMemory.CONVERSATION_ID, "chat-9"))
                            .call().content()).isEqualTo("echo: thanks");
                }
                springRequest.end();
                String conversation = springTenant.conversations().requireByKey("chat-9").id().toString();
                List<io.opentelemetry.sdk.trace.data.SpanData> springCalls = springSpans.getFinishedSpanItems().stream()
                        .filter(s -> tenantId.equals(s.getAttributes().get(tenantKey))).toList();
                assertThat(springCalls).singleElement().satisfies(s -> {
                    assertThat(s.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.CLIENT);
                    assertThat(s.getParentSpanId()).isEqualTo(springRequest.getSpanContext().getSpanId());
                    assertThat(s.getAttributes().get(conversationKey)).isEqualTo(conversation);
                });
                List<io.opentelemetry.sdk.trace.data.SpanData> lcCalls = lcSpans.getFinishedSpanItems().stream()
                        .filter(s -> tenantId.equals(s.getAttributes().get(tenantKey))).toList();
                List<io.opentelemetry.sdk.trace.data.SpanData> rounds = lcCalls.stream().filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.CLIENT).toList();
                assertThat(rounds).hasSize(2).allSatisfy(s -> {
                    assertThat(s.getParentSpanId()).isEqualTo(lcRequest.getSpanContext().getSpanId());
                    assertThat(s.getAttributes().get(conversationKey)).isEqualTo(conversation);
                });
                assertThat(lcCalls).filteredOn(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.INTERNAL).singleElement()
                        .satisfies(s -> assertThat(s.getParentSpanId()).isEqualTo(rounds.get(0).getSpanId()));
            }
            assertThat(springSpans.getFinishedSpanItems()).hasSize(2 + 2);   // two calls and the two requests' spans
            assertThat(lcSpans.getFinishedSpanItems()).hasSize(2 * 3 + 2);
            assertThat(springAtlas.tenant("acme").conversations().requireByKey("chat-9").id())
                    .isNotEqualTo(springAtlas.tenant("globex").conversations().requireByKey("chat-9").id());
            // The Spring AI model got the LangChain4j service's round as a provider takes it: the call, then its result.
            List<String> sent = springModel.prompts().get(1).stream().map(Newcomer23CrossFrameworkContract::shape).toList();
            assertThat(sent).containsExactly("SYSTEM[You help with orders.]", "USER[where is order 5]",
                    "ASSISTANT[][ToolCall[id=call-5, type=function, name=lookup, arguments={\"order\":\"5\"}]]",
                    "TOOL[][ToolResponse[id=call-5, name=lookup, responseData=order 5 is archived]]", "ASSISTANT[done: order 5 is archived]", "USER[thanks]");
        } finally {
            springSdk.close();
            lcSdk.close();
        }
    }

    private static io.opentelemetry.sdk.OpenTelemetrySdk sdk(io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter exporter) {
        return io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(exporter)).build()).build();
    }
}
