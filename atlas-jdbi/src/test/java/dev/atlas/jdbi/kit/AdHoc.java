package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.Sql;

import java.sql.SQLException;

/**
 * A test's own SQL (counting rows, tampering with a row, installing a trigger) on the handle of a
 * {@code db.read} or {@code db.write}: run by the statement runner, so values bind as Atlas binds
 * them. Test-only; nothing here is declared in a catalogue.
 */
public final class AdHoc {
    private AdHoc() {}

    /** A call of {@code text} ({@code <p>} for the prefix, {@code :name} parameters) on {@code h}. */
    public static Sql.Call on(Db db, Handle h, String text) {
        return Sql.crossTenant(db).on(h, new Catalogue(db.dialect(), db.prefix()).crossTenant("test.adhoc", "a test's own statement", text));
    }

    /** Runs DDL as it is (no parameters; dollar-quoted bodies are left alone). */
    public static int execute(Handle h, String sql) {
        try (java.sql.Statement s = h.getConnection().createStatement()) {
            s.execute(sql);
            return s.getUpdateCount();
        } catch (SQLException e) {
            throw new dev.atlas.jdbi.internal.sql.SqlFailure("test DDL", e);
        }
    }

    /** Rows in {@code <p>table}, all tenants. */
    public static long count(Atlas atlas, String table) {
        Db db = ((JdbiAtlas) atlas).db();
        return db.read(h -> on(db, h, "SELECT COUNT(*) FROM <p>" + table).one(Sql.LONG));
    }
}
