package dev.atlas.assistant;

import dev.atlas.Owner;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A named, versioned settings document that needs no assistant (seed 001 {@code settings}: "can be
 * loosely coupled with normal chat that doesn't use agent configurations"), for example the model
 * and temperature a plain chat runs with. Its values live in immutable {@link SettingsRevision}s,
 * numbered and rolled back exactly like an assistant's revisions; see {@link SettingsStore}.
 *
 * @param owner                 who owns it, or {@code null} for the tenant itself
 * @param currentRevisionId     the revision in use, or {@code null} before the first publish
 * @param currentRevisionNumber number of the revision in use, 0 before the first publish
 * @param lastRevisionNumber    highest revision number allocated so far
 */
public record Settings(
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

    /**
     * The revision in use, empty before the first publish.
     *
     * @return {@link #currentRevisionId()}, if any
     */
    public Optional<UUID> currentRevision() {
        return Optional.ofNullable(currentRevisionId);
    }
}
