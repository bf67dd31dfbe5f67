package dev.atlas.jdbi.internal.sql;

import org.jspecify.annotations.Nullable;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a statement carries the tenant: for each reference to a tenant table (after FROM, JOIN,
 * INTO or UPDATE) the statement has one tenant_id comparison ({@code tenant_id = :t},
 * {@code x.tenant_id = y.tenant_id}, {@code tenant_id IN (...)}) or, for each INSERT, tenant_id among
 * its inserted columns. This keeps one tenant's call off another tenant's rows and lets Citus route
 * a statement to one shard.
 *
 * <p>A count, not a parser: it cannot tell which reference a predicate belongs to, but a statement
 * joining two tenant tables with one tenant predicate (the usual slip) is caught. Schema statements
 * (CREATE/ALTER/DROP: the pgvector column and index made at run time) are exempt.
 */
public final class TenantPredicate {
    private TenantPredicate() {}

    private static final Pattern TABLE = Pattern.compile("\\b(?:from|join|into|update)\\s+([a-z0-9_]+)");
    private static final Pattern LEFT = Pattern.compile("\\btenant_id\\s*(?:=|<>|\\bin\\b)");
    private static final Pattern RIGHT = Pattern.compile("(?:=|<>)\\s*(?:[a-z0-9_]+\\.)?tenant_id\\b");
    private static final Pattern INSERT_COLUMNS = Pattern.compile("\\binsert\\s+(?:or\\s+\\w+\\s+)?into\\s+[a-z0-9_]+\\s*\\(([^)]*)\\)");
    private static final Pattern SCHEMA = Pattern.compile("^\\s*(?:create|alter|drop|pragma|analyze|vacuum|set|show)\\b");

    /** Why {@code sql} (table prefix filled in) misses the tenant, or null when it carries it or touches no tenant table. */
    public static @Nullable String miss(String sql, String prefix) {
        String s = sql.toLowerCase(Locale.ROOT).replaceAll("'(?:[^']|'')*'", "''").replaceAll("\\s+", " ");
        if (SCHEMA.matcher(s).find()) {
            return null;
        }
        int references = tenantTableReferences(s, prefix);
        if (references == 0) {
            return null;
        }
        // Each side counts: x.tenant_id = y.tenant_id ties two references to each other.
        int predicates = count(LEFT, s) + count(RIGHT, s);
        Matcher insert = INSERT_COLUMNS.matcher(s);
        while (insert.find()) {
            if (insert.group(1).matches(".*\\btenant_id\\b.*")) {
                predicates++;
            }
        }
        return predicates >= references ? null : references + " tenant table reference(s), " + predicates + " tenant predicate(s)";
    }

    /** Whether {@code sql} reads or writes any tenant table. */
    public static boolean touchesTenantTable(String sql, String prefix) {
        return tenantTableReferences(sql.toLowerCase(Locale.ROOT).replaceAll("\\s+", " "), prefix) > 0;
    }

    private static int tenantTableReferences(String lowerSql, String prefix) {
        int references = 0;
        Matcher t = TABLE.matcher(lowerSql);
        while (t.find()) {
            String name = t.group(1);
            if (name.startsWith(prefix) && TenantTables.TENANT.contains(name.substring(prefix.length()))) {
                references++;
            }
        }
        return references;
    }

    private static int count(Pattern pattern, String s) {
        int n = 0;
        Matcher m = pattern.matcher(s);
        while (m.find()) {
            n++;
        }
        return n;
    }
}
