package dev.atlas.voice;

import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.UUID;

/**
 * A voice session about to start: {@code NewVoiceCall.of("rt_abc", "openai", "gpt-realtime").conversation(id)}.
 *
 * @param sessionId the provider's session id; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param provider the provider key; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param model the model key; 1 to {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters, not blank
 * @param owner who the call belongs to; {@code null}: the owner of its conversation, else of its execution (its
 *        conversation's owner, else its own), else nobody, so an erase of that owner takes the call
 * @param agent the agent key, not blank; {@code null} when none
 * @param conversationId the conversation the call belongs to, or {@code null} when none
 * @param executionId the execution that records the call's usage, or {@code null} when none
 * @param metadata JSON-compatible application data; {@code null} is stored as empty
 */
public record NewVoiceCall(
        String sessionId,
        String provider,
        String model,
        @Nullable Owner owner,
        @Nullable String agent,
        @Nullable UUID conversationId,
        @Nullable UUID executionId,
        Map<String, Object> metadata) {

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param sessionId the provider's session id
     * @param provider the provider key
     * @param model the model key
     * @param owner who it belongs to
     * @param agent the agent key
     * @param conversationId the conversation's id
     * @param executionId the execution's id
     * @param metadata JSON-compatible application data
     */
    public NewVoiceCall {
        Check.key("sessionId", sessionId);
        Check.key("provider", provider);
        Check.key("model", model);
        Check.optionalKey("agent", agent);
        metadata = Check.metadata("metadata", metadata);
    }

    /**
     * Creates a {@code NewVoiceCall} from {@code sessionId}, {@code provider}, {@code model}.
     *
     * @param sessionId the provider's session id
     * @param provider the provider key
     * @param model the model key
     * @return the new value
     */
    public static NewVoiceCall of(String sessionId, String provider, String model) {
        return new NewVoiceCall(sessionId, provider, model, null, null, null, null, Map.of());
    }

    /**
     * Returns a copy with {@code owner} replaced.
     *
     * @param owner who it belongs to, or {@code null} for the owner of its conversation, else of its execution
     * @return a copy with this change
     */
    public NewVoiceCall owner(@Nullable Owner owner) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, conversationId, executionId, metadata);
    }

    /**
     * Returns a copy with {@code agent} replaced.
     *
     * @param agent the agent key, or {@code null}
     * @return a copy with this change
     */
    public NewVoiceCall agent(@Nullable String agent) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, conversationId, executionId, metadata);
    }

    /**
     * Returns a copy with {@code conversationId} replaced.
     *
     * @param conversationId the conversation's id
     * @return a copy with this change
     */
    public NewVoiceCall conversation(UUID conversationId) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, Check.notNull("conversationId", conversationId), executionId, metadata);
    }

    /**
     * Returns a copy with {@code executionId} replaced.
     *
     * @param executionId the execution's id
     * @return a copy with this change
     */
    public NewVoiceCall execution(UUID executionId) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, conversationId, Check.notNull("executionId", executionId), metadata);
    }

    /**
     * Returns a copy with {@code metadata} replaced.
     *
     * @param metadata JSON-compatible application data
     * @return a copy with this change
     */
    public NewVoiceCall metadata(Map<String, ?> metadata) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, conversationId, executionId, Check.given(metadata));
    }
}
