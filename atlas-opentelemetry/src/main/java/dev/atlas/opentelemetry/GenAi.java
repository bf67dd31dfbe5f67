package dev.atlas.opentelemetry;

import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.ToolCallType;
import dev.atlas.execution.Usage;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;

import java.util.List;

/**
 * Attribute names and values of the OpenTelemetry GenAI semantic conventions (development status;
 * names as in the conventions' attribute registry), and Atlas's own {@code atlas.*} attributes.
 */
final class GenAi {
    private GenAi() {}

    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<String> RESPONSE_ID = AttributeKey.stringKey("gen_ai.response.id");
    static final AttributeKey<List<String>> RESPONSE_FINISH_REASONS = AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    static final AttributeKey<Long> USAGE_INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> USAGE_OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<Long> USAGE_CACHE_READ_INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.cache_read.input_tokens");
    static final AttributeKey<Long> USAGE_CACHE_CREATION_INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.cache_creation.input_tokens");
    static final AttributeKey<Long> USAGE_REASONING_OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.reasoning.output_tokens");
    static final AttributeKey<String> CONVERSATION_ID = AttributeKey.stringKey("gen_ai.conversation.id");
    static final AttributeKey<String> AGENT_NAME = AttributeKey.stringKey("gen_ai.agent.name");
    static final AttributeKey<String> TOOL_NAME = AttributeKey.stringKey("gen_ai.tool.name");
    static final AttributeKey<String> TOOL_CALL_ID = AttributeKey.stringKey("gen_ai.tool.call.id");
    static final AttributeKey<String> TOOL_TYPE = AttributeKey.stringKey("gen_ai.tool.type");
    static final AttributeKey<String> TOKEN_TYPE = AttributeKey.stringKey("gen_ai.token.type");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    static final AttributeKey<String> ATLAS_TENANT_ID = AttributeKey.stringKey("atlas.tenant.id");
    static final AttributeKey<String> ATLAS_EXECUTION_ID = AttributeKey.stringKey("atlas.execution.id");
    static final AttributeKey<String> ATLAS_EXECUTION_TYPE = AttributeKey.stringKey("atlas.execution.type");
    static final AttributeKey<String> ATLAS_EXECUTION_STATUS = AttributeKey.stringKey("atlas.execution.status");
    static final AttributeKey<Double> ATLAS_COST = AttributeKey.doubleKey("atlas.cost");
    static final AttributeKey<String> ATLAS_TOOL_CALL_ID = AttributeKey.stringKey("atlas.tool_call.id");
    /** On a span ended because too many executions were running here: its outcome is unknown. */
    static final AttributeKey<Boolean> ATLAS_SPAN_EVICTED = AttributeKey.booleanKey("atlas.span.evicted");

    static final String EXECUTE_TOOL = "execute_tool";
    /** The conventions' value when the error has no more specific type. */
    static final String OTHER_ERROR = "_OTHER";

    /** The conventions' operation for an execution type; types the conventions do not name keep Atlas's name. */
    static String operation(ExecutionType type) {
        return switch (type) {
            case TEXT, STRUCTURED, STREAM -> "chat";
            case EMBED -> "embeddings";
            case IMAGE, IMAGE_TO_TEXT, AUDIO, AUDIO_TO_TEXT, SPEECH, VIDEO, VIDEO_TO_TEXT, MUSIC, SFX, VOICE -> "generate_content";
            case MODERATE, RERANK -> type.toString();
        };
    }

    /** {@code function} runs in the application; MCP servers and provider-side tools are {@code extension}s. */
    static String toolType(ToolCallType type) {
        return switch (type) {
            case LOCAL -> "function";
            case MCP, PROVIDER -> "extension";
        };
    }

    static String spanName(Execution e) {
        return operation(e.type()) + " " + e.model();
    }

    /** What is known when the call starts, set at span creation so samplers see it. */
    static Attributes request(String tenantId, Execution e) {
        AttributesBuilder b = Attributes.builder()
                .put(OPERATION_NAME, operation(e.type()))
                .put(PROVIDER_NAME, e.provider())
                .put(REQUEST_MODEL, e.model())
                .put(ATLAS_TENANT_ID, tenantId)
                .put(ATLAS_EXECUTION_ID, e.id().toString())
                .put(ATLAS_EXECUTION_TYPE, e.type().toString());
        if (e.conversationId() != null) {
            b.put(CONVERSATION_ID, e.conversationId().toString());
        }
        if (e.agent() != null) {
            b.put(AGENT_NAME, e.agent());
        }
        return b.build();
    }

    /**
     * What the finished call stored. Atlas keeps one model name per execution, so the response
     * model is the requested one. Atlas's input tokens exclude cache reads and writes while the
     * conventions' include them, so they are added back.
     */
    static Attributes response(Execution e, List<String> finishReasons) {
        AttributesBuilder b = Attributes.builder()
                .put(RESPONSE_MODEL, e.model())
                .put(ATLAS_EXECUTION_STATUS, e.status().toString());
        if (e.providerResponseId() != null) {
            b.put(RESPONSE_ID, e.providerResponseId());
        }
        if (!finishReasons.isEmpty()) {
            b.put(RESPONSE_FINISH_REASONS, List.copyOf(finishReasons));
        }
        Usage u = e.usage();
        Long input = inputTokens(u);
        if (input != null) {
            b.put(USAGE_INPUT_TOKENS, input);
        }
        putIfKnown(b, USAGE_OUTPUT_TOKENS, u.outputTokens());
        putIfKnown(b, USAGE_CACHE_READ_INPUT_TOKENS, u.cachedTokens());
        putIfKnown(b, USAGE_CACHE_CREATION_INPUT_TOKENS, u.cacheWriteTokens());
        putIfKnown(b, USAGE_REASONING_OUTPUT_TOKENS, u.reasoningTokens());
        if (e.cost() != null) {
            b.put(ATLAS_COST, e.cost().doubleValue());
        }
        // By the status, as the span status and the duration metric: an imported completed row may keep an error text.
        if (e.status() == dev.atlas.execution.ExecutionStatus.FAILED) {
            b.put(ERROR_TYPE, OTHER_ERROR);
        }
        return b.build();
    }

    /** Input tokens as the conventions count them (cache reads and writes included), or null when none was reported. */
    static Long inputTokens(Usage u) {
        if (u.inputTokens() == null && u.cachedTokens() == null && u.cacheWriteTokens() == null) {
            return null;
        }
        return n(u.inputTokens()) + n(u.cachedTokens()) + n(u.cacheWriteTokens());
    }

    private static long n(Long v) {
        return v == null ? 0 : v;
    }

    private static void putIfKnown(AttributesBuilder b, AttributeKey<Long> key, Long value) {
        if (value != null) {
            b.put(key, value);
        }
    }
}
