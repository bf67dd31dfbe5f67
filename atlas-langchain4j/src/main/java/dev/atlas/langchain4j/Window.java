package dev.atlas.langchain4j;

import java.util.ArrayList;
import java.util.List;

/**
 * Which stored messages make up a memory's current window, in LangChain4j's order: runs of
 * consecutive sequence numbers. A window is usually one or two runs (the kept system message, then
 * everything after the oldest message still in the window), so the marker stays a few bytes
 * whatever the window's size.
 */
record Window(List<long[]> runs) {
    static final Window EMPTY = new Window(List.of());

    static Window of(List<Long> sequences) {
        List<long[]> runs = new ArrayList<>();
        for (long s : sequences) {
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && s == last[1] + 1) {
                last[1] = s;
            } else {
                runs.add(new long[] {s, s});
            }
        }
        return new Window(runs);
    }

    /** Reads the stored form, a list of {@code [from, to]} pairs; anything else is an empty window. */
    static Window parse(Object stored) {
        if (!(stored instanceof List<?> list)) {
            return EMPTY;
        }
        List<long[]> runs = new ArrayList<>();
        for (Object o : list) {
            if (o instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Number a && pair.get(1) instanceof Number b) {
                runs.add(new long[] {a.longValue(), b.longValue()});
            }
        }
        return new Window(runs);
    }

    List<List<Long>> stored() {
        return runs.stream().map(r -> List.of(r[0], r[1])).toList();
    }

    boolean sameAs(Window other) {
        return stored().equals(other.stored());
    }
}
