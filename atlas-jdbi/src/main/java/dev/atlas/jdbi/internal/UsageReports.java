package dev.atlas.jdbi.internal;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.internal.Check;

import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/** Usage reports: totals of executions grouped one way, computed by the database in one statement. */
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
        String keys = switch (group) {
            case DAY -> db.dialect().dayStart("e.created_at") + " AS k1";
            case PROVIDER -> "e.provider AS k1";
            case MODEL -> "e.provider AS k1, e.model AS k2";
            case AGENT -> "e.agent AS k1";
            case CONVERSATION -> "e.conversation_id AS k1";
            case OWNER -> "c.owner_type AS k1, c.owner_id AS k2";
            case TENANT -> "e.tenant_id AS k1";
        };
        int keyCount = group == UsageGroup.MODEL || group == UsageGroup.OWNER ? 2 : 1;
        String join = group == UsageGroup.OWNER
                ? " LEFT JOIN <p>conversations c ON c.tenant_id = e.tenant_id AND c.id = e.conversation_id" : "";
        String groupBy = keyCount == 1 ? "1" : "1, 2";
        String sql = "SELECT " + keys + ", COUNT(*) AS executions, SUM(CASE WHEN e.status = 'failed' THEN 1 ELSE 0 END) AS failures,"
                + " COALESCE(SUM(e.input_tokens), 0) AS input_tokens, COALESCE(SUM(e.output_tokens), 0) AS output_tokens,"
                + " COALESCE(SUM(e.reasoning_tokens), 0) AS reasoning_tokens, COALESCE(SUM(e.cached_tokens), 0) AS cached_tokens,"
                + " COALESCE(SUM(e.cache_write_tokens), 0) AS cache_write_tokens, SUM(e.cost_pico) AS cost_pico"
                + " FROM <p>executions e" + join
                + " WHERE " + (tenant == null ? "" : "e.tenant_id = :t AND ") + "e.created_at >= :from AND e.created_at < :to GROUP BY " + groupBy
                // One row more than allowed tells a report that is too large from one that fits.
                + " LIMIT " + (maxRows + 1);
        boolean day = group == UsageGroup.DAY;
        boolean pair = keyCount == 2;
        String separator = group == UsageGroup.MODEL ? "/" : ":";
        List<UsageRow> rows = new ArrayList<>(db.read(h -> {
            var query = h.createQuery(sql).bind("from", from).bind("to", to);
            if (tenant != null) {
                query.bind("t", tenant);
            }
            return query.map((rs, ctx) -> {
                String key;
                if (day) {
                    Instant start = db.dialect().instant(rs, "k1");
                    key = start == null ? null : LocalDate.ofInstant(start, ZoneOffset.UTC).toString();
                } else if (pair) {
                    String a = rs.getString("k1");
                    key = a == null ? null : a + separator + rs.getString("k2");
                } else {
                    key = rs.getString("k1");
                }
                String cost = rs.getString("cost_pico");
                return new UsageRow(key, rs.getLong("executions"), rs.getLong("failures"), rs.getLong("input_tokens"),
                        rs.getLong("output_tokens"), rs.getLong("reasoning_tokens"), rs.getLong("cached_tokens"),
                        rs.getLong("cache_write_tokens"),
                        ModelPrice.fromPico(cost == null ? BigInteger.ZERO : new java.math.BigDecimal(cost).toBigIntegerExact()));
            }).list();
        }));
        if (rows.size() > maxRows) {
            throw new InvalidInputException("to", "the report by " + group + " from " + from + " to " + to + " has more than "
                    + maxRows + " rows; report a shorter period");
        }
        // Sorted here because the databases order NULLs and collate text differently.
        rows.sort(Comparator.comparing(UsageRow::group, Comparator.nullsLast(Comparator.naturalOrder())));
        return Collections.unmodifiableList(rows);
    }
}
