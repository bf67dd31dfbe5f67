package dev.atlas.voice;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** A voice session with its whole transcript, oldest turn first. */
public final class VoiceCall {
    private final UUID id;
    private final String tenantId;
    private final String sessionId;
    private final @Nullable UUID conversationId;
    private final @Nullable UUID executionId;
    private final @Nullable Owner owner;
    private final @Nullable String agent;
    private final String provider;
    private final String model;
    private final VoiceCallStatus status;
    private final List<VoiceTurn> transcript;
    private final @Nullable String summary;
    private final @Nullable Long durationMs;
    private final Map<String, Object> metadata;
    private final Instant startedAt;
    private final @Nullable Instant completedAt;
    private final Instant createdAt;
    private final Instant updatedAt;

    /**
     * Creates the value; every argument is as its accessor returns it.
     */
    public VoiceCall(
            UUID id,
            String tenantId,
            String sessionId,
            @Nullable UUID conversationId,
            @Nullable UUID executionId,
            @Nullable Owner owner,
            @Nullable String agent,
            String provider,
            String model,
            VoiceCallStatus status,
            List<VoiceTurn> transcript,
            @Nullable String summary,
            @Nullable Long durationMs,
            Map<String, Object> metadata,
            Instant startedAt,
            @Nullable Instant completedAt,
            Instant createdAt,
            Instant updatedAt) {
        transcript = List.copyOf(transcript);

        this.id = id;
        this.tenantId = tenantId;
        this.sessionId = sessionId;
        this.conversationId = conversationId;
        this.executionId = executionId;
        this.owner = owner;
        this.agent = agent;
        this.provider = provider;
        this.model = model;
        this.status = status;
        this.transcript = transcript;
        this.summary = summary;
        this.durationMs = durationMs;
        this.metadata = metadata;
        this.startedAt = startedAt;
        this.completedAt = completedAt;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
    }

    public UUID id() {
        return id;
    }

    public String tenantId() {
        return tenantId;
    }

    public String sessionId() {
        return sessionId;
    }

    public @Nullable UUID conversationId() {
        return conversationId;
    }

    public @Nullable UUID executionId() {
        return executionId;
    }

    public @Nullable Owner owner() {
        return owner;
    }

    public @Nullable String agent() {
        return agent;
    }

    public String provider() {
        return provider;
    }

    public String model() {
        return model;
    }

    public VoiceCallStatus status() {
        return status;
    }

    public List<VoiceTurn> transcript() {
        return transcript;
    }

    public @Nullable String summary() {
        return summary;
    }

    public @Nullable Long durationMs() {
        return durationMs;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public @Nullable Instant completedAt() {
        return completedAt;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant updatedAt() {
        return updatedAt;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof VoiceCall that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(sessionId, that.sessionId)
            && Objects.equals(conversationId, that.conversationId)
            && Objects.equals(executionId, that.executionId)
            && Objects.equals(owner, that.owner)
            && Objects.equals(agent, that.agent)
            && Objects.equals(provider, that.provider)
            && Objects.equals(model, that.model)
            && Objects.equals(status, that.status)
            && Objects.equals(transcript, that.transcript)
            && Objects.equals(summary, that.summary)
            && Objects.equals(durationMs, that.durationMs)
            && Objects.equals(metadata, that.metadata)
            && Objects.equals(startedAt, that.startedAt)
            && Objects.equals(completedAt, that.completedAt)
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, sessionId, conversationId, executionId, owner, agent, provider, model, status, transcript, summary, durationMs, metadata, startedAt, completedAt, createdAt, updatedAt);
    }

    @Override
    public String toString() {
        return "VoiceCall[id=" + id + ", tenantId=" + tenantId + ", sessionId=" + sessionId + ", conversationId=" + conversationId + ", executionId=" + executionId + ", owner=" + owner + ", agent=" + agent + ", provider=" + provider + ", model=" + model + ", status=" + status + ", transcript=" + transcript + ", summary=" + summary + ", durationMs=" + durationMs + ", metadata=" + metadata + ", startedAt=" + startedAt + ", completedAt=" + completedAt + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + "]";
    }
}
