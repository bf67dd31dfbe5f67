package dev.atlas.voice;

import dev.atlas.Owner;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.util.Map;
import java.util.UUID;

/** A voice session about to start: {@code NewVoiceCall.of("rt_abc", "openai", "gpt-realtime").conversation(id)}. */
public record NewVoiceCall(
        String sessionId,
        String provider,
        String model,
        @Nullable Owner owner,
        @Nullable String agent,
        @Nullable UUID conversationId,
        @Nullable UUID executionId,
        Map<String, Object> metadata) {

    public NewVoiceCall {
        Check.key("sessionId", sessionId);
        Check.key("provider", provider);
        Check.key("model", model);
        Check.optionalKey("agent", agent);
        metadata = Check.metadata("metadata", metadata);
    }

    public static NewVoiceCall of(String sessionId, String provider, String model) {
        return new NewVoiceCall(sessionId, provider, model, null, null, null, null, Map.of());
    }

    public NewVoiceCall owner(@Nullable Owner owner) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, conversationId, executionId, metadata);
    }

    public NewVoiceCall agent(@Nullable String agent) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, conversationId, executionId, metadata);
    }

    public NewVoiceCall conversation(UUID conversationId) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, Check.notNull("conversationId", conversationId), executionId, metadata);
    }

    public NewVoiceCall execution(UUID executionId) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, conversationId, Check.notNull("executionId", executionId), metadata);
    }

    public NewVoiceCall metadata(Map<String, ?> metadata) {
        return new NewVoiceCall(sessionId, provider, model, owner, agent, conversationId, executionId, Check.metadata("metadata", metadata));
    }
}
