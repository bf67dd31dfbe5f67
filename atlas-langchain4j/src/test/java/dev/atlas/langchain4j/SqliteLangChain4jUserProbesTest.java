package dev.atlas.langchain4j;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.examples.langchain4j.scripted.OrderTools;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.opentelemetry.AtlasTelemetry;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.service.AiServices;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SqliteLangChain4jUserProbesTest extends LangChain4jUserProbesContract {
    SqliteLangChain4jUserProbesTest() {
        super(new SqliteTestDatabase());
    }

    @Test
    @DisplayName("With AtlasTelemetry (docs/opentelemetry.md), a streamed tool loop whose provider answers on its own thread is one trace:"
            + " the follow-up round, requested from that thread, is a span under the caller's span as the first round is (SQLite only:"
            + " no database behaviour)")
    void streamedToolLoopStaysInTheCallersTrace(@TempDir Path dir) throws Exception {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("otel.db")).executionListener(AtlasTelemetry.create(sdk)).build()) {
            Tenant shop = atlas.tenant("shop");
            AtlasChatModelListener listener = AtlasChatModelListener.of(shop, "openai", null);
            StreamingChatModel model = new StreamingChatModel() {
                @Override
                public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
                    ChatMessage last = request.messages().get(request.messages().size() - 1);
                    AiMessage answer = last instanceof ToolExecutionResultMessage result
                            ? AiMessage.from("done: " + result.text())
                            : AiMessage.from(List.of(ToolExecutionRequest.builder().id("c1").name("lookup").arguments("{\"order\":\"4\"}").build()));
                    new Thread(() -> handler.onCompleteResponse(ChatResponse.builder().aiMessage(answer).modelName("gpt-s").build()),
                            "provider-callback").start();
                }

                @Override
                public List<ChatModelListener> listeners() {
                    return List.of(listener);
                }
            };
            StreamingAssistant assistant = AiServices.builder(StreamingAssistant.class).streamingChatModel(model)
                    .chatMemoryProvider(AtlasChatMemory.provider(shop, 10)).tools(new OrderTools()).build();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            Span request = sdk.getTracer("app").spanBuilder("POST /chat").startSpan();
            try (Scope ignored = request.makeCurrent()) {
                assistant.chat("st", "where is order 4").onPartialResponse(token -> { }).onCompleteResponse(done::complete)
                        .onError(done::completeExceptionally).start();
            }
            assertThat(done.get(30, TimeUnit.SECONDS).aiMessage().text()).isEqualTo("done: order 4 shipped");
            request.end();
            List<SpanData> chats = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.CLIENT).toList();
            assertThat(chats).hasSize(2).allSatisfy(s -> {
                assertThat(s.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
                assertThat(s.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
            });
        }
    }

    @Test
    @DisplayName("With AtlasTelemetry, the round that sends a tool's result back is a span under the same span as the round that"
            + " asked for it, also when the app builds its model, and so its listener, per request (the result on a later request:"
            + " a user approving the call). SQLite only: no database behaviour")
    void toolRoundOfAModelBuiltPerRequestIsUnderTheSpanOfTheRoundThatAsked(@TempDir Path dir) {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("otel-approval.db")).executionListener(AtlasTelemetry.create(sdk)).build()) {
            Tenant shop = atlas.tenant("shop");
            AtlasChatMemoryStore store = AtlasChatMemoryStore.of(shop);
            AiMessage asks = AiMessage.from(List.of(ToolExecutionRequest.builder().id("c1").name("refund").arguments("{}").build()));
            java.util.List<ChatMessage> window = new java.util.ArrayList<>(List.of(dev.langchain4j.data.message.UserMessage.from("refund order 4")));
            Span first = sdk.getTracer("app").spanBuilder("POST /chat").startSpan();
            try (Scope ignored = first.makeCurrent()) {
                store.updateMessages("approve", window);
                perRequestModel(shop, asks).chat(ChatRequest.builder().messages(window).modelName("gpt-s").build());
                window.add(asks);
                store.updateMessages("approve", window);
            } finally {
                first.end();
            }
            Span second = sdk.getTracer("app").spanBuilder("POST /approve").startSpan();
            try (Scope ignored = second.makeCurrent()) {
                window.add(ToolExecutionResultMessage.from("c1", "refund", "refunded"));
                store.updateMessages("approve", window);
                perRequestModel(shop, AiMessage.from("Refunded.")).chat(ChatRequest.builder().messages(window).modelName("gpt-s").build());
            } finally {
                second.end();
            }
            List<SpanData> chats = spans.getFinishedSpanItems().stream().filter(s -> s.getKind() == io.opentelemetry.api.trace.SpanKind.CLIENT).toList();
            assertThat(chats).hasSize(2).allSatisfy(s -> {
                assertThat(s.getTraceId()).isEqualTo(first.getSpanContext().getTraceId());
                assertThat(s.getParentSpanId()).isEqualTo(first.getSpanContext().getSpanId());
            });
        }
    }

    /** A model answering {@code answer}, with a listener of its own, as an app building both per request has. */
    private static dev.langchain4j.model.chat.ChatModel perRequestModel(Tenant tenant, AiMessage answer) {
        AtlasChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", null);
        return new dev.langchain4j.model.chat.ChatModel() {
            @Override
            public ChatResponse doChat(ChatRequest request) {
                return ChatResponse.builder().aiMessage(answer).modelName("gpt-s").build();
            }

            @Override
            public List<ChatModelListener> listeners() {
                return List.of(listener);
            }
        };
    }
}
