package dev.atlas.voice;

import dev.atlas.internal.Check;
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
     *
     * @param id the id Atlas assigned
     * @param tenantId the tenant it belongs to
     * @param sessionId the provider's session id
     * @param conversationId the conversation's id, or {@code null}
     * @param executionId the execution's id, or {@code null}
     * @param owner who it belongs to, or {@code null}
     * @param agent the agent key, or {@code null}
     * @param provider the provider key
     * @param model the model key
     * @param status the status
     * @param transcript the turns as last saved, oldest first
     * @param summary the summary, or {@code null}
     * @param durationMs how long the call ran in milliseconds, or {@code null}
     * @param metadata JSON-compatible application data
     * @param startedAt when the call started
     * @param completedAt when the call finished, or {@code null}
     * @param createdAt when it was created
     * @param updatedAt when it was last changed
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
        transcript = Check.copy("transcript", transcript);

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
        this.metadata = dev.atlas.internal.Check.frozenJson(metadata);
        this.startedAt = startedAt;
        this.completedAt = completedAt;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
    }

    /**
     * The id Atlas assigned.
     *
     * @return the id Atlas assigned
     */
    public UUID id() {
        return id;
    }

    /**
     * The tenant it belongs to.
     *
     * @return the tenant it belongs to
     */
    public String tenantId() {
        return tenantId;
    }

    /**
     * The provider's session id.
     *
     * @return the provider's session id
     */
    public String sessionId() {
        return sessionId;
    }

    /**
     * The conversation's id.
     *
     * @return the conversation's id, or {@code null}
     */
    public @Nullable UUID conversationId() {
        return conversationId;
    }

    /**
     * The execution's id, or {@code null}.
     *
     * @return the execution's id, or {@code null}
     */
    public @Nullable UUID executionId() {
        return executionId;
    }

    /**
     * Who it belongs to, or {@code null}.
     *
     * @return who it belongs to, or {@code null}
     */
    public @Nullable Owner owner() {
        return owner;
    }

    /**
     * The agent key, or {@code null}.
     *
     * @return the agent key, or {@code null}
     */
    public @Nullable String agent() {
        return agent;
    }

    /**
     * The provider key.
     *
     * @return the provider key
     */
    public String provider() {
        return provider;
    }

    /**
     * The model key.
     *
     * @return the model key
     */
    public String model() {
        return model;
    }

    /**
     * The status.
     *
     * @return the status
     */
    public VoiceCallStatus status() {
        return status;
    }

    /**
     * The transcript as last saved, oldest turn first; empty until the first checkpoint.
     *
     * @return the turns, never {@code null}
     */
    public List<VoiceTurn> transcript() {
        return transcript;
    }

    /**
     * A summary of the call, or {@code null}.
     *
     * @return the summary, or {@code null}
     */
    public @Nullable String summary() {
        return summary;
    }

    /**
     * How long the call ran, in milliseconds, from its start to {@link VoiceCallStore#complete} or
     * {@link VoiceCallStore#fail}; {@code null} while it is active and for a call that
     * {@link VoiceCallStore#completeStale} finished, whose real end is unknown.
     *
     * @return the duration in milliseconds, or {@code null}
     */
    public @Nullable Long durationMs() {
        return durationMs;
    }

    /**
     * JSON-compatible application data.
     *
     * @return JSON-compatible application data, empty when none
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /**
     * When the call started.
     *
     * @return when the call started
     */
    public Instant startedAt() {
        return startedAt;
    }

    /**
     * When the call finished (completed or failed).
     *
     * @return when the call finished, or {@code null} while it is active
     */
    public @Nullable Instant completedAt() {
        return completedAt;
    }

    /**
     * When it was created.
     *
     * @return when it was created, or {@code null}
     */
    public Instant createdAt() {
        return createdAt;
    }

    /**
     * When it was last changed, by Atlas's clock; never moved back by an instance whose clock runs
     * behind the last writer's (that write keeps the later time).
     *
     * @return when it was last changed, or {@code null}
     */
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
