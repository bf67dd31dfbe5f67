package dev.atlas.bench;

import java.util.List;

/**
 * Sizes and durations of one run. {@code quick} stays under three minutes on two cores;
 * {@code full} uses more rounds and a larger longest conversation.
 *
 * @param name               "quick" or "full"
 * @param roundMillis        time per side in one round of an interleaved comparison
 * @param rounds             timed rounds (after one warm-up round)
 * @param lengths            conversation lengths (existing messages) for the length benchmarks
 * @param appendsPerLength   timed Atlas appends per length
 * @param loadsPerLength     timed history loads per length
 * @param springOpsByLength  timed Spring AI operations per length (its cost grows with length)
 * @param concurrentMillis   duration of each concurrent-writer run
 * @param vectorCounts       memories (one 384-dimension vector each) for the semantic search benchmark
 * @param searchQueries      timed top-10 queries per vector count (after warm-up queries)
 * @param purgeConversations archived conversations (10 messages each) purged in the retention benchmark
 */
public record Profile(String name, long roundMillis, int rounds, List<Integer> lengths, int appendsPerLength,
                      int loadsPerLength, List<Integer> springOpsByLength, long concurrentMillis, List<Integer> vectorCounts,
                      int searchQueries, int purgeConversations) {

    public static Profile quick() {
        return new Profile("quick", 250, 12, List.of(100, 10_000, 100_000), 200, 200, List.of(20, 5, 2), 3_000, List.of(10_000), 20,
                1_000);
    }

    public static Profile full() {
        return new Profile("full", 500, 40, List.of(100, 10_000, 100_000, 1_000_000), 1_000, 1_000, List.of(50, 10, 3, 1), 10_000,
                List.of(10_000, 100_000), 100, 20_000);
    }

    /** How many Spring AI operations to time at {@code lengths().get(i)}. */
    public int springOps(int lengthIndex) {
        return springOpsByLength.get(Math.min(lengthIndex, springOpsByLength.size() - 1));
    }
}
