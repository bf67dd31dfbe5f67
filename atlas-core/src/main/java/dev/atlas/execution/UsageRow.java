package dev.atlas.execution;

import java.math.BigDecimal;

/**
 * Totals of one group of a usage report.
 *
 * @param group       the group's key: an ISO date ({@code 2026-03-01}, UTC) for DAY, the provider,
 *                    {@code provider/model} for MODEL, the agent, the conversation id, {@code type:id}
 *                    for OWNER, the tenant id; {@code null} for executions without one
 * @param executions  how many executions
 * @param failures    how many of them failed
 * @param cost        exact sum of the known costs (executions without a price count as zero)
 */
public record UsageRow(
        String group,
        long executions,
        long failures,
        long inputTokens,
        long outputTokens,
        long reasoningTokens,
        long cachedTokens,
        long cacheWriteTokens,
        BigDecimal cost) {}
