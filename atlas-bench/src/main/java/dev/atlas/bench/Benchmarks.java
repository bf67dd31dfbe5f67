package dev.atlas.bench;

import java.util.List;

/** The benchmarks the harness runs, in report order. Add a new one here. */
public final class Benchmarks {
    private Benchmarks() {}

    public static List<Benchmark> all() {
        return List.of(
                new AppendVsRawJdbc(),
                new AppendVsLength(),
                new LoadHistory(),
                new RecordExecution(),
                new ConcurrentWriters(),
                new SemanticSearch(),
                new RetentionUnderLoad(),
                new PortabilityThroughput(),
                new FirstMessage(),
                new ChatMemoryTurn(),
                new StatementIdioms(),
                new SemanticSearchCache(),
                new PgvectorRecall(),
                new TextSearchNeighbours(),
                new GraphEdges(),
                new ScaleProbe(),
                new AppendDeepChain());
    }
}
