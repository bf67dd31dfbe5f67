package dev.atlas.jdbi.internal;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.retention.RetentionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQLite's plans of retention's tree walks, on the statements as {@link RetentionSql} renders them
 * (Atlas runs no ANALYZE, so these are the plans an application gets). Each step of a walk must
 * look its rows up by (tenant, parent) or (tenant, id): with a plain JOIN SQLite put the table in
 * the outer loop and read the tenant's whole range of an index at every step, so purging a
 * tenant's archived conversations, or hard-deleting its long-deleted messages, cost a pass over
 * all of its conversations (or messages) per candidate.
 */
class RetentionQueryPlanTest {
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

    private List<String> plan(String statement) throws SQLException {
        String text = RetentionSql.withIds(statement, 2).replace("<p>", "atlas_");
        return database.plan(text);
    }

    /** The plan's lines that read table alias {@code alias}: each must be a search on both key columns {@code keys}. */
    private static void searchedBy(List<String> plan, String alias, String keys) {
        assertThat(plan).as(alias + " in " + plan).filteredOn(d -> d.matches("(SEARCH|SCAN) " + alias + " .*|SCAN " + alias))
                .isNotEmpty().allSatisfy(d -> assertThat(d).startsWith("SEARCH " + alias + " ").endsWith(keys));
    }

    @Test
    @DisplayName("hardDeleteAfter: long-deleted messages through their index, the replies below each by parent")
    void hardDeletableMessages() throws SQLException {
        List<String> plan = plan(RetentionSql.HARD_DELETABLE + RetentionSql.REPLIES_FIRST + " LIMIT :batch");
        assertThat(plan).anySatisfy(d -> assertThat(d).startsWith("SEARCH m USING INDEX atlas_messages_deleted"));
        searchedBy(plan, "r", "(tenant_id=? AND parent_id=?)");
        searchedBy(plan, "ch", "(tenant_id=? AND parent_id=?)");
    }

    @Test
    @DisplayName("the conversation purge's candidates come from each rule's index, walk their tool threads by parent (reading"
            + " each one's activity from the row the walk found, not again), and their sizes their executions by conversation and"
            + " the executions' rows by execution (a detached execution's too)")
    void purgeCandidates() throws SQLException {
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).hardDeleteAfter(Duration.ofDays(1));
        for (String statement : List.of(RetentionSql.purgeBatch(policy), RetentionSql.stillPurgeable(policy))) {
            List<String> plan = plan(statement);
            searchedBy(plan, "x", "(tenant_id=? AND parent_conversation_id=?)");
            assertThat(plan).as(plan.toString()).noneMatch(d -> d.matches("(SEARCH|SCAN) y\\b.*"));
        }
        List<String> batch = plan(RetentionSql.purgeBatch(policy));
        assertThat(batch).as(batch.toString()).filteredOn(d -> d.matches("(SEARCH|SCAN) a\\b.*")).hasSize(2)
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH a USING INDEX atlas_conversations_archived (tenant_id=? AND archived_at<?)"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH a USING INDEX atlas_conversations_deleted (tenant_id=? AND deleted_at>?"));
        // A candidate's size: its executions by conversation, their steps, tool calls and assets by execution.
        List<String> plan = plan(RetentionSql.purgeBatch(policy));
        searchedBy(plan, "e", "(tenant_id=? AND conversation_id=?)");
        searchedBy(plan, "r", "(tenant_id=? AND execution_id=?)");
        // A detached execution's size: its steps, tool calls and assets by execution.
        searchedBy(plan(RetentionSql.sizedExecutions(RetentionSql.detachedExecutions("cutoff"))), "r", "(tenant_id=? AND execution_id=?)");
    }

    @Test
    @DisplayName("a dry run's walks up to a purgeable ancestor read each conversation by id")
    void ancestors() throws SQLException {
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).hardDeleteAfter(Duration.ofDays(1)).dryRun(true);
        List<String> up = plan(RetentionSql.purgedWithAncestor(policy));
        searchedBy(up, "c", "(tenant_id=? AND id=?)");
        searchedBy(up, "x", "(tenant_id=? AND parent_conversation_id=?)");
        List<String> anc = plan("SELECT COUNT(*) FROM <p>messages WHERE tenant_id = :t AND "
                + RetentionSql.purgedConversation(policy, "<p>messages.conversation_id"));
        searchedBy(anc, "z", "(tenant_id=? AND id=?)");
        searchedBy(anc, "pa", "(tenant_id=? AND id=?)");
    }

    @Test
    @DisplayName("a purged tree's tool threads are found by parent")
    void descendants() throws SQLException {
        searchedBy(plan(RetentionSql.WITH_DESCENDANTS), "c", "(tenant_id=? AND parent_conversation_id=?)");
    }
}
