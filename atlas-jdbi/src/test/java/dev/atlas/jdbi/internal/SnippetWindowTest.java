package dev.atlas.jdbi.internal;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The snippet's window (no database): the one-pass choice equals trying every occurrence's window and counting. */
class SnippetWindowTest {

    @Test
    @DisplayName("the snippet window is the window, 3 words before an occurrence, holding the most different phrases whole,"
            + " the earliest of equals, for any number of occurrences and phrases of 1 to 20 words")
    void windowEqualsTheCountOfEveryCandidate() {
        Random random = new Random(17);
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 400; round++) {
            int n = 17 + random.nextInt(round % 20 == 0 ? 300 : 60);
            List<List<String>> phrases = new ArrayList<>();
            for (int p = 1 + random.nextInt(4); p > 0; p--) {
                int length = 1 + random.nextInt(random.nextInt(8) == 0 ? 20 : 3);
                phrases.add(java.util.Collections.nCopies(length, "w"));
            }
            List<int[]> occurrences = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < phrases.size(); p++) {
                    if (i + phrases.get(p).size() <= n && random.nextInt(4) == 0) {
                        occurrences.add(new int[] {i, p});
                    }
                }
            }
            int got = TextRanking.window(occurrences, phrases, n);
            int expected = everyCandidate(occurrences, phrases, n);
            if (got != expected) {
                wrong.add("round " + round + ": " + got + " instead of " + expected);
            }
        }
        assertThat(wrong).isEmpty();
    }

    /** Each occurrence's window counted afresh (the choice the snippet made among the first 100 before). */
    private static int everyCandidate(List<int[]> occurrences, List<List<String>> phrases, int n) {
        int from = 0;
        int best = -1;
        for (int[] at : occurrences) {
            int start = Math.max(0, Math.min(at[0] - 3, n - 16));
            BitSet seen = new BitSet();
            for (int[] o : occurrences) {
                if (o[0] >= start && o[0] + phrases.get(o[1]).size() <= start + 16) {
                    seen.set(o[1]);
                }
            }
            if (seen.cardinality() > best) {
                best = seen.cardinality();
                from = start;
            }
        }
        return from;
    }
}
