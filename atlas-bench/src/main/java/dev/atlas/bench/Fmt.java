package dev.atlas.bench;

import java.util.Locale;

/** Number formatting shared by the report and the benchmarks: three significant digits. */
public final class Fmt {
    private Fmt() {}

    public static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return String.valueOf(v);
        }
        double a = Math.abs(v);
        if (a >= 100) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 1) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3f", v);
    }

    public static String ratio(double r) {
        return String.format(Locale.ROOT, "%.2fx", r);
    }

    public static String length(int n) {
        return n >= 1_000_000 && n % 1_000_000 == 0 ? n / 1_000_000 + "M" : n >= 1_000 && n % 1_000 == 0 ? n / 1_000 + "k" : String.valueOf(n);
    }

    /** Each run's value with two decimals, separated by " / ", for a figure's detail. */
    public static String runs(double[] values) {
        StringBuilder b = new StringBuilder();
        for (double v : values) {
            b.append(b.length() == 0 ? "" : " / ").append(String.format(Locale.ROOT, "%.2f", v));
        }
        return b.toString();
    }
}
