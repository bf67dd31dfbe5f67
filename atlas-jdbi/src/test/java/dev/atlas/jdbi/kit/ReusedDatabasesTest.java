package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kit hands an emptied database to the next test of the JVM (ReusedDatabases): what one test
 * set for its database and no row holds (ALTER DATABASE ... SET, as PgvectorSearchTest does for
 * hnsw.max_scan_tuples, enable_seqscan, enable_sort) must not reach the next test, whose plans and
 * index scans it would change.
 */
class ReusedDatabasesTest {

    @Test
    @DisplayName("a database setting one test made (ALTER DATABASE ... SET) is not in the database the next test opens, reused or new;"
            + " a database a test left as it found it is reused")
    void databaseSettingsDoNotReachTheNextTest() throws SQLException {
        PostgresTestDatabase database = new PostgresTestDatabase();
        // A test that leaves its database as it found it: the next open gets that database back, emptied.
        String clean = open(database);
        List<String> settings = settings(database.dataSource());
        database.cleanup();
        assertThat(open(database)).as("a database left as the template's is reused").isEqualTo(clean);
        assertThat(settings(database.dataSource())).isEqualTo(settings);
        // A test that changes only a database setting, nothing else: the digest of the schema must tell it apart.
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET enable_seqscan = off");
            s.execute("ALTER DATABASE " + c.getCatalog() + " SET hnsw.max_scan_tuples = 2000");
        }
        database.cleanup();
        open(database);
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT current_setting('enable_seqscan'), current_setting('hnsw.max_scan_tuples', true)")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("on");
            assertThat(rs.getString(2)).isNull();
        }
        assertThat(settings(database.dataSource())).isEqualTo(settings);
        database.cleanup();
    }

    private static String open(TestDatabase database) throws SQLException {
        try (Atlas ignored = database.open(); Connection c = database.dataSource().getConnection()) {
            return c.getCatalog();
        }
    }

    /** The database's own settings (pg_db_role_setting), as new sessions get them. */
    private static List<String> settings(DataSource source) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = source.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT unnest(setconfig) AS x FROM pg_db_role_setting"
                     + " WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY x")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
