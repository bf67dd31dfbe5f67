package dev.atlas.jdbi.internal;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQLite's plan of the parent lookup every answer's append runs ({@code messages.parent}): one
 * lookup by key. Walking the parent's whole path up through parents (to find a stale flag an older
 * version left) cost one lookup per level: an append at the end of a 10,000-message chain took
 * 46 ms, 53x a raw JDBC append (atlas-bench append-deep-chain); V36 put those flags right once.
 */
class ConversationQueryPlanTest {
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

    private List<String> plan(String jdbc) throws SQLException {
        return database.plan(jdbc);
    }

    @Test
    @DisplayName("an answer's append reads its parent by (tenant, id) and nothing above it: the cost does not grow with the depth"
            + " of the conversation")
    void appendReadsTheParentAlone() throws SQLException {
        List<String> plan = plan(DeclaredStatements.message(Dialect.SQLITE, "messages.parent").jdbc());
        // The message by key, and its conversation's EXISTS (not deleted) by key: no step, scan or sort besides.
        assertThat(plan).as(plan.toString()).hasSize(2).allSatisfy(d -> assertThat(d).startsWith("SEARCH ").endsWith("(tenant_id=? AND id=?)"));
        assertThat(plan.get(0)).startsWith("SEARCH atlas_messages USING ");
    }

    @Test
    @DisplayName("a restore reads the flag of the message it answers by (tenant, id) and nothing above it: the cost does not grow"
            + " with the depth of the conversation")
    void restoreReadsTheParentsFlagAlone() throws SQLException {
        List<String> plan = plan(DeclaredStatements.message(Dialect.SQLITE, "messages.shown").jdbc());
        assertThat(plan).as(plan.toString()).singleElement().satisfies(d -> assertThat(d).startsWith("SEARCH atlas_messages USING ")
                .endsWith("(tenant_id=? AND id=?)"));
    }

    @Test
    @DisplayName("a history page searches the (tenant, conversation, sequence) index backwards and checks the message at its"
            + " cursor by that key: no scan, no sort")
    void historyPageChecksItsCursorByKey() throws SQLException {
        List<String> plan = plan(DeclaredStatements.message(Dialect.SQLITE, "messages.history").jdbc());
        assertThat(plan).as(plan.toString()).noneSatisfy(d -> assertThat(d).startsWith("SCAN "))
                .noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH b USING ").endsWith("(tenant_id=? AND conversation_id=? AND sequence=?)"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_messages USING ").contains("sequence<?"));
    }
}
