package dev.atlas.execution;

import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.UUID;

/**
 * What is about to be called: provider, model and kind of call, plus optional links. Start from
 * {@link #text(String, String)} or {@link #of(ExecutionType, String, String)} and refine:
 *
 * <pre>{@code
 * ExecutionSpec.text("openai", "gpt-4o").agent("support").conversation(convo.id())
 * }</pre>
 *
 * @param type the kind of call (text, embedding, image, ...)
 * @param provider the provider key, such as {@code "openai"}; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param model the model key as the provider names it; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param agent the agent key that made the call, not blank; {@code null} when none
 * @param conversationId the conversation the call answers in, or {@code null} for a standalone call
 * @param assistantRevisionId the assistant revision whose settings the call used, or {@code null}
 * @param metadata JSON-compatible application data (never null)
 */
public record ExecutionSpec(
        ExecutionType type,
        String provider,
        String model,
        @Nullable String agent,
        @Nullable UUID conversationId,
        @Nullable UUID assistantRevisionId,
        Map<String, Object> metadata) {

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param type the type
     * @param provider the provider key
     * @param model the model key
     * @param agent the agent key
     * @param conversationId the conversation the call answers in, or {@code null} for a standalone call
     * @param assistantRevisionId the assistant revision whose settings the call used, or {@code null}
     * @param metadata JSON-compatible application data (never null)
     */
    public ExecutionSpec {
        Check.notNull("type", type);
        Check.key("provider", provider);
        Check.key("model", model);
        Check.optionalKey("agent", agent);
        metadata = Check.metadata("metadata", metadata);
    }

    /**
     * Creates an {@code ExecutionSpec} from {@code type}, {@code provider}, {@code model}.
     *
     * @param type the type
     * @param provider the provider key
     * @param model the model key
     * @return the new value
     */
    public static ExecutionSpec of(ExecutionType type, String provider, String model) {
        return new ExecutionSpec(type, provider, model, null, null, null, Map.of());
    }

    /**
     * A text generation call (the usual chat completion).
     *
     * @param provider the provider key
     * @param model the model key
     * @return the new value
     */
    public static ExecutionSpec text(String provider, String model) {
        return of(ExecutionType.TEXT, provider, model);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent the agent key, or {@code null}
     * @return a copy with this change
     */
    public ExecutionSpec agent(@Nullable String agent) {
        return new ExecutionSpec(type, provider, model, agent, conversationId, assistantRevisionId, metadata);
    }

    /**
     * Returns a copy with {@code conversationId} replaced.
     *
     * @param conversationId the conversation the call answers in
     * @return a copy with this change
     */
    public ExecutionSpec conversation(UUID conversationId) {
        return new ExecutionSpec(type, provider, model, agent, Check.notNull("conversationId", conversationId), assistantRevisionId, metadata);
    }

    /**
     * Records which assistant revision's prompt and settings the call used.
     *
     * @param assistantRevisionId the assistant revision whose settings the call used
     * @return a copy with this change
     */
    public ExecutionSpec assistantRevision(UUID assistantRevisionId) {
        return new ExecutionSpec(type, provider, model, agent, conversationId, Check.notNull("assistantRevisionId", assistantRevisionId), metadata);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data (never null)
     * @return a copy with this change
     */
    public ExecutionSpec metadata(Map<String, ?> metadata) {
        return new ExecutionSpec(type, provider, model, agent, conversationId, assistantRevisionId, Check.metadata("metadata", metadata));
    }
}
