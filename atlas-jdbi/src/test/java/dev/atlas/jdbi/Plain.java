package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.PgvectorTestDatabase;

import java.sql.Connection;
import java.sql.Statement;

/**
 * A database owned by a new role without superuser or pg_read_all_stats (the vector extension created in it by the
 * superuser, as a DBA would), with a superuser statement on it; dropped with the role on close.
 */
final class Plain implements AutoCloseable {
    final String admin0 = System.getenv(PgvectorTestDatabase.ENV);
    final String name = "atlas_pgv_plain_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
    final Statement admin;

    private Plain(String extensionSchema) throws java.sql.SQLException {
        try (Connection c = java.sql.DriverManager.getConnection(admin0); Statement s = c.createStatement()) {
            s.execute("CREATE ROLE " + name + " LOGIN PASSWORD 'pw'");
            s.execute("CREATE DATABASE " + name + " OWNER " + name);
        }
        admin = adminConnection().createStatement();
        if (extensionSchema.equals("public")) {
            admin.execute("CREATE EXTENSION vector");
        } else { // a schema of the superuser's, where the plain role has no USAGE
            admin.execute("CREATE SCHEMA " + extensionSchema);
            admin.execute("CREATE EXTENSION vector SCHEMA " + extensionSchema);
        }
    }

    static Plain create() throws java.sql.SQLException {
        return create("public");
    }

    /** With the extension in {@code extensionSchema}. */
    static Plain create(String extensionSchema) throws java.sql.SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv(PgvectorTestDatabase.ENV) != null, PgvectorTestDatabase.ENV + " is not set");
        return new Plain(extensionSchema);
    }

    String url(String user) {
        String base = admin0.substring(0, admin0.indexOf('/', "jdbc:postgresql://".length()) + 1) + name;
        String query = admin0.indexOf('?') < 0 ? "" : admin0.substring(admin0.indexOf('?'));
        return user == null ? base + query : base + "?user=" + user + "&password=pw";
    }

    Connection adminConnection() throws java.sql.SQLException {
        return java.sql.DriverManager.getConnection(url(null));
    }

    Atlas atlas() {
        return atlas(b -> b);
    }

    /** An instance of the plain role, its builder adjusted by {@code customize} (a clock, say). */
    Atlas atlas(java.util.function.UnaryOperator<dev.atlas.AtlasBuilder> customize) {
        return customize.apply(Atlas.builder().jdbcUrl(url(name))).build();
    }

    @Override
    public void close() throws java.sql.SQLException {
        admin.getConnection().close();
        try (Connection c = java.sql.DriverManager.getConnection(admin0); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            s.execute("DROP ROLE IF EXISTS " + name);
        }
    }
}
