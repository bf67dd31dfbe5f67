package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import org.junit.jupiter.api.Assumptions;
import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A PostgreSQL server with the pgvector extension, given by the environment variable
 * {@code ATLAS_PGVECTOR_URL} (a JDBC URL with user and password parameters, on a database the
 * user may create databases from, e.g. {@code jdbc:postgresql://localhost:5432/postgres?user=postgres&password=pw}).
 * The embedded test server has no pgvector, so without the variable these tests are skipped.
 */
public final class PgvectorTestDatabase implements TestDatabase {
    public static final String ENV = "ATLAS_PGVECTOR_URL";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private String database;

    private static String adminUrl() {
        String url = System.getenv(ENV);
        Assumptions.assumeTrue(url != null && !url.isBlank(),
                ENV + " is not set: pgvector tests need a PostgreSQL server with the vector extension (the embedded server has none)");
        return url;
    }

    private static String urlFor(String adminUrl, String db) {
        int slash = adminUrl.indexOf('/', "jdbc:postgresql://".length());
        int query = adminUrl.indexOf('?');
        return adminUrl.substring(0, slash + 1) + db + (query < 0 ? "" : adminUrl.substring(query));
    }

    @Override
    public Atlas open(UnaryOperator<AtlasBuilder> customize) {
        empty();
        return customize.apply(Atlas.builder().jdbcUrl(urlFor(adminUrl(), database)).maxPoolSize(8)).build();
    }

    @Override
    public DataSource empty() {
        String admin = adminUrl();
        database = "atlas_pgv_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + database);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create a database on " + ENV, e);
        }
        String url = urlFor(admin, database);
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS vector");
        } catch (SQLException e) {
            throw new IllegalStateException("the server at " + ENV + " has no usable pgvector extension", e);
        }
        return dataSource();
    }

    @Override
    public DataSource dataSource() {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(urlFor(adminUrl(), database));
        return ds;
    }

    @Override
    public void cleanup() {
        if (database == null) {
            return;
        }
        try (Connection c = DriverManager.getConnection(adminUrl()); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String name() {
        return "PostgreSQL+pgvector";
    }
}
