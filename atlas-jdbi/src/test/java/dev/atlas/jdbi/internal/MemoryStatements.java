package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The memory listing exactly as {@code MemoryStore.list} renders it, for the query plan tests outside this package. */
public final class MemoryStatements {
    private MemoryStatements() {}

    /** {@code memories.list} with {@code where} (each filter {@code " AND …"}, the cursor's {@code " AND id < :after"} last). */
    public static Statement list(Dialect dialect, String where) {
        return new MemorySql(new Catalogue(dialect, "atlas_")).list(where);
    }
}
