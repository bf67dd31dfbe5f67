package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQLite's planner must answer the hot paths from indexes: a full scan of messages would make
 * appends and history loads grow with the table.
 */
class SqliteQueryPlanTest {
    private final SqliteTestDatabase database = new SqliteTestDatabase();
    private Atlas atlas;

    @BeforeEach
    void open() {
        atlas = database.open();
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    private List<String> plan(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("EXPLAIN QUERY PLAN " + sql)) {
            while (rs.next()) {
                rows.add(rs.getString("detail"));
            }
        }
        return rows;
    }

    @Test
    @DisplayName("loading history searches the (tenant, conversation, sequence) index backwards")
    void historyUsesIndex() throws SQLException {
        List<String> plan = plan("SELECT * FROM atlas_messages WHERE tenant_id = 't' AND conversation_id = 'c' AND sequence < 9"
                + " AND is_active = TRUE AND deleted_at IS NULL AND status = 'delivered' ORDER BY sequence DESC LIMIT 50");
        assertThat(plan).anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_messages USING INDEX"));
        assertThat(plan).noneSatisfy(d -> assertThat(d).startsWith("SCAN atlas_messages"));
        assertThat(plan).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
    }

    @Test
    @DisplayName("an append touches the conversation by primary key and checks client ids by index")
    void appendUsesIndexes() throws SQLException {
        assertThat(plan("UPDATE atlas_conversations SET last_sequence = last_sequence + 1 WHERE tenant_id = 't' AND id = 'c'"
                + " AND deleted_at IS NULL AND status != 'closed' RETURNING last_sequence"))
                .anySatisfy(d -> assertThat(d).contains("USING INDEX sqlite_autoindex_atlas_conversations_1"));
        assertThat(plan("SELECT * FROM atlas_messages WHERE tenant_id = 't' AND conversation_id = 'c' AND client_message_id = 'x'"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_messages USING INDEX"));
        assertThat(plan("UPDATE atlas_messages SET is_active = FALSE WHERE tenant_id = 't' AND conversation_id = 'c'"
                + " AND parent_id = 'p' AND role = 'assistant' AND is_active = TRUE"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_messages USING INDEX"));
    }

    @Test
    @DisplayName("listing an owner's conversations walks the activity index without sorting")
    void listUsesIndex() throws SQLException {
        List<String> plan = plan("SELECT * FROM atlas_conversations WHERE tenant_id = 't' AND owner_type = 'user' AND owner_id = '1'"
                + " AND deleted_at IS NULL ORDER BY activity_at DESC, id DESC LIMIT 51");
        assertThat(plan).anySatisfy(d -> assertThat(d).contains("USING INDEX atlas_conversations_owner_activity"));
        assertThat(plan).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
    }

    @Test
    @DisplayName("the database runs in WAL mode with foreign keys on")
    void pragmas() throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
        }
    }
}
