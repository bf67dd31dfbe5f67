package dev.atlas.jdbi.internal.sql;

import org.jspecify.annotations.Nullable;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether a statement carries the tenant: for each reference to a tenant table (after FROM, JOIN,
 * INTO, UPDATE or USING, schema-qualified or after ONLY too) the statement has one tenant_id comparison ({@code tenant_id = :t},
 * {@code x.tenant_id = y.tenant_id}, {@code tenant_id IN (...)}) or, for each INSERT, tenant_id among
 * its inserted columns. This keeps one tenant's call off another tenant's rows and lets Citus route
 * a statement to one shard.
 *
 * <p>A count, not a parser: it cannot tell which reference a predicate belongs to, but a statement
 * joining two tenant tables with one tenant predicate (the usual slip) is caught, and so is each table
 * of a comma-separated FROM list. Only what the database reads counts: string literals and comments
 * are blanked first (block comments nested, as PostgreSQL reads them) and a quoted name is read as the
 * name it quotes, so {@code -- tenant_id = :t} or {@code "tenant_id = x"} is no predicate. {@code tenant_id <> :t}
 * (or {@code :t != tenant_id}, {@code :t >= tenant_id}) is none either: it reads every other
 * tenant's rows (the statements that do so on purpose are declared cross-tenant). Schema statements
 * (CREATE/ALTER/DROP: the pgvector column and index made at run time) are exempt.
 */
public final class TenantPredicate {
    private TenantPredicate() {}

    /** A table name, read past a schema ({@code public.x_messages}): the table is what the database reads. */
    private static final String TABLE_NAME = "(?:[a-z0-9_]+\\.)?([a-z0-9_]+)";
    /** PostgreSQL's {@code ONLY} (no inheritance children) still names the table after it. */
    private static final Pattern TABLE = Pattern.compile("\\b(?:from|join|into|update|using)\\s+(?:only\\s+)?" + TABLE_NAME);
    /** A FROM list's second and later tables: {@code FROM a x, b AS y, c}. */
    private static final Pattern FROM_LIST = Pattern.compile("\\bfrom\\s+(?:only\\s+)?[a-z0-9_.]+(?:\\s+(?:as\\s+)?[a-z0-9_]+)?"
            + "((?:\\s*,\\s*(?:only\\s+)?[a-z0-9_.]+(?:\\s+(?:as\\s+)?[a-z0-9_]+)?)+)");
    private static final Pattern LISTED = Pattern.compile(",\\s*(?:only\\s+)?" + TABLE_NAME);
    private static final Pattern LEFT = Pattern.compile("\\btenant_id\\s*(?:=|\\bin\\b)");
    /** {@code :t = tenant_id}; not {@code :t != tenant_id}, {@code >=} or {@code <=}, which read other tenants' rows. */
    private static final Pattern RIGHT = Pattern.compile("(?<![<>!])=\\s*(?:[a-z0-9_]+\\.)?tenant_id\\b");
    /**
     * {@code SET tenant_id = ?} (or {@code , tenant_id = …} in a SET or select list) assigns or projects the column: it
     * filters no row, so neither of its sides is a predicate.
     */
    private static final Pattern ASSIGNED = Pattern.compile("(\\bset\\s+|,\\s*)(?:[a-z0-9_]+\\.)?tenant_id\\s*=(?:\\s*(?:[a-z0-9_]+\\.)?tenant_id\\b)?");
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]+");
    private static final Pattern INSERT_COLUMNS = Pattern.compile("\\binsert\\s+(?:or\\s+\\w+\\s+)?into\\s+[a-z0-9_.]+\\s*\\(([^)]*)\\)");
    private static final Pattern SCHEMA = Pattern.compile("^\\s*(?:create|alter|drop|pragma|analyze|vacuum|set|show)\\b");

    /** Why {@code sql} (table prefix filled in) misses the tenant, or null when it carries it or touches no tenant table. */
    public static @Nullable String miss(String sql, String prefix) {
        String s = readable(sql);
        if (SCHEMA.matcher(s).find()) {
            return null;
        }
        int references = tenantTableReferences(s, prefix);
        if (references == 0) {
            return null;
        }
        // Each side counts: x.tenant_id = y.tenant_id ties two references to each other.
        String compared = ASSIGNED.matcher(s).replaceAll("$1assigned_ _");
        int predicates = count(LEFT, compared) + count(RIGHT, compared);
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
        return tenantTableReferences(readable(sql), prefix) > 0;
    }

    /**
     * {@code sql} lower-cased as the database reads it: each string literal is {@code ''}, each comment a space, each quoted
     * name the name it quotes (or {@code _} when that is no plain name), runs of white space one space.
     */
    static String readable(String sql) {
        String lower = sql.toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(lower.length());
        int n = lower.length();
        int i = 0;
        while (i < n) {
            char c = lower.charAt(i);
            if (c == '\'' || c == '"') {
                int end = lower.indexOf(c, i + 1);
                while (end >= 0 && end + 1 < n && lower.charAt(end + 1) == c) {
                    end = lower.indexOf(c, end + 2);
                }
                end = end < 0 ? n : end; // unterminated: the rest is quoted
                String inner = lower.substring(i + 1, end);
                out.append(c == '\'' ? "''" : NAME.matcher(inner).matches() ? inner : "_");
                i = end + 1;
            } else if (lower.startsWith("--", i)) {
                int end = lower.indexOf('\n', i);
                out.append(' ');
                i = end < 0 ? n : end;
            } else if (lower.startsWith("/*", i)) {
                // PostgreSQL nests block comments; reading them nested blanks more, never less, than SQLite reads.
                int depth = 0;
                do {
                    if (lower.startsWith("/*", i)) {
                        depth++;
                        i += 2;
                    } else if (lower.startsWith("*/", i)) {
                        depth--;
                        i += 2;
                    } else {
                        i++;
                    }
                } while (depth > 0 && i < n);
                out.append(' ');
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString().replaceAll("\\s+", " ");
    }

    private static int tenantTableReferences(String readable, String prefix) {
        int references = 0;
        Matcher t = TABLE.matcher(readable);
        while (t.find()) {
            references += tenantTable(t.group(1), prefix);
        }
        Matcher list = FROM_LIST.matcher(readable);
        while (list.find()) {
            Matcher listed = LISTED.matcher(list.group(1));
            while (listed.find()) {
                references += tenantTable(listed.group(1), prefix);
            }
        }
        return references;
    }

    private static int tenantTable(String name, String prefix) {
        return name.startsWith(prefix) && TenantTables.TENANT.contains(name.substring(prefix.length())) ? 1 : 0;
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
