package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.conversation.Message;
import dev.atlas.langchain4j.AtlasChatMemory;
import dev.atlas.langchain4j.AtlasChatMemoryStore;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.ChatMemory;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.jdbi.kit.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances racing on one memory id, each on its own thread as in production, through
 * {@code sendableWindowsOnly()} (docs/langchain4j.md, "Concurrency"): a question stored by one instance while the other's
 * tool runs, and two rounds of one tool from providers that send no tool call ids.
 */
class Newcomer40ToolRoundRacesTest {
    @TempDir
    Path dir;

    interface Chat {
        String chat(@MemoryId String id, @dev.langchain4j.service.UserMessage String text);
    }

    /** Runs {@code task} on {@code thread} and waits for it: each instance writes from a thread of its own. */
    private static <T> T on(ExecutorService thread, java.util.concurrent.Callable<T> task) throws Exception {
        return thread.submit(task).get(30, TimeUnit.SECONDS);
    }

    private static AiMessage weather(String city) {
        return AiMessage.from(ToolExecutionRequest.builder().name("weather").arguments("{\"city\":\"" + city + "\"}").build());
    }

    private static ToolExecutionResultMessage forecast(String text) {
        return ToolExecutionResultMessage.builder().toolName("weather").text(text).build();
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgres"})
    void interleavedRoundsOfOneToolWithoutIdsEachKeepTheirOwnResult(String dialect) throws Exception {
        ExecutorService threadOne = Executors.newSingleThreadExecutor();
        ExecutorService threadTwo = Executors.newSingleThreadExecutor();
        TestDatabase database = dialect.equals("postgres") ? new PostgresTestDatabase() : new SqliteTestDatabase();
        try (Atlas one = database.open();
             Atlas two = Atlas.builder().dataSource(database.dataSource()).build()) {
            ChatMemory a = AtlasChatMemory.provider(AtlasChatMemoryStore.of(one.tenant("shop")).sendableWindowsOnly(), 50).get("chat-1");
            ChatMemory b = AtlasChatMemory.provider(AtlasChatMemoryStore.of(two.tenant("shop")).sendableWindowsOnly(), 50).get("chat-1");
            UserMessage question = UserMessage.from("weather in Paris and London?");
            // What the two instances' tool loops add (a provider without tool call ids: Gemini, Ollama), as the race takes them.
            on(threadOne, () -> { a.add(question); a.add(weather("Paris")); return null; });
            on(threadTwo, () -> { b.add(weather("London")); return null; });
            on(threadOne, () -> { a.add(forecast("Paris: rain")); return null; });
            on(threadTwo, () -> { b.add(forecast("London: sun")); return null; });

            // Paired by order alone, the last request took the first result: Paris's call read "London: sun".
            List<ChatMessage> sendable = List.of(question, weather("Paris"), forecast("Paris: rain"), weather("London"),
                    forecast("London: sun"));
            assertThat(on(threadTwo, b::messages)).isEqualTo(sendable);
            assertThat(AtlasChatMemoryStore.of(two.tenant("shop")).sendableWindowsOnly().getMessages("chat-1")).isEqualTo(sendable);
        } finally {
            threadOne.shutdownNow();
            threadTwo.shutdownNow();
            database.cleanup();
        }
    }

    @Test
    void resultsStoredByOtherThreadsThanTheirRequestKeepTheRound() throws Exception {
        ExecutorService asker = Executors.newSingleThreadExecutor();
        ExecutorService firstTool = Executors.newSingleThreadExecutor();
        ExecutorService secondTool = Executors.newSingleThreadExecutor();
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            // An app driving its own loop: one thread stores the response asking for two tools, each tool's own thread its result.
            ChatMemory memory = AtlasChatMemory.provider(AtlasChatMemoryStore.of(atlas.tenant("shop")).sendableWindowsOnly(), 20).get("chat-1");
            UserMessage question = UserMessage.from("where are orders 1 and 2?");
            AiMessage asks = AiMessage.from(List.of(
                    ToolExecutionRequest.builder().id("call_1").name("lookup").arguments("{\"order\":\"1\"}").build(),
                    ToolExecutionRequest.builder().id("call_2").name("lookup").arguments("{\"order\":\"2\"}").build()));
            ToolExecutionResultMessage one = ToolExecutionResultMessage.from("call_1", "lookup", "order 1 shipped");
            ToolExecutionResultMessage two = ToolExecutionResultMessage.from("call_2", "lookup", "order 2 shipped");
            on(asker, () -> { memory.add(question); memory.add(asks); return null; });
            on(firstTool, () -> { memory.add(one); return null; });
            on(secondTool, () -> { memory.add(two); return null; });
            assertThat(on(asker, memory::messages)).isEqualTo(List.of(question, asks, one, two));
        } finally {
            asker.shutdownNow();
            firstTool.shutdownNow();
            secondTool.shutdownNow();
        }
    }

