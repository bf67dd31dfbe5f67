package dev.atlas.jdbi.internal.sql;

import dev.atlas.jdbi.internal.Dialect;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where an aggregate declares its statements, once per database: the table prefix is filled in and
 * dialect fragments come from {@link #dialect()}. Declaring a statement on a tenant table that does
 * not bind {@code :t} in a tenant predicate fails here, at start-up, unless it is declared
 * {@link #crossTenant} with its reason.
 *
 * <p>Statements whose shape depends on the call (optional filters, IN lists of any length) are
 * {@link #render rendered}: the same check runs on each distinct text the first time it is seen,
 * and the parsed statement is kept for the next call.
 */
public final class Catalogue {
    /** Distinct rendered texts kept per catalogue; beyond it a rendering is parsed per call (still checked). */
    private static final int RENDERED_LIMIT = 512;

    /**
     * Texts (prefix, then the declared text) that passed {@link #check}, shared by every catalogue of the JVM: each
     * Atlas instance declares the same statements, and the check's lower-casing and regular expressions were a tenth
     * of the CPU of opening and using a short-lived instance. A failed check is never kept, so it fails every time.
     */
    private static final java.util.Set<String> PASSED = ConcurrentHashMap.newKeySet();
    /** Bounds {@link #PASSED}: the declared statements are a few hundred per prefix; renderings add to them. */
    private static final int PASSED_LIMIT = 8192;

    private final Dialect dialect;
    private final String prefix;
    private final List<Statement> declared = new ArrayList<>();
    private final ConcurrentHashMap<String, Statement> rendered = new ConcurrentHashMap<>();

    public Catalogue(Dialect dialect, String prefix) {
        this.dialect = dialect;
        this.prefix = prefix;
    }

    public Dialect dialect() {
        return dialect;
    }

    public String prefix() {
        return prefix;
    }

    /**
     * The prefixed name of {@code table} as a string literal, for the catalog look-ups that take a name as text
     * ({@code to_regclass}): {@code <p>} inside a literal is data and stays as written.
     */
    public String nameLiteral(String table) {
        return "'" + (prefix + table).replace("'", "''") + "'";
    }

    /** Declares a tenant-bound statement; {@code text} uses {@code <p>} for the prefix and {@code :t} for the tenant. */
    public synchronized Statement sql(String name, String text) {
        Statement s = check(new Statement(name, text, prefix, null));
        declared.add(s);
        return s;
    }

    /** Declares a statement that reads or writes across tenants on purpose; {@code reason} says why. */
    public synchronized Statement crossTenant(String name, String reason, String text) {
        if (reason.isBlank()) {
            throw new IllegalArgumentException(name + ": a cross-tenant statement needs its reason");
        }
        Statement s = new Statement(name, text, prefix, reason);
        declared.add(s);
        return s;
    }

    /** A tenant-bound statement whose text is assembled per call from declared fragments; checked the first time each text is seen. */
    public Statement render(String name, String text) {
        Statement s = rendered.get(text);
        if (s != null) {
            return s;
        }
        s = check(new Statement(name, text, prefix, null));
        if (rendered.size() < RENDERED_LIMIT) {
            rendered.putIfAbsent(text, s);
        }
        return s;
    }

    /** Everything declared so far (not the renderings), for the catalogue test. */
    public synchronized List<Statement> statements() {
        return List.copyOf(declared);
    }

    private Statement check(Statement s) {
        String key = prefix + '\n' + s.declared();
        if (PASSED.contains(key)) {
            return s;
        }
        // The driver's text with the parameters named: the prefix is filled in where the driver reads a name, not inside
        // a literal or a comment, and only :t is the tenant (tenant_id = :id binds another value).
        String filled = s.named();
        if (TenantPredicate.touchesTenantTable(filled, prefix)) {
            @Nullable String miss = TenantPredicate.miss(filled, prefix, ":t");
            if (miss != null) {
                throw new IllegalStateException(s.name() + " lacks the tenant predicate (" + miss + "): " + s.declared());
            }
            if (!s.has("t")) {
                throw new IllegalStateException(s.name() + " touches a tenant table but does not bind :t: " + s.declared());
            }
        }
        if (PASSED.size() < PASSED_LIMIT) {
            PASSED.add(key);
        }
        return s;
    }
}
