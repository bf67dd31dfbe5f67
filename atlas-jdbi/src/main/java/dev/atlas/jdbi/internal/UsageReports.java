package dev.atlas.jdbi.internal;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;

import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/** Usage reports: totals of executions grouped one way, computed by the database in one catalogued statement ({@link UsageSql}). */
public final class UsageReports {
    private UsageReports() {}

    /**
     * One SQL aggregate over executions created in {@code [from, to)}: of {@code tenant}, or of
     * every tenant when it is {@code null} (the operator's report through {@code Atlas}).
     */
    static List<UsageRow> run(Db db, String tenant, UsageGroup group, Instant from, Instant to) {
        return run(db, tenant, group, from, to, Limits.MAX_REPORT_ROWS);
    }

    /**
     * {@link #run} with the row bound given, so tests can prove a report over the bound fails
     * instead of being cut short without writing {@link Limits#MAX_REPORT_ROWS} groups.
     */
    public static List<UsageRow> run(Db db, String tenant, UsageGroup group, Instant from, Instant to, int maxRows) {
        Check.notNull("group", group);
        Check.instant("from", Check.notNull("from", from));
        Check.instant("to", Check.notNull("to", to));
        if (!from.isBefore(to)) {
            throw new InvalidInputException("to", "must be after from (" + from + "), was " + to);
        }
        // Times are stored in whole microseconds and bound truncated: the next whole microsecond
        // keeps [from, to) exact for bounds finer than that (T+1ns excludes a row at T as from, includes it as to).
        Instant lower = Check.ceilMicros(from);
        Instant last = lastIncluded(to);
        UsageSql q = db.statements(UsageSql.class, UsageSql::new);
        Sql sql = tenant == null ? Sql.crossTenant(db) : new Sql(db, new TenantId(tenant));
        boolean day = group == UsageGroup.DAY;
        boolean pair = UsageSql.keys(group) == 2;
        boolean byTenant = tenant == null && UsageSql.perTenant(group);
        String separator = group == UsageGroup.MODEL ? "/" : ":";
        Dialect d = db.dialect();
        List<Totals> totals = db.read(h -> sql.on(h, q.of(group, tenant == null))
                .bind("from", lower).bind("last", last).bind("limit", maxRows + 1).list((rs, ctx) -> {
                    String noInstant = rs.getString("no_instant_row");
                    if (noInstant != null) {
                        // Its time unknown, the execution may belong in the report or not: the report fails naming it
                        // rather than give a total without it.
                        int tab = noInstant.indexOf('\t');
                        String rowTenant = noInstant.substring(0, tab);
                        String id = noInstant.substring(tab + 1);
                        UUID uuid = uuidOrNull(id);
                        Sql ofRow = tenant != null ? sql : new Sql(db, new TenantId(rowTenant));
                        // An id that is no UUID is bound as the text it is (only SQLite holds such an id, and no instant).
                        ofRow.on(h, q.noInstantAt).bind("id", uuid != null ? uuid : id)
                                .optional((row, c) -> d.instant(row, "no_instant_at", "executions", "created_at", id));
                        // Read in the same transaction, the row is there and throws above; this is never reached.
                        throw Rows.inRow("executions", id, new dev.atlas.UnreadableRowException(null, null,
                                "created_at: stored as text or a blob, not a whole number of microseconds",
                                new IllegalStateException("timestamp stored as text or a blob")));
                    }
                    String key;
                    List<String> parts;
                    if (day) {
                        Instant start = dayStart(d, rs);
                        key = start == null ? null : LocalDate.ofInstant(start, ZoneOffset.UTC).toString();
                        parts = key == null ? List.of() : List.of(key);
                    } else if (pair) {
                        String a = rs.getString("k1");
                        String b = rs.getString("k2");
                        key = a == null ? null : escape(a, separator) + separator + b;
                        parts = a == null ? List.of() : List.of(a, b);
                    } else {
                        key = rs.getString("k1");
                        parts = key == null ? List.of() : List.of(key);
                    }
                    if (byTenant) {
                        // Tenant first: escaped as a pair's first part is, so the first ':' ends it.
                        String of = rs.getString("k0");
                        key = escape(of, ":") + (key == null ? "" : ":" + key);
                        List<String> all = new ArrayList<>(parts.size() + 1);
                        all.add(of);
                        all.addAll(parts);
                        parts = all;
                    }
                    BigInteger[] sums = new BigInteger[UsageSql.SUMMED.size()];
                    for (int i = 0; i < sums.length; i++) {
                        sums[i] = sum(rs, UsageSql.SUMMED.get(i));
                    }
                    return new Totals(key, parts, rs.getLong("executions"), rs.getLong("failures"), sums);
                }));
        if (totals.size() > maxRows) {
            throw new InvalidInputException("to", "the report by " + group + " from " + from + " to " + to + " has more than "
                    + maxRows + " rows; report a shorter period");
        }
        List<UsageRow> rows = new ArrayList<>(totals.size());
        for (Totals t : totals) {
            rows.add(t.row(group, from, to));
        }
        // Sorted here because the databases order NULLs and collate text differently; by the parts,
        // so a provider's models (a tenant's groups) stay together whatever its name holds.
        rows.sort(Comparator.comparing(UsageRow::parts, UsageReports::compareParts));
        return Collections.unmodifiableList(rows);
    }

