package dev.atlas.jdbi.internal.sql;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Whether a statement carries the tenant: every reference to a tenant table is <em>bound</em>. This keeps one tenant's
 * call off another tenant's rows and lets Citus route a statement to one shard.
 *
 * <p>A reference is each table named after FROM, JOIN, INTO, UPDATE or USING, or as any item of a FROM list (after a function call, a
 * subquery or {@code LATERAL} too), schema-qualified or after {@code ONLY}, at any level: the main statement, a {@code WITH} query
 * (data-modifying ones included), a subquery anywhere (select list, FROM, WHERE, SET, RETURNING), each side of a UNION. It is bound by a
 * <em>tenant predicate</em>: a conjunct (a term of the top-level AND chain, parentheses around an AND chain flattened; a chain beside a
 * top-level OR is one term) of the WHERE of its own query level, or of an ON clause there, that is exactly {@code r.tenant_id = :t} (either
 * side; {@code tenant_id} unqualified when the level names one tenant table), or {@code r.tenant_id = o.tenant_id} with {@code o} bound (at
 * this level or, for a correlated subquery, an enclosing one); a predicate binds no reference of an enclosing level. A LEFT JOIN's ON binds
 * only the table it joins; a RIGHT or FULL join's ON binds nothing. An INSERT's table is bound when the value it inserts as tenant_id is
 * {@code :t} (in every VALUES row) or, for INSERT ... SELECT, {@code :t} or the tenant_id of a bound reference in each select, and it
 * overwrites no row found by a key without tenant_id (an upsert whose DO UPDATE conflict target lacks tenant_id, SQLite's REPLACE).
 * Everything else is no predicate, because it filters no row to the tenant: a comparison inside an OR or NOT, {@code <>}, {@code !=},
 * {@code >=}, {@code IN (...)}, {@code x.tenant_id = x.tenant_id}, two tables tied to each other but not to {@code :t}, {@code SET
 * tenant_id = :t} (an assignment), a comparison in a select list, or one at another level than the reference's.
 *
 * <p>{@link #miss(String, String)} reads the driver's text, where any {@code ?} may be the tenant; a catalogue checks
 * the declared text ({@link #miss(String, String, String)}), where only {@code :t} is. Only what the database reads
 * counts: string literals and comments are blanked first (block comments nested, as PostgreSQL reads them) and a quoted
 * name is read as the name it quotes. Schema statements (CREATE/ALTER/DROP: the pgvector column and index made at run
 * time) and session statements (SET ...) are exempt, each on its own: a batch's other statements still count (a CREATE
 * is exempt to the end, for a trigger's body). Whatever shape the reader cannot place still counts as an unbound reference: it fails closed.
 */
public final class TenantPredicate {
    private TenantPredicate() {}

    private static final Pattern NAME = Pattern.compile("[a-z0-9_]+");
    /** The first words of a schema or session statement: exempt, each statement of a batch on its own. */
    private static final Set<String> SCHEMA = Set.of("create", "alter", "drop", "pragma", "analyze", "vacuum", "set", "show");

    /** Why {@code sql} (table prefix filled in, driver's {@code ?} parameters) misses the tenant, or null. */
    public static @Nullable String miss(String sql, String prefix) {
        return miss(sql, prefix, null);
    }

    /**
     * Why {@code sql} misses the tenant, or null when it carries it or touches no tenant table; {@code tenant} is the
     * parameter that is the tenant ({@code ":t"}), or null when any {@code ?} may be.
     */
    public static @Nullable String miss(String sql, String prefix, @Nullable String tenant) {
        String s = readable(sql);
        Reader r = new Reader(tokens(s), prefix, tenant == null ? "?" : tenant);
        r.statements();
        int references = r.references.size() + r.unplaced();
        if (references == 0) {
            return null;
        }
        int bound = r.bound();
        return bound >= references ? null : references + " tenant table reference(s), " + bound + " tenant predicate(s)";
    }

    /** Whether {@code sql} reads or writes any tenant table. */
    public static boolean touchesTenantTable(String sql, String prefix) {
        String s = readable(sql);
        Reader r = new Reader(tokens(s), prefix, "?"); // as miss() reads it: a schema statement is exempt (ALTER TABLE names its table)
        r.statements();
        return !r.references.isEmpty() || r.unplaced() > 0;
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

    private static boolean isTenantTable(String name, String prefix) {
        return name.startsWith(prefix) && TenantTables.TENANT.contains(name.substring(prefix.length()));
    }

    /** Names, parameters ({@code ?}, {@code :name}), literals ({@code ''}), punctuation and runs of operator characters. */
    static List<String> tokens(String readable) {
        List<String> out = new ArrayList<>();
        int n = readable.length();
        int i = 0;
        while (i < n) {
            char c = readable.charAt(i);
            if (c == ' ') {
                i++;
            } else if (isNamePart(c)) {
                int end = i;
                while (end < n && isNamePart(readable.charAt(end))) {
                    end++;
                }
                out.add(readable.substring(i, end));
                i = end;
            } else if (c == ':' && i + 1 < n && readable.charAt(i + 1) == ':') {
                out.add("::");
                i += 2;
            } else if (c == ':' && i + 1 < n && (Character.isLetter(readable.charAt(i + 1)) || readable.charAt(i + 1) == '_')) {
                int end = i + 1;
                while (end < n && isNamePart(readable.charAt(end))) {
                    end++;
                }
                out.add(readable.substring(i, end));
                i = end;
            } else if (c == '\'') {
                out.add("''");
                i += 2;
            } else if ("(),;.?".indexOf(c) >= 0) {
                out.add(String.valueOf(c));
                i++;
            } else {
                int end = i;
                while (end < n && "<>=!~+-*/%|&^@#:".indexOf(readable.charAt(end)) >= 0) {
                    end++;
                }
                end = Math.max(end, i + 1);
                out.add(readable.substring(i, end));
                i = end;
            }
        }
        return out;
    }

    private static boolean isNamePart(char c) {
        return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '$' || Character.isLetter(c);
    }

    /** A reference to a tenant table: the name it is known by at its level. */
    private record Ref(String alias, Level level) {}

    /** One query level (a SELECT core, an UPDATE, a DELETE, an INSERT's target): what it names, and its enclosing level. */
    private static final class Level {
        final @Nullable Level outer;
        /** Each item of the level by the name it is known by; a null value for one that is no tenant table (a CTE, a subquery). */
        final Map<String, @Nullable Ref> names = new java.util.HashMap<>();
        final List<Ref> refs = new ArrayList<>();

        Level(@Nullable Level outer) {
            this.outer = outer;
        }
    }

    /** Ties between tenant_id columns: {@code to} is bound once each of {@code from} is (at once when there is none). */
    private record Tie(List<Ref> from, Ref to) {}

    /** What ends a FROM list or a WHERE ("for" a select's FOR UPDATE / SHARE; a join's ON belongs to its FROM list). */
    private static final Set<String> CLAUSE_END = Set.of("where", "group", "having", "window", "order", "limit", "offset", "for",
            "returning", "union", "intersect", "except", "fetch");
    private static final Set<String> JOIN_WORDS = Set.of("join", "left", "right", "full", "inner", "cross", "natural", "outer");
    private static final Set<String> NOT_ALIAS = Set.of("where", "group", "having", "window", "order", "limit", "offset", "for",
            "returning", "union", "intersect", "except", "on", "using", "join", "left", "right", "full", "inner", "cross", "natural",
            "outer", "lateral", "set", "values", "select", "from", "default", "do", "fetch", "indexed", "not");

    /** Reads a token list into references and the ties that bind them. Anything it cannot place binds nothing. */
    private static final class Reader {
        final List<String> t;
        final String prefix;
        final String tenant;
        final List<Ref> references = new ArrayList<>();
        final List<Tie> ties = new ArrayList<>();
        /** The UPDATE targets whose SET moves the row to another tenant: never bound. */
        final Set<Ref> moved = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        /** The token index of each reference's table name. */
        final Set<Integer> placed = new java.util.HashSet<>();

        /**
         * The tenant tables named where a table is read (after FROM, JOIN, INTO, UPDATE, USING, TABLE, ONLY, or a FROM
         * list's comma) that the reader did not place: a shape it does not know. Each counts as an unbound reference.
         */
        int unplaced() {
            int n = 0;
            for (int k = 0; k < t.size(); k++) {
                if (placed.contains(k) || !isTenantTable(t.get(k), prefix) || k + 1 < t.size() && t.get(k + 1).equals(".")) {
                    continue;
                }
                int p = k - 1;
                if (p >= 1 && t.get(p).equals(".")) {
                    p -= 2; // a schema
                }
                if (p >= 0 && t.get(p).equals("only")) {
                    p--;
                }
                if (p >= 0 && (Set.of("from", "join", "into", "update", "using", "table").contains(t.get(p))
                        || t.get(p).equals(",") && inFromList(p))) {
                    n++;
                }
            }
            return n;
        }

        /** Whether the comma at {@code p} separates FROM (or USING) items: the clause it is in, at its depth, is FROM or USING. */
        private boolean inFromList(int p) {
            int d = 0;
            for (int k = p - 1; k >= 0; k--) {
                String w = t.get(k);
                if (w.equals(")")) {
                    d++;
                } else if (w.equals("(")) {
                    if (d == 0) {
                        return false;
                    }
                    d--;
                } else if (d == 0 && (w.equals("from") || w.equals("using"))) {
                    return k == 0 || !t.get(k - 1).equals("distinct");
                } else if (d == 0 && Set.of("select", "set", "where", "on", "values", "returning", "by", "having", "into").contains(w)) {
                    return false;
                }
            }
            return false;
        }

        Reader(List<String> tokens, String prefix, String tenant) {
            this.t = tokens;
            this.prefix = prefix;
            this.tenant = tenant;
        }

        int bound() {
            Map<Ref, Boolean> bound = new IdentityHashMap<>();
            boolean grew = true;
            while (grew) {
                grew = false;
                for (Tie tie : ties) {
                    if (!moved.contains(tie.to()) && bound.keySet().containsAll(tie.from()) && bound.put(tie.to(), Boolean.TRUE) == null) {
                        grew = true;
                    }
                }
            }
            return bound.size();
        }

        void statements() {
            int start = 0;
            for (int i = 0; i <= t.size(); i++) {
                if (i == t.size() || t.get(i).equals(";") && depthAt(start, i) == 0) {
                    if (i > start && SCHEMA.contains(t.get(start))) {
                        // Exempt, but only itself: the batch's other statements still count. A CREATE's body (a trigger's
                        // BEGIN ... END) may hold semicolons, so a CREATE is exempt to the end.
                        int end = t.get(start).equals("create") ? t.size() : i;
                        for (int k = start; k < end; k++) {
                            placed.add(k);
                        }
                        if (end == t.size()) {
                            return;
                        }
                    } else if (i > start) {
                        statement(start, i, null);
                    }
                    start = i + 1;
                }
            }
        }

        private int depthAt(int from, int to) {
            int d = 0;
            for (int i = from; i < to; i++) {
                d += t.get(i).equals("(") ? 1 : t.get(i).equals(")") ? -1 : 0;
            }
            return d;
        }

        /** The index after the parenthesis that closes the one at {@code open}, or {@code to} when it is not closed. */
        private int close(int open, int to) {
            int d = 0;
            for (int i = open; i < to; i++) {
                if (t.get(i).equals("(")) {
                    d++;
                } else if (t.get(i).equals(")") && --d == 0) {
                    return i + 1;
                }
            }
            return to;
        }

        private boolean is(int i, int to, String word) {
            return i < to && t.get(i).equals(word);
        }

        /** A statement or query of {@code [from, to)}: WITH, SELECT (compound), INSERT, UPDATE, DELETE, VALUES. */
        void statement(int from, int to, @Nullable Level outer) {
            int i = withQueries(from, to, outer);
            if (i < 0 || i >= to) {
                return;
            }
            switch (t.get(i)) {
                case "select", "values", "(" -> compound(i, to, outer);
                case "insert", "replace" -> insert(i, to, outer);
                case "update" -> update(i, to, outer);
                case "delete" -> delete(i, to, outer);
                default -> unknown(i, to, outer);
            }
        }

        /**
         * Reads the queries of a WITH at {@code from}, if there is one: where the statement they serve starts, or -1 when
         * a query cannot be placed (read as {@link #unknown} to the end).
         */
        private int withQueries(int from, int to, @Nullable Level outer) {
            int i = from;
            if (!is(i, to, "with")) {
                return i;
            }
            i++;
            if (is(i, to, "recursive")) {
                i++;
            }
            while (i < to) {
                i++; // the query's name
                if (is(i, to, "(")) {
                    i = close(i, to);
                }
                if (is(i, to, "as")) {
                    i++;
                }
                if (is(i, to, "not")) {
                    i++;
                }
                if (is(i, to, "materialized")) {
                    i++;
                }
                if (!is(i, to, "(")) {
                    unknown(i, to, outer);
                    return -1;
                }
                int end = close(i, to);
                statement(i + 1, end - 1, outer);
                i = end;
                if (!is(i, to, ",")) {
                    break;
                }
                i++;
            }
            return i;
        }

        /** The reference {@code alias} of {@code level} to the tenant table whose name is token {@code at}. */
        private Ref reference(String alias, Level level, int at) {
            Ref r = new Ref(alias, level);
            references.add(r);
            placed.add(at);
            level.refs.add(r);
            return r;
        }

        /** Text the reader cannot place: its subqueries are still read, and the tenant tables it names count unbound. */
        void unknown(int from, int to, @Nullable Level outer) {
            expression(from, to, outer == null ? new Level(null) : outer);
        }

        /** A SELECT, VALUES or parenthesised query, with UNION/INTERSECT/EXCEPT: the tenant_id each branch selects at {@code column}. */
        List<@Nullable Ref> compound(int from, int to, @Nullable Level outer) {
            return compound(from, to, outer, -1);
        }

        /**
         * Reads each branch; for an INSERT's source, the value each branch selects at {@code column}: null when it is
         * the tenant parameter, the reference whose tenant_id it is, or {@link #NONE}.
         */
        List<@Nullable Ref> compound(int from, int to, @Nullable Level outer, int column) {
            List<@Nullable Ref> values = new ArrayList<>();
            int start = from;
            int d = 0;
            for (int i = from; i <= to; i++) {
                if (i < to && t.get(i).equals("(")) {
                    d++;
                } else if (i < to && t.get(i).equals(")")) {
                    d--;
                } else if (i == to || d == 0 && (t.get(i).equals("union") || t.get(i).equals("intersect") || t.get(i).equals("except"))) {
                    int end = i;
                    if (start < end && t.get(start).equals("(") && close(start, end) == end) {
                        values.addAll(compound(start + 1, end - 1, outer, column));
                    } else if (start < end && t.get(start).equals("select")) {
                        values.add(select(start, end, outer, column));
                    } else if (start < end && t.get(start).equals("values")) {
                        values.addAll(valueRows(start + 1, end, outer, column));
                    } else if (start < end && t.get(start).equals("with")) {
                        statement(start, end, outer);
                        values.add(NONE);
                    } else {
                        unknown(start, end, outer);
                        values.add(NONE);
                    }
                    if (i < to && (is(i + 1, to, "all") || is(i + 1, to, "distinct"))) {
                        i++;
                    }
                    start = i + 1;
                }
            }
            return values;
        }

        /** The rows of a VALUES list: what each gives at {@code column}. */
        List<@Nullable Ref> valueRows(int from, int to, @Nullable Level outer, int column) {
            List<@Nullable Ref> values = new ArrayList<>();
            Level level = new Level(outer);
            int i = from;
            while (i < to) {
                if (!is(i, to, "(")) {
                    expression(i, to, level);
                    values.add(NONE);
                    return values;
                }
                int end = close(i, to);
                List<int[]> items = split(i + 1, end - 1, ",");
                values.add(column >= 0 && column < items.size() && isTenant(items.get(column)[0], items.get(column)[1]) ? null : NONE);
                expression(i + 1, end - 1, level);
                i = end;
                if (is(i, to, ",")) {
                    i++;
                } else if (i < to) {
                    expression(i, to, level);
                    break;
                }
            }
            return values;
        }

        private boolean isTenant(int from, int to) {
            return to == from + 1 && t.get(from).equals(tenant);
        }

        /** A SELECT core; for an INSERT's source, what it selects at {@code column}. */
        @Nullable Ref select(int from, int to, @Nullable Level outer, int column) {
            Level level = new Level(outer);
            int list = from + 1;
            int fromAt = find(list, to, Set.of("from"));
            int listEnd = fromAt >= 0 ? fromAt : clauseEnd(list, to);
            int next = listEnd;
            if (fromAt >= 0) {
                next = clauseEnd(fromAt + 1, to);
                fromList(fromAt + 1, next, level);
            }
            expression(list, listEnd, level);
            rest(next, to, level);
            if (column < 0) {
                return NONE;
            }
            List<int[]> items = split(list, listEnd, ",");
            if (column >= items.size()) {
                return NONE;
            }
            int a = items.get(column)[0];
            int b = items.get(column)[1];
            if (b - a >= 2 && t.get(b - 2).equals("as")) {
                b -= 2;
            }
            if (isTenant(a, b)) {
                return null;
            }
            Ref r = column(a, b, level);
            return r == null ? NONE : r;
        }

        /** The clauses after a FROM list (or a target): WHERE binds, the rest is read for subqueries. */
        void rest(int from, int to, Level level) {
            int i = from;
            while (i < to) {
                if (is(i, to, "where")) {
                    int end = clauseEnd(i + 1, to);
                    conjuncts(i + 1, end, level, null);
                    expression(i + 1, end, level);
                    i = end;
                } else {
                    int end = clauseEnd(i + 1, to);
                    expression(i, end, level);
                    i = end;
                }
            }
        }

        /** The first depth-0 token of {@code words} in {@code [from, to)}, or -1. */
        private int find(int from, int to, Set<String> words) {
            int d = 0;
            for (int i = from; i < to; i++) {
                String w = t.get(i);
                if (w.equals("(") || w.equals("case")) {
                    d++;
                } else if (w.equals(")") || w.equals("end") && d > 0) {
                    d--;
                } else if (d == 0 && words.contains(w) && !(w.equals("from") && i > from && t.get(i - 1).equals("distinct"))) {
                    return i; // IS DISTINCT FROM is no FROM clause
                }
            }
            return -1;
        }

        /** Where the clause starting at {@code from} ends: the next depth-0 clause keyword, ON excepted. */
        private int clauseEnd(int from, int to) {
            int d = 0;
            for (int i = from; i < to; i++) {
                String w = t.get(i);
                if (w.equals("(") || w.equals("case")) {
                    d++;
                } else if (w.equals(")") || w.equals("end") && d > 0) {
                    d--;
                } else if (d == 0 && CLAUSE_END.contains(w)) {
                    return i;
                }
            }
            return to;
        }

        /** {@code [from, to)} split at depth-0 {@code separator}: each part's bounds. */
        private List<int[]> split(int from, int to, String separator) {
            List<int[]> parts = new ArrayList<>();
            int d = 0;
            int start = from;
            for (int i = from; i < to; i++) {
                String w = t.get(i);
                if (w.equals("(") || w.equals("case")) {
                    d++;
                } else if (w.equals(")") || w.equals("end") && d > 0) {
                    d--;
                } else if (d == 0 && w.equals(separator)) {
                    parts.add(new int[] {start, i});
                    start = i + 1;
                }
            }
            parts.add(new int[] {start, to});
            return parts;
        }

        /**
         * A FROM (or USING) list: items separated by commas or joins. Each ON is read for tenant predicates: an inner
         * join's binds any table of the level, a LEFT join's only the table it joins, a RIGHT or FULL join's none.
         */
        void fromList(int from, int to, Level level) {
            int i = from;
            while (i < to) {
                String joinType = "inner";
                while (i < to && JOIN_WORDS.contains(t.get(i))) {
                    if (t.get(i).equals("left") || t.get(i).equals("right") || t.get(i).equals("full")) {
                        joinType = t.get(i);
                    }
                    i++;
                }
                if (is(i, to, ",")) {
                    i++;
                    continue;
                }
                int itemStart = i;
                @Nullable Ref item = null;
                if (is(i, to, "lateral")) {
                    i++;
                }
                if (is(i, to, "(")) {
                    int end = close(i, to);
                    String first = i + 1 < end ? t.get(i + 1) : "";
                    if (first.equals("select") || first.equals("with") || first.equals("values") || first.equals("(")) {
                        statement(i + 1, end - 1, level);
                    } else {
                        fromList(i + 1, end - 1, level); // a parenthesised join
                    }
                    i = alias(end, to);
                    if (lastAlias != null) {
                        level.names.put(lastAlias, null);
                    }
                } else if (i < to && isName(t.get(i))) {
                    if (is(i, to, "only")) {
                        i++;
                    }
                    while (is(i + 1, to, ".") && i + 2 < to) {
                        i += 2;
                    }
                    int nameAt = i;
                    String name = t.get(i);
                    i++;
                    if (is(i, to, "(")) { // a table function: its arguments are expressions
                        int end = close(i, to);
                        expression(i + 1, end - 1, level);
                        i = alias(end, to);
                        level.names.put(lastAlias != null ? lastAlias : name, null);
                    } else {
                        i = alias(i, to);
                        String known = lastAlias != null ? lastAlias : name;
                        if (isTenantTable(name, prefix)) {
                            item = reference(known, level, nameAt);
                        }
                        level.names.put(known, item);
                    }
                } else {
                    // Not a FROM item the reader knows: read what is left as an expression, fail closed.
                    expression(itemStart, to, level);
                    return;
                }
                if (is(i, to, "on")) {
                    int end = onEnd(i + 1, to);
                    conjuncts(i + 1, end, level, joinType.equals("inner") ? null : joinType.equals("left") && item != null ? item : NONE);
                    expression(i + 1, end, level);
                    i = end;
                } else if (is(i, to, "using")) {
                    i++;
                    if (is(i, to, "(")) {
                        i = close(i, to);
                    }
                }
            }
        }

        /** The alias the last {@link #alias} call read, or null when the item has none. */
        private @Nullable String lastAlias;

        /** Reads an optional alias (and its column list) after a FROM item. */
        private int alias(int i, int to) {
            if (is(i, to, "as")) {
                i++;
            }
            lastAlias = null;
            if (i < to && isName(t.get(i)) && !NOT_ALIAS.contains(t.get(i))) {
                lastAlias = t.get(i);
                i++;
                if (is(i, to, "(")) {
                    i = close(i, to);
                }
            }
            return i;
        }

        private int onEnd(int from, int to) {
            int d = 0;
            for (int i = from; i < to; i++) {
                String w = t.get(i);
                if (w.equals("(") || w.equals("case")) {
                    d++;
                } else if (w.equals(")") || w.equals("end") && d > 0) {
                    d--;
                } else if (d == 0 && (w.equals(",") || JOIN_WORDS.contains(w) && !is(i + 1, to, "("))) {
                    return i; // left(...) and right(...) are calls
                }
            }
            return to;
        }

        /**
         * The tenant predicates among the conjuncts of {@code [from, to)}: each exact {@code a.tenant_id = :t} or
         * {@code a.tenant_id = b.tenant_id}. {@code only} limits what they bind: null any table, {@link #NONE} nothing.
         */
        void conjuncts(int from, int to, Level level, @Nullable Ref only) {
            for (int[] c : and(from, to)) {
                int a = c[0];
                int b = c[1];
                int eq = -1;
                for (int i = a; i < b; i++) {
                    if (t.get(i).equals("=")) {
                        eq = i;
                        break;
                    }
                }
                if (eq < 0) {
                    continue;
                }
                boolean leftTenant = isTenant(a, eq);
                boolean rightTenant = isTenant(eq + 1, b);
                @Nullable Ref left = leftTenant ? null : column(a, eq, level);
                @Nullable Ref right = rightTenant ? null : column(eq + 1, b, level);
                if (left != null && rightTenant) {
                    bind(null, left, level, only);
                } else if (right != null && leftTenant) {
                    bind(null, right, level, only);
                } else if (left != null && right != null && left != right) {
                    bind(left, right, level, only);
                    bind(right, left, level, only);
                }
            }
        }

        /**
         * Binds {@code to} when it is a reference of this level: an enclosing level's row is not filtered by its subquery's
         * WHERE (under NOT EXISTS, OR EXISTS, in a select list or a LEFT JOIN LATERAL it is read whatever the subquery finds).
         */
        private void bind(@Nullable Ref from, Ref to, Level level, @Nullable Ref only) {
            if (to.level() == level && (only == null || only == to)) {
                ties.add(new Tie(from == null ? List.of() : List.of(from), to));
            }
        }

        /** The conjuncts of {@code [from, to)}: split at depth-0 AND (not BETWEEN's), parentheses around an AND chain flattened. */
        List<int[]> and(int from, int to) {
            List<int[]> out = new ArrayList<>();
            while (from < to && t.get(from).equals("(") && close(from, to) == to) {
                from++;
                to--;
            }
            if (find(from, to, Set.of("or")) >= 0) {
                // AND binds tighter than OR: a AND b OR c is (a AND b) OR c, one term that filters nothing.
                out.add(new int[] {from, to});
                return out;
            }
            int d = 0;
            int start = from;
            boolean between = false;
            for (int i = from; i < to; i++) {
                String w = t.get(i);
                if (w.equals("(") || w.equals("case")) {
                    d++;
                } else if (w.equals(")") || w.equals("end") && d > 0) {
                    d--;
                } else if (d == 0 && w.equals("between")) {
                    between = true;
                } else if (d == 0 && w.equals("and")) {
                    if (between) {
                        between = false;
                    } else {
                        addConjunct(out, start, i, to);
                        start = i + 1;
                    }
                }
            }
            addConjunct(out, start, to, to);
            return out;
        }

        private void addConjunct(List<int[]> out, int from, int to, int limit) {
            if (from < to && t.get(from).equals("(") && close(from, to) == to) {
                out.addAll(and(from, to));
            } else if (from < to) {
                out.add(new int[] {from, to});
            }
        }

        /** The tenant reference whose tenant_id {@code [from, to)} is exactly ({@code tenant_id} or {@code a.tenant_id}), or null. */
        @Nullable Ref column(int from, int to, Level level) {
            if (to == from + 1 && t.get(from).equals("tenant_id")) {
                return level.refs.size() == 1 ? level.refs.get(0) : null;
            }
            if (to == from + 3 && t.get(from + 1).equals(".") && t.get(from + 2).equals("tenant_id")) {
                String q = t.get(from);
                for (Level l = level; l != null; l = l.outer) {
                    if (l.names.containsKey(q)) {
                        return l.names.get(q);
                    }
                }
            }
            return null;
        }

        /** Reads {@code [from, to)} as an expression: each parenthesised query in it is a level of its own. */
        void expression(int from, int to, Level level) {
            for (int i = from; i < to; i++) {
                if (t.get(i).equals("(")) {
                    int end = close(i, to);
                    String first = i + 1 < end ? t.get(i + 1) : "";
                    if (Set.of("select", "with", "insert", "update", "delete", "values").contains(first)) {
                        statement(i + 1, end - 1, level);
                        i = end - 1;
                    }
                }
            }
        }

        /** INSERT [OR x] INTO t [AS a] [(columns)] VALUES ... | SELECT ... | DEFAULT VALUES [ON CONFLICT ...] [RETURNING ...]. */
        void insert(int from, int to, @Nullable Level outer) {
            int i = from + 1;
            if (is(i, to, "or")) {
                i += 2;
            }
            if (!is(i, to, "into")) {
                unknown(from, to, outer);
                return;
            }
            i++;
            while (is(i + 1, to, ".")) {
                i += 2;
            }
            if (i >= to) {
                return;
            }
            String name = t.get(i);
            Level level = new Level(outer);
            @Nullable Ref target = isTenantTable(name, prefix) ? new Ref(name, level) : null;
            if (target != null) {
                references.add(target);
                placed.add(i);
            }
            i++;
            if (is(i, to, "as")) {
                i += 2;
            }
            int column = -1;
            if (is(i, to, "(")) {
                int end = close(i, to);
                List<int[]> columns = split(i + 1, end - 1, ",");
                for (int k = 0; k < columns.size(); k++) {
                    int[] c = columns.get(k);
                    if (c[1] == c[0] + 1 && t.get(c[0]).equals("tenant_id")) {
                        column = k;
                    }
                }
                i = end;
            }
            // The source ends at ON CONFLICT or RETURNING: a select's other ON is a join's.
            int sourceEnd = to;
            int depth = 0;
            for (int k = i; k < to; k++) {
                String w = t.get(k);
                depth += w.equals("(") ? 1 : w.equals(")") ? -1 : 0;
                if (depth == 0 && (w.equals("on") && is(k + 1, to, "conflict") || w.equals("returning"))) {
                    sourceEnd = k;
                    break;
                }
            }
            List<@Nullable Ref> values = new ArrayList<>();
            if (is(i, to, "default")) {
                values.add(NONE);
            } else if (i < sourceEnd) {
                values = statementValues(i, sourceEnd, outer, column);
            }
            if (overwritesAnyTenant(from, sourceEnd, to)) {
                target = null;
            }
            if (target != null && column >= 0 && !values.isEmpty()) {
                for (@Nullable Ref v : values) {
                    if (v == NONE) {
                        target = null;
                        break;
                    }
                }
                if (target != null) {
                    List<Ref> sources = new ArrayList<>();
                    for (@Nullable Ref v : values) {
                        if (v != null) {
                            sources.add(v);
                        }
                    }
                    ties.add(new Tie(sources, target));
                }
            }
            if (sourceEnd < to) {
                expression(sourceEnd, to, level);
            }
        }

        /**
         * Whether the insert at {@code from} may write over a row it finds by a key without tenant_id: SQLite's REPLACE
         * (deletes the row holding any unique key) or an upsert whose conflict target does not name tenant_id.
         */
        private boolean overwritesAnyTenant(int from, int sourceEnd, int to) {
            if (t.get(from).equals("replace") || is(from + 1, to, "or") && is(from + 2, to, "replace")) {
                return true;
            }
            boolean tenantInTarget = false;
            for (int k = sourceEnd; k + 1 < to; k++) { // SQLite takes several ON CONFLICT clauses: each DO UPDATE by its own target
                if (t.get(k).equals("on") && t.get(k + 1).equals("conflict")) {
                    tenantInTarget = false;
                    if (is(k + 2, to, "(")) {
                        int end = close(k + 2, to);
                        for (int[] c : split(k + 3, end - 1, ",")) {
                            tenantInTarget |= c[1] == c[0] + 1 && t.get(c[0]).equals("tenant_id");
                        }
                        k = end - 1;
                    }
                } else if (t.get(k).equals("do") && t.get(k + 1).equals("update")
                        && (!tenantInTarget || is(k + 2, to, "set") && assignsAnotherTenant(k + 3, to))) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Whether the SET list from {@code from} assigns tenant_id anything but the tenant: the row would move to another
         * tenant ({@code SET tenant_id = :other}, a literal, or tenant_id in a {@code (a, b) = (...)} row assignment).
         */
        private boolean assignsAnotherTenant(int from, int to) {
            int end = find(from, to, Set.of("from", "where", "returning", "on"));
            for (int[] item : split(from, end < 0 ? to : end, ",")) {
                int eq = -1;
                for (int k = item[0]; k < item[1] && eq < 0; k++) {
                    eq = t.get(k).equals("=") ? k : -1;
                }
                if (eq < 0) {
                    continue;
                }
                if (t.get(item[0]).equals("(")) {
                    if (t.subList(item[0], eq).contains("tenant_id")) {
                        return true;
                    }
                } else if (t.get(eq - 1).equals("tenant_id") && !isTenant(eq + 1, item[1])) {
                    return true;
                }
            }
            return false;
        }

        private List<@Nullable Ref> statementValues(int from, int to, @Nullable Level outer, int column) {
            // WITH ... SELECT: the queries first, then the select's values.
            int i = withQueries(from, to, outer);
            return i < 0 ? List.of(NONE) : compound(i, to, outer, column);
        }

        /** UPDATE [OR x] [ONLY] t [[AS] a] SET ... [FROM ...] [WHERE ...] [RETURNING ...]. */
        void update(int from, int to, @Nullable Level outer) {
            int i = from + 1;
            if (is(i, to, "or")) {
                i += 2;
            }
            target(i, to, outer, Set.of("set"), "from");
        }

        /** DELETE FROM [ONLY] t [[AS] a] [USING ...] [WHERE ...] [RETURNING ...]. */
        void delete(int from, int to, @Nullable Level outer) {
            int i = from + 1;
            if (!is(i, to, "from")) {
                unknown(from, to, outer);
                return;
            }
            target(i + 1, to, outer, Set.of("using", "where", "returning"), "using");
        }

        /** An UPDATE's or DELETE's target, then its SET, its FROM or USING list, WHERE and RETURNING. */
        private void target(int i, int to, @Nullable Level outer, Set<String> after, String listWord) {
            Level level = new Level(outer);
            if (is(i, to, "only")) {
                i++;
            }
            while (is(i + 1, to, ".")) {
                i += 2;
            }
            if (i >= to) {
                return;
            }
            String name = t.get(i);
            int nameAt = i;
            @Nullable Ref target = null;
            i++;
            String alias = name;
            if (is(i, to, "as")) {
                i++;
            }
            if (i < to && isName(t.get(i)) && !after.contains(t.get(i)) && !NOT_ALIAS.contains(t.get(i))) {
                alias = t.get(i);
                i++;
            }
            if (isTenantTable(name, prefix)) {
                target = reference(alias, level, nameAt);
                level.names.put(alias, target);
            } else {
                level.names.put(alias, null);
            }
            int whereAt = find(i, to, Set.of("where"));
            int returningAt = find(i, to, Set.of("returning"));
            int listAt = find(i, whereAt >= 0 ? whereAt : returningAt >= 0 ? returningAt : to, Set.of(listWord));
            int end;
            if (listAt >= 0) {
                int listEnd = whereAt >= 0 ? whereAt : returningAt >= 0 ? returningAt : to;
                fromList(listAt + 1, listEnd, level);
                end = listAt;
            } else {
                end = whereAt >= 0 ? whereAt : returningAt >= 0 ? returningAt : to;
            }
            if (target != null && is(i, end, "set") && assignsAnotherTenant(i + 1, end)) {
                moved.add(target);
            }
            expression(i, end, level); // SET's subqueries
            if (whereAt >= 0) {
                int whereEnd = returningAt > whereAt ? returningAt : to;
                conjuncts(whereAt + 1, whereEnd, level, null);
                expression(whereAt + 1, whereEnd, level);
            }
            if (returningAt >= 0) {
                expression(returningAt + 1, to, level);
            }
        }

        private static boolean isName(String w) {
            return !w.isEmpty() && isNamePart(w.charAt(0)) && !w.equals("''");
        }
    }

    /** A value that is neither the tenant nor a reference's tenant_id: binds nothing. */
    private static final Ref NONE = new Ref("", new Level(null));
}
