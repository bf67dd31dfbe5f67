package dev.atlas.jdbi.internal.sql;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One SQL statement declared in a {@link Catalogue}: its name (for logs and counts), the JDBC text
 * with {@code ?} placeholders and the table prefix filled in, and the positions of each named
 * parameter, computed once so binding costs what plain JDBC costs.
 */
public final class Statement {
    private final String name;
    private final String declared;
    private final String jdbc;
    private final String named;
    private final Map<String, int[]> positions;
    private final int parameterCount;
    private final @Nullable String crossTenantReason;

    Statement(String name, String declared, String prefix, @Nullable String crossTenantReason) {
        this.name = name;
        this.declared = declared;
        this.crossTenantReason = crossTenantReason;
        Map<String, List<Integer>> found = new LinkedHashMap<>();
        StringBuilder named = new StringBuilder(declared.length());
        this.jdbc = parse(declared, prefix, found, named);
        this.named = named.toString();
        Map<String, int[]> map = new LinkedHashMap<>();
        int count = 0;
        for (Map.Entry<String, List<Integer>> e : found.entrySet()) {
            map.put(e.getKey(), e.getValue().stream().mapToInt(Integer::intValue).toArray());
            count += e.getValue().size();
        }
        this.positions = java.util.Collections.unmodifiableMap(map);
        this.parameterCount = count;
    }

    /**
     * {@code text} with each {@code :name} replaced by {@code ?} and {@code <p>} by the prefix, in the SQL and in quoted names;
     * string literals, comments and {@code ::} casts kept as written (a literal {@code '<p>'} is data, not a table name).
     */
    private static String parse(String text, String prefix, Map<String, List<Integer>> found, StringBuilder named) {
        StringBuilder out = new StringBuilder(text.length());
        int copied = 0;
        int position = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            char c = text.charAt(i);
            if (c == '\'' && i > 0 && (text.charAt(i - 1) == 'e' || text.charAt(i - 1) == 'E')
                    && (i < 2 || !isNamePart(text.charAt(i - 2)))) {
                // PostgreSQL reads a backslash in E'..' as an escape (E'\'' is one quote), SQLite reads E as a name: the
                // dialects would end the literal at different quotes and bind different parameters.
                throw new IllegalArgumentException("escape string (E'..') in: " + text);
            } else if (c == '\'' || c == '"') {
                int end = text.indexOf(c, i + 1);
                while (end >= 0 && end + 1 < n && text.charAt(end + 1) == c) {
                    end = text.indexOf(c, end + 2);
                }
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated quote in: " + text);
                }
                String quoted = text.substring(i, end + 1);
                out.append(c == '"' ? quoted.replace("<p>", prefix) : quoted);
                i = end + 1;
            } else if (c == '-' && i + 1 < n && text.charAt(i + 1) == '-') {
                int end = text.indexOf('\n', i);
                end = end < 0 ? n : end;
                out.append(text, i, end);
                i = end;
            } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '*') {
                int end = text.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated comment in: " + text);
                }
                if (text.indexOf("/*", i + 2) >= 0 && text.indexOf("/*", i + 2) < end) {
                    // PostgreSQL nests block comments, SQLite ends one at the first */: they would read different SQL.
                    throw new IllegalArgumentException("nested comment in: " + text);
                }
                out.append(text, i, end + 2);
                i = end + 2;
            } else if (c == ':' && i + 1 < n && text.charAt(i + 1) == ':') {
                out.append("::");
                i += 2;
            } else if (c == ':' && i + 1 < n && (Character.isLetter(text.charAt(i + 1)) || text.charAt(i + 1) == '_')) {
                int end = i + 1;
                while (end < n && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                    end++;
                }
                found.computeIfAbsent(text.substring(i + 1, end), k -> new ArrayList<>()).add(++position);
                // The named text: the driver's, with the parameter's name where the driver reads ?.
                named.append(out, copied, out.length()).append(text, i, end);
                out.append('?');
                copied = out.length();
                i = end;
            } else if (text.startsWith("<p>", i)) {
                out.append(prefix);
                i += 3;
            } else if (c == '$') {
                // PostgreSQL reads $$..$$ (or $tag$..$tag$) as a literal, where :name is no parameter; SQLite reads $name as one.
                throw new IllegalArgumentException("$ outside a literal (a dollar quote or $ parameter) in: " + text);
            } else if (c == '?') {
                // A literal ? would shift every position after it (and is PostgreSQL's jsonb key operator).
                throw new IllegalArgumentException("use named parameters, not ?, in: " + text);
            } else {
                out.append(c);
                i++;
            }
        }
        named.append(out, copied, out.length());
        return out.toString();
    }

    /** The name it was declared with, {@code aggregate.statement}. */
    public String name() {
        return name;
    }

    /** The text as declared, with {@code <p>} and named parameters. */
    public String declared() {
        return declared;
    }

    /** The text sent to the driver. */
    public String jdbc() {
        return jdbc;
    }

    /** The driver's text with each parameter's {@code :name} where the driver reads {@code ?}: what the tenant check reads. */
    String named() {
        return named;
    }

    /** The names of its parameters, in first-use order. */
    public java.util.Set<String> parameters() {
        return positions.keySet();
    }

    int[] positions(String parameter) {
        int[] p = positions.get(parameter);
        if (p == null) {
            throw new IllegalArgumentException(name + " has no parameter :" + parameter);
        }
        return p;
    }

    boolean has(String parameter) {
        return positions.containsKey(parameter);
    }

    int parameterCount() {
        return parameterCount;
    }

    /** Why this statement reads across tenants, or null for a tenant-bound one. */
    public @Nullable String crossTenantReason() {
        return crossTenantReason;
    }

    @Override
    public String toString() {
        return name;
    }

    private static boolean isNamePart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }
}
