package dev.atlas.spring.ai;

import dev.atlas.Atlas;
import dev.atlas.Tenant;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.FinishReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The finish reasons Spring AI's provider models report (their own words, as each provider's
 * model passes them on) are recorded as the Atlas reason they mean: a response a provider's
 * safety filter stopped is CONTENT_FILTER, never STOP.
 */
class RecordingFinishReasonTest {
    @TempDir
    Path dir;

    /** A model answering each prompt "reason:X" with finish reason X. */
    static final class ReasonModel implements ChatModel {
        @Override
        public ChatResponse call(Prompt prompt) {
            String reason = prompt.getInstructions().get(prompt.getInstructions().size() - 1).getText();
            return new ChatResponse(List.of(new Generation(new AssistantMessage("x"), ChatGenerationMetadata.builder().finishReason(reason).build())),
                    ChatResponseMetadata.builder().model("m").build());
        }

        @Override
        public ChatOptions getDefaultOptions() {
            return getOptions();
        }

        public ChatOptions getOptions() {
            return ToolCallingChatOptions.builder().model("m").build();
        }
    }

    @Test
    void providersFinishReasonsAreRecordedAsWhatTheyMean() {
        Map<String, FinishReason> cases = new LinkedHashMap<>();
        // OpenAI, Azure, Mistral, Ollama
        cases.put("STOP", FinishReason.STOP);
        cases.put("LENGTH", FinishReason.LENGTH);
        cases.put("TOOL_CALLS", FinishReason.TOOL_CALLS);
        cases.put("CONTENT_FILTER", FinishReason.CONTENT_FILTER);
        cases.put("model_length", FinishReason.LENGTH);
        cases.put("error", FinishReason.ERROR);
        // Anthropic, Bedrock Converse
        cases.put("end_turn", FinishReason.STOP);
        cases.put("max_tokens", FinishReason.LENGTH);
        cases.put("tool_use", FinishReason.TOOL_CALLS);
        cases.put("refusal", FinishReason.CONTENT_FILTER);
        cases.put("guardrail_intervened", FinishReason.CONTENT_FILTER);
        cases.put("content_filtered", FinishReason.CONTENT_FILTER);
        // Gemini (Vertex AI, Google GenAI)
        cases.put("MAX_TOKENS", FinishReason.LENGTH);
        cases.put("SAFETY", FinishReason.CONTENT_FILTER);
        cases.put("RECITATION", FinishReason.CONTENT_FILTER);
        cases.put("BLOCKLIST", FinishReason.CONTENT_FILTER);
        cases.put("PROHIBITED_CONTENT", FinishReason.CONTENT_FILTER);
        cases.put("SPII", FinishReason.CONTENT_FILTER);
        cases.put("IMAGE_SAFETY", FinishReason.CONTENT_FILTER);
        cases.put("MALFORMED_FUNCTION_CALL", FinishReason.ERROR);
        // Unknown words: STOP for a plain answer
        cases.put("something_new", FinishReason.STOP);
        try (Atlas atlas = Atlas.sqlite(dir.resolve("reasons.db"))) {
            Tenant tenant = atlas.tenant("acme");
            AtlasRecordingAdvisor recording = AtlasRecordingAdvisor.of(tenant, null, "p", null);
            ChatClient client = ChatClient.builder(new ReasonModel()).defaultAdvisors(recording.advisors()).build();
            Map<String, FinishReason> recorded = new LinkedHashMap<>();
            for (String reason : cases.keySet()) {
                client.prompt().user(reason).call().content();
                var execution = tenant.executions().list(ExecutionQuery.all().limit(1)).items().get(0);
                recorded.put(reason, tenant.executions().tree(execution.id()).orElseThrow().steps().get(0).finishReason());
            }
            assertThat(recorded).isEqualTo(cases);
        }
    }
}
