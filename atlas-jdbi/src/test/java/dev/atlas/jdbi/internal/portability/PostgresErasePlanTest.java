package dev.atlas.jdbi.internal.portability;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.search.SearchTarget;
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
 * PostgreSQL's plan of the statement that chooses an erase's next batch of vectors ({@link Scope#condition} for
 * {@code vectors}, as {@code JdbiPortability} selects a batch), EXPLAIN ANALYZE on a tenant holding most of the database's
 * vectors. A conversation's or an owner's vectors are found through the vectors' indexes (by conversation, by target):
 * written as one {@code OR} of four {@code IN} lists, PostgreSQL read every vector of the tenant for each batch, 926 ms to
 * erase a conversation without vectors beside a million vectors of its tenant.
 */
class PostgresErasePlanTest {
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
    @DisplayName("an erase's batch of a conversation's or an owner's vectors reads them by index, not every vector of the tenant"
            + " (20,000 beside them)")
    void eraseReadsTheScopesVectorsByIndex() throws SQLException {
        Tenant big = atlas.tenant("big");
        Owner alice = Owner.user("alice");
        Conversation c = big.conversations().create(NewConversation.of(alice));
        Message m = big.conversations().append(c.id(), NewMessage.user("hello"));
        big.search().upsertVector(SearchTarget.MESSAGE, m.id(), "m", new float[] {1, 0});
        big.conversations().delete(c.id());
        try (Connection conn = database.dataSource().getConnection(); Statement s = conn.createStatement()) {
            s.execute("INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension, vector, conversation_id,"
                    + " created_at, updated_at) SELECT 'big', gen_random_uuid(), 'message', gen_random_uuid(), 'm', 1,"
                    + " '\\x00000000'::bytea, gen_random_uuid(), now(), now() FROM generate_series(1, 20000)");
            // Every table: a database the kit reuses keeps the statistics of the test before (20,000 messages, say).
            s.execute("VACUUM ANALYZE");
            for (Scope scope : List.of(Scope.conversation(c.id()).withUploads(List.of()).closed(),
                    Scope.owner(alice).withUploads(List.of()).closed())) {
                String text = ("SELECT x.id FROM <p>vectors x WHERE x.tenant_id = :t AND " + scope.condition("vectors", false) + " LIMIT 500")
                        .replace("<p>", "atlas_").replaceAll(":t\\b", "'big'").replaceAll(":cid\\b", "'" + c.id() + "'::uuid")
                        .replaceAll(":ot\\b", "'user'").replaceAll(":oi\\b", "'alice'");
                List<String> plan = lines(s, "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + text);
                String all = String.join("\n", plan);
                assertThat(plan.get(0)).as(all).contains("rows=1.00");
                assertThat(plan).as(all).filteredOn(line -> line.contains(" on atlas_vectors")).isNotEmpty()
                        .noneMatch(line -> line.contains("Seq Scan"));
                assertThat(plan).as(all).noneMatch(line -> line.matches(".*Rows Removed by Filter: \\d{4,}.*"));
            }
        }
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
