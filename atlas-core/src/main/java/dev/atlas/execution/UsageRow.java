package dev.atlas.execution;

import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/**
 * Totals of one group of a usage report.
 */
public final class UsageRow {
    private final @Nullable String group;
    private final List<String> parts;
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
     * @param group the group's key: an ISO date ({@code 2026-03-01}, UTC) for DAY, the provider, {@code provider/model} for MODEL, the agent, the conversation id, {@code type:id} for OWNER, the tenant id for TENANT, the project for PROJECT; {@code null} for executions without one. In the operator's report over every tenant ({@link dev.atlas.Atlas#usageReport}) an AGENT, CONVERSATION, OWNER or PROJECT key starts with the tenant id and a {@code :} ({@code acme:support}, {@code acme:user:alice}), each tenant's groups apart, and the tenant's executions without one are keyed by the tenant id alone; a {@code :} (and {@code %}) in that tenant id is written {@code %3A} ({@code %25}). In a MODEL key a {@code /} (and {@code %}) in the provider is written {@code %2F} ({@code %25}), in an OWNER key a {@code :} (and {@code %}) in the owner type {@code %3A} ({@code %25}), so distinct groups never share a key; {@link #parts()} has the parts as stored
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
        this(group, group == null ? List.of() : List.of(group), executions, failures, inputTokens, outputTokens, reasoningTokens,
                cachedTokens, cacheWriteTokens, cost);
    }

    /**
     * Creates the value with the group's parts; every argument is as its accessor returns it.
     *
     * @param group the group's key, see {@link #group()}
     * @param parts the group's parts, see {@link #parts()}
     * @param executions how many executions
     * @param failures how many of them failed
     * @param inputTokens input tokens
     * @param outputTokens output tokens
     * @param reasoningTokens the reasoning tokens
     * @param cachedTokens the cached tokens
     * @param cacheWriteTokens the cache write tokens
     * @param cost exact sum of the known costs (executions without a price count as zero)
     */
    public UsageRow(
            @Nullable String group,
            List<String> parts,
            long executions,
            long failures,
            long inputTokens,
            long outputTokens,
            long reasoningTokens,
            long cachedTokens,
            long cacheWriteTokens,
            BigDecimal cost) {
        this.group = group;
        this.parts = Check.copy("parts", parts);
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
     * The group's key: an ISO date ({@code 2026-03-01}, UTC) for DAY, the provider, {@code provider/model} for MODEL, the agent, the conversation id, {@code type:id} for OWNER, the tenant id for TENANT, the project for PROJECT; {@code null} for executions without one.
     *
     * @return the group's key: an ISO date ({@code 2026-03-01}, UTC) for DAY, the provider, {@code provider/model} for MODEL, the agent, the conversation id, {@code type:id} for OWNER, the tenant id for TENANT, the project for PROJECT; {@code null} for executions without one. In the operator's report over every tenant ({@link dev.atlas.Atlas#usageReport}) an AGENT, CONVERSATION, OWNER or PROJECT key starts with the tenant id and a {@code :} ({@code acme:support}, {@code acme:user:alice}), each tenant's groups apart, and the tenant's executions without one are keyed by the tenant id alone; a {@code :} (and {@code %}) in that tenant id is written {@code %3A} ({@code %25}). In a MODEL key a {@code /} (and {@code %}) in the provider is written {@code %2F} ({@code %25}), in an OWNER key a {@code :} (and {@code %}) in the owner type {@code %3A} ({@code %25}), so distinct groups never share a key; {@link #parts()} has the parts as stored
     */
    public @Nullable String group() {
        return group;
    }

    /**
     * The group's parts as stored, unescaped: {@code [provider, model]} for MODEL, {@code [type, id]}
     * for OWNER, the one key for the other groupings; empty when {@link #group()} is {@code null}.
     * In the operator's report by AGENT, CONVERSATION, OWNER or PROJECT the tenant id comes first
     * ({@code [tenant, type, id]} for OWNER), alone for the tenant's executions without a value.
     *
     * @return the group's parts, unmodifiable
     */
    public List<String> parts() {
        return parts;
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
     * How many of them failed: ended with status failed, those the sweep failed included; a
     * cancelled execution is not a failure, and one still pending, queued or processing is counted
     * in {@link #executions()} only, with no tokens and no cost (its usage is stored when it ends).
     *
     * @return how many of them failed
     */
    public long failures() {
        return failures;
    }

    /**
     * Input tokens.
     *
     * @return the sum of the input tokens, 0 when none were reported
     */
    public long inputTokens() {
        return inputTokens;
    }

    /**
     * Output tokens.
     *
     * @return the sum of the output tokens, 0 when none were reported
     */
    public long outputTokens() {
        return outputTokens;
    }

    /**
     * The reasoning tokens.
     *
     * @return the sum of the reasoning tokens, 0 when none were reported
     */
    public long reasoningTokens() {
        return reasoningTokens;
    }

    /**
     * The cached tokens.
     *
     * @return the sum of the cached tokens, 0 when none were reported
     */
    public long cachedTokens() {
        return cachedTokens;
    }

    /**
     * The cache write tokens.
     *
     * @return the sum of the cache-write tokens, 0 when none were reported
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
            && parts.equals(that.parts)
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
        return Objects.hash(group, parts, executions, failures, inputTokens, outputTokens, reasoningTokens, cachedTokens, cacheWriteTokens, cost);
    }

    @Override
    public String toString() {
        return "UsageRow[group=" + group + ", parts=" + parts + ", executions=" + executions + ", failures=" + failures + ", inputTokens=" + inputTokens + ", outputTokens=" + outputTokens + ", reasoningTokens=" + reasoningTokens + ", cachedTokens=" + cachedTokens + ", cacheWriteTokens=" + cacheWriteTokens + ", cost=" + cost + "]";
    }
}
