package dev.atlas.jdbi.internal;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
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
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL's plans of the counts a conversation purge runs in every batch ({@code messages.detached},
 * {@code voice_calls.unlinked}), EXPLAIN ANALYZE on the statements as {@link RetentionSql} renders them. The walk up to a
 * purged ancestor (and down its tool threads) is worth running only for a conversation holding a row to count: run for
 * every message of the tenant, it made each batch of a purge of 240 conversations with tool threads take seconds
 * (RetentionContract#purgeRacingToolThreadAppends, 7.5 times purgeRacingAppends).
 */
class PostgresRetentionCountPlanTest {
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
    @DisplayName("a purge batch's detached-message and unlinked-call counts never walk the conversations when no row names a"
            + " purged execution (the walk runs per conversation holding such a row, not per row of the tenant)")
    void countsWalkOnlyForRowsTheyCount() throws SQLException {
        ConversationStore conversations = atlas.tenant("acme").conversations();
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Conversation c = conversations.create(NewConversation.of(Owner.user("alice")));
            conversations.append(c.id(), NewMessage.user("old " + i));
            Conversation tool = conversations.create(NewConversation.toolThread(Owner.user("alice"), "support", c.id(), null));
            conversations.append(tool.id(), NewMessage.tool("tool " + i));
            conversations.archive(c.id());
            if (i < 10) {
                ids.add(c.id());
                ids.add(tool.id());
            }
        }
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).hardDeleteAfter(Duration.ofDays(1));
        for (String count : List.of(RetentionSql.countDetached(policy), RetentionSql.countUnlinkedVoiceCalls(policy))) {
            List<String> plan = analyze(count, ids);
            assertThat(plan).as(String.join("\n", plan)).filteredOn(line -> line.contains(" on atlas_conversations"))
                    .isNotEmpty().allSatisfy(line -> assertThat(line).endsWith("(never executed)"));
        }
    }

    private List<String> analyze(String statement, List<UUID> ids) throws SQLException {
        String in = ids.stream().map(id -> "'" + id + "'::uuid").collect(Collectors.joining(", "));
        String text = statement.replace("<p>", "atlas_").replace("<ids>", in).replaceAll(":t\\b", "'acme'")
                .replaceAll(":(archivedCutoff|deletedCutoff)\\b", "'2026-03-01T00:00:00Z'::timestamptz");
        List<String> plan = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + text)) {
            while (rs.next()) {
                plan.add(rs.getString(1));
            }
        }
        return plan;
    }
}
