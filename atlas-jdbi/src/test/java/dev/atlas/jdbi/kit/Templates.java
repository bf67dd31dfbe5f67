package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasConfig;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;
import java.util.function.Predicate;

/** When a test database may start as a copy of a migrated one, and what a copy must not share. */
final class Templates {
    private Templates() {}

    /**
     * A copy serves only a test that opens Atlas on the kit's own database with the default prefix
     * and migrations on; a test that checks migrations or prefixes gets an empty database.
     */
    static boolean wanted(AtlasBuilder builder, Predicate<AtlasConfig> onKitDatabase) {
        AtlasConfig config;
        try {
            config = builder.config();
        } catch (RuntimeException invalid) {
            return false; // build() reports it, on an empty database
        }
        return config.migrate() && config.tablePrefix().equals("atlas_") && onKitDatabase.test(config);
    }

    /** Each database has its own installation id (V5), as a freshly migrated one would. */
    static void newInstallationId(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            newInstallationId(c);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** As {@link #newInstallationId(DataSource)}, on a connection the caller holds (and commits). */
    static void newInstallationId(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE atlas_installation SET id = ?")) {
            ps.setString(1, UUID.randomUUID().toString().replace("-", ""));
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("the template has no installation row");
            }
        }
    }
}
