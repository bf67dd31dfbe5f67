package dev.atlas.langchain4j;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.audio.Audio;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.AudioContent;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.PdfFileContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.message.VideoContent;
import dev.langchain4j.data.pdf.PdfFile;
import dev.langchain4j.data.video.Video;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.TokenUsage;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.TokenStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The adapter used as a demanding LangChain4j user would: streaming failures, concurrent
 * listeners, tool rounds with unusual ids and arguments, non-text contents, memory ids of every
 * kind. Real LangChain4j throughout; the models are fakes of its interfaces.
 */
public abstract class LangChain4jUserProbesContract {
    private final TestDatabase database;
    protected Atlas atlas;
    protected Tenant tenant;

    protected LangChain4jUserProbesContract(TestDatabase database) {
        this.database = database;
    }

    @BeforeEach
    void open() {
        atlas = database.open();
        tenant = atlas.tenant("acme");
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    public interface StreamingAssistant {
        TokenStream chat(@MemoryId Object memoryId, @dev.langchain4j.service.UserMessage String text);
    }

    /** A streaming model whose doChat is {@code body}, recorded by {@code listener}. */
    private static StreamingChatModel streaming(ChatModelListener listener,
                                                java.util.function.BiConsumer<ChatRequest, StreamingChatResponseHandler> body) {
        return new StreamingChatModel() {
            @Override
            public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
                body.accept(request, handler);
            }

            @Override
            public List<ChatModelListener> listeners() {
                return List.of(listener);
            }
        };
    }

    private List<Execution> executions() {
        return tenant.executions().list(ExecutionQuery.all()).items();
    }

