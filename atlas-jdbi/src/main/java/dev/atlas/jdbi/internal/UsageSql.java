package dev.atlas.jdbi.internal;

import dev.atlas.execution.UsageGroup;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

import java.util.EnumMap;
import java.util.Map;

/**
 * The usage report's statements: one aggregate per grouping, of one tenant, and the same across
 * every tenant for the operator's report ({@code Atlas.usageReport}), declared cross-tenant.
 */
final class UsageSql {
    /** The cost is summed as {@code cost_pico / COST_SPLIT} and {@code cost_pico % COST_SPLIT}: total = high × split + low. */
    static final long COST_SPLIT = 1_000_000_000L;
    /** The summed columns, each read as {@code <column>_high} and {@code <column>_low}: total = high × split + low. */
    static final java.util.List<String> SUMMED = java.util.List.of("input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens",
            "cache_write_tokens", "cost_pico");

    private final Map<UsageGroup, Statement> tenant = new EnumMap<>(UsageGroup.class);
    private final Map<UsageGroup, Statement> all = new EnumMap<>(UsageGroup.class);
    /** A tenant's report by day of a zone ({@code kd}, the day's start with the zone's offset {@code :shift} added) and a grouping. */
    private final Map<UsageGroup, Statement> daily = new EnumMap<>(UsageGroup.class);
    /** The created_at of the execution {@code :id} when it holds no instant: read again for the row a report names. */
    final Statement noInstantAt;

    UsageSql(Catalogue c) {
        for (UsageGroup g : UsageGroup.values()) {
            tenant.put(g, c.sql("usage." + g, text(c, g, "e.tenant_id = :t AND ", false, false)));
            if (g != UsageGroup.DAY) {
                daily.put(g, c.sql("usage.daily." + g, text(c, g, "e.tenant_id = :t AND ", false, true)));
            }
            all.put(g, c.crossTenant("usage.allTenants." + g, "the operator's usage report over every tenant", text(c, g, "",
                    perTenant(g), false)));
        }
        noInstantAt = c.sql("usage.noInstantAt", "SELECT e.created_at AS no_instant_at FROM <p>executions e WHERE e.tenant_id = :t AND e.id = :id AND "
                + c.dialect().noInstant("e.created_at"));
    }

    Statement of(UsageGroup group, boolean allTenants) {
        return (allTenants ? all : tenant).get(group);
    }

    /** A tenant's report by day (of the offset bound as {@code :shift}, in seconds) and {@code group}, not DAY. */
    Statement daily(UsageGroup group) {
        return daily.get(group);
    }

    /**
     * Whether the operator's report by {@code group} groups each tenant apart, its tenant read as
     * {@code k0}: agents, conversations, owners and projects are a tenant's own, so two tenants'
     * groups of one name (user {@code alice} of two customers, one conversation id imported into
     * two tenants) are different people and are never added together. Days, providers and models
     * are the same across tenants.
     */
    static boolean perTenant(UsageGroup group) {
        return group == UsageGroup.AGENT || group == UsageGroup.CONVERSATION || group == UsageGroup.OWNER || group == UsageGroup.PROJECT;
    }

    /** Keys of two columns are read as {@code k1} and {@code k2}. */
    static int keys(UsageGroup group) {
        return group == UsageGroup.MODEL || group == UsageGroup.OWNER ? 2 : 1;
    }

