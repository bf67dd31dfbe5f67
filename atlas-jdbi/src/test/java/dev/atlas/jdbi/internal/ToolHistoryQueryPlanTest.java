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
 * SQLite's plans of what {@code historyWithTools} reads for the executions its messages link to:
 * their steps and tool calls, limited to executions of the conversation or of none
 * ({@link ExecutionSql#OF_CONVERSATION}). With that limit as an IN over the tenant's executions,
 * SQLite built the list from every execution of the tenant on each call (historyWithTools ran 94x
 * history on the benchmark); each execution must be read by its key, once per row.
 */
class ToolHistoryQueryPlanTest {
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

    private List<String> plan(String table) throws SQLException {
        // As JdbiExecutionRecorder#steps assembles it: the page's executions as an IN list, then the conversation's limit.
        String text = ("SELECT * FROM <p>" + table + " WHERE tenant_id = :t AND execution_id IN (:e0, :e1) AND "
                + ExecutionSql.OF_CONVERSATION).replace("<p>", "atlas_").replaceAll(":[a-z0-9]+", "?");
        return database.plan(text);
    }

    @Test
    @DisplayName("historyWithTools reads the steps and tool calls of its executions by execution, and each execution by"
            + " (tenant, id), never the tenant's whole range of executions")
    void executionsOfTheConversationByKey() throws SQLException {
        for (String table : List.of("execution_steps", "execution_tool_calls")) {
            List<String> plan = plan(table);
            assertThat(plan).as(table + ": " + plan).filteredOn(d -> d.matches("(SEARCH|SCAN) (e|atlas_executions)( .*)?"))
                    .isNotEmpty().allSatisfy(d -> assertThat(d).startsWith("SEARCH ").endsWith("(tenant_id=? AND id=?)"));
            assertThat(plan).as(table + ": " + plan).anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_" + table + " ")
                    .contains("execution_id=?"));
            assertThat(plan).as(table + ": " + plan).noneSatisfy(d -> assertThat(d).startsWith("SCAN"));
        }
    }
}
