package dev.atlas.execution;

import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * Totals of one group of a usage report.
 */
public final class UsageRow {
    private final @Nullable String group;
    private final long executions;
    private final long failures;
    private final long inputTokens;
    private final long outputTokens;
    private final long reasoningTokens;
    private final long cachedTokens;
    private final long cacheWriteTokens;
    private final BigDecimal cost;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param group the group's key: an ISO date ({@code 2026-03-01}, UTC) for DAY, the provider, {@code provider/model} for MODEL, the agent, the conversation id, {@code type:id} for OWNER, the tenant id; {@code null} for executions without one
     * @param executions how many executions
     * @param failures how many of them failed
     * @param cost exact sum of the known costs (executions without a price count as zero)
     * @param inputTokens input tokens
     * @param outputTokens output tokens
     * @param reasoningTokens the reasoning tokens
     * @param cachedTokens the cached tokens
     * @param cacheWriteTokens the cache write tokens
     */
    public UsageRow(
            @Nullable String group,
            long executions,
            long failures,
            long inputTokens,
            long outputTokens,
            long reasoningTokens,
            long cachedTokens,
            long cacheWriteTokens,
            BigDecimal cost) {
        this.group = group;
        this.executions = executions;
        this.failures = failures;
        this.inputTokens = inputTokens;
        this.outputTokens = outputTokens;
        this.reasoningTokens = reasoningTokens;
        this.cachedTokens = cachedTokens;
        this.cacheWriteTokens = cacheWriteTokens;
        this.cost = cost;
    }

    /**
     * The group's key: an ISO date ({@code 2026-03-01}, UTC) for DAY, the provider, {@code provider/model} for MODEL, the agent, the conversation id, {@code type:id} for OWNER, the tenant id; {@code null} for executions without one.
     *
     * @return the group's key: an ISO date ({@code 2026-03-01}, UTC) for DAY, the provider, {@code provider/model} for MODEL, the agent, the conversation id, {@code type:id} for OWNER, the tenant id; {@code null} for executions without one
     */
    public @Nullable String group() {
        return group;
    }

    /**
     * How many executions.
     *
     * @return how many executions
     */
    public long executions() {
        return executions;
    }

    /**
     * How many of them failed.
     *
     * @return how many of them failed
     */
    public long failures() {
        return failures;
    }

    /**
     * Input tokens.
     *
     * @return input tokens, or {@code null}
     */
    public long inputTokens() {
        return inputTokens;
    }

    /**
     * Output tokens.
     *
     * @return output tokens, or {@code null}
     */
    public long outputTokens() {
        return outputTokens;
    }

    /**
     * The reasoning tokens.
     *
     * @return the reasoning tokens, or {@code null}
     */
    public long reasoningTokens() {
        return reasoningTokens;
    }

    /**
     * The cached tokens.
     *
     * @return the cached tokens, or {@code null}
     */
    public long cachedTokens() {
        return cachedTokens;
    }

    /**
     * The cache write tokens.
     *
     * @return the cache write tokens, or {@code null}
     */
    public long cacheWriteTokens() {
        return cacheWriteTokens;
    }

    /**
     * Exact sum of the known costs (executions without a price count as zero).
     *
     * @return exact sum of the known costs (executions without a price count as zero)
     */
    public BigDecimal cost() {
        return cost;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof UsageRow that)) {
            return false;
        }
        return true
            && Objects.equals(group, that.group)
            && executions == that.executions
            && failures == that.failures
            && inputTokens == that.inputTokens
            && outputTokens == that.outputTokens
            && reasoningTokens == that.reasoningTokens
            && cachedTokens == that.cachedTokens
            && cacheWriteTokens == that.cacheWriteTokens
            && Objects.equals(cost, that.cost);
    }

    @Override
    public int hashCode() {
        return Objects.hash(group, executions, failures, inputTokens, outputTokens, reasoningTokens, cachedTokens, cacheWriteTokens, cost);
    }

    @Override
    public String toString() {
        return "UsageRow[group=" + group + ", executions=" + executions + ", failures=" + failures + ", inputTokens=" + inputTokens + ", outputTokens=" + outputTokens + ", reasoningTokens=" + reasoningTokens + ", cachedTokens=" + cachedTokens + ", cacheWriteTokens=" + cacheWriteTokens + ", cost=" + cost + "]";
    }
}
