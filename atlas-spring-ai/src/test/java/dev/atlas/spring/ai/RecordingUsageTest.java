package dev.atlas.spring.ai;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import reactor.core.publisher.Flux;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The prompt-cache and reasoning counts Spring AI's provider models report in their native usage
 * ({@code Usage.getNativeUsage()}) are recorded as Atlas bills them, call and stream: the input
 * without the cached tokens, reasoning as part of the output. The native objects here have the
 * shapes (accessor names) of the providers' own classes, whose modules are not dependencies.
 */
class RecordingUsageTest {
    @TempDir
    Path dir;

    /** Spring AI 1.1's {@code OpenAiApi.Usage}: cached tokens are part of the prompt tokens. */
    public record OpenAiUsage(Integer completionTokens, Integer promptTokens, Integer totalTokens, PromptTokensDetails promptTokensDetails,
            CompletionTokenDetails completionTokenDetails, Integer promptCacheHitTokens, Integer promptCacheMissTokens) {
    }

    public record PromptTokensDetails(Integer audioTokens, Integer cachedTokens) {
    }

    public record CompletionTokenDetails(Integer reasoningTokens, Integer acceptedPredictionTokens, Integer audioTokens,
            Integer rejectedPredictionTokens) {
    }

    /** Spring AI 1.1's {@code AnthropicApi.Usage}: the input tokens do not include the cache's. */
    public record AnthropicUsage(Integer inputTokens, Integer outputTokens, Integer cacheCreationInputTokens, Integer cacheReadInputTokens) {
    }

    /** The AWS SDK's Bedrock Converse {@code TokenUsage}: the input tokens do not include the cache's. */
    public record BedrockUsage(Integer inputTokens, Integer outputTokens, Integer totalTokens, Integer cacheReadInputTokens,
            Integer cacheWriteInputTokens) {
    }

    /** The OpenAI Java SDK's {@code CompletionUsage} (Optional accessors), as a Spring AI model on it reports it. */
    public record SdkUsage(long promptTokens, long completionTokens, Optional<SdkPromptDetails> promptTokensDetails,
            Optional<SdkCompletionDetails> completionTokensDetails) {
    }

    public record SdkPromptDetails(Optional<Long> cachedTokens) {
    }

    public record SdkCompletionDetails(Optional<Long> reasoningTokens) {
    }

    /**
     * Google GenAI's {@code GenerateContentResponseUsageMetadata}: cached content is part of the prompt
     * count; thoughts are not part of the candidates count, which Spring AI reports as the completion.
     */
    public record GeminiUsage(Optional<Integer> promptTokenCount, Optional<Integer> cachedContentTokenCount, Optional<Integer> thoughtsTokenCount) {
    }

    /**
     * Vertex AI's protobuf {@code GenerateContentResponse.UsageMetadata}, which Spring AI's
     * vertex-ai-gemini model reports: bean getters returning 0 when unset, counted as Google GenAI's are.
     */
    public static final class VertexUsage {
        private final int prompt;
        private final int cached;
        private final int thoughts;

        VertexUsage(int prompt, int cached, int thoughts) {
            this.prompt = prompt;
            this.cached = cached;
            this.thoughts = thoughts;
        }

        public int getPromptTokenCount() {
            return prompt;
        }

        public int getCachedContentTokenCount() {
            return cached;
        }

        public int getThoughtsTokenCount() {
            return thoughts;
        }
    }

    /** A model answering "ok" with {@code usage}; streamed, a first chunk without usage, then the answer with it. */
    static ChatModel reporting(org.springframework.ai.chat.metadata.Usage usage) {
        return new ChatModel() {
            @Override
            public ChatResponse call(Prompt prompt) {
                return new ChatResponse(List.of(new Generation(new AssistantMessage("ok"))),
                        ChatResponseMetadata.builder().model("m").usage(usage).build());
            }

            @Override
            public Flux<ChatResponse> stream(Prompt prompt) {
                return Flux.just(new ChatResponse(List.of(new Generation(new AssistantMessage("o"))),
                        ChatResponseMetadata.builder().model("m").usage(new DefaultUsage(0, 0)).build()),
                        new ChatResponse(List.of(new Generation(new AssistantMessage("k"))),
                                ChatResponseMetadata.builder().model("m").usage(usage).build()));
            }

            @Override
            public ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public ChatOptions getOptions() {
                return ToolCallingChatOptions.builder().model("m").build();
            }
        };
    }

