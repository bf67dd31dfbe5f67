package dev.atlas.task;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

/**
 * A stored task.
 *
 * @param attempts       how many times it was claimed
 * @param result         what {@link TaskStore#complete} stored (empty until then)
 * @param error          the latest failure message, or {@code null}
 * @param runAfter       earliest time a pending task may be claimed
 * @param claimId        the current lease holder's claim, or {@code null} unless running
 * @param leaseExpiresAt when the current lease ends on the database's clock, or {@code null} unless running
 * @param startedAt      when it was first claimed, or {@code null}
 * @param finishedAt     when it became completed, failed or cancelled, or {@code null}
 */
public record Task(
        UUID id,
        String tenantId,
        String kind,
        Map<String, Object> payload,
        @Nullable UUID conversationId,
        @Nullable UUID messageId,
        @Nullable Owner owner,
        TaskStatus status,
        int attempts,
        int maxAttempts,
        Map<String, Object> result,
        @Nullable String error,
        Instant runAfter,
        @Nullable UUID claimId,
        @Nullable Instant leaseExpiresAt,
        Instant createdAt,
        Instant updatedAt,
        @Nullable Instant startedAt,
        @Nullable Instant finishedAt) {
}
