package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.conversation.Message;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.langchain4j.AtlasChatMemory;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The review of {@code sendableWindowsOnly()} (docs/langchain4j.md) on both dialects: two Atlas instances on one
 * database split a tool round; the opted-in store's turn writes the window back without the broken round while the
 * history keeps every message, on PostgreSQL as on SQLite; tool call ids a provider may send (NUL, a lone surrogate,
 * quotes, LIKE metacharacters, none at all) still pair a request with its results after the round trip through the
 * database, so a complete round is never taken for a broken one.
 */
class Newcomer38SendableWindowDialectsTest {
    @TempDir
    Path blobs;

    interface Chat {
        String chat(@MemoryId String id, @dev.langchain4j.service.UserMessage String text);
    }

    /** Answers "ok", keeping what it was sent. */
    static final class Recording implements ChatModel {
        final List<List<ChatMessage>> requests = new CopyOnWriteArrayList<>();

        @Override
        public ChatResponse doChat(ChatRequest request) {
            requests.add(List.copyOf(request.messages()));
            return ChatResponse.builder().aiMessage(AiMessage.from("ok")).build();
        }
    }

    private static TestDatabase database(String dialect) {
        return dialect.equals("postgres") ? new PostgresTestDatabase() : new SqliteTestDatabase();
    }

    private static AiMessage asks(String... ids) {
        List<ToolExecutionRequest> requests = new ArrayList<>();
        for (String id : ids) {
            requests.add(ToolExecutionRequest.builder().id(id).name("lookup").arguments("{\"order\":1}").build());
        }
        return AiMessage.from(requests);
    }

    private static ToolExecutionResultMessage ran(String id) {
        return ToolExecutionResultMessage.from(id, "lookup", "shipped");
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgres"})
    void aRaceSplitRoundIsWrittenBackWithoutItAndTheHistoryKeepsIt(String dialect) throws Exception {
        TestDatabase database = database(dialect);
        try (Atlas one = database.open(b -> b.blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(blobs)));
             Atlas two = Atlas.builder().dataSource(database.dataSource()).blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(blobs)).build()) {
            AtlasChatMemoryStore a = AtlasChatMemoryStore.of(one.tenant("shop"));
            AtlasChatMemoryStore b = AtlasChatMemoryStore.of(two.tenant("shop"));
            a.updateMessages("chat-1", List.of(UserMessage.from("where is order 1?"), asks("call_1")));
            // Both instances read the window ending on the request; one stores the result, the other a question.
            List<ChatMessage> readA = new ArrayList<>(a.getMessages("chat-1"));
            List<ChatMessage> readB = new ArrayList<>(b.getMessages("chat-1"));
            readA.add(ran("call_1"));
            a.updateMessages("chat-1", readA);
            readB.add(UserMessage.from("hello?"));
            b.updateMessages("chat-1", readB);
            // Another tenant's memory of the same id, split the same way, is none of shop's business.
            AtlasChatMemoryStore.of(one.tenant("rival")).updateMessages("chat-1", List.of(asks("call_1"), UserMessage.from("rival")));

            Recording model = new Recording();
            Chat chat = AiServices.builder(Chat.class).chatModel(model)
                    .chatMemoryProvider(AtlasChatMemory.provider(AtlasChatMemoryStore.of(two.tenant("shop")).sendableWindowsOnly(), 20)).build();
            assertThat(chat.chat("chat-1", "still there?")).isEqualTo("ok");

            List<ChatMessage> window = List.of(UserMessage.from("where is order 1?"), UserMessage.from("hello?"),
                    UserMessage.from("still there?"), AiMessage.from("ok"));
            assertThat(model.requests).containsExactly(window.subList(0, 3));
            // Written back: the other instance's default store reads the sendable window.
            assertThat(a.getMessages("chat-1")).isEqualTo(window);
            List<Message> history = one.tenant("shop").conversations().messages(a.conversation("chat-1").orElseThrow().id(), 0, 100);
            assertThat(history).extracting(Message::content).containsExactly("where is order 1?", "", "shipped", "hello?",
                    "still there?", "ok");
            assertThat(AtlasChatMemoryStore.of(one.tenant("rival")).getMessages("chat-1"))
                    .isEqualTo(List.of(asks("call_1"), UserMessage.from("rival")));
        } finally {
            database.cleanup();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgres"})
    void hostileToolCallIdsStillPairRequestAndResults(String dialect) {
        TestDatabase database = database(dialect);
        try (Atlas atlas = database.open(b -> b.blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(blobs)))) {
            Tenant tenant = atlas.tenant("shop");
            String nul = "call_\u0000x";
            String surrogate = "call_\uD800y";
            String quotes = "call_'\"%_\\z";
            ToolExecutionRequest anonymous = ToolExecutionRequest.builder().name("lookup").arguments("{}").build();
            List<ChatMessage> stored = List.of(
                    UserMessage.from("q1"),
                    asks(nul, surrogate, quotes), ran(quotes), ran(nul), ran(surrogate),   // complete, results in any order
                    AiMessage.from("a1"),
                    UserMessage.from("q2"),
                    AiMessage.from(List.of(anonymous)), ToolExecutionResultMessage.from(anonymous, "shipped"), // a provider sending no ids
                    AiMessage.from("a2"),
                    UserMessage.from("q3"),
                    asks(nul, surrogate), ran(nul),                                     // half a round, then a question
                    UserMessage.from("q4"));
            AtlasChatMemoryStore.of(tenant).updateMessages("chat-1", stored);
            List<ChatMessage> expected = new ArrayList<>(stored.subList(0, 11));
            expected.add(UserMessage.from("q4"));
            assertThat(AtlasChatMemoryStore.of(tenant).sendableWindowsOnly().getMessages("chat-1")).isEqualTo(expected);
        } finally {
            database.cleanup();
        }
    }
}
