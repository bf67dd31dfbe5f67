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
        boolean byTenant = tenant == null && UsageSql.perTenant(group);
        List<Totals> totals = db.read(h -> sql.on(h, q.of(group, tenant == null))
                .bind("from", lower).bind("last", last).bind("limit", maxRows + 1).list(mapper(db, sql, q, h, group, byTenant, false)));
        if (totals.size() > maxRows) {
            throw new InvalidInputException("to", "the report by " + group + " from " + from + " to " + to + " has more than "
                    + maxRows + " rows; report a shorter period");
        }
        List<UsageRow> rows = new ArrayList<>(totals.size());
        for (Totals t : totals) {
            rows.add(t.row("to", group, from, to));
        }
        // Sorted here because the databases order NULLs and collate text differently; by the parts,
        // so a provider's models (a tenant's groups) stay together whatever its name holds.
        rows.sort(Comparator.comparing(UsageRow::parts, UsageReports::compareParts));
        return Collections.unmodifiableList(rows);
    }

    /**
     * A tenant's report by {@code group} of each day of {@code zone} from {@code first} to {@code last}: one aggregate
     * by day and group per stretch of the period over which the zone's offset does not change, the day read from the
     * creation time with that offset added; a day over which the offset changes is in two stretches, its groups added.
     */
    public static java.util.SortedMap<LocalDate, List<UsageRow>> daily(Db db, String tenant, UsageGroup group, LocalDate first,
                                                                      LocalDate last, java.time.ZoneId zone, int maxRows) {
        Check.notNull("group", group);
        Check.notNull("first", first);
        Check.notNull("last", last);
        Check.notNull("zone", zone);
        if (group == UsageGroup.DAY) {
            throw new InvalidInputException("group", "is the grouping of each day's rows and cannot be DAY: give another, such as MODEL");
        }
        if (last.isBefore(first)) {
            throw new InvalidInputException("last", "must not be before first (" + first + "), was " + last);
        }
        Instant from = dayStart("first", first, zone);
        dayStart("last", last, zone);
        long days = java.time.temporal.ChronoUnit.DAYS.between(first, last) + 1;
        if (days > Limits.MAX_REPORT_DAYS) {
            // Each change of the zone's offset is one more statement: Europe/Berlin from 1900 to 9999 ran 16,067.
            throw new InvalidInputException("last", "the daily report covers at most " + Limits.MAX_REPORT_DAYS + " days, was " + days
                    + " days from " + first + " to " + last);
        }
        // The last day's end; past the latest instant Atlas stores, that instant (which a report includes).
        Instant to = last.equals(LocalDate.MAX) ? Limits.MAX_INSTANT : last.plusDays(1).atStartOfDay(zone).toInstant();
        if (to.isAfter(Limits.MAX_INSTANT)) {
            to = Limits.MAX_INSTANT;
        }
        Instant end = to;
        UsageSql q = db.statements(UsageSql.class, UsageSql::new);
        Sql sql = new Sql(db, new TenantId(tenant));
        java.time.zone.ZoneRules rules = zone.getRules();
        // Added in order of day and key, each group's stretches in turn.
        java.util.Map<LocalDate, java.util.Map<String, Totals>> byDay = new java.util.TreeMap<>();
        int[] count = {0};
        db.read(h -> {
            for (Instant start = from; start.isBefore(end); ) {
                java.time.zone.ZoneOffsetTransition next = rules.nextTransition(start);
                Instant stop = next == null || !next.getInstant().isBefore(end) ? end : next.getInstant();
                List<Totals> stretch = sql.on(h, q.daily(group)).bind("shift", (long) rules.getOffset(start).getTotalSeconds())
                        .bind("from", Check.ceilMicros(start)).bind("last", lastIncluded(stop)).bind("limit", maxRows + 1)
                        .list(mapper(db, sql, q, h, group, false, true));
                for (Totals t : stretch) {
                    java.util.Map<String, Totals> day = byDay.computeIfAbsent(t.day(), k -> new java.util.HashMap<>());
                    // A null key (no value) is kept under a key no group has: groups' keys never hold a NUL.
                    String key = t.key() == null ? "\0" : t.key();
                    Totals before = day.get(key);
                    if (before == null) {
                        count[0]++;
                    }
                    day.put(key, before == null ? t : before.plus(t));
                }
                if (count[0] > maxRows) {
                    throw new InvalidInputException("last", "the daily report by " + group + " from " + first + " to " + last
                            + " has more than " + maxRows + " rows; report fewer days");
                }
                start = stop;
            }
            return null;
        });
        java.util.SortedMap<LocalDate, List<UsageRow>> report = new java.util.TreeMap<>();
        byDay.forEach((day, groups) -> {
            List<UsageRow> rows = new ArrayList<>(groups.size());
            for (Totals t : groups.values()) {
                rows.add(t.row("last", group, day, day));
            }
            rows.sort(Comparator.comparing(UsageRow::parts, UsageReports::compareParts));
            report.put(day, Collections.unmodifiableList(rows));
        });
        return Collections.unmodifiableSortedMap(report);
    }

    /** The start of {@code day} in {@code zone}, refused naming {@code field} outside the instants Atlas stores. */
    private static Instant dayStart(String field, LocalDate day, java.time.ZoneId zone) {
        Instant start;
        try {
            start = day.atStartOfDay(zone).toInstant();
        } catch (java.time.DateTimeException e) {
            throw new InvalidInputException(field, "is out of range, was " + day);
        }
        Check.instant(field, start);
        return start;
    }

    private static dev.atlas.jdbi.internal.sql.RowMapper<Totals> mapper(Db db, Sql sql, UsageSql q, dev.atlas.jdbi.internal.sql.Handle h,
                                                                        UsageGroup group, boolean byTenant, boolean byDay) {
        Dialect d = db.dialect();
        boolean day = group == UsageGroup.DAY;
        boolean pair = UsageSql.keys(group) == 2;
        String separator = group == UsageGroup.MODEL ? "/" : ":";
        return (rs, ctx) -> {
                    String noInstant = rs.getString("no_instant_row");
                    if (noInstant != null) {
                        // Its time unknown, the execution may belong in the report or not: the report fails naming it
                        // rather than give a total without it.
                        int tab = noInstant.indexOf('\t');
                        String rowTenant = noInstant.substring(0, tab);
                        String id = noInstant.substring(tab + 1);
                        UUID uuid = uuidOrNull(id);
                        Sql ofRow = sql.tenant() != null ? sql : new Sql(db, new TenantId(rowTenant));
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
                    // By day of a zone: the day's start with the zone's offset added, read as UTC's, is the zone's date.
                    LocalDate of = null;
                    if (byDay) {
                        Instant shifted = d.instant(rs, "kd", "executions", "created_at", rs.getString("row_id"));
                        of = shifted == null ? null : LocalDate.ofInstant(shifted, ZoneOffset.UTC);
                    }
                    return new Totals(of, key, parts, rs.getLong("executions"), rs.getLong("failures"), sums);
                };
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
    private record Totals(LocalDate day, String key, List<String> parts, long executions, long failures, BigInteger[] sums) {
        private static final BigInteger MAX_LONG = BigInteger.valueOf(Long.MAX_VALUE);
        private static final List<String> FIELDS = List.of("inputTokens", "outputTokens", "reasoningTokens", "cachedTokens", "cacheWriteTokens");

        /** The row; a token sum past what a {@code long} holds is refused rather than reported wrong. */
        UsageRow row(String field, UsageGroup group, Object from, Object to) {
            for (int i = 0; i < FIELDS.size(); i++) {
                if (sums[i].compareTo(MAX_LONG) > 0) {
                    throw new InvalidInputException(field, "the " + FIELDS.get(i) + " of group " + key + " in the report by " + group
                            + " from " + from + " to " + to + " sum to " + sums[i] + ", more than the " + Long.MAX_VALUE
                            + " a report row holds; report a shorter period");
                }
            }
            return new UsageRow(key, parts, executions, failures, sums[0].longValue(), sums[1].longValue(), sums[2].longValue(),
                    sums[3].longValue(), sums[4].longValue(), ModelPrice.fromPico(sums[5]));
        }

        /** This group's totals and {@code other}'s, of the same day and key (two offsets of one day). */
        Totals plus(Totals other) {
            BigInteger[] added = new BigInteger[sums.length];
            for (int i = 0; i < sums.length; i++) {
                added[i] = sums[i].add(other.sums[i]);
            }
            return new Totals(day, key, parts, executions + other.executions, failures + other.failures, added);
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