    @Test
    void aRoundLeftWithoutResultsDoesNotFailTheNextTurnOnAnotherThread() throws Exception {
        ExecutorService firstRequest = Executors.newSingleThreadExecutor();
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            // A web app: each request on a pooled thread of its own. The model asks for a tool the app lacks, so AiServices
            // throws and the round stays without results at the window's end.
            AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("refund").arguments("{\"order\":\"5\"}").build());
            Newcomer39InterleavedRoundsTest.StrictModel model = new Newcomer39InterleavedRoundsTest.StrictModel()
                    .then(asks).then(AiMessage.from("How can I help?"));
            ChatMemoryProvider memory = AtlasChatMemory.provider(AtlasChatMemoryStore.of(atlas.tenant("shop")).sendableWindowsOnly(), 20);
            Chat chat = AiServices.builder(Chat.class).chatModel(model).chatMemoryProvider(memory).tools(new SlowOrders()).build();
            Future<String> first = firstRequest.submit(() -> chat.chat("chat-1", "refund order 5"));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> first.get(30, TimeUnit.SECONDS))
                    .hasRootCauseMessage("The LLM is trying to execute the 'refund' tool, but no such tool exists. Most likely, it is a"
                            + " hallucination. You can override this default strategy by setting the hallucinatedToolNameStrategy on the AiService");

            // The next request, on another thread: the round was sent without its result, refused by the provider.
            assertThat(chat.chat("chat-1", "hello?")).isEqualTo("How can I help?");
            assertThat(model.requests).containsExactly(List.of(UserMessage.from("refund order 5")),
                    List.of(UserMessage.from("refund order 5"), UserMessage.from("hello?")));
        } finally {
            firstRequest.shutdownNow();
        }
    }

    /** One instance's tool, held until the other instance answered a question of its own. */
    static final class SlowOrders {
        final CountDownLatch running = new CountDownLatch(1);
        final CountDownLatch otherAnswered = new CountDownLatch(1);

        @Tool("Where an order is")
        String lookup(String order) throws InterruptedException {
            running.countDown();
            assertThat(otherAnswered.await(30, TimeUnit.SECONDS)).isTrue();
            return "order " + order + " shipped";
        }
    }

    @Test
    void aQuestionStoredWhileAToolRunsDoesNotLoseTheToolRound() throws Exception {
        ExecutorService threadOne = Executors.newSingleThreadExecutor();
        try (Atlas one = Atlas.builder().sqlite(dir.resolve("agent.db")).build();
             Atlas two = Atlas.builder().sqlite(dir.resolve("agent.db")).build()) {
            AiMessage asks = AiMessage.from(ToolExecutionRequest.builder().id("call_1").name("lookup").arguments("{\"order\":\"5\"}").build());
            Newcomer39InterleavedRoundsTest.StrictModel modelOne = new Newcomer39InterleavedRoundsTest.StrictModel()
                    .then(asks).then(AiMessage.from("Order 5 shipped."));
            Newcomer39InterleavedRoundsTest.StrictModel modelTwo = new Newcomer39InterleavedRoundsTest.StrictModel()
                    .then(AiMessage.from("Hi."));
            ChatMemoryProvider memoryOne = AtlasChatMemory.provider(AtlasChatMemoryStore.of(one.tenant("shop")).sendableWindowsOnly(), 20);
            ChatMemoryProvider memoryTwo = AtlasChatMemory.provider(AtlasChatMemoryStore.of(two.tenant("shop")).sendableWindowsOnly(), 20);
            SlowOrders orders = new SlowOrders();
            Chat chatOne = AiServices.builder(Chat.class).chatModel(modelOne).chatMemoryProvider(memoryOne).tools(orders).build();
            Chat chatTwo = AiServices.builder(Chat.class).chatModel(modelTwo).chatMemoryProvider(memoryTwo).build();

            Future<String> answerOne = threadOne.submit(() -> chatOne.chat("chat-1", "where is order 5?"));
            assertThat(orders.running.await(30, TimeUnit.SECONDS)).isTrue();
            // The user asks again in another tab while the tool runs: the other instance stores the question and answers it.
            assertThat(chatTwo.chat("chat-1", "hello?")).isEqualTo("Hi.");
            orders.otherAnswered.countDown();
            assertThat(answerOne.get(30, TimeUnit.SECONDS)).isEqualTo("Order 5 shipped.");

            ToolExecutionResultMessage ran = ToolExecutionResultMessage.builder().id("call_1").toolName("lookup")
                    .text("order 5 shipped").isError(false).build();
            UserMessage first = UserMessage.from("where is order 5?");
            UserMessage second = UserMessage.from("hello?");
            assertThat(modelTwo.requests).containsExactly(List.of(first, second));
            // The tool's round is sent with its result, after what the other instance stored meanwhile; it was left out of
            // the window (the result then answering no request, left out too), and the model never saw the tool's output.
            assertThat(modelOne.requests).containsExactly(List.of(first), List.of(first, second, AiMessage.from("Hi."), asks, ran));
            assertThat(AtlasChatMemoryStore.of(one.tenant("shop")).sendableWindowsOnly().getMessages("chat-1")).isEqualTo(List.of(
                    first, second, AiMessage.from("Hi."), asks, ran, AiMessage.from("Order 5 shipped.")));
            // Each message stored once.
            List<Message> history = one.tenant("shop").conversations().messages(
                    AtlasChatMemoryStore.of(one.tenant("shop")).conversation("chat-1").orElseThrow().id(), 0, 100);
            assertThat(history).extracting(Message::content).containsExactly("where is order 5?", "", "hello?", "Hi.",
                    "order 5 shipped", "Order 5 shipped.");
        } finally {
            threadOne.shutdownNow();
        }
    }
}
