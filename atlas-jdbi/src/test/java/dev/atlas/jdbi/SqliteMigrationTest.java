package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.MigrationContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.migrations.AtlasMigrations;
import org.flywaydb.core.Flyway;
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

class SqliteMigrationTest extends MigrationContract {
    SqliteMigrationTest() {
        super(new SqliteTestDatabase());
    }

    @Test
    @DisplayName("V19 counts the vectors stored before it, and its triggers follow every later insert, in-place update, key"
            + " change and delete made with plain SQL: the count stays exact and the version rises each time")
    void v19CountsVectorsAndFollowsEveryWrite() throws SQLException {
        DataSource ds = database.empty();
        Flyway.configure().configuration(AtlasMigrations.of(ds).flyway().getConfiguration()).target("18").load().migrate();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (int i = 0; i < 3; i++) {
                st.executeUpdate(vector("t1", "v" + i, "memory", "m" + i));
            }
            st.executeUpdate(vector("t2", "w0", "message", "x0"));
        }
        AtlasMigrations.of(ds).migrate();
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            assertThat(sets(st)).containsExactly("t1|e5|memory|3|1", "t2|e5|message|1|1");
            st.executeUpdate("UPDATE atlas_vectors SET vector = x'0000803f00000000' WHERE id = 'v0'");
            assertThat(sets(st)).containsExactly("t1|e5|memory|3|3", "t2|e5|message|1|1");
            st.executeUpdate("UPDATE atlas_vectors SET target_type = 'message' WHERE id = 'v1'");
            assertThat(sets(st)).containsExactly("t1|e5|memory|2|4", "t1|e5|message|1|1", "t2|e5|message|1|1");
            st.executeUpdate("DELETE FROM atlas_vectors WHERE tenant_id = 't1'");
            st.executeUpdate(vector("t1", "v9", "memory", "m9"));
            assertThat(sets(st)).containsExactly("t1|e5|memory|1|7", "t1|e5|message|0|2", "t2|e5|message|1|1");
        }
    }

    private static String vector(String tenant, String id, String type, String target) {
        return "INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension, vector, created_at, updated_at)"
                + " VALUES ('" + tenant + "', '" + id + "', '" + type + "', '" + target + "', 'e5', 2, x'000000000000803f', 0, 0)";
    }

    private static List<String> sets(Statement st) throws SQLException {
        List<String> out = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("SELECT tenant_id, model, target_type, vectors, version FROM atlas_vector_sets"
                + " ORDER BY tenant_id, model, target_type")) {
            while (rs.next()) {
                out.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getLong(4) + "|" + rs.getLong(5));
            }
        }
        return out;
    }
}
