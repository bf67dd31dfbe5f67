package dev.atlas.execution;

import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * One stored call to an AI provider.
 *
 * @param usage            token counts; {@link Usage#NONE} when none were reported
 * @param cost             exact cost from the price valid at {@code createdAt}, or {@code null}
 *                         while unfinished or when no price is known; compare with {@code compareTo}
 * @param error            why it failed, or {@code null}
 * @param durationMs       from start to completion, or {@code null} while unfinished
 * @param firstTokenMs     for streams: from start to the first token, or {@code null}
 */
public record Execution(
        UUID id,
        String tenantId,
        @Nullable UUID conversationId,
        @Nullable UUID assistantRevisionId,
        ExecutionType type,
        String provider,
        String model,
        @Nullable String agent,
        ExecutionStatus status,
        Usage usage,
        @Nullable BigDecimal cost,
        @Nullable String error,
        Map<String, Object> metadata,
        @Nullable String providerResponseId,
        @Nullable Instant startedAt,
        @Nullable Instant completedAt,
        @Nullable Long durationMs,
        @Nullable Long firstTokenMs,
        Instant createdAt,
        Instant updatedAt) {}
