package dev.atlas.execution;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import org.jspecify.annotations.Nullable;

/**
 * Token counts reported by a provider. Every count is optional ({@code null} when the provider did
 * not report it) and never negative. Counts are billed separately: report {@code inputTokens}
 * without the cached and cache-write tokens (as Anthropic does); {@code reasoningTokens} are part
 * of {@code outputTokens} (as OpenAI and Anthropic report them) and are not billed again: a
 * provider reporting thinking apart from its output (Gemini's {@code thoughtsTokenCount}) needs it
 * added to {@code outputTokens}, as the Spring AI integration does. Reasoning beyond the output is
 * stored and reported as given, never refused (a call's record is never lost for a provider's
 * count), and billed on the output alone.
 *
 * @param inputTokens      prompt tokens billed at the input price
 * @param outputTokens     generated tokens, reasoning included
 * @param reasoningTokens  of the output, how many were reasoning
 * @param cachedTokens     prompt tokens read from the provider's cache
 * @param cacheWriteTokens prompt tokens written to the provider's cache
 */
public record Usage(@Nullable Long inputTokens, @Nullable Long outputTokens, @Nullable Long reasoningTokens, @Nullable Long cachedTokens, @Nullable Long cacheWriteTokens) {

    /** No counts reported. */
    public static final Usage NONE = new Usage(null, null, null, null, null);

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param inputTokens prompt tokens billed at the input price
     * @param outputTokens generated tokens, reasoning included
     * @param reasoningTokens of the output, how many were reasoning
     * @param cachedTokens prompt tokens read from the provider's cache
     * @param cacheWriteTokens prompt tokens written to the provider's cache
     */
    public Usage {
        check("inputTokens", inputTokens);
        check("outputTokens", outputTokens);
        check("reasoningTokens", reasoningTokens);
        check("cachedTokens", cachedTokens);
        check("cacheWriteTokens", cacheWriteTokens);
    }

    private static void check(String field, Long value) {
        if (value != null && (value < 0 || value > Limits.MAX_TOKEN_COUNT)) {
            throw new InvalidInputException("usage." + field, "must be between 0 and " + Limits.MAX_TOKEN_COUNT + ", was " + value);
        }
    }

    /**
     * Creates an {@code Usage} from {@code inputTokens}, {@code outputTokens}.
     *
     * @param inputTokens prompt tokens billed at the input price
     * @param outputTokens generated tokens, reasoning included
     * @return the new value
     */
    public static Usage of(long inputTokens, long outputTokens) {
        return new Usage(inputTokens, outputTokens, null, null, null);
    }

    /**
     * Returns a copy with {@code reasoningTokens} (of the output, how many were reasoning) set to {@code tokens}.
     *
     * @param tokens the count, 0 to {@link Limits#MAX_TOKEN_COUNT}
     * @return a copy with this change
     * @throws InvalidInputException naming {@code usage.reasoningTokens} when {@code tokens} is out of range
     */
    public Usage reasoning(long tokens) {
        return new Usage(inputTokens, outputTokens, tokens, cachedTokens, cacheWriteTokens);
    }

    /**
     * Returns a copy with {@code cachedTokens} (prompt tokens read from the provider's cache) set to {@code tokens}.
     *
     * @param tokens the count, 0 to {@link Limits#MAX_TOKEN_COUNT}
     * @return a copy with this change
     * @throws InvalidInputException naming {@code usage.cachedTokens} when {@code tokens} is out of range
     */
    public Usage cached(long tokens) {
        return new Usage(inputTokens, outputTokens, reasoningTokens, tokens, cacheWriteTokens);
    }

    /**
     * Returns a copy with {@code cacheWriteTokens} (prompt tokens written to the provider's cache) set to {@code tokens}.
     *
     * @param tokens the count, 0 to {@link Limits#MAX_TOKEN_COUNT}
     * @return a copy with this change
     * @throws InvalidInputException naming {@code usage.cacheWriteTokens} when {@code tokens} is out of range
     */
    public Usage cacheWrite(long tokens) {
        return new Usage(inputTokens, outputTokens, reasoningTokens, cachedTokens, tokens);
    }

    /**
     * Field-wise sum; a field stays {@code null} only when it is {@code null} on both sides.
     *
     * @param other the other usage
     * @return the sum
     * @throws InvalidInputException naming the field (as {@code usage.inputTokens}) when a
     *         sum passes {@link Limits#MAX_TOKEN_COUNT}, or on {@code other} when it is {@code null}
     */
    public Usage plus(Usage other) {
        dev.atlas.internal.Check.notNull("other", other);
        return new Usage(add(inputTokens, other.inputTokens), add(outputTokens, other.outputTokens),
                add(reasoningTokens, other.reasoningTokens), add(cachedTokens, other.cachedTokens),
                add(cacheWriteTokens, other.cacheWriteTokens));
    }

    /**
     * Input (including cached and cache-write) plus output tokens.
     *
     * @return input (including cached and cache-write) plus output tokens
     */
    public long totalTokens() {
        return n(inputTokens) + n(outputTokens) + n(cachedTokens) + n(cacheWriteTokens);
    }

    /**
     * Whether no count was reported.
     *
     * @return whether no count was reported
     */
    public boolean isEmpty() {
        return equals(NONE);
    }

    private static Long add(Long a, Long b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : Long.valueOf(a + b);
    }

    private static long n(Long v) {
        return v == null ? 0 : v;
    }
}
