package dev.atlas.assistant;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * One immutable entry in a {@link Settings} history, like {@link AssistantRevision} without a
 * system prompt.
 */
public final class SettingsRevision {
    private final UUID id;
    private final String tenantId;
    private final UUID settingsId;
    private final int number;
    private final RevisionKind kind;
    private final @Nullable UUID rolledBackToId;
    private final int rolledBackToNumber;
    private final Map<String, Object> values;
    private final @Nullable String label;
    private final @Nullable Owner author;
    private final Instant createdAt;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param settingsId the settings id
     * @param number 1, 2, 3 … per settings document, gapless, in publish order
     * @param kind published, or rollback
     * @param rolledBackToId for a rollback: the earlier revision whose values this one copies; else {@code null}
     * @param rolledBackToNumber for a rollback: that revision's number; else 0
     * @param values the settings as published, for example {@code {"model": "gpt-4o", "temperature": 0.7}}
     * @param label a short human label, or {@code null}
     * @param author who published or rolled back, or {@code null}
     * @param createdAt the created at
     */
    public SettingsRevision(
            UUID id,
            String tenantId,
            UUID settingsId,
            int number,
            RevisionKind kind,
            @Nullable UUID rolledBackToId,
            int rolledBackToNumber,
            Map<String, Object> values,
            @Nullable String label,
            @Nullable Owner author,
            Instant createdAt) {
        this.id = id;
        this.tenantId = tenantId;
        this.settingsId = settingsId;
        this.number = number;
        this.kind = kind;
        this.rolledBackToId = rolledBackToId;
        this.rolledBackToNumber = rolledBackToNumber;
        this.values = dev.atlas.internal.Check.frozenJson(values);
        this.label = label;
        this.author = author;
        this.createdAt = createdAt;
    }

    /**
     * The id.
     *
     * @return the id
     */
    public UUID id() {
        return id;
    }

    /**
     * The tenant id.
     *
     * @return the tenant id
     */
    public String tenantId() {
        return tenantId;
    }

    /**
     * The settings id.
     *
     * @return the settings id
     */
    public UUID settingsId() {
        return settingsId;
    }

    /**
     * 1, 2, 3 … per settings document, gapless, in publish order.
     *
     * @return 1, 2, 3 … per settings document, gapless, in publish order
     */
    public int number() {
        return number;
    }

    /**
     * Published, or rollback.
     *
     * @return published, or rollback
     */
    public RevisionKind kind() {
        return kind;
    }

    /**
     * For a rollback: the earlier revision whose values this one copies; else {@code null}.
     *
     * @return for a rollback: the earlier revision whose values this one copies; else {@code null}
     */
    public @Nullable UUID rolledBackToId() {
        return rolledBackToId;
    }

    /**
     * For a rollback: that revision's number; else 0.
     *
     * @return for a rollback: that revision's number; else 0
     */
    public int rolledBackToNumber() {
        return rolledBackToNumber;
    }

    /**
     * The settings as published, for example {@code {"model": "gpt-4o", "temperature": 0.7}}.
     *
     * @return the settings as published, for example {@code {"model": "gpt-4o", "temperature": 0.7}}
     */
    public Map<String, Object> values() {
        return values;
    }

    /**
     * A short human label, or {@code null}.
     *
     * @return a short human label, or {@code null}
     */
    public @Nullable String label() {
        return label;
    }

    /**
     * Who published or rolled back, or {@code null}: none was given, or the author was erased
     * ({@link dev.atlas.portability.Portability#eraseOwner}) while the revision stays in the history of
     * a document it did not own.
     *
     * @return who published or rolled back, or {@code null}
     */
    public @Nullable Owner author() {
        return author;
    }

    /**
     * When it was published (or rolled back to), by Atlas's clock, and never before the document's
     * previous change: an instance whose clock runs behind dates it at that change, so revisions in
     * number order are in time order.
     *
     * @return when it was created
     */
    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SettingsRevision that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(settingsId, that.settingsId)
            && number == that.number
            && Objects.equals(kind, that.kind)
            && Objects.equals(rolledBackToId, that.rolledBackToId)
            && rolledBackToNumber == that.rolledBackToNumber
            && Objects.equals(values, that.values)
            && Objects.equals(label, that.label)
            && Objects.equals(author, that.author)
            && Objects.equals(createdAt, that.createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, settingsId, number, kind, rolledBackToId, rolledBackToNumber, values, label, author, createdAt);
    }

    @Override
    public String toString() {
        return "SettingsRevision[id=" + id + ", tenantId=" + tenantId + ", settingsId=" + settingsId + ", number=" + number + ", kind=" + kind + ", rolledBackToId=" + rolledBackToId + ", rolledBackToNumber=" + rolledBackToNumber + ", values=" + values + ", label=" + label + ", author=" + author + ", createdAt=" + createdAt + "]";
    }
}
