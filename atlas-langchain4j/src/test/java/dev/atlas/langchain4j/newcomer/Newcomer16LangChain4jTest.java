package dev.atlas.langchain4j.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.examples.langchain4j.scripted.OrderTools;
import dev.atlas.examples.langchain4j.scripted.ScriptedChatModel;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import dev.atlas.langchain4j.AtlasChatMemory;
import dev.atlas.langchain4j.AtlasChatModelListener;
import dev.atlas.opentelemetry.AtlasTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.memory.chat.ChatMemoryProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.UserMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

/**
 * A LangChain4j developer adding Atlas to an {@code AiServices} app by docs/langchain4j.md alone: the two
 * lines of glue, as written, on an SQLite file, with docs/opentelemetry.md's {@code AtlasTelemetry} listener; what Atlas stores read back through its public API; the
 * app restarted on the same file keeps the memory.
 */
class Newcomer16LangChain4jTest {
    @TempDir
    Path dir;

    /** The docs' service. */
    interface SupportAgent {
        @SystemMessage("You are a support agent.")
        String chat(@MemoryId String chatId, @UserMessage String message);
    }

    /** The scripted model, keeping the requests it was sent (the model the module's tests use). */
    static final class Model extends ScriptedChatModel {
        final List<List<ChatMessage>> requests = new ArrayList<>();

        Model(List<ChatModelListener> listeners) {
            super(listeners);
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            requests.add(List.copyOf(request.messages()));
            return super.doChat(request);
        }
    }

    private static SupportAgent agent(Tenant tenant, Model[] model) {
        ChatMemoryProvider memory = AtlasChatMemory.provider(tenant, 20);                 // 1: memory, window of 20
        ChatModelListener listener = AtlasChatModelListener.of(tenant, "openai", "support"); // 2: executions, usage, cost
        model[0] = new Model(List.of(listener));
        return AiServices.builder(SupportAgent.class).chatModel(model[0]).chatMemoryProvider(memory).tools(new OrderTools()).build();
    }

