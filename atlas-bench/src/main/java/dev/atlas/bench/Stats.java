package dev.atlas.bench;

import java.util.Arrays;

/** Latency samples in nanoseconds and the summaries the report uses. */
public final class Stats {
    private long[] samples = new long[64];
    private int size;

    public void add(long nanos) {
        if (size == samples.length) {
            samples = Arrays.copyOf(samples, size * 2);
        }
        samples[size++] = nanos;
    }

    /** Adds every sample of {@code other}. */
    public synchronized void addAll(Stats other) {
        for (int i = 0; i < other.size; i++) {
            add(other.samples[i]);
        }
    }

    public int count() {
        return size;
    }

    /** The {@code q} quantile (0..1) in milliseconds, nearest rank. */
    public double quantileMillis(double q) {
        if (size == 0) {
            throw new IllegalStateException("no samples");
        }
        long[] sorted = Arrays.copyOf(samples, size);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * size) - 1;
        return sorted[Math.max(0, Math.min(size - 1, rank))] / 1e6;
    }

    public double medianMillis() {
        return quantileMillis(0.5);
    }

    public double p95Millis() {
        return quantileMillis(0.95);
    }

    public double maxMillis() {
        return quantileMillis(1.0);
    }

    /** "p95 1.23 ms, max 4.56 ms, n=200" for a figure's detail column. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "p95 %s ms, max %s ms, n=%d", Fmt.num(p95Millis()), Fmt.num(maxMillis()), size);
    }

    /** Times one call. */
    public static long time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return System.nanoTime() - t0;
    }

    /** The median of {@code values} (the mean of the middle two for an even count): the figure of a benchmark's runs. */
    public static double median(double[] values) {
        double[] c = values.clone();
        java.util.Arrays.sort(c);
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }
}