    private static String text(Catalogue c, UsageGroup group, String tenantFilter, boolean byTenant, boolean byDay) {
        String keys = switch (group) {
            // row_id: an execution of the group, to name in an UnreadableRowException when the day cannot be read.
            case DAY -> c.dialect().dayStart("e.created_at") + " AS k1, MIN(CAST(e.id AS TEXT)) AS row_id";
            case PROVIDER -> "e.provider AS k1";
            case MODEL -> "e.provider AS k1, e.model AS k2";
            case AGENT -> "e.agent AS k1";
            case CONVERSATION -> "e.conversation_id AS k1";
            // The execution's own owner first (a call without a conversation), else its conversation's.
            case OWNER -> "COALESCE(e.owner_type, c.owner_type) AS k1, CASE WHEN e.owner_type IS NULL THEN c.owner_id ELSE e.owner_id END AS k2";
            case TENANT -> "e.tenant_id AS k1";
            case PROJECT -> "e.project AS k1";
        };
        if (byTenant) {
            keys = "e.tenant_id AS k0, " + keys;
        }
        if (byDay) {
            // row_id as DAY's: an execution of the group, to name when the day cannot be read.
            keys = c.dialect().dayStart(c.dialect().plusSeconds("e.created_at", "shift")) + " AS kd, MIN(CAST(e.id AS TEXT)) AS row_id, " + keys;
        }
        int keyColumns = keys(group) + (byTenant ? 1 : 0) + (byDay ? 1 : 0);
        String join = group == UsageGroup.OWNER
                ? " LEFT JOIN <p>conversations c ON c.tenant_id = e.tenant_id AND c.id = e.conversation_id" : "";
        StringBuilder sums = new StringBuilder();
        // SQLite's SUM fails on a total past 2^63 (a few costs of millions reach it; token counts
        // after millions of executions), so each sum is taken in two parts that cannot overflow,
        // and joined exactly in Java (COST_SPLIT).
        for (String column : SUMMED) {
            sums.append(", SUM(e.").append(column).append(" / ").append(COST_SPLIT).append(") AS ").append(column).append("_high, SUM(e.")
                    .append(column).append(" % ").append(COST_SPLIT).append(") AS ").append(column).append("_low");
        }
        // An execution whose created_at holds no instant (SQLite: text or a blob) lies in no range, so the report left it out
        // silently; it is read too, its group naming it in no_instant_row (its tenant, a tab, its id) and the report fails.
        // Its value is read again by that tenant and id (noInstantAt): a MIN of the values beside the MIN of the rows could
        // be another row's (text sorts before a blob), naming one row with the other's type.
        String noInstant = c.dialect().noInstant("e.created_at");
        // :last is the last microsecond included: the report's to is exclusive, but Limits.MAX_INSTANT includes itself.
        String from;
        if (tenantFilter.isEmpty() || c.dialect() == Dialect.POSTGRESQL) {
            // Every tenant's report reads the whole table (no index leads with created_at); PostgreSQL folds the FALSE away.
            from = " FROM <p>executions e" + join + " WHERE " + tenantFilter + "(e.created_at >= :from AND e.created_at <= :last OR "
                    + noInstant + ")";
        } else {
            // A tenant's period and its executions of no instant (after every number) are two ranges of SQLite's
            // (tenant_id, created_at) index, read as two branches: OR'ed in one WHERE, SQLite chose the grouping's own index
            // by tenant alone (provider/model, agent, conversation...) and read every execution of the tenant (bench42: 161 ms
            // for a one-minute report at 100k executions).
            String columns = "tenant_id, id, created_at, status, provider, model, agent, conversation_id, owner_type, owner_id, project, "
                    + String.join(", ", SUMMED);
            from = " FROM (SELECT " + columns + " FROM <p>executions WHERE tenant_id = :t AND created_at >= :from AND created_at <= :last"
                    + " UNION ALL SELECT " + columns + " FROM <p>executions WHERE tenant_id = :t AND " + c.dialect().noInstant("created_at")
                    // The conversation joined by the tenant itself: its tie to a subquery's tenant_id would bind no tenant.
                    + ") e" + join.replace("c.tenant_id = e.tenant_id", "c.tenant_id = :t");
        }
        return "SELECT " + keys + ", COUNT(*) AS executions, SUM(CASE WHEN e.status = 'failed' THEN 1 ELSE 0 END) AS failures"
                + sums
                // Tenant ids hold no control character: the tab parts the tenant from the id whatever the id holds.
                + ", MIN(CASE WHEN " + noInstant + " THEN e.tenant_id || '\t' || CAST(e.id AS TEXT) END) AS no_instant_row"
                + from
                + " GROUP BY " + groupBy(keyColumns, byDay)
                // One row more than allowed tells a report that is too large from one that fits.
                + " LIMIT :limit";
    }

    /** The positions of the key columns: the first {@code keys} of the select list, past the day's {@code row_id} (the 2nd) when by day. */
    private static String groupBy(int keys, boolean byDay) {
        StringBuilder b = new StringBuilder("1");
        for (int i = 2; i <= keys; i++) {
            b.append(", ").append(byDay ? i + 1 : i);
        }
        return b.toString();
    }
}
