package dev.atlas.bench;

/**
 * One benchmark: measures something and its baseline in the same run and returns the figures
 * as ratios. Implementations are registered in {@link Benchmarks#all()}; the report writer
 * handles everything else.
 */
public interface Benchmark {

    /** Short stable key, used in the JSON report (e.g. {@code "append-vs-jdbc"}). */
    String id();

    /** Heading in the Markdown report. */
    String title();

    /** Runs against every database in {@code env} and returns what it measured. */
    Section run(Env env) throws Exception;
}
