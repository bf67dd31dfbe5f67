package dev.atlas.bench;

/**
 * One measured value next to the baseline it is compared with; both come from the same run.
 *
 * @param database      "SQLite" or "PostgreSQL"
 * @param name          what was measured, e.g. "Atlas append, 100k messages"
 * @param value         the measurement
 * @param baselineName  what it is compared with
 * @param baseline      the baseline's measurement, in the same unit
 * @param unit          e.g. "ops/s" or "ms (median)"
 * @param ratio         value / baseline (or baseline / value for latencies, see {@code higherIsBetter})
 * @param detail        extra facts (p95, counts), or empty
 */
public record Figure(String database, String name, double value, String baselineName, double baseline, String unit,
                     double ratio, String detail) {

    /** A throughput figure: ratio = value / baseline. */
    public static Figure throughput(String database, String name, double value, String baselineName, double baseline, String detail) {
        return new Figure(database, name, value, baselineName, baseline, "ops/s", value / baseline, detail);
    }

    /** A latency figure: ratio = value / baseline (above 1 means slower than the baseline). */
    public static Figure latency(String database, String name, double value, String baselineName, double baseline, String unit,
                                 String detail) {
        return new Figure(database, name, value, baselineName, baseline, unit, value / baseline, detail);
    }
}
