package dev.atlas.assistant;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * One immutable entry in an assistant's history: the system prompt and settings as they were
 * published (or restored by a rollback), who did it and when.
 */
public final class AssistantRevision {
    private final UUID id;
    private final String tenantId;
    private final UUID assistantId;
    private final int number;
    private final RevisionKind kind;
    private final @Nullable UUID rolledBackToId;
    private final int rolledBackToNumber;
    private final String systemPrompt;
    private final Map<String, Object> settings;
    private final @Nullable String label;
    private final @Nullable Owner author;
    private final Instant createdAt;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param number 1, 2, 3 … per assistant, gapless, in publish order
     * @param kind published, or rollback
     * @param rolledBackToId for a rollback: the earlier revision whose content this one copies; else {@code null}
     * @param rolledBackToNumber for a rollback: that revision's number; else 0
     * @param label a short human label, or {@code null}
     * @param author who published or rolled back, or {@code null}
     * @param id the id Atlas assigned
     * @param tenantId the tenant it belongs to
     * @param assistantId the assistant's id
     * @param systemPrompt the system prompt
     * @param settings JSON-compatible settings
     * @param createdAt when it was created
     */
    public AssistantRevision(
            UUID id,
            String tenantId,
            UUID assistantId,
            int number,
            RevisionKind kind,
            @Nullable UUID rolledBackToId,
            int rolledBackToNumber,
            String systemPrompt,
            Map<String, Object> settings,
            @Nullable String label,
            @Nullable Owner author,
            Instant createdAt) {
        this.id = id;
        this.tenantId = tenantId;
        this.assistantId = assistantId;
        this.number = number;
        this.kind = kind;
        this.rolledBackToId = rolledBackToId;
        this.rolledBackToNumber = rolledBackToNumber;
        this.systemPrompt = systemPrompt;
        this.settings = dev.atlas.internal.Check.frozenJson(settings);
        this.label = label;
        this.author = author;
        this.createdAt = createdAt;
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
     * The assistant's id.
     *
     * @return the assistant's id
     */
    public UUID assistantId() {
        return assistantId;
    }

    /**
     * 1, 2, 3 … per assistant, gapless, in publish order.
     *
     * @return 1, 2, 3 … per assistant, gapless, in publish order
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
     * For a rollback: the earlier revision whose content this one copies; else {@code null}.
     *
     * @return for a rollback: the earlier revision whose content this one copies; else {@code null}
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
     * The system prompt.
     *
     * @return the system prompt, or {@code null}
     */
    public String systemPrompt() {
        return systemPrompt;
    }

    /**
     * JSON-compatible settings.
     *
     * @return JSON-compatible settings, or {@code null}
     */
    public Map<String, Object> settings() {
        return settings;
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
        if (!(o instanceof AssistantRevision that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(assistantId, that.assistantId)
            && number == that.number
            && Objects.equals(kind, that.kind)
            && Objects.equals(rolledBackToId, that.rolledBackToId)
            && rolledBackToNumber == that.rolledBackToNumber
            && Objects.equals(systemPrompt, that.systemPrompt)
            && Objects.equals(settings, that.settings)
            && Objects.equals(label, that.label)
            && Objects.equals(author, that.author)
            && Objects.equals(createdAt, that.createdAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, assistantId, number, kind, rolledBackToId, rolledBackToNumber, systemPrompt, settings, label, author, createdAt);
    }

    @Override
    public String toString() {
        return "AssistantRevision[id=" + id + ", tenantId=" + tenantId + ", assistantId=" + assistantId + ", number=" + number + ", kind=" + kind + ", rolledBackToId=" + rolledBackToId + ", rolledBackToNumber=" + rolledBackToNumber + ", systemPrompt=" + systemPrompt + ", settings=" + settings + ", label=" + label + ", author=" + author + ", createdAt=" + createdAt + "]";
    }
}