    /**
     * The last microsecond a report up to {@code to} covers: {@code to} is exclusive, except
     * {@link Limits#MAX_INSTANT}, the latest bound accepted, which includes itself, so an
     * execution created at it is in some report. Bounds finer than a microsecond round up, as the
     * databases store whole microseconds.
     */
    static Instant lastIncluded(Instant to) {
        return to.equals(Limits.MAX_INSTANT) ? to : Check.ceilMicros(to).minusNanos(1000);
    }

    /**
     * The day's start; a creation time SQLite stores as a fraction of a microsecond keeps its fraction
     * through {@link Dialect#dayStart}, and is named as the execution it belongs to (the group holds
     * only rows with that fraction, so its least id is one of them).
     */
    private static Instant dayStart(Dialect d, java.sql.ResultSet rs) throws java.sql.SQLException {
        return d.instant(rs, "k1", "executions", "created_at", rs.getString("row_id"));
    }

    private static UUID uuidOrNull(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The exact sum of {@code column}, taken in two parts ({@link UsageSql#COST_SPLIT}); zero when no row has one. */
    private static BigInteger sum(java.sql.ResultSet rs, String column) throws java.sql.SQLException {
        String high = rs.getString(column + "_high");
        return high == null ? BigInteger.ZERO : new java.math.BigDecimal(high).toBigIntegerExact()
                .multiply(BigInteger.valueOf(UsageSql.COST_SPLIT))
                .add(new java.math.BigDecimal(rs.getString(column + "_low")).toBigIntegerExact());
    }

    /** A group's exact sums, in the order of {@link UsageSql#SUMMED}. */
    private record Totals(String key, List<String> parts, long executions, long failures, BigInteger[] sums) {
        private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);
        private static final List<String> FIELDS = List.of("inputTokens", "outputTokens", "reasoningTokens", "cachedTokens", "cacheWriteTokens");

        /** The row; a token sum past what a {@code long} holds is refused rather than reported wrong. */
        UsageRow row(UsageGroup group, Instant from, Instant to) {
            for (int i = 0; i < FIELDS.size(); i++) {
                if (sums[i].compareTo(MAX_LONG) > 0) {
                    throw new InvalidInputException("to", "the " + FIELDS.get(i) + " of group " + key + " in the report by " + group
                            + " from " + from + " to " + to + " sum to " + sums[i] + ", more than the " + Long.MAX_VALUE
                            + " a report row holds; report a shorter period");
                }
            }
            return new UsageRow(key, parts, executions, failures, sums[0].longValue(), sums[1].longValue(), sums[2].longValue(),
                    sums[3].longValue(), sums[4].longValue(), ModelPrice.fromPico(sums[5]));
        }
    }

    /**
     * Parts in order, part by part; parts that begin another row's come after it: the group
     * without a value (no parts, or only its tenant's in the operator's report) is listed last
     * (of its tenant's).
     */
    private static int compareParts(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(b.size(), a.size());
    }

    /**
     * The first part of a two-part key with its {@code %} and {@code separator} percent-encoded,
     * so the first separator in the key is the one between the parts: {@code a/b} + {@code c}
     * and {@code a} + {@code b/c} stay two keys. Names without either character are unchanged.
     */
    static String escape(String part, String separator) {
        return part.replace("%", "%25").replace(separator, separator.equals("/") ? "%2F" : "%3A");
    }
}
