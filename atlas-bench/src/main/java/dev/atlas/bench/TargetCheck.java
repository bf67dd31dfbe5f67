package dev.atlas.bench;

/**
 * A target from the issue and whether this run met it.
 *
 * @param database  the database it was checked on
 * @param target    the target as stated, e.g. "Atlas >= 0.8x raw JDBC throughput"
 * @param measured  the measured figure, e.g. "0.91x"
 * @param met       whether the target was met
 */
public record TargetCheck(String database, String target, String measured, boolean met) {}