    @Test
    void twoLinesOfGlueStoreTurnsToolCallsUsageAndCostAndKeepTheMemoryOverARestart() {
        Path file = dir.resolve("agent.db");
        Model[] model = new Model[1];
        // docs/opentelemetry.md, as written: the telemetry listener on the builder.
        InMemorySpanExporter exported = InMemorySpanExporter.create();
        OpenTelemetrySdk openTelemetry = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(exported)).build()).build();
        AtlasTelemetry telemetry = AtlasTelemetry.create(openTelemetry);
        Span http = openTelemetry.getTracer("app").spanBuilder("POST /chat").startSpan();
        try (Atlas atlas = Atlas.builder().sqlite(file).executionListener(telemetry).build(); Scope ignored = http.makeCurrent()) {
            Tenant tenant = atlas.tenant("shop");
            tenant.prices().create(ModelPrice.of("openai", ScriptedChatModel.MODEL, "2.50", "10.00", Instant.parse("2020-01-01T00:00:00Z")));
            SupportAgent agent = agent(tenant, model);
            assertThat(agent.chat("chat-42", "where is order 4?")).isEqualTo("done: order 4 shipped");
            assertThat(agent.chat("chat-43", "hi")).isEqualTo("echo: hi");
            // Another memory id is another memory: its request holds only its own system and user message.
            assertThat(model[0].requests.get(2)).extracting(ChatMessage::type).extracting(Enum::name)
                    .containsExactly("SYSTEM", "USER");

            Conversation chat = tenant.conversations().requireByKey("chat-42");
            // Not in the docs before: AtlasChatMemory.provider(tenant, n) creates conversations owned by
            // ("langchain4j", the memory id), with no agent (the listener's agent goes on the executions).
            assertThat(chat.owner()).isEqualTo(Owner.of("langchain4j", "chat-42"));
            assertThat(chat.agent()).isNull();
            List<Message> messages = tenant.conversations().messages(chat.id(), 0, 20);
            assertThat(messages).extracting(m -> m.role().toString() + ":" + m.content()).containsExactly(
                    "system:You are a support agent.", "user:where is order 4?", "assistant:",
                    "tool:order 4 shipped", "assistant:done: order 4 shipped");

            List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(chat.id())).items();
            assertThat(executions).hasSize(2).allSatisfy(e -> {
                assertThat(e.provider()).isEqualTo("openai");
                assertThat(e.agent()).isEqualTo("support");
                assertThat(e.model()).isEqualTo(ScriptedChatModel.MODEL);
                assertThat(e.status()).isEqualTo(ExecutionStatus.COMPLETED);
            });
            Execution asking = executions.stream().filter(e -> e.usage().inputTokens() == 12L).findFirst().orElseThrow();
            Execution answering = executions.stream().filter(e -> e.usage().inputTokens() == 14L).findFirst().orElseThrow();
            assertThat(asking.usage()).isEqualTo(new Usage(12L, 5L, null, null, null));
            // The requested model is the execution's; the responding one, which differs, is in its metadata.
            assertThat(asking.metadata()).containsEntry("responseModel", ScriptedChatModel.MODEL + "-2026");
            List<ChatMessage> askingRequest = model[0].requests.get(0);
            assertThat(asking.providerResponseId()).isEqualTo("resp-2-" + askingRequest.get(1).hashCode());
            // 12 * 2.50 / 1M + 5 * 10.00 / 1M
            assertThat(asking.cost()).isEqualByComparingTo(new BigDecimal("0.00008"));
            assertThat(answering.cost()).isEqualByComparingTo(new BigDecimal("0.000085"));
            assertThat(tenant.executions().tree(asking.id()).orElseThrow().toolCalls())
                    .extracting(ToolCall::providerCallId, ToolCall::name, ToolCall::arguments, ToolCall::result, ToolCall::status)
                    .containsExactly(tuple("call-4", "lookup", "{\"order\":\"4\"}", "order 4 shipped", ExecutionStatus.COMPLETED));
            assertThat(messages.get(4).executionId()).isEqualTo(answering.id());
            // The tool-requesting answer is not linked by column (docs: its executionId is in its metadata only).
            assertThat(messages.get(2).executionId()).isNull();

            Conversation other = tenant.conversations().requireByKey("chat-43");
            assertThat(tenant.conversations().messages(other.id(), 0, 20)).extracting(Message::content)
                    .containsExactly("You are a support agent.", "hi", "echo: hi");
            assertThat(tenant.executions().list(ExecutionQuery.all().conversation(other.id())).items()).singleElement()
                    .satisfies(e -> assertThat(e.usage()).isEqualTo(new Usage(12L, 5L, null, null, null)));

            // The spans: one CLIENT span per model call under the app's span, the tool's span inside the call that
            // asked for it (its call completed when the memory stored the result, after the execution).
            List<SpanData> spans = exported.getFinishedSpanItems();
            SpanData askingSpan = spans.stream().filter(x -> asking.id().toString().equals(
                    x.getAttributes().get(AttributeKey.stringKey("atlas.execution.id")))).findFirst().orElseThrow();
            assertThat(askingSpan.getName()).isEqualTo("chat scripted-1");
            assertThat(askingSpan.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(askingSpan.getParentSpanId()).isEqualTo(http.getSpanContext().getSpanId());
            assertThat(askingSpan.getAttributes().get(AttributeKey.stringKey("gen_ai.provider.name"))).isEqualTo("openai");
            assertThat(askingSpan.getAttributes().get(AttributeKey.stringKey("gen_ai.agent.name"))).isEqualTo("support");
            assertThat(askingSpan.getAttributes().get(AttributeKey.stringKey("gen_ai.conversation.id"))).isEqualTo(chat.id().toString());
            assertThat(askingSpan.getAttributes().get(AttributeKey.stringArrayKey("gen_ai.response.finish_reasons")))
                    .containsExactly("tool_calls");
            assertThat(askingSpan.getAttributes().get(AttributeKey.stringKey("gen_ai.response.model"))).isEqualTo(ScriptedChatModel.MODEL);
            assertThat(askingSpan.getAttributes().get(AttributeKey.stringKey("gen_ai.response.id"))).isEqualTo(asking.providerResponseId());
            assertThat(askingSpan.getAttributes().get(AttributeKey.longKey("gen_ai.usage.input_tokens"))).isEqualTo(12L);
            assertThat(askingSpan.getAttributes().get(AttributeKey.longKey("gen_ai.usage.output_tokens"))).isEqualTo(5L);
            assertThat(askingSpan.getAttributes().get(AttributeKey.doubleKey("atlas.cost"))).isEqualTo(0.00008);
            assertThat(spans).filteredOn(x -> x.getKind() == SpanKind.INTERNAL).singleElement().satisfies(tool -> {
                assertThat(tool.getName()).isEqualTo("execute_tool lookup");
                assertThat(tool.getParentSpanId()).isEqualTo(askingSpan.getSpanId());
                assertThat(tool.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.call.id"))).isEqualTo("call-4");
                assertThat(tool.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.type"))).isEqualTo("function");
            });
            assertThat(spans).filteredOn(x -> x.getKind() == SpanKind.CLIENT).hasSize(3)
                    .allSatisfy(x -> assertThat(x.getParentSpanId()).isEqualTo(http.getSpanContext().getSpanId()));
            // Nothing of the content.
            assertThat(spans).allSatisfy(x -> assertThat(x.getAttributes().asMap().values().toString())
                    .doesNotContain("order 4").doesNotContain("hi").doesNotContain("support agent"));
        } finally {
            http.end();
        }

        // The app restarted on the same file: a new Atlas, new AI service, new listener.
        List<ChatMessage> before = model[0].requests.get(1);
        try (Atlas atlas = Atlas.sqlite(file)) {
            Tenant tenant = atlas.tenant("shop");
            SupportAgent agent = agent(tenant, model);
            assertThat(agent.chat("chat-42", "thanks")).isEqualTo("echo: thanks");
            List<ChatMessage> request = model[0].requests.get(0);
            // The window as it was (system, question, tool request, tool result, answer), then the new question.
            assertThat(request.subList(0, 4)).isEqualTo(before);
            assertThat(request).hasSize(6);
            assertThat(request.get(4).toString()).contains("done: order 4 shipped");
            Conversation chat = tenant.conversations().requireByKey("chat-42");
            // Stored once: the repeated system message is not stored again, the memory's rows are appended.
            assertThat(tenant.conversations().messages(chat.id(), 0, 20)).extracting(Message::sequence)
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
            assertThat(tenant.executions().list(ExecutionQuery.all().conversation(chat.id())).items()).hasSize(3);
        }
    }
}
