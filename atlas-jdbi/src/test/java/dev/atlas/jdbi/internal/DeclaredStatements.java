package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/**
 * A statement exactly as Atlas declares it, for the query plan tests outside this package: they
 * plan what runs, not a copy. Declares only the one aggregate's catalogue (declaring them all costs
 * half a second of parsing on a cold JVM).
 */
public final class DeclaredStatements {
    private DeclaredStatements() {}

    /** {@code AssetSql}'s statement {@code name} ({@code assets.…}) for {@code dialect}, tables prefixed {@code atlas_}. */
    public static Statement asset(Dialect dialect, String name) {
        Catalogue c = new Catalogue(dialect, "atlas_");
        new AssetSql(c);
        return c.statements().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("AssetSql declares no " + name));
    }
}
