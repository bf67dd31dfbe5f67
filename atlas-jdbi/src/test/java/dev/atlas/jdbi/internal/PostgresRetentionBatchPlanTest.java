package dev.atlas.jdbi.internal;

import dev.atlas.Atlas;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.retention.RetentionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL's plans of the query that chooses a conversation purge's next batch ({@link RetentionSql#purgeBatch}), EXPLAIN
 * ANALYZE on the statement as rendered, with the planner's own plan for the values and with the generic plan the JDBC driver's
 * server-side prepared statement gets after five runs. The data is skewed as a shared database is: one tenant holds most
 * rows. A batch must read about as many candidates as it asks for, not every purgeable conversation of the tenant: with
 * both rules set (archived and deleted), the two rules' partial indexes were OR-ed into one bitmap holding all of them,
 * 500,000 index entries read for each batch of 32 on a tenant with a million conversations (40 to 67 ms a batch, against
 * 0.3 ms for one rule), so a purge's cost grew with the square of its backlog.
 */
class PostgresRetentionBatchPlanTest {
    private static final int WANT = 32;
    private final PostgresTestDatabase database = new PostgresTestDatabase();
    private Atlas atlas;

    @BeforeEach
    void open() {
        atlas = database.open(b -> b);
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    @Test
    @DisplayName("with both purge rules a batch reads at most the candidates it asks for from each rule's index, and no"
            + " conversation by its activity, on a tenant holding most of the database's 22,000 conversations")
    void batchReadsWhatItAsksFor() throws SQLException {
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            // Half of each tenant's conversations archived 90 days ago, all idle for 100: "big" holds 20,000 of them.
            s.execute("INSERT INTO atlas_conversations (tenant_id, id, owner_type, owner_id, type, status, metadata, last_sequence,"
                    + " activity_at, archived_at, created_at, updated_at) SELECT CASE WHEN g <= 20000 THEN 'big' ELSE 'small' || (g % 10)"
                    + " END, gen_random_uuid(), 'user', 'u', 'user', CASE WHEN g % 2 = 0 THEN 'archived' ELSE 'open' END, '{}', 3,"
                    + " now() - interval '100 days', CASE WHEN g % 2 = 0 THEN now() - interval '90 days' END,"
                    + " now() - interval '100 days', now() - interval '100 days' FROM generate_series(1, 22000) g");
            s.execute("VACUUM ANALYZE atlas_conversations");
            RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(30)).hardDeleteAfter(Duration.ofDays(30));
            String text = RetentionSql.purgeBatch(policy).replace("<p>", "atlas_").replaceAll(":t\\b", "\\$1")
                    .replaceAll(":archivedCutoff\\b", "\\$2").replaceAll(":deletedCutoff\\b", "\\$3").replaceAll(":want\\b", "\\$4");
            s.execute("PREPARE batch (text, timestamptz, timestamptz, integer) AS " + text);
            String execute = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE batch ('big', now() - interval '30 days',"
                    + " now() - interval '30 days', " + WANT + ")";
            List<String> custom = lines(s, execute);
            s.execute("SET plan_cache_mode = force_generic_plan");
            List<String> generic = lines(s, execute);
            for (List<String> plan : List.of(custom, generic)) {
                String all = String.join("\n", plan);
                assertThat(plan).as(all).filteredOn(line -> line.contains("atlas_conversations_archived")).isNotEmpty()
                        .allSatisfy(line -> assertThat(actualRows(line)).as(line).isLessThanOrEqualTo(WANT));
                assertThat(plan).as(all).filteredOn(line -> line.contains("atlas_conversations_deleted"))
                        .allSatisfy(line -> assertThat(actualRows(line)).as(line).isLessThanOrEqualTo(WANT));
                assertThat(plan).as(all).noneMatch(line -> line.contains("atlas_conversations_activity"));
                assertThat(plan.get(0)).as(all).contains("rows=" + WANT + ".00");
            }
        }
    }

    private static final Pattern ACTUAL_ROWS = Pattern.compile("\\(actual rows=(\\d+)");

    private static long actualRows(String line) {
        Matcher m = ACTUAL_ROWS.matcher(line);
        assertThat(m.find()).as(line).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static List<String> lines(Statement s, String explain) throws SQLException {
        List<String> plan = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(explain)) {
            while (rs.next()) {
                plan.add(rs.getString(1));
            }
        }
        return plan;
    }
}
