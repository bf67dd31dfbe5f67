package dev.atlas.jdbi;

import dev.atlas.jdbi.internal.DeclaredStatements;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL's planner must page the listings keyed by text from an index in code point order:
 * they sort {@code COLLATE "C"} so both dialects agree, and an index in the database's collation
 * cannot serve that order, so every page would scan and sort the tenant's rows. Sequential scans
 * are switched off so the plan shows what the indexes can serve, whatever the table sizes.
 */
class PostgresQueryPlanTest {
    /**
     * A copy of the migrated template of its own, never a database another test used and emptied: that one keeps the
     * other test's table sizes and statistics, and on a table of a few rows the planner's pick among indexes of equal
     * cost then changed from run to run (a conversations listing sorted the tenant's rows from (tenant, agent, id)).
     */
    private static final String NAME = "atlas_plans_" + ProcessHandle.current().pid();
    private static DataSource dataSource;

    @BeforeAll
    static void migrate() {
        PostgresTestDatabase.createMigratedDatabase(NAME);
        dataSource = PostgresTestDatabase.server().getDatabase("postgres", NAME);
    }

    @AfterAll
    static void drop() throws SQLException {
        try (Connection c = PostgresTestDatabase.server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE " + NAME + " WITH (FORCE)");
            if (many != null) {
                s.execute("DROP DATABASE " + MANY + " WITH (FORCE)");
            }
        }
    }

    @Test
    @DisplayName("perf30: a claim's pick reads the due pending tasks from (tenant, status, run_after, id) in order and locks the first it"
            + " can, while no running task's lease ran out; only then the OR of both kinds, which sorts every due task (170 ms at 100k)")
    void claimReadsDueTasksInIndexOrder() throws SQLException {
        for (String kinds : new String[] {null, " AND kind IN (:kind0)"}) {
            String text = DeclaredStatements.taskPick(Dialect.POSTGRESQL, kinds).declared().replace("<p>", "atlas_").replace(":t ", "'t' ")
                    .replace(":now", "now()").replace(":kind0", "'k'");
            List<String> plan = plan(text);
            String shown = String.join("\n", plan);
            int due = plan.stream().filter(line -> line.contains("Index Scan using atlas_tasks_due ")).findFirst().map(plan::indexOf).orElse(-1);
            int sort = plan.stream().filter(line -> line.contains("Sort")).findFirst().map(plan::indexOf).orElse(plan.size());
            assertThat(due).as(shown).isNotNegative().isLessThan(sort);
        }
        // rf65: the check for expired leases looks at the kinds claimed only. A running task of another kind whose lease ran out
        // (its workers gone) or another tenant's must not put every claim of these kinds on the OR, which sorts every due task.
        String kinds = DeclaredStatements.taskPick(Dialect.POSTGRESQL, " AND kind IN (:kind0)").declared().replace("<p>", "atlas_")
                .replace(":t ", "'t' ").replace(":now", "now()").replace(":kind0", "'k'");
        // In the graph's database, never this class's own: rolled-back rows still grow the table's file, and a table of a few
        // pages changed the planner's pick of index for the task listings' keyset plans that ran after this test (CI failed so).
        try (Connection c = many().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            try {
                s.execute("SET LOCAL enable_seqscan = off");
                String expired = "INSERT INTO atlas_tasks (tenant_id, id, kind, payload, status, attempts, max_attempts, run_after, claim_id,"
                        + " lease_expires_at, created_at, updated_at) VALUES (%s, gen_random_uuid(), %s, '{}', 'running', 1, 3,"
                        + " now() - INTERVAL '1 hour', gen_random_uuid(), now() - INTERVAL '1 minute', now(), now())";
                s.execute(String.format(expired, "'t'", "'x'"));
                s.execute(String.format(expired, "'u'", "'k'"));
                List<String> plan = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + kinds)) {
                    while (rs.next()) {
                        plan.add(rs.getString(1));
                    }
                }
                String shown = String.join("\n", plan);
                assertThat(plan).as(shown).anySatisfy(line -> assertThat(line).contains("Index Scan using atlas_tasks_due ")
                        .doesNotContain("never executed"));
                // The OR arm's scan (its condition or filter names both kinds of due task) stays behind its one-time filter.
                List<String> orScans = new ArrayList<>();
                for (int i = 0; i + 1 < plan.size(); i++) {
                    if (plan.get(i).contains("Scan") && plan.subList(i + 1, Math.min(i + 3, plan.size())).stream()
                            .anyMatch(next -> next.contains("status = 'pending'") && next.contains("status = 'running'"))) {
                        orScans.add(plan.get(i));
                    }
                }
                assertThat(orScans).as(shown).isNotEmpty().allSatisfy(line -> assertThat(line).contains("never executed"));
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
    }