    @Test
    void cacheAndReasoningTokensAreRecordedAsAtlasBillsThem() {
        Map<String, org.springframework.ai.chat.metadata.Usage> reported = new LinkedHashMap<>();
        Map<String, Usage> expected = new LinkedHashMap<>();
        reported.put("openai", new DefaultUsage(1000, 300, 1300, new OpenAiUsage(300, 1000, 1300,
                new PromptTokensDetails(0, 800), new CompletionTokenDetails(200, 0, 0, 0), null, null)));
        expected.put("openai", new Usage(200L, 300L, 200L, 800L, null));
        reported.put("deepseek", new DefaultUsage(1000, 300, 1300, new OpenAiUsage(300, 1000, 1300, null, null, 600, 400)));
        expected.put("deepseek", new Usage(400L, 300L, null, 600L, null));
        reported.put("anthropic", new DefaultUsage(50, 20, 70, new AnthropicUsage(50, 20, 1000, 3000)));
        expected.put("anthropic", new Usage(50L, 20L, null, 3000L, 1000L));
        reported.put("bedrock", new DefaultUsage(50, 20, 70, new BedrockUsage(50, 20, 70, 3000, 1000)));
        expected.put("bedrock", new Usage(50L, 20L, null, 3000L, 1000L));
        reported.put("openai-sdk", new DefaultUsage(1000, 300, 1300, new SdkUsage(1000, 300,
                Optional.of(new SdkPromptDetails(Optional.of(800L))), Optional.of(new SdkCompletionDetails(Optional.of(200L))))));
        expected.put("openai-sdk", new Usage(200L, 300L, 200L, 800L, null));
        reported.put("gemini", new DefaultUsage(1000, 300, 1300, new GeminiUsage(Optional.of(1000), Optional.of(700), Optional.empty())));
        expected.put("gemini", new Usage(300L, 300L, null, 700L, null));
        // A thinking model: Google bills the thoughts as output, which Spring AI's completion count leaves out.
        reported.put("gemini-thinking", new DefaultUsage(1000, 300, 1800, new GeminiUsage(Optional.of(1000), Optional.empty(), Optional.of(500))));
        expected.put("gemini-thinking", new Usage(1000L, 800L, 500L, null, null));
        reported.put("vertex-gemini", new DefaultUsage(1000, 300, 1800, new VertexUsage(1000, 700, 500)));
        expected.put("vertex-gemini", new Usage(300L, 800L, 500L, 700L, null));
        reported.put("none", new DefaultUsage(1000, 300, 1300, null));
        expected.put("none", new Usage(1000L, 300L, null, null, null));
        // A provider reporting more cached than prompt tokens, or a negative count: nothing below zero, nothing refused.
        reported.put("odd", new DefaultUsage(100, 30, 130, new OpenAiUsage(30, 100, 130,
                new PromptTokensDetails(0, 150), new CompletionTokenDetails(-1, 0, 0, 0), null, null)));
        expected.put("odd", new Usage(0L, 30L, null, 150L, null));
        try (Atlas atlas = Atlas.sqlite(dir.resolve("usage.db"))) {
            Tenant tenant = atlas.tenant("acme");
            AtlasRecordingAdvisor recording = AtlasRecordingAdvisor.of(tenant, null, "p", null);
            Map<String, Usage> called = new LinkedHashMap<>();
            Map<String, Usage> streamed = new LinkedHashMap<>();
            for (Map.Entry<String, org.springframework.ai.chat.metadata.Usage> c : reported.entrySet()) {
                ChatClient client = ChatClient.builder(reporting(c.getValue())).defaultAdvisors(recording.advisors()).build();
                assertThat(client.prompt().user("hi").call().content()).isEqualTo("ok");
                called.put(c.getKey(), latest(tenant).usage());
                assertThat(String.join("", client.prompt().user("hi").stream().content().collectList().block())).isEqualTo("ok");
                Execution stream = latest(tenant);
                assertThat(tenant.executions().tree(stream.id()).orElseThrow().steps()).singleElement()
                        .satisfies(s -> assertThat(s.usage()).as(c.getKey()).isEqualTo(stream.usage()));
                streamed.put(c.getKey(), stream.usage());
            }
            assertThat(called).isEqualTo(expected);
            assertThat(streamed).isEqualTo(expected);
        }
    }

    private static Execution latest(Tenant tenant) {
        return tenant.executions().list(ExecutionQuery.all().limit(1)).items().get(0);
    }
}
