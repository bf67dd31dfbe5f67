package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The database's own row: the installation id (migration V5) that namespaces every tenant's blob keys. */
final class InstallationSql {
    final Statement id;

    InstallationSql(Catalogue c) {
        id = c.crossTenant("installation.id", "one row per database, shared by every tenant: the id that namespaces blob keys",
                "SELECT id FROM <p>installation");
    }
}