    @Test
    @DisplayName("A stream failing after some tokens: its execution failed with the error, in its conversation, nothing left processing; only the user message stored")
    void streamFailingMidwayIsRecordedFailed() throws Exception {
        StreamingChatModel model = streaming(AtlasChatModelListener.of(tenant, "openai", null), (request, handler) ->
                new Thread(() -> {
                    handler.onPartialResponse("Hel");
                    handler.onPartialResponse("lo");
                    handler.onError(new java.io.UncheckedIOException(new java.io.IOException("connection reset")));
                }, "provider-callback").start());
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(model)
                .chatMemoryProvider(AtlasChatMemory.provider(tenant, 10)).build();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        assistant.chat("s", "Hi").onPartialResponse(t -> { }).onCompleteResponse(done::complete).onError(done::completeExceptionally).start();
        assertThatThrownBy(() -> done.get(30, TimeUnit.SECONDS)).hasRootCauseMessage("connection reset");

        Conversation c = tenant.conversations().requireByKey("s");
        assertThat(executions()).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(e.conversationId()).isEqualTo(c.id());
            assertThat(e.error()).isEqualTo("java.io.UncheckedIOException: java.io.IOException: connection reset");
            // LangChain4j hands a listener's onError no partial response, so no usage so far is known.
            assertThat(e.usage().inputTokens()).isNull();
            assertThat(e.usage().outputTokens()).isNull();
            ExecutionTree tree = tenant.executions().tree(e.id()).orElseThrow();
            assertThat(tree.steps()).singleElement().satisfies(s -> assertThat(s.status()).isEqualTo(ExecutionStatus.FAILED));
        });
        assertThat(tenant.conversations().messages(c.id(), 0, 10)).extracting(Message::content).containsExactly("Hi");
    }

    @Test
    @DisplayName("A streaming model that throws before streaming (LangChain4j then calls no listener) leaves no execution processing: it is failed once the call is dropped")
    void streamingModelThrowingBeforeItStreamsLeavesNoRunningExecution() {
        StreamingChatModel model = streaming(AtlasChatModelListener.of(tenant, "openai", null), (request, handler) -> {
            throw new IllegalArgumentException("temperature is not supported");
        });
        StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(model)
                .chatMemoryProvider(AtlasChatMemory.provider(tenant, 10)).build();
        assertThatThrownBy(() -> assistant.chat("t", "Hi").onPartialResponse(t -> { }).onCompleteResponse(r -> { }).onError(e -> { }).start())
                .isInstanceOf(IllegalArgumentException.class);
        // Bounded: System.gc() is a hint, so each attempt also allocates garbage; the call's state
        // is dropped with the handler, and an execution still processing after all attempts is kept forever.
        for (int i = 0; i < 200 && executions().get(0).status() == ExecutionStatus.PROCESSING; i++) {
            System.gc();
            byte[][] garbage = new byte[8][];
            for (int j = 0; j < garbage.length; j++) {
                garbage[j] = new byte[1 << 20];
            }
            assertThat(garbage[7]).hasSize(1 << 20);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        assertThat(executions()).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(ExecutionStatus.FAILED);
            assertThat(e.error()).isEqualTo(AtlasChatModelListener.ABANDONED);
            assertThat(e.conversationId()).isEqualTo(tenant.conversations().requireByKey("t").id());
        });
    }

    @Test
    @DisplayName("Many calls at once on 16 threads, streamed answers arriving on one other thread: each execution has its own conversation and usage")
    void concurrentCallsEachKeepTheirOwnConversationAndUsage() throws Exception {
        int n = 40;
        AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
        for (int i = 0; i < n; i++) {
            store.updateMessages("m" + i, List.of(UserMessage.from("hello " + i)));
        }
        AtlasChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", null);
        ExecutorService callbacks = Executors.newSingleThreadExecutor();
        StreamingChatModel streamingModel = streaming(listener, (request, handler) -> callbacks.execute(() -> {
            int i = Integer.parseInt(((UserMessage) request.messages().get(0)).singleText().substring(6));
            handler.onCompleteResponse(ChatResponse.builder().aiMessage(AiMessage.from("s" + i)).modelName("m")
                    .tokenUsage(new TokenUsage(1000 + i, i)).build());
        }));
        ChatModel syncModel = new ChatModel() {
            @Override
            public ChatResponse doChat(ChatRequest request) {
                int i = Integer.parseInt(((UserMessage) request.messages().get(0)).singleText().substring(6));
                return ChatResponse.builder().aiMessage(AiMessage.from("c" + i)).modelName("m").tokenUsage(new TokenUsage(2000 + i, i)).build();
            }

            @Override
            public List<ChatModelListener> listeners() {
                return List.of(listener);
            }
        };
        // Java 17: platform threads, more than the cores, so calls interleave on every thread.
        ExecutorService threads = Executors.newFixedThreadPool(16);
        try {
            List<Future<?>> all = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                int i = k;
                all.add(threads.submit(() -> {
                    // Read by the store on this thread: the calls are tied by the messages it handed out.
                    List<ChatMessage> messages = AtlasChatMemoryStore.of(tenant).getMessages("m" + i);
                    syncModel.chat(ChatRequest.builder().messages(messages).modelName("m").build());
                    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
                    streamingModel.chat(ChatRequest.builder().messages(messages).modelName("m").build(), new StreamingChatResponseHandler() {
                        @Override
                        public void onCompleteResponse(ChatResponse r) {
                            done.complete(r);
                        }

                        @Override
                        public void onError(Throwable e) {
                            done.completeExceptionally(e);
                        }
                    });
                    return done.get(60, TimeUnit.SECONDS);
                }));
            }
            for (Future<?> f : all) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdown();
            callbacks.shutdown();
        }
        List<Execution> executions = tenant.executions().list(ExecutionQuery.all().limit(500)).items();
        assertThat(executions).hasSize(2 * n).allSatisfy(e -> {
            assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
            long i = e.usage().outputTokens();
            assertThat(e.usage().inputTokens()).isIn(1000 + i, 2000 + i);
            assertThat(e.conversationId()).isEqualTo(store.conversation("m" + i).orElseThrow().id());
        });
    }
}
