package dev.atlas.assistant;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A named, versioned settings document that needs no assistant (seed 001 {@code settings}: "can be
 * loosely coupled with normal chat that doesn't use agent configurations"), for example the model
 * and temperature a plain chat runs with. Its values live in immutable {@link SettingsRevision}s,
 * numbered and rolled back exactly like an assistant's revisions; see {@link SettingsStore}.
 */
public final class Settings {
    private final UUID id;
    private final String tenantId;
    private final String slug;
    private final String name;
    private final @Nullable Owner owner;
    private final @Nullable UUID currentRevisionId;
    private final int currentRevisionNumber;
    private final int lastRevisionNumber;
    private final Instant createdAt;
    private final Instant updatedAt;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param id the id
     * @param tenantId the tenant id
     * @param slug the slug
     * @param name the name
     * @param owner who owns it, or {@code null} for the tenant itself
     * @param currentRevisionId the revision in use, or {@code null} before the first publish
     * @param currentRevisionNumber number of the revision in use, 0 before the first publish
     * @param lastRevisionNumber highest revision number allocated so far
     * @param createdAt the created at
     * @param updatedAt the updated at
     */
    public Settings(
            UUID id,
            String tenantId,
            String slug,
            String name,
            @Nullable Owner owner,
            @Nullable UUID currentRevisionId,
            int currentRevisionNumber,
            int lastRevisionNumber,
            Instant createdAt,
            Instant updatedAt) {
        this.id = id;
        this.tenantId = tenantId;
        this.slug = slug;
        this.name = name;
        this.owner = owner;
        this.currentRevisionId = currentRevisionId;
        this.currentRevisionNumber = currentRevisionNumber;
        this.lastRevisionNumber = lastRevisionNumber;
        this.createdAt = createdAt;
        this.updatedAt = updatedAt;
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
     * The slug.
     *
     * @return the slug
     */
    public String slug() {
        return slug;
    }

    /**
     * The name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Who owns it, or {@code null} for the tenant itself.
     *
     * @return who owns it, or {@code null} for the tenant itself
     */
    public @Nullable Owner owner() {
        return owner;
    }

    /**
     * The revision in use, or {@code null} before the first publish.
     *
     * @return the revision in use, or {@code null} before the first publish
     */
    public @Nullable UUID currentRevisionId() {
        return currentRevisionId;
    }

    /**
     * Number of the revision in use, 0 before the first publish.
     *
     * @return number of the revision in use, 0 before the first publish
     */
    public int currentRevisionNumber() {
        return currentRevisionNumber;
    }

    /**
     * Highest revision number allocated so far.
     *
     * @return highest revision number allocated so far
     */
    public int lastRevisionNumber() {
        return lastRevisionNumber;
    }

    /**
     * The created at.
     *
     * @return the created at
     */
    public Instant createdAt() {
        return createdAt;
    }

    /**
     * When it was last created, renamed or published to, by Atlas's clock; never moved back by an
     * instance whose clock runs behind the last writer's (that write keeps the later time).
     *
     * @return the updated at
     */
    public Instant updatedAt() {
        return updatedAt;
    }

    /**
     * The revision in use, empty before the first publish.
     *
     * @return {@link #currentRevisionId()}, if any
     */
    public Optional<UUID> currentRevision() {
        return Optional.ofNullable(currentRevisionId);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Settings that)) {
            return false;
        }
        return true
            && Objects.equals(id, that.id)
            && Objects.equals(tenantId, that.tenantId)
            && Objects.equals(slug, that.slug)
            && Objects.equals(name, that.name)
            && Objects.equals(owner, that.owner)
            && Objects.equals(currentRevisionId, that.currentRevisionId)
            && currentRevisionNumber == that.currentRevisionNumber
            && lastRevisionNumber == that.lastRevisionNumber
            && Objects.equals(createdAt, that.createdAt)
            && Objects.equals(updatedAt, that.updatedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, tenantId, slug, name, owner, currentRevisionId, currentRevisionNumber, lastRevisionNumber, createdAt, updatedAt);
    }

    @Override
    public String toString() {
        return "Settings[id=" + id + ", tenantId=" + tenantId + ", slug=" + slug + ", name=" + name + ", owner=" + owner + ", currentRevisionId=" + currentRevisionId + ", currentRevisionNumber=" + currentRevisionNumber + ", lastRevisionNumber=" + lastRevisionNumber + ", createdAt=" + createdAt + ", updatedAt=" + updatedAt + "]";
    }
}