    private static List<String> plan(String sql) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET enable_seqscan = off");
            try (ResultSet rs = s.executeQuery("EXPLAIN " + sql)) {
                while (rs.next()) {
                    rows.add(rs.getString(1));
                }
            } finally {
                s.execute("RESET enable_seqscan");
            }
        }
        return rows;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            " ORDER BY created_at, id",
            " AND created_at >= '2026-03-01T10:15:30Z' AND (created_at > '2026-03-01T10:15:30Z' OR (created_at = '2026-03-01T10:15:30Z' AND id > '019ca8e5-5e64-73ab-8da0-9b09328874c9')) ORDER BY created_at, id",
            " AND created_at <= '2026-03-01T10:15:30Z' AND (created_at < '2026-03-01T10:15:30Z' OR (created_at = '2026-03-01T10:15:30Z' AND id < '019ca8e5-5e64-73ab-8da0-9b09328874c9'))"
                    + " ORDER BY created_at DESC, id DESC",
            " AND type IN ('edited', 'app.feedback') AND created_at >= '2026-03-01T10:15:30Z' AND created_at <= '2026-03-01T10:15:30Z' ORDER BY created_at DESC, id DESC"})
    @DisplayName("a conversation's event trail, either order, any filter, walks the (tenant, conversation, created_at) index,"
            + " sorting only the events of one time by id")
    void conversationEvents(String rest) throws SQLException {
        List<String> plan = plan("SELECT id, conversation_id, message_id, type, details, created_at FROM atlas_message_events"
                + " WHERE tenant_id = 't' AND conversation_id = '019ca8e5-5e64-73ab-8da0-9b09328874c9'" + rest + " LIMIT 51");
        assertThat(plan).anySatisfy(line -> assertThat(line).contains("Index Scan").contains("using atlas_message_events_conversation"));
        // An Incremental Sort on id over the index's time order; never a Sort of the conversation's events.
        assertThat(plan).noneSatisfy(line -> assertThat(line.trim()).matches("(->  )?Sort  \\(.*"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", " AND a.owner_type = 'user' AND a.owner_id = '1'", " AND a.is_public = TRUE"})
    @DisplayName("assistants page by slug in code point order from an index, without sorting")
    void assistants(String filter) throws SQLException {
        List<String> plan = plan("SELECT a.id FROM atlas_assistants a LEFT JOIN atlas_assistant_revisions cr"
                + " ON cr.tenant_id = a.tenant_id AND cr.id = a.current_revision_id WHERE a.tenant_id = 't' AND a.deleted_at IS NULL"
                + filter + " AND a.slug COLLATE \"C\" > 'm' ORDER BY a.slug COLLATE \"C\" LIMIT 51");
        assertThat(plan).anySatisfy(line -> assertThat(line).contains("Index Scan using atlas_assistants_"));
        assertThat(plan).noneSatisfy(line -> assertThat(line).contains("Sort"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", " AND s.owner_type = 'user' AND s.owner_id = '1'"})
    @DisplayName("settings page by slug in code point order from an index, without sorting")
    void settings(String filter) throws SQLException {
        List<String> plan = plan("SELECT s.id FROM atlas_settings s LEFT JOIN atlas_settings_revisions cr"
                + " ON cr.tenant_id = s.tenant_id AND cr.id = s.current_revision_id WHERE s.tenant_id = 't' AND s.deleted_at IS NULL"
                + filter + " AND s.slug COLLATE \"C\" > 'm' ORDER BY s.slug COLLATE \"C\" LIMIT 51");
        assertThat(plan).anySatisfy(line -> assertThat(line).contains("Index Scan using atlas_settings_"));
        assertThat(plan).noneSatisfy(line -> assertThat(line).contains("Sort"));
    }

    @ParameterizedTest(name = "after: {0}")
    @ValueSource(booleans = {false, true})
    @DisplayName("task schedules page by name in code point order from an index, without sorting")
    void schedules(boolean after) throws SQLException {
        List<String> plan = plan("SELECT id FROM atlas_task_schedules WHERE tenant_id = 't'"
                + (after ? " AND name COLLATE \"C\" > 'm'" : "") + " ORDER BY name COLLATE \"C\" LIMIT 51");
        assertThat(plan).anySatisfy(line -> assertThat(line).contains("Index Scan using atlas_task_schedules_name_c"));
        assertThat(plan).noneSatisfy(line -> assertThat(line).contains("Sort"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", " AND name = 'search'", " AND status = 'failed'", " AND name = 'search' AND status = 'failed'"})
    @DisplayName("tool calls page by id, newest first, from an index without sorting, whatever the filters (V27)")
    void toolCalls(String filter) throws SQLException {
        List<String> plan = plan("SELECT * FROM atlas_execution_tool_calls WHERE tenant_id = 't'" + filter
                + " AND id < '019ca8e5-5e64-73ab-8da0-9b09328874c9' ORDER BY id DESC LIMIT 51");
        assertThat(plan).anySatisfy(line -> assertThat(line).contains("Index Scan Backward using atlas_execution_tool_calls_"));
        assertThat(plan).noneSatisfy(line -> assertThat(line).contains("Sort"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"assets.forMessagePage", "assets.forMessageAfter", "assets.forMessage"})
    @DisplayName("a message's attachments (AssetStore.forMessage, a page or all) are read in attachment order from the V29 index,"
            + " without sorting them; a page after a cursor starts its index range at the cursor's time (review31)")
    void attachmentsOfAMessage(String name) throws SQLException {
        // The statement Atlas runs, its parameters written as values.
        String text = DeclaredStatements.asset(Dialect.POSTGRESQL, name).declared().replace("<p>", "atlas_")
                .replaceAll(":t\\b", "'t'").replace(":afterAt", "'2026-03-01T10:15:30Z'::timestamptz")
                .replace(":afterId", "'019ca8e5-5e64-73ab-8da0-9b09328874c9'::uuid").replace(":limit", "101").replaceAll(":m\\b", "'019ca8e5-5e64-73ab-8da0-9b09328874c8'::uuid");
        List<String> plan = plan(text);
        int scan = plan.stream().filter(line -> line.contains("Index Scan using atlas_message_assets_message_created")).findFirst()
                .map(plan::indexOf).orElse(-1);
        assertThat(scan).as(String.join("\n", plan)).isNotNegative();
        // The index condition on the next line bounds the range: the message, and after a cursor its time.
        assertThat(plan.get(scan + 1).trim()).as(String.join("\n", plan)).startsWith("Index Cond: ").contains("message_id = ")
                .satisfies(cond -> assertThat(cond.contains("created_at >= ")).isEqualTo(name.endsWith("After")));
        assertThat(plan).noneSatisfy(line -> assertThat(line).contains("Sort"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"assets.dottedKeys", "assets.keyHolders", "portability.dottedBlobKeyContent"})
    @DisplayName("alias33 (V33): the stored keys with a segment ending in . (which Windows opens without those dots), read by every"
            + " register, deletion of purged bytes and import, come from partial indexes holding only them, never from every tenant's"
            + " assets and pending purges")
    void dottedBlobKeysReadFromTheirIndexes(String name) throws SQLException {
        // The statement Atlas runs, its one parameter (import's tenant) written as a value.
        String text = (name.startsWith("assets.") ? DeclaredStatements.asset(Dialect.POSTGRESQL, name)
                : DeclaredStatements.portability(Dialect.POSTGRESQL, name)).declared().replace("<p>", "atlas_").replace(":tenant", "'t'")
                .replace(":lowerKey", "'scans/report'");
        List<String> plan = plan(text);
        String shown = String.join("\n", plan);
        // Each table from its own partial index (an index scan or a bitmap of it, whichever the planner guesses cheaper), no other;
        // register's keyHolders also looks the key up in each table's lower(blob_key) index.
        assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).contains("Seq Scan"))
                .filteredOn(line -> line.contains("Index Scan") || line.contains("Index Only Scan")).hasSize(name.equals("assets.keyHolders") ? 4 : 2)
                .anySatisfy(line -> assertThat(line).matches(".*Index (Only )?Scan (using|on) atlas_assets_dotted_blob_key( on atlas_assets)? .*"))
                .anySatisfy(line -> assertThat(line).matches(".*Index (Only )?Scan (using|on) atlas_blob_intents_dotted_blob_key( on atlas_blob_intents)? .*"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"assistant_revisions", "settings_revisions"})
    @DisplayName("port30 (V34): eraseOwner finds the revisions the owner authored of others' documents (its dry-run count and each"
            + " batch of its detach) from the (tenant, author_type, author_id, id) index, a batch in id order without sorting")
    void revisionsOfAnAuthorFromTheirIndex(String table) throws SQLException {
        for (String name : List.of("portability.countRevisionsAuthoredElsewhere.", "portability.revisionsAuthoredElsewhere.")) {
            // The statement Atlas runs, its parameters written as values.
            String text = DeclaredStatements.portability(Dialect.POSTGRESQL, name + table).declared().replace("<p>", "atlas_")
                    .replace(":t", "'t'").replace(":ot", "'user'").replace(":oi", "'alice'").replace(":limit", "2000");
            List<String> plan = plan(text);
            String shown = String.join("\n", plan);
            assertThat(plan).as(shown).anySatisfy(line -> assertThat(line).matches(".*Index (Only )?Scan using atlas_" + table
                    + "_author on atlas_" + table + " .*")).noneSatisfy(line -> assertThat(line).contains("Sort"))
                    .noneSatisfy(line -> assertThat(line).contains("Seq Scan on atlas_" + table));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", " AND owner_type = 'user' AND owner_id = '1'", " AND agent = 'support'"})
    @DisplayName("conversations page in creation order (oldest first by id) from an index without sorting, whatever the owner or"
            + " agent filter (V28)")
    void conversationsByCreation(String filter) throws SQLException {
        List<String> plan = plan("SELECT * FROM atlas_conversations WHERE tenant_id = 't'" + filter
                + " AND deleted_at IS NULL AND id > '019ca8e5-5e64-73ab-8da0-9b09328874c9' ORDER BY id LIMIT 51");
        assertThat(plan).anySatisfy(line -> assertThat(line).contains("Index Scan using atlas_conversations_"));
        assertThat(plan).noneSatisfy(line -> assertThat(line).contains("Sort"));
    }

    static Stream<Arguments> keysetPages() {
        Dialect d = Dialect.POSTGRESQL;
        String owner = " AND owner_type = :ownerType AND owner_id = :ownerId";
        return Stream.of(
                Arguments.of("conversations.list by owner", DeclaredStatements.conversationList(d, owner + " AND deleted_at IS NULL", true).declared(),
                        "atlas_conversations", "activity_at <= "),
                Arguments.of("conversations.list by agent", DeclaredStatements.conversationList(d, " AND agent = :agent AND deleted_at IS NULL", true)
                        .declared(), "atlas_conversations", "activity_at <= "),
                Arguments.of("conversations.list", DeclaredStatements.conversationList(d, " AND deleted_at IS NULL", true).declared(),
                        "atlas_conversations", "activity_at <= "),
                Arguments.of("messages.eventsAfter", DeclaredStatements.message(d, "messages.eventsAfter").declared(),
                        "atlas_message_events", "created_at >= "),
                Arguments.of("conversations.toolThreadsAfter", DeclaredStatements.conversation(d, "conversations.toolThreadsAfter").declared(),
                        "atlas_conversations", "created_at >= "),
                Arguments.of("tasks.list by status", DeclaredStatements.taskList(d, " AND status IN (:status0)", true).declared(),
                        "atlas_tasks", "created_at >= "),
                Arguments.of("tasks.list by owner", DeclaredStatements.taskList(d, owner, true).declared(), "atlas_tasks", "created_at >= "),
                Arguments.of("voice.list", DeclaredStatements.voiceCallList(d, "", true).declared(), "atlas_voice_calls", "started_at <= "),
                Arguments.of("voice.list by status", DeclaredStatements.voiceCallList(d, " AND status = :status", true).declared(),
                        "atlas_voice_calls", "started_at <= "),
                Arguments.of("voice.byConversationAfter", DeclaredStatements.voiceCall(d, "voice.byConversationAfter").declared(),
                        "atlas_voice_calls", "started_at >= "),
                // Executions and tool calls page by id alone (UUIDv7): the keyset is the range bound itself.
                Arguments.of("executions.list by owner", DeclaredStatements.executionList(d, owner, true).declared(), "atlas_executions", "id < "),
                Arguments.of("executions.list by conversation", DeclaredStatements.executionList(d, " AND conversation_id = :conversation", true)
                        .declared(), "atlas_executions", "id < "),
                Arguments.of("executions.listToolCalls by name", DeclaredStatements.toolCallList(d, " AND name = :name", true).declared(),
                        "atlas_execution_tool_calls", "id < "),
                Arguments.of("executions.listToolCalls", DeclaredStatements.toolCallList(d, "", true).declared(), "atlas_execution_tool_calls", "id < "),
                Arguments.of("task_schedules.dueAfter", DeclaredStatements.schedule(d, "task_schedules.dueAfter").declared(),
                        "atlas_task_schedules", "next_run_at >= "));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("keysetPages")
    @DisplayName("keyset24: a page after a cursor, as Atlas sends it, starts its index range at the cursor's key (Index Cond),"
            + " instead of reading every row of the pages before it again and filtering them")
    void keysetPageStartsItsIndexRange(String listing, String declared, String table, String bound) throws SQLException {
        // The statement's parameters written as literals: a time for the times, a uuid (which a text column takes too) else.
        Matcher m = Pattern.compile("(?<!:):([A-Za-z_][A-Za-z0-9_]*)").matcher(declared.replace("<p>", "atlas_"));
        StringBuilder text = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            m.appendReplacement(text, name.equals("limit") ? "51" : name.equals("afterAt") || name.equals("at") || name.equals("now")
                    ? "'2026-03-01T10:15:30Z'" : "'019ca8e5-5e64-73ab-8da0-9b09328874c9'");
        }
        List<String> plan = plan(m.appendTail(text).toString());
        String shown = String.join("\n", plan);
        // Which of the table's indexes the planner takes for empty tables is its guess (with statistics it takes the filter's
        // own); whichever it takes, the cursor's key must bound its range.
        int scan = plan.stream().filter(line -> line.contains("Index Scan") && line.contains(" on " + table + " ")).findFirst()
                .map(plan::indexOf).orElse(-1);
        assertThat(scan).as(shown).isNotNegative();
        assertThat(plan.get(scan + 1).trim()).as(shown).startsWith("Index Cond: ").contains(bound);
        assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line.trim()).matches("(->  )?Sort  \\(.*"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "UPDATE atlas_voice_calls SET execution_id = NULL WHERE tenant_id = 't' AND execution_id IN"
                    + " ('019ca8e5-5e64-73ab-8da0-9b09328874c9', '019ca8e5-5e64-73ab-8da0-9b09328874c8')",
            "SELECT 1 FROM ONLY atlas_voice_calls x WHERE tenant_id = 't' AND execution_id = '019ca8e5-5e64-73ab-8da0-9b09328874c9'"
                    + " FOR KEY SHARE OF x"})
    @DisplayName("V30: a purged execution's voice calls are found by (tenant, execution) from an index: retention's unlink of a batch"
            + " and the foreign key's check of each deleted execution (this query) never read every call of the tenant")
    void voiceCallsOfAnExecution(String sql) throws SQLException {
        List<String> plan = plan(sql);
        assertThat(plan).as(String.join("\n", plan)).anySatisfy(line -> assertThat(line.trim()).startsWith("Index Cond: ")
                .contains("execution_id = "));
    }

    private static DataSource voiceCalls;

    /**
     * Empty tables leave the choice among voice_calls' indexes to a tie (the tenant's (started_at, id) index wins it), so the filters
     * are planned with the statistics of 4,000 calls of one tenant by 8 agents and 9 owners, one in 5 active, all before the cursors' time,
     * in a database of their
     * own: ANALYZE's row counts are not rolled back with its rows, and they would change the other tests' plans of this table.
     */
    private static synchronized DataSource voiceCalls() throws SQLException {
        if (voiceCalls == null) {
            PostgresTestDatabase.createMigratedDatabase(NAME + "_voice");
            DataSource ds = PostgresTestDatabase.server().getDatabase("postgres", NAME + "_voice");
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO atlas_voice_calls (tenant_id, id, session_id, owner_type, owner_id, agent, provider, model, status, transcript,"
                        + " metadata, started_at, completed_at, created_at, updated_at) SELECT '019ca8e5-5e64-73ab-8da0-9b09328874c9', gen_random_uuid(),"
                        + " 's' || i, '019ca8e5-5e64-73ab-8da0-9b09328874c9', CASE WHEN i % 9 = 0 THEN '019ca8e5-5e64-73ab-8da0-9b09328874c9' ELSE 'o' || i % 9 END,"
                        + " CASE WHEN i % 8 = 0 THEN '019ca8e5-5e64-73ab-8da0-9b09328874c9' ELSE 'a' || i % 8 END, 'p', 'm',"
                        + " CASE WHEN i % 5 = 0 THEN 'active' ELSE 'completed' END, '[]', '{}', t, CASE WHEN i % 5 = 0 THEN NULL ELSE t END, t, t"
                        + " FROM generate_series(1, 4000) i, LATERAL (SELECT timestamptz '2026-03-01T10:15:30Z' - i * interval '1 second' AS t) x");
                s.execute("ANALYZE atlas_voice_calls");
            }
            voiceCalls = ds;
        }
        return voiceCalls;
    }

    @AfterAll
    static void dropVoiceCalls() throws SQLException {
        if (voiceCalls != null) {
            try (Connection c = PostgresTestDatabase.server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE " + NAME + "_voice WITH (FORCE)");
            }
        }
    }

    static Stream<Arguments> voiceCallFilters() {
        String[][] filters = {{" AND status = :status", "atlas_voice_calls_status_recent"},
                {" AND owner_type = :ownerType AND owner_id = :ownerId", "atlas_voice_calls_owner_recent"}, {" AND agent = :agent", "atlas_voice_calls_agent_recent"}};
        Stream.Builder<Arguments> all = Stream.builder();
        for (int mask = 0; mask < 8; mask++) {
            StringBuilder where = new StringBuilder();
            List<String> indexes = new ArrayList<>();
            for (int i = 0; i < filters.length; i++) {
                if ((mask & 1 << i) != 0) {
                    where.append(filters[i][0]);
                    indexes.add(filters[i][1]);
                }
            }
            for (boolean after : new boolean[] {false, true}) {
                all.add(Arguments.of(where + (after ? " after a cursor" : ""), DeclaredStatements.voiceCallList(Dialect.POSTGRESQL, where.toString(), after)
                        .declared(), indexes.isEmpty() ? List.of("atlas_voice_calls_recent") : indexes, after));
            }
        }
        return all.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("voiceCallFilters")
    @DisplayName("ops16 (V31): VoiceCallStore.list with no filter or one of status, owner and agent, first page or after a cursor, scans"
            + " that filter's own index backwards from the cursor's start time (Index Cond), no Sort; with several, the index of one of them,"
            + " never the tenant's calls of every agent, status and owner (statistics of a tenant's calls)")
    void voiceCallListingsOfEveryFilter(String listing, String declared, List<String> indexes, boolean after) throws SQLException {
        Matcher m = Pattern.compile("(?<!:):([A-Za-z_][A-Za-z0-9_]*)").matcher(declared.replace("<p>", "atlas_"));
        StringBuilder text = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            m.appendReplacement(text, name.equals("limit") ? "51" : name.equals("at") ? "'2026-03-01T10:15:30Z'"
                    : name.equals("status") ? "'active'" : "'019ca8e5-5e64-73ab-8da0-9b09328874c9'");
        }
        List<String> plan = new ArrayList<>();
        try (Connection c = voiceCalls().getConnection(); Statement s = c.createStatement()) {
            s.execute("SET enable_seqscan = off");
            try (ResultSet rs = s.executeQuery("EXPLAIN " + m.appendTail(text))) {
                while (rs.next()) {
                    plan.add(rs.getString(1));
                }
            }
        }
        String shown = String.join("\n", plan);
        if (indexes.size() == 1) {
            int scan = plan.stream().filter(line -> line.contains("Index Scan Backward using " + indexes.get(0) + " on atlas_voice_calls "))
                    .findFirst().map(plan::indexOf).orElse(-1);
            assertThat(scan).as(shown).isNotNegative();
            String cond = plan.get(scan + 1).trim();
            assertThat(cond).as(shown).startsWith("Index Cond: ").contains("tenant_id = ");
            assertThat(cond.contains("started_at <= ")).as(shown).isEqualTo(after);
            assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).contains("Sort"));
        } else {
            // The planner reads the filter it expects to match fewest calls and filters by the others; when it expects the combination
            // to match fewer calls than a page, it takes them all and sorts those.
            assertThat(plan).as(shown).anySatisfy(line -> assertThat(indexes).anySatisfy(index -> assertThat(line)
                    .matches(".*(Index Scan (Backward )?using|Bitmap Index Scan on) " + index + " .*")));
            assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).contains("atlas_voice_calls_recent"));
        }
    }

    static Stream<Arguments> ownListings() {
        Dialect d = Dialect.POSTGRESQL;
        return Stream.of(
                Arguments.of("voice.byConversation", DeclaredStatements.voiceCall(d, "voice.byConversation").declared(),
                        "atlas_voice_calls_conversation_recent", "conversation_id = "),
                Arguments.of("voice.byConversationAfter", DeclaredStatements.voiceCall(d, "voice.byConversationAfter").declared(),
                        "atlas_voice_calls_conversation_recent", "started_at >= "),
                Arguments.of("voice.bySession", DeclaredStatements.voiceCall(d, "voice.bySession").declared(),
                        "atlas_voice_calls_session_recent", "session_id = "),
                Arguments.of("voice.bySessionAfter", DeclaredStatements.voiceCall(d, "voice.bySessionAfter").declared(),
                        "atlas_voice_calls_session_recent", "started_at >= "),
                Arguments.of("tasks.list", DeclaredStatements.taskList(d, "", false).declared(), "atlas_tasks_created", "tenant_id = "),
                Arguments.of("tasks.list after", DeclaredStatements.taskList(d, "", true).declared(), "atlas_tasks_created", "created_at >= "),
                Arguments.of("credentials.list", DeclaredStatements.credential(d, "credentials.list").declared(),
                        "atlas_credentials_owner_name_c", "owner_id = "),
                Arguments.of("credentials.page", DeclaredStatements.credential(d, "credentials.page").declared(),
                        "atlas_credentials_owner_name_c", "owner_id = "),
                Arguments.of("credentials.pageAfter", DeclaredStatements.credential(d, "credentials.pageAfter").declared(),
                        "atlas_credentials_owner_name_c", "(name)::text > "));
    }

    @ParameterizedTest(name = "after a cursor: {0}")
    @ValueSource(booleans = {false, true})
    @DisplayName("V30: a conversation's tasks, first page or after a cursor, scan the (tenant, conversation, created_at, id) index from the"
            + " cursor's time, no Sort or Incremental Sort, with the statistics of a tenant's tasks in 50 conversations (empty tables leave"
            + " the planner's choice between that index and (tenant, created_at, id) to a tie; the statistics are rolled back)")
    void tasksOfAConversation(boolean afterCursor) throws SQLException {
        String declared = DeclaredStatements.taskList(Dialect.POSTGRESQL, " AND conversation_id = :conversation", afterCursor).declared();
        String text = declared.replace("<p>", "atlas_").replace(":limit", "51").replace(":afterAt", "'2026-03-01T10:15:30Z'")
                .replaceAll(":(t|conversation|afterId)\\b", "'019ca8e5-5e64-73ab-8da0-9b09328874c9'");
        List<String> plan = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            try {
                s.execute("INSERT INTO atlas_tasks (tenant_id, id, kind, payload, conversation_id, status, attempts, max_attempts, run_after,"
                        + " created_at, updated_at) SELECT '019ca8e5-5e64-73ab-8da0-9b09328874c9', gen_random_uuid(), 'k', '{}',"
                        + " ('019ca8e5-5e64-73ab-8da0-9b0932887' || lpad((i % 50)::text, 3, '0'))::uuid, 'completed', 1, 1, now(),"
                        + " now() + i * interval '1 second', now() FROM generate_series(1, 1000) i");
                s.execute("ANALYZE atlas_tasks");
                try (ResultSet rs = s.executeQuery("EXPLAIN " + text)) {
                    while (rs.next()) {
                        plan.add(rs.getString(1));
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(true);
            }
        }
        String shown = String.join("\n", plan);
        int scan = plan.stream().filter(line -> line.contains("Index Scan using atlas_tasks_conversation_created ")).findFirst()
                .map(plan::indexOf).orElse(-1);
        assertThat(scan).as(shown).isNotNegative();
        assertThat(plan.get(scan + 1).trim()).as(shown).startsWith("Index Cond: ").contains("conversation_id = ")
                .satisfies(cond -> assertThat(cond.contains("created_at >= ")).isEqualTo(afterCursor));
        assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).contains("Sort"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ownListings")
    @DisplayName("V30: a conversation's or a session's voice calls, all of a tenant's tasks and an owner's credentials (COLLATE \"C\"), first page or after a"
            + " cursor, scan their own index in the listing's order from the cursor's key: no Sort or Incremental Sort of any kind")
    void listingsOfOneKeyReadTheirOwnIndexInOrder(String listing, String declared, String index, String bound) throws SQLException {
        Matcher m = Pattern.compile("(?<!:):([A-Za-z_][A-Za-z0-9_]*)").matcher(declared.replace("<p>", "atlas_"));
        StringBuilder text = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            m.appendReplacement(text, name.equals("limit") ? "51" : name.equals("at") || name.equals("afterAt") ? "'2026-03-01T10:15:30Z'"
                    : name.equals("after") && listing.startsWith("credentials") ? "'openai'" : "'019ca8e5-5e64-73ab-8da0-9b09328874c9'");
        }
        List<String> plan = plan(m.appendTail(text).toString());
        String shown = String.join("\n", plan);
        int scan = plan.stream().filter(line -> line.contains("Index Scan using " + index + " ")).findFirst().map(plan::indexOf).orElse(-1);
        assertThat(scan).as(shown).isNotNegative();
        assertThat(plan.get(scan + 1).trim()).as(shown).startsWith("Index Cond: ").contains(bound);
        assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).contains("Sort"));
    }

    private static boolean hub;

    /**
     * Statistics of a hub (user:42) with 2,000 edges each way among 2,000 nodes (empty tables leave the choice among the edges'
     * indexes to a guess), loaded once for every neighbour statement and kept: no other test of this database plans the graph's
     * tables, and the database is dropped after the class.
     */
    private static synchronized void hub() throws SQLException {
        if (hub) {
            return;
        }
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            String t = "'019ca8e5-5e64-73ab-8da0-9b09328874c9'";
            s.execute("INSERT INTO atlas_graph_nodes (tenant_id, id, node_key, label, type, metadata, created_at, updated_at)"
                    + " SELECT " + t + ", gen_random_uuid(), CASE WHEN i = 0 THEN 'user:42' ELSE 'n' || i END, NULL, NULL, '{}', now(), now()"
                    + " FROM generate_series(0, 2000) i");
            s.execute("INSERT INTO atlas_graph_edges (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                    + " SELECT " + t + ", gen_random_uuid(), CASE WHEN o THEN h.id ELSE n.id END, CASE WHEN o THEN n.id ELSE h.id END,"
                    + " CASE WHEN n.node_key LIKE '%7' THEN 'likes' ELSE 'knows' END, random(), '{}', now(), now()"
                    + " FROM atlas_graph_nodes h, atlas_graph_nodes n, (VALUES (true), (false)) d (o)"
                    + " WHERE h.node_key = 'user:42' AND n.node_key <> 'user:42'");
            s.execute("ANALYZE atlas_graph_nodes");
            s.execute("ANALYZE atlas_graph_edges");
        }
        hub = true;
    }

    static Stream<Arguments> neighbourPages() {
        Stream.Builder<Arguments> all = Stream.builder();
        for (String direction : new String[] {"outgoing", "incoming", "both"}) {
            for (String typed : new String[] {"", ".typed"}) {
                for (String after : new String[] {"", ".after"}) {
                    all.add(Arguments.of("graph.neighbours." + direction + typed + after));
                }
            }
        }
        return all.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("neighbourPages")
    @DisplayName("graph18 (V32): a neighbour page, each direction, with and without an edge type, first or after a cursor, reads the node's"
            + " edges in page order from the (tenant, source|target, weight DESC, id) index (after a cursor from the cursor itself on:"
            + " its weight from its id on, then the lighter edges, Index Cond) and stops at the page's end: no Sort of the node's edges"
            + " (each page sorted all of them)")
    void neighbourPagesReadTheirIndexInOrder(String name) throws SQLException {
        String declared = DeclaredStatements.graph(Dialect.POSTGRESQL, name).declared();
        Matcher m = Pattern.compile("(?<!:):([A-Za-z_][A-Za-z0-9_]*)").matcher(declared.replace("<p>", "atlas_"));
        StringBuilder text = new StringBuilder();
        while (m.find()) {
            String p = m.group(1);
            m.appendReplacement(text, switch (p) {
                case "limit" -> "51";
                case "w" -> "0.5";
                case "dir" -> "0";
                case "key" -> "'user:42'";
                case "type" -> "'likes'";
                default -> "'019ca8e5-5e64-73ab-8da0-9b09328874c9'";
            });
        }
        hub();
        List<String> plan = plan(m.appendTail(text).toString());
        String shown = String.join("\n", plan);
        List<Integer> scans = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            if (plan.get(i).matches(".*Index Scan using atlas_graph_edges_" + (name.contains(".typed") ? "(source_type_weight|target)"
                    : "(source|target)_weight") + " on atlas_graph_edges e(_\\d+)? .*")) {
                scans.add(i);
            }
        }
        // After a cursor, each direction reads from the cursor itself: its weight from the cursor's id on (weight = :w AND id >= :edge),
        // then the lighter edges (weight < :w), so a run of equal weights (every edge's default 1.0) is not read again from its start
        // by each later page.
        boolean after = name.endsWith(".after");
        int directions = name.contains(".both") ? 2 : 1;
        assertThat(scans).as(shown).hasSize(after ? 2 * directions : directions);
        List<String> conds = new ArrayList<>();
        for (int scan : scans) {
            conds.add(plan.get(scan + 1).trim());
            assertThat(plan.get(scan + 1).trim()).as(shown).startsWith("Index Cond: ").matches(".*(source|target)_id = .*" + (name.contains(".typed") ? "type = .*" : ""))
                    .satisfies(cond -> assertThat(cond.contains("weight <")).isEqualTo(after && !cond.contains("weight = ")))
                    .satisfies(cond -> assertThat(cond.matches(".*weight = .*id >= .*")).isEqualTo(after && !cond.contains("weight <")));
        }
        assertThat(conds).as(shown).filteredOn(cond -> cond.contains("weight = ")).hasSize(after ? directions : 0);
        // BOTH, and a page after a cursor, merge a page of each scan (Merge Append of Limits): each scan hands its rows in order to
        // its own Limit (no Sort in between); a sort above a Limit orders at most a page (the cursor's weight is a constant in its
        // scan's subquery, so PostgreSQL re-sorts that scan's page by weight and id for the merge). A single scan sorts nothing.
        int append = plan.stream().filter(line -> line.contains("Append")).findFirst().map(plan::indexOf).orElse(0);
        assertThat(append > 0).as(shown).isEqualTo(name.contains(".both") || after);
        if (append == 0) {
            assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).contains("Sort"));
        }
        for (int scan : scans) {
            int limit = scan;
            while (limit > append && !plan.get(limit).trim().startsWith("->  Limit ")) {
                limit--;
            }
            assertThat(limit).as(shown).isGreaterThan(append);
            assertThat(plan.subList(limit, scan)).as(shown).noneSatisfy(line -> assertThat(line).contains("Sort"));
        }
        assertThat(plan).as(shown).filteredOn(line -> line.matches(".*Scan.* on atlas_graph_edges .*")).hasSameSizeAs(scans);
    }

    private static final String MANY = NAME + "_many";
    private static DataSource many;

    /**
     * rf60: a database of its own (the planner estimates a node's edges by the table's average degree, and {@link #hub()}'s rows
     * would set that average), holding one tenant as many apps have: 50 nodes of 49 edges each and a hub with 2,000 edges to
     * leaves, every weight the default 1.0, ids spread (md5), ANALYZE'd. A node's edges are estimated at 87 (4,450 edges, 51
     * sources): the hub's first page read all 2,000 of its edges (a bitmap scan), hash-joined them to every node of the table and
     * sorted them for 51 rows; after a cursor, the rest of the hub's run of equal weights.
     */
    private static synchronized DataSource many() throws SQLException {
        if (many != null) {
            return many;
        }
        PostgresTestDatabase.createMigratedDatabase(MANY);
        DataSource ds = PostgresTestDatabase.server().getDatabase("postgres", MANY);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO atlas_graph_nodes (tenant_id, id, node_key, label, type, metadata, created_at, updated_at)"
                    + " SELECT 'many', md5('node ' || k)::uuid, k, NULL, NULL, '{}', now(), now() FROM (SELECT 'n' || i AS k FROM"
                    + " generate_series(1, 50) i UNION ALL SELECT 'leaf' || i FROM generate_series(1, 2000) i UNION ALL SELECT 'hub') keys");
            s.execute("INSERT INTO atlas_graph_edges (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                    + " SELECT 'many', md5('edge ' || a.node_key || ' ' || b.node_key)::uuid, a.id, b.id, 'r', 1.0, '{}', now(), now()"
                    + " FROM atlas_graph_nodes a JOIN atlas_graph_nodes b ON (a.node_key ~ '^n' AND b.node_key ~ '^n' AND a.id <> b.id)"
                    + " OR (a.node_key = 'hub' AND b.node_key ~ '^leaf')");
            s.execute("ANALYZE atlas_graph_nodes");
            s.execute("ANALYZE atlas_graph_edges");
        }
        many = ds;
        return ds;
    }

    /** The neighbour statements that read the hub's outgoing edges (its only ones in {@link #many()}'s tenant). */
    static Stream<Arguments> hubOutgoingPages() {
        return neighbourPages().filter(a -> !((String) a.get()[0]).contains(".incoming"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hubOutgoingPages")
    @DisplayName("rf60: in a tenant of many nodes, a hub's neighbour page at any position in a run of equal weights (first, after a"
            + " cursor 10 %, 50 % and 90 % through the run), outgoing or both ways, reads at most a page of the hub's edges per scan and looks its neighbours up by"
            + " key (no hash join of every node, no sort of the rest of the hub's edges), EXPLAIN ANALYZE")
    void neighbourPagesReadAPageAtAnyPosition(String name) throws SQLException {
        DataSource ds = many();
        List<String> cursors = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT e.id FROM atlas_graph_edges e JOIN atlas_graph_nodes h ON h.tenant_id = e.tenant_id"
                     + " AND h.id = e.source_id AND h.node_key = 'hub' ORDER BY e.id")) {
            for (int i = 0; rs.next(); i++) {
                if (i % 800 == 200) {
                    cursors.add(rs.getString(1));
                }
            }
        }
        assertThat(cursors).hasSize(3);
        for (String cursor : name.endsWith(".after") ? cursors : List.of("none")) {
            String declared = DeclaredStatements.graph(Dialect.POSTGRESQL, name).declared().replace("<p>", "atlas_");
            Matcher m = Pattern.compile("(?<!:):([A-Za-z_][A-Za-z0-9_]*)").matcher(declared);
            StringBuilder text = new StringBuilder();
            while (m.find()) {
                m.appendReplacement(text, switch (m.group(1)) {
                    case "limit" -> "51";
                    case "w" -> "1.0";
                    case "dir" -> "0";
                    case "key" -> "'hub'";
                    case "type" -> "'r'";
                    case "edge" -> "'" + cursor + "'::uuid";
                    default -> "'many'";
                });
            }
            List<String> plan = new ArrayList<>();
            try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) " + m.appendTail(text))) {
                while (rs.next()) {
                    plan.add(rs.getString(1));
                }
            }
            String shown = cursor + "\n" + String.join("\n", plan);
            // Every read of the edges stops within a page (51 rows); the neighbours come from their primary key, one per edge.
            assertThat(plan).as(shown).filteredOn(line -> line.contains(" on atlas_graph_edges "))
                    .isNotEmpty().allSatisfy(line -> assertThat(line).containsPattern("Index Scan using atlas_graph_edges_\\w+ on atlas_graph_edges e(_\\d+)? \\(actual rows=(\\d|[1-4]\\d|5[01])\\.00 "));
            assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).containsAnyOf("Hash", "Seq Scan", "Bitmap"));
        }
    }

    private static final String PAGED = NAME + "_paged";
    private static DataSource paged;

    /** A database of 200 tenants of 500 memories each (100,000), ANALYZE'd: a generic plan estimates one tenant's rows from it. */
    private static synchronized DataSource paged() throws SQLException {
        if (paged == null) {
            PostgresTestDatabase.createMigratedDatabase(PAGED);
            DataSource ds = PostgresTestDatabase.server().getDatabase("postgres", PAGED);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO atlas_memories (tenant_id, id, owner_type, owner_id, agent, kind, content, metadata, importance,"
                        + " revision, created_at, updated_at) SELECT 't' || (g % 200), md5('m' || g)::uuid, 'user', 'u' || (g % 1000),"
                        + " CASE WHEN g % 3 = 0 THEN 'support' END, CASE WHEN g % 2 = 0 THEN 'fact' ELSE 'preference' END, 'memory ' || g,"
                        + " '{}'::jsonb, 0.5, 1, now(), now() FROM generate_series(1, 100000) g");
                s.execute("ANALYZE atlas_memories");
            }
            paged = ds;
        }
        return paged;
    }

    static Stream<Arguments> memoryPages() {
        Stream.Builder<Arguments> all = Stream.builder();
        String[][] filters = {{"", "atlas_memories_pkey"}, {" AND owner_type = :ownerType AND owner_id = :ownerId", "atlas_memories_owner"},
                {" AND kind = :kind", "atlas_memories_kind"}};
        for (String[] f : filters) {
            for (boolean after : new boolean[] {false, true}) {
                all.add(Arguments.of((f[0].isEmpty() ? "memories.list" : "memories.list" + f[0]) + (after ? " after a cursor" : ""),
                        f[0] + (after ? " AND id < :after" : ""), f[1], after));
            }
        }
        return all.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("memoryPages")
    @DisplayName("mem33: a memory page, any filter, first or after a cursor, planned generically (as PostgreSQL may plan a prepared"
            + " statement from its 6th run) among 200 tenants of 500 memories, reads its index newest first from the cursor on"
            + " (Index Cond) and stops at the page's end: no Sort of the tenant's memories")
    void memoryPagesPlannedGenericallyReadTheirIndex(String listing, String where, String index, boolean after) throws SQLException {
        String declared = dev.atlas.jdbi.internal.MemoryStatements.list(Dialect.POSTGRESQL, where).declared().replace("<p>", "atlas_");
        Matcher m = Pattern.compile("(?<!:):([A-Za-z_][A-Za-z0-9_]*)").matcher(declared);
        List<String> names = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (m.find()) {
            if (!names.contains(m.group(1))) {
                names.add(m.group(1));
            }
            m.appendReplacement(text, "\\$" + (names.indexOf(m.group(1)) + 1));
        }
        m.appendTail(text);
        List<String> values = names.stream().map(n -> switch (n) {
            case "t" -> "'t7'";
            case "now" -> "now()";
            case "limit" -> "51";
            case "after" -> "'019ca8e5-5e64-73ab-8da0-9b09328874c9'";
            case "ownerType" -> "'user'";
            case "ownerId" -> "'u7'";
            case "kind" -> "'fact'";
            default -> throw new IllegalArgumentException(n);
        }).toList();
        List<String> plan = new ArrayList<>();
        try (Connection c = paged().getConnection(); Statement s = c.createStatement()) {
            s.execute("PREPARE page AS " + text);
            s.execute("SET plan_cache_mode = force_generic_plan");
            try (ResultSet rs = s.executeQuery("EXPLAIN (COSTS OFF) EXECUTE page(" + String.join(", ", values) + ")")) {
                while (rs.next()) {
                    plan.add(rs.getString(1));
                }
            } finally {
                s.execute("DEALLOCATE page");
                s.execute("RESET plan_cache_mode");
            }
        }
        String shown = text + "\n" + String.join("\n", plan);
        int scan = plan.stream().filter(line -> line.contains("Index Scan") && line.contains(" " + index + " ")).findFirst()
                .map(plan::indexOf).orElse(-1);
        assertThat(scan).as(shown).isNotNegative();
        assertThat(plan.get(scan + 1).trim()).as(shown).startsWith("Index Cond: ").satisfies(cond -> assertThat(cond.contains("id < "))
                .isEqualTo(after));
        assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).containsAnyOf("Sort", "Seq Scan", "Bitmap"));
    }

    @AfterAll
    static void dropPaged() throws SQLException {
        if (paged != null) {
            try (Connection c = PostgresTestDatabase.server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE " + PAGED + " WITH (FORCE)");
            }
        }
    }

    private static final String GRAPHS = NAME + "_graphs";
    private static DataSource graphs;

    /**
     * A database of 200 tenants of 30 nodes each, every node joined to every other of its tenant (870 edges a tenant, 174,000), half
     * the weights the default 1.0 and half spread, ANALYZE'd: a generic plan estimates one node's edges from the table's average.
     */
    private static synchronized DataSource graphs() throws SQLException {
        if (graphs == null) {
            PostgresTestDatabase.createMigratedDatabase(GRAPHS);
            DataSource ds = PostgresTestDatabase.server().getDatabase("postgres", GRAPHS);
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO atlas_graph_nodes (tenant_id, id, node_key, label, type, metadata, created_at, updated_at)"
                        + " SELECT 't' || t, md5('node ' || t || ' ' || i)::uuid, 'n' || i, NULL, NULL, '{}', now(), now()"
                        + " FROM generate_series(0, 199) t, generate_series(0, 29) i");
                s.execute("INSERT INTO atlas_graph_edges (tenant_id, id, source_id, target_id, type, weight, metadata, created_at, updated_at)"
                        + " SELECT a.tenant_id, md5('edge ' || a.id || ' ' || b.id)::uuid, a.id, b.id, CASE WHEN b.node_key LIKE '%7' THEN"
                        + " 'likes' ELSE 'knows' END, CASE WHEN b.node_key < 'n2' THEN 1.0 ELSE random() END, '{}', now(), now()"
                        + " FROM atlas_graph_nodes a JOIN atlas_graph_nodes b ON b.tenant_id = a.tenant_id AND b.id <> a.id");
                s.execute("ANALYZE atlas_graph_nodes");
                s.execute("ANALYZE atlas_graph_edges");
            }
            graphs = ds;
        }
        return graphs;
    }

    static Stream<Arguments> neighbourPagesAfterACursor() {
        return neighbourPages().filter(a -> ((String) a.get()[0]).endsWith(".after"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("neighbourPagesAfterACursor")
    @DisplayName("search35: a neighbour page after a cursor, each direction, with and without an edge type, planned generically (as"
            + " PostgreSQL may plan a prepared statement from its 6th run) among 200 tenants, reads the node's edges from their"
            + " (tenant, source|target, weight DESC, id) index from the cursor on (Index Cond) and stops at the page's end: no scan,"
            + " bitmap, hash or sort of the node's edges")
    void neighbourPagesAfterACursorPlannedGenericallyReadTheirIndex(String name) throws SQLException {
        String declared = DeclaredStatements.graph(Dialect.POSTGRESQL, name).declared().replace("<p>", "atlas_");
        Matcher m = Pattern.compile("(?<!:):([A-Za-z_][A-Za-z0-9_]*)").matcher(declared);
        List<String> names = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        while (m.find()) {
            if (!names.contains(m.group(1))) {
                names.add(m.group(1));
            }
            m.appendReplacement(text, "\\$" + (names.indexOf(m.group(1)) + 1));
        }
        m.appendTail(text);
        List<String> values = names.stream().map(n -> switch (n) {
            case "t" -> "'t7'";
            case "limit" -> "51";
            case "w" -> "1.0";
            case "dir" -> "0";
            case "key" -> "'n3'";
            case "type" -> "'likes'";
            case "edge" -> "md5('edge x')::uuid";
            default -> throw new IllegalArgumentException(n);
        }).toList();
        List<String> plan = new ArrayList<>();
        try (Connection c = graphs().getConnection(); Statement s = c.createStatement()) {
            s.execute("PREPARE page AS " + text);
            s.execute("SET plan_cache_mode = force_generic_plan");
            try (ResultSet rs = s.executeQuery("EXPLAIN (COSTS OFF) EXECUTE page(" + String.join(", ", values) + ")")) {
                while (rs.next()) {
                    plan.add(rs.getString(1));
                }
            } finally {
                s.execute("DEALLOCATE page");
                s.execute("RESET plan_cache_mode");
            }
        }
        String shown = text + "\n" + String.join("\n", plan);
        List<Integer> scans = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            if (plan.get(i).contains(" on atlas_graph_edges ")) {
                assertThat(plan.get(i)).as(shown).matches(".*Index Scan using atlas_graph_edges_" + (name.contains(".typed")
                        ? "(source_type_weight|target)" : "(source|target)_weight") + " on atlas_graph_edges e(_\\d+)?( .*)?");
                assertThat(plan.get(i + 1).trim()).as(shown).startsWith("Index Cond: ").matches(".*(source|target)_id = .*weight .*");
                scans.add(i);
            }
        }
        // From the cursor on: its weight from its id on, then the lighter edges; both ways, two of each.
        assertThat(scans).as(shown).hasSize(name.contains(".both") ? 4 : 2);
        int append = plan.stream().filter(line -> line.contains("Append")).findFirst().map(plan::indexOf).orElse(0);
        for (int scan : scans) {
            int limit = scan;
            while (limit > append && !plan.get(limit).trim().equals("->  Limit")) {
                limit--;
            }
            assertThat(limit).as(shown).isGreaterThan(append);
            assertThat(plan.subList(limit, scan)).as(shown).noneSatisfy(line -> assertThat(line).contains("Sort"));
        }
        assertThat(plan).as(shown).noneSatisfy(line -> assertThat(line).containsAnyOf("Seq Scan", "Bitmap", "Hash"));
    }

    @AfterAll
    static void dropGraphs() throws SQLException {
        if (graphs != null) {
            try (Connection c = PostgresTestDatabase.server().getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP DATABASE " + GRAPHS + " WITH (FORCE)");
            }
        }
    }
}
