package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.graph.Direction;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.DeclaredStatements;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
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
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SQLite's planner must answer the hot paths from indexes: a full scan of messages, memories or
 * vectors would make appends, history loads, searches and retention grow with the table.
 *
 * <p>A tag filter must be answered from the tag index: with the tag as an EXISTS per memory, SQLite
 * walked every memory of the tenant newest first, so a rare tag cost a scan of the whole tenant.
 *
 * <p>SQLite's planner must walk the memory graph from indexes: each step of a traversal looks its
 * node's edges up by (tenant, source) or (tenant, target). Scanning every edge of the tenant per
 * step made a depth-10 walk over 6,000 edges take seconds (SQLite put the edges in the outer loop,
 * and answered INCOMING and BOTH steps from the tenant's whole range of the unique index), and
 * the nodes reached were read by scanning all of the tenant's nodes.
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

    private List<String> plan(String jdbc) throws SQLException {
        return database.plan(jdbc);
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
        // perf30: a claim picks the earliest due task from the (tenant, status, run_after, id) index: one row, never a sort of
        // every due task (MULTI-INDEX OR and a temp B-tree over the OR of pending and expired running tasks cost 70 ms at 100k).
        for (String kinds : new String[] {null, " AND kind IN (:kind0, :kind1)"}) {
            List<String> pick = plan(DeclaredStatements.taskPick(Dialect.SQLITE, kinds).jdbc());
            assertThat(pick).as("claim, kinds " + kinds).anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_tasks USING")
                    .endsWith("INDEX atlas_tasks_due (tenant_id=? AND status=? AND run_after<?)"));
            assertThat(pick).as("claim, kinds " + kinds).noneSatisfy(d -> assertThat(d).contains("MULTI-INDEX OR"));
        }
        // keyset24: a page after a cursor, as Atlas renders it, starts its index range at the cursor's activity time.
        for (String[] c : new String[][] {{" AND owner_type = :ownerType AND owner_id = :ownerId AND deleted_at IS NULL",
                "atlas_conversations_owner_activity (tenant_id=? AND owner_type=? AND owner_id=? AND activity_at<?)"},
                {" AND agent = :agent AND deleted_at IS NULL", "atlas_conversations_agent_activity (tenant_id=? AND agent=? AND activity_at<?)"},
                {" AND deleted_at IS NULL", "atlas_conversations_activity (tenant_id=? AND activity_at<?)"}}) {
            List<String> after = plan(DeclaredStatements.conversationList(Dialect.SQLITE, c[0], true).jdbc());
            assertThat(after).as(c[0]).contains("SEARCH atlas_conversations USING INDEX " + c[1]);
            assertThat(after).as(c[0]).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", " AND owner_type = 'user' AND owner_id = '1'", " AND agent = 'support'"})
    @DisplayName("listing conversations in creation order (oldest first by id) walks an index without sorting, whatever the"
            + " owner or agent filter (V28)")
    void conversationsByCreation(String filter) throws SQLException {
        List<String> plan = plan("SELECT * FROM atlas_conversations WHERE tenant_id = 't'" + filter
                + " AND deleted_at IS NULL AND id > '019ca8e5-5e64-73ab-8da0-9b09328874c9' ORDER BY id LIMIT 51");
        assertThat(plan).anySatisfy(d -> assertThat(d).containsAnyOf("USING INDEX atlas_conversations_owner_created",
                "USING INDEX atlas_conversations_agent_created", "USING INDEX sqlite_autoindex_atlas_conversations_1"));
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

    @Test
    @DisplayName("listing an owner's memories walks the owner index newest first without sorting")
    void memoryList() throws SQLException {
        List<String> plan = plan("SELECT * FROM atlas_memories m WHERE tenant_id = 't' AND deleted_at IS NULL"
                + " AND (expires_at IS NULL OR expires_at > 5) AND owner_type = 'user' AND owner_id = '1' AND id < 'x'"
                + " ORDER BY id DESC LIMIT 51");
        assertThat(plan).anySatisfy(d -> assertThat(d).contains("USING INDEX atlas_memories_owner"));
        assertThat(plan).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        assertThat(plan("SELECT 1 FROM atlas_memory_tags g WHERE g.tenant_id = 't' AND g.memory_id = 'm' AND g.tag = 'x'"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH"));
    }

    @Test
    @DisplayName("semantic candidates are found through the (tenant, model, target type) key, not a scan of all vectors")
    void vectorCandidates() throws SQLException {
        assertThat(plan("SELECT v.target_id, v.vector FROM atlas_vectors v WHERE v.tenant_id = 't' AND v.model = 'm'"
                + " AND v.target_type = 'asset' AND v.dimension = 3"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH v USING INDEX"));
    }

    @Test
    @DisplayName("retention finds old, deleted and archived rows through partial indexes")
    void retention() throws SQLException {
        assertThat(plan("SELECT id FROM atlas_messages WHERE tenant_id = 't' AND deleted_at IS NULL AND created_at < 5 LIMIT 10"))
                .anySatisfy(d -> assertThat(d).contains("atlas_messages_live_created"));
        assertThat(plan("SELECT id FROM atlas_messages m WHERE m.tenant_id = 't' AND m.deleted_at IS NOT NULL AND m.deleted_at < 5"))
                .anySatisfy(d -> assertThat(d).contains("atlas_messages_deleted"));
        assertThat(plan("SELECT id FROM atlas_conversations WHERE tenant_id = 't' AND status = 'archived' AND archived_at < 5"))
                .anySatisfy(d -> assertThat(d).contains("atlas_conversations_archived"));
        // purgeDetachedVoiceCallsAfter: finished calls of no conversation are found through an index, not a scan of every call.
        assertThat(plan("SELECT id FROM atlas_voice_calls WHERE tenant_id = 't' AND conversation_id IS NULL"
                + " AND status IN ('completed', 'failed') AND updated_at < 5 LIMIT 10"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_voice_calls USING INDEX"));
        // A purged execution's voice calls are found by (tenant, execution): retention's unlink of a batch and the foreign key's
        // check of each deleted execution (PRAGMA foreign_keys) search an index, never every call of the tenant (V30).
        assertThat(plan("UPDATE atlas_voice_calls SET execution_id = NULL WHERE tenant_id = 't' AND execution_id IN ('a', 'b')"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_voice_calls USING").contains("execution_id=?"));
        assertThat(plan("SELECT 1 FROM atlas_voice_calls WHERE tenant_id = 't' AND execution_id = 'a'"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_voice_calls USING").contains("execution_id=?"));
    }

    @Test
    @DisplayName("full-text triggers find a row's index entry by key")
    void searchKeys() throws SQLException {
        assertThat(plan("SELECT fts_rowid FROM atlas_search_keys WHERE tenant_id = 't' AND target_type = 'message' AND target_id = 'x'"))
                .anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_search_keys USING"));
        assertThat(plan("SELECT rowid FROM atlas_search_fts WHERE atlas_search_fts MATCH '\"a\"'"))
                .anySatisfy(d -> assertThat(d).contains("VIRTUAL TABLE INDEX"));
    }

    @Test
    @DisplayName("listing tasks by status, kind, owner, conversation (V30) or none (V30) walks an index in (created_at, id) order without sorting")
    void taskListings() throws SQLException {
        for (String[] c : new String[][] {{"status = 'pending'", "atlas_tasks_status_created"}, {"kind = 'k'", "atlas_tasks_kind_created"},
                {"owner_type = 'user' AND owner_id = '1'", "atlas_tasks_owner_created"}}) {
            List<String> plan = plan("SELECT * FROM atlas_tasks WHERE tenant_id = 't' AND " + c[0]
                    + " AND (created_at > 5 OR (created_at = 5 AND id > 'x')) ORDER BY created_at, id LIMIT 51");
            assertThat(plan).anySatisfy(d -> assertThat(d).contains("USING INDEX " + c[1]));
            assertThat(plan).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
        // keyset24: a page after a cursor, as Atlas renders it, starts its index range at the cursor's creation time.
        for (String[] c : new String[][] {{" AND status IN (:status0)", "atlas_tasks_status_created (tenant_id=? AND status=? AND created_at>?)"},
                {" AND kind = :kind", "atlas_tasks_kind_created (tenant_id=? AND kind=? AND created_at>?)"},
                {" AND owner_type = :ownerType AND owner_id = :ownerId", "atlas_tasks_owner_created (tenant_id=? AND owner_type=? AND owner_id=? AND created_at>?)"}}) {
            List<String> after = plan(DeclaredStatements.taskList(Dialect.SQLITE, c[0], true).jdbc());
            assertThat(after).as(c[0]).contains("SEARCH atlas_tasks USING INDEX " + c[1]);
            assertThat(after).as(c[0]).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
        // V30: a conversation's tasks (forConversation) and the unfiltered listing, first page or after a cursor, search the
        // (tenant, conversation, created_at, id) or (tenant, created_at, id) index from the cursor's time and never sort.
        for (boolean afterCursor : new boolean[] {false, true}) {
            List<String> plan = plan(DeclaredStatements.taskList(Dialect.SQLITE, " AND conversation_id = :conversation", afterCursor).jdbc());
            assertThat(plan).as("after a cursor: " + afterCursor).contains("SEARCH atlas_tasks USING INDEX atlas_tasks_conversation_created"
                    + (afterCursor ? " (tenant_id=? AND conversation_id=? AND created_at>?)" : " (tenant_id=? AND conversation_id=?)"));
            assertThat(plan).as("after a cursor: " + afterCursor).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
            List<String> all = plan(DeclaredStatements.taskList(Dialect.SQLITE, "", afterCursor).jdbc());
            assertThat(all).as("unfiltered, after a cursor: " + afterCursor).contains("SEARCH atlas_tasks USING INDEX atlas_tasks_created"
                    + (afterCursor ? " (tenant_id=? AND created_at>?)" : " (tenant_id=?)"));
            assertThat(all).as("unfiltered, after a cursor: " + afterCursor).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
    }

    @Test
    @DisplayName("listing voice calls newest first, by status, owner or none, walks an index backwards without sorting; by conversation"
            + " or session (V30) oldest first, its own index forwards")
    void voiceCallListings() throws SQLException {
        for (String[] c : new String[][] {{" AND status = 'active'", "atlas_voice_calls_status_recent"},
                {" AND owner_type = 'user' AND owner_id = '1'", "atlas_voice_calls_owner_recent"}, {"", "atlas_voice_calls_recent"}}) {
            List<String> plan = plan("SELECT * FROM atlas_voice_calls WHERE tenant_id = 't'" + c[0]
                    + " AND (started_at < 5 OR (started_at = 5 AND id < 'x')) ORDER BY started_at DESC, id DESC LIMIT 51");
            assertThat(plan).anySatisfy(d -> assertThat(d).contains("USING INDEX " + c[1]));
            assertThat(plan).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
        // keyset24: a page after a cursor, newest first or a conversation's or session's oldest first, as Atlas renders it,
        // starts its index range at the cursor's start time.
        for (String[] c : new String[][] {{" AND status = :status", "atlas_voice_calls_status_recent (tenant_id=? AND status=? AND started_at<?)"},
                {" AND owner_type = :ownerType AND owner_id = :ownerId", "atlas_voice_calls_owner_recent (tenant_id=? AND owner_type=? AND owner_id=? AND started_at<?)"},
                {"", "atlas_voice_calls_recent (tenant_id=? AND started_at<?)"}}) {
            List<String> after = plan(DeclaredStatements.voiceCallList(Dialect.SQLITE, c[0], true).jdbc());
            assertThat(after).as(c[0]).contains("SEARCH atlas_voice_calls USING INDEX " + c[1]);
            assertThat(after).as(c[0]).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
        // V30: a conversation's or a session's calls, first page or after a cursor, search their own (tenant, conversation or session,
        // started_at, id) index from the cursor's time, never the tenant's calls of every conversation, and never sort.
        for (String[] c : new String[][] {{"voice.byConversation", "atlas_voice_calls_conversation_recent (tenant_id=? AND conversation_id=?)"},
                {"voice.byConversationAfter", "atlas_voice_calls_conversation_recent (tenant_id=? AND conversation_id=? AND started_at>?)"},
                {"voice.bySession", "atlas_voice_calls_session_recent (tenant_id=? AND session_id=?)"},
                {"voice.bySessionAfter", "atlas_voice_calls_session_recent (tenant_id=? AND session_id=? AND started_at>?)"}}) {
            List<String> plan = plan(DeclaredStatements.voiceCall(Dialect.SQLITE, c[0]).jdbc());
            assertThat(plan).as(c[0]).contains("SEARCH atlas_voice_calls USING INDEX " + c[1]);
            assertThat(plan).as(c[0]).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
    }

    @Test
    @DisplayName("ops16 (V31): VoiceCallStore.list by each combination of status, owner and agent, first page or after a cursor, searches"
            + " the index of one of its filters from the cursor's start time backwards, never the tenant's calls of every agent, never sorting")
    void voiceCallListingsOfEveryFilter() throws SQLException {
        String[][] filters = {{" AND status = :status", "status=?"}, {" AND owner_type = :ownerType AND owner_id = :ownerId", "owner_type=? AND owner_id=?"},
                {" AND agent = :agent", "agent=?"}};
        for (int mask = 0; mask < 8; mask++) {
            StringBuilder where = new StringBuilder();
            List<String> equalities = new ArrayList<>();
            for (int i = 0; i < filters.length; i++) {
                if ((mask & 1 << i) != 0) {
                    where.append(filters[i][0]);
                    equalities.add(java.util.regex.Pattern.quote(filters[i][1]));
                }
            }
            String key = equalities.isEmpty() ? "" : " AND (" + String.join("|", equalities) + ")";
            for (boolean after : new boolean[] {false, true}) {
                List<String> plan = plan(DeclaredStatements.voiceCallList(Dialect.SQLITE, where.toString(), after).jdbc());
                String shown = where + (after ? " after a cursor: " : ": ") + plan;
                assertThat(plan).as(shown).anySatisfy(d -> assertThat(d).matches("SEARCH atlas_voice_calls USING INDEX atlas_voice_calls_\\w+ \\(tenant_id=\\?"
                        + key + (after ? " AND started_at<\\?" : "") + "\\)"));
                assertThat(plan).as(shown).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
            }
        }
    }

    @Test
    @DisplayName("an owner's credentials, listed whole or paged after a cursor, search the unique (tenant, owner, name) index from the"
            + " cursor's name (BINARY: code point order) without sorting")
    void credentialListings() throws SQLException {
        for (String[] c : new String[][] {{"credentials.list", "(tenant_id=? AND owner_type=? AND owner_id=?)"},
                {"credentials.page", "(tenant_id=? AND owner_type=? AND owner_id=?)"},
                {"credentials.pageAfter", "(tenant_id=? AND owner_type=? AND owner_id=? AND name>?)"}}) {
            List<String> plan = plan(DeclaredStatements.credential(Dialect.SQLITE, c[0]).jdbc());
            assertThat(plan).as(c[0]).anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_credentials USING INDEX").endsWith(c[1]));
            assertThat(plan).as(c[0]).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
    }

    @Test
    @DisplayName("a conversation's event trail, either order, any filter, walks the (tenant, conversation, created_at) index,"
            + " sorting only the events of one time by id (USE TEMP B-TREE FOR LAST TERM OF ORDER BY)")
    void conversationEvents() throws SQLException {
        for (String rest : List.of(" ORDER BY created_at, id",
                " AND created_at >= 5 AND (created_at > 5 OR (created_at = 5 AND id > 'x')) ORDER BY created_at, id",
                " AND created_at <= 5 AND (created_at < 5 OR (created_at = 5 AND id < 'x')) ORDER BY created_at DESC, id DESC",
                " AND type IN ('edited', 'app.feedback') AND created_at >= 1 AND created_at <= 9 ORDER BY created_at DESC, id DESC")) {
            List<String> plan = plan("SELECT id, conversation_id, message_id, type, details, created_at FROM atlas_message_events"
                    + " WHERE tenant_id = 't' AND conversation_id = 'c'" + rest + " LIMIT 51");
            assertThat(plan).as(rest).anySatisfy(d -> assertThat(d)
                    .startsWith("SEARCH atlas_message_events USING INDEX atlas_message_events_conversation"));
            assertThat(plan).as(rest).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE FOR ORDER BY"));
            assertThat(plan).as(rest).noneSatisfy(d -> assertThat(d).startsWith("SCAN"));
        }
        // keyset24: a page of one message's events after a cursor (ConversationStore.events) starts its range at the cursor's time.
        List<String> ofMessage = plan(DeclaredStatements.message(Dialect.SQLITE, "messages.eventsAfter").jdbc());
        assertThat(ofMessage).contains("SEARCH atlas_message_events USING INDEX atlas_message_events_message"
                + " (tenant_id=? AND message_id=? AND created_at>?)");
        assertThat(ofMessage).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE FOR ORDER BY"));
    }

    @Test
    @DisplayName("review27: a page of a message's attachments (AssetStore.forMessage(messageId, limit, cursor)) reads them in"
            + " attachment order from an index, without sorting every attachment of the message for each page; review31: a page"
            + " after a cursor starts its index range at the cursor's time instead of reading every earlier attachment again")
    void attachmentsOfAMessagePage() throws SQLException {
        // The statements Atlas runs: the unpaged AssetStore.forMessage(messageId), a first page and a page after a cursor.
        for (String name : List.of("assets.forMessage", "assets.forMessagePage", "assets.forMessageAfter")) {
            List<String> plan = plan(statement(name));
            assertThat(plan).as(name).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
            assertThat(plan).as(name).anySatisfy(d -> assertThat(d).isEqualTo("SEARCH ma USING INDEX atlas_message_assets_message_created"
                    + (name.endsWith("After") ? " (tenant_id=? AND message_id=? AND created_at>?)" : " (tenant_id=? AND message_id=?)")));
        }
    }

    @Test
    @DisplayName("alias33 (V33): the stored keys with a segment ending in . (which Windows opens without those dots), read by every"
            + " register, deletion of purged bytes and import, come from partial indexes holding only them, never from a scan of"
            + " every tenant's assets and pending purges")
    void dottedBlobKeysReadFromTheirIndexes() throws SQLException {
        for (dev.atlas.jdbi.internal.sql.Statement s : List.of(DeclaredStatements.asset(Dialect.SQLITE, "assets.dottedKeys"),
                DeclaredStatements.asset(Dialect.SQLITE, "assets.keyHolders"),
                DeclaredStatements.portability(Dialect.SQLITE, "portability.dottedBlobKeyContent"))) {
            List<String> plan = plan(s.jdbc());
            boolean holders = s.name().equals("assets.keyHolders");
            // Each table once, from its own partial index (covering where the statement reads only the tenant and the key);
            // register's keyHolders also searches each table's lower(blob_key) index for the key.
            assertThat(plan).as(s.name() + ": " + plan).filteredOn(d -> d.startsWith("SEARCH"))
                    .allSatisfy(d -> assertThat(d).matches("SEARCH atlas_(assets|blob_intents) USING INDEX atlas_\\1_blob_key_any_tenant .*"))
                    .hasSize(holders ? 2 : 0);
            assertThat(plan).as(s.name() + ": " + plan).filteredOn(d -> d.startsWith("SCAN") || d.startsWith("SEARCH")).hasSize(holders ? 4 : 2)
                    .anySatisfy(d -> assertThat(d).matches("SCAN atlas_assets USING (COVERING )?INDEX atlas_assets_dotted_blob_key"))
                    .anySatisfy(d -> assertThat(d).matches("SCAN atlas_blob_intents USING (COVERING )?INDEX atlas_blob_intents_dotted_blob_key"));
        }
    }

    @Test
    @DisplayName("port30 (V34): eraseOwner finds the revisions the owner authored of others' documents (its dry-run count and each"
            + " batch of its detach) from the (tenant, author_type, author_id, id) index, a batch in id order without sorting, never"
            + " from every revision of the tenant")
    void revisionsOfAnAuthorFromTheirIndex() throws SQLException {
        for (String table : List.of("assistant_revisions", "settings_revisions")) {
            for (String name : List.of("portability.countRevisionsAuthoredElsewhere.", "portability.revisionsAuthoredElsewhere.")) {
                List<String> plan = plan(DeclaredStatements.portability(Dialect.SQLITE, name + table).jdbc());
                assertThat(plan).as(name + table + ": " + plan).anySatisfy(d -> assertThat(d).matches("SEARCH atlas_" + table
                        + " USING (COVERING )?INDEX atlas_" + table + "_author \\(tenant_id=\\? AND author_type=\\? AND author_id=\\?\\)"))
                        .noneSatisfy(d -> assertThat(d).startsWith("SCAN atlas_" + table))
                        .noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
            }
        }
    }

    /** The statement {@code name} as Atlas sends it to SQLite, its parameters unbound. */
    private static String statement(String name) {
        return DeclaredStatements.asset(Dialect.SQLITE, name).jdbc();
    }

    @Test
    @DisplayName("tool threads of a conversation or a tool call, and tool calls by name, status, both or neither, are read in index order without sorting")
    void toolThreadAndToolCallListings() throws SQLException {
        List<String> threads = plan("SELECT * FROM atlas_conversations WHERE tenant_id = 't' AND parent_conversation_id = 'c' AND type = 'tool'"
                + " AND deleted_at IS NULL AND (created_at > 5 OR (created_at = 5 AND id > 'x')) ORDER BY created_at, id LIMIT 51");
        assertThat(threads).anySatisfy(d -> assertThat(d).contains("USING INDEX atlas_conversations_parent_created"));
        assertThat(threads).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        // keyset24: the page after a cursor Atlas sends starts its index range at the cursor's creation time.
        List<String> threadsAfter = plan(DeclaredStatements.conversation(Dialect.SQLITE, "conversations.toolThreadsAfter").jdbc());
        assertThat(threadsAfter).contains("SEARCH atlas_conversations USING INDEX atlas_conversations_parent_created"
                + " (tenant_id=? AND parent_conversation_id=? AND created_at>?)");
        assertThat(threadsAfter).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        List<String> ofCall = plan("SELECT * FROM atlas_conversations WHERE tenant_id = 't' AND parent_tool_call_id = 'c' AND type = 'tool'"
                + " AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1");
        assertThat(ofCall).anySatisfy(d -> assertThat(d).contains("USING INDEX atlas_conversations_parent_tool_call"));
        assertThat(ofCall).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        // Tool calls page by id (V27): by name, by status, both, or neither (the primary key).
        for (String[] c : new String[][] {{" AND name = 'search'", "INDEX atlas_execution_tool_calls_name"},
                {" AND status = 'failed'", "INDEX atlas_execution_tool_calls_status"},
                {" AND name = 'search' AND status = 'failed'", "INDEX atlas_execution_tool_calls_"}, {"", "USING "}}) {
            List<String> calls = plan("SELECT * FROM atlas_execution_tool_calls WHERE tenant_id = 't'" + c[0]
                    + " AND id < 'x' ORDER BY id DESC LIMIT 51");
            assertThat(calls).as(c[0]).anySatisfy(d -> assertThat(d).contains(c[1]).endsWith(" AND id<?)"));
            assertThat(calls).as(c[0]).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
    }

    @Test
    @DisplayName("executions listed by owner and by project (seed 003) use their V14 indexes, newest first, with bound values")
    void executionOwnerAndProjectListings() throws SQLException {
        for (String[] c : new String[][] {{"owner_type = ? AND owner_id = ?", "atlas_executions_owner"},
                {"project = ?", "atlas_executions_project"}}) {
            List<String> plan = plan("SELECT * FROM atlas_executions WHERE tenant_id = ? AND " + c[0] + " AND id < ? ORDER BY id DESC LIMIT 51");
            assertThat(plan).as(c[0]).anySatisfy(d -> assertThat(d).contains("USING INDEX " + c[1]).endsWith(" AND id<?)"));
            assertThat(plan).as(c[0]).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
        }
    }

    @Test
    @DisplayName("a tenant's usage report, by every grouping, reads only its period from the (tenant, created_at) index")
    void usageReportReadsItsPeriod() throws SQLException {
        // bench42: the period OR'ed with the search for a created_at that is no instant (86cbfc7c) let SQLite pick the grouping's
        // own index by tenant alone (SEARCH e USING INDEX atlas_executions_provider_model (tenant_id=?)), every execution of
        // the tenant read for a one-minute report: 161 ms at 100k executions against 0.11 ms before.
        for (dev.atlas.execution.UsageGroup group : dev.atlas.execution.UsageGroup.values()) {
            List<String> plan = plan(DeclaredStatements.usage(Dialect.SQLITE, group, false).jdbc());
            assertThat(plan).as(group + ": " + plan).anySatisfy(d -> assertThat(d)
                    .matches("SEARCH \\w+ USING INDEX atlas_executions_created \\(tenant_id=\\? AND created_at>\\? AND created_at<\\?\\)"));
            // The executions whose created_at holds no instant (text, blobs: after every number) are still read, from the same index.
            assertThat(plan).as(group + ": " + plan).anySatisfy(d -> assertThat(d)
                    .matches("SEARCH \\w+ USING INDEX atlas_executions_created \\(tenant_id=\\? AND created_at>\\?\\)"));
            assertThat(plan).as(group + ": " + plan).noneSatisfy(d -> assertThat(d).matches("(SEARCH|SCAN) \\w+ USING .*\\(tenant_id=\\?\\)"));
            assertThat(plan).as(group + ": " + plan).noneSatisfy(d -> assertThat(d).startsWith("SCAN atlas_executions"));
        }
    }

    @Test
    @DisplayName("due schedules come from the partial (tenant, next_run_at) index in order; schedules list by the (tenant, name) key")
    void schedulesUseIndexes() throws SQLException {
        List<String> due = plan("SELECT * FROM atlas_task_schedules WHERE tenant_id = 't' AND NOT paused AND next_run_at <= 5"
                + " ORDER BY next_run_at, id LIMIT 100");
        assertThat(due).anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_task_schedules USING INDEX atlas_task_schedules_due"));
        assertThat(due).noneSatisfy(d -> assertThat(d).startsWith("SCAN atlas_task_schedules"));
        // keyset24: the next batch of due schedules Atlas reads starts its index range at the last one's time.
        assertThat(plan(DeclaredStatements.schedule(Dialect.SQLITE, "task_schedules.dueAfter").jdbc()))
                .contains("SEARCH atlas_task_schedules USING INDEX atlas_task_schedules_due (tenant_id=? AND next_run_at>? AND next_run_at<?)");
        List<String> list = plan("SELECT * FROM atlas_task_schedules WHERE tenant_id = 't' AND name > 'a' ORDER BY name LIMIT 11");
        assertThat(list).anySatisfy(d -> assertThat(d).startsWith("SEARCH atlas_task_schedules USING INDEX"));
        assertThat(list).noneSatisfy(d -> assertThat(d).contains("TEMP B-TREE"));
    }

    @Test
    @DisplayName("register looks a blob key up in every tenant's assets and pending purges by the V17 indexes, not by a scan")
    void registeredKeyLookupUsesIndexes() throws SQLException {
        List<String> plan = plan("SELECT tenant_id FROM atlas_assets WHERE lower(blob_key) = 'k'"
                + " UNION SELECT tenant_id FROM atlas_blob_intents WHERE lower(blob_key) = 'k'");
        assertThat(plan).anySatisfy(d -> assertThat(d).contains("USING INDEX atlas_assets_blob_key_any_tenant"));
        assertThat(plan).anySatisfy(d -> assertThat(d).contains("USING INDEX atlas_blob_intents_blob_key_any_tenant"));
        assertThat(plan).noneSatisfy(d -> assertThat(d).startsWith("SCAN atlas_"));
    }

    @Test
    @DisplayName("listing memories by tag (alone, with an owner, after a cursor) walks the tag index newest first, never the tenant's memories")
    void tagListingUsesTagIndex() throws SQLException {
        MemoryStore memories = atlas.tenant("acme").memories();
        for (int i = 0; i < 3; i++) {
            memories.create(NewMemory.fact(Owner.user("alice"), "f" + i).tags("t"));
        }
        Db db = ((JdbiAtlas) atlas).db();
        List<String> listings = new ArrayList<>();
        db.statementListener((name, jdbc) -> {
            if (name.startsWith("memories.list")) {
                listings.add(jdbc);
            }
        });
        try {
            String cursor = memories.list(MemoryQuery.all().tag("t").limit(1)).nextCursor().orElseThrow();
            memories.list(MemoryQuery.all().tag("t").limit(1).after(cursor));
            memories.list(MemoryQuery.forOwner(Owner.user("alice")).agent("support").tag("t"));
        } finally {
            db.statementListener(null);
        }
        assertThat(listings).hasSize(3);
        for (String jdbc : listings) {
            List<String> plan = plan(jdbc);
            assertThat(plan).as(plan.toString()).first().satisfies(p -> assertThat(p).startsWith("SEARCH g USING COVERING INDEX atlas_memory_tags_tag"));
            assertThat(plan).as(plan.toString()).noneSatisfy(p -> assertThat(p).contains("TEMP B-TREE"))
                    .noneSatisfy(p -> assertThat(p).matches("(SCAN m|SEARCH m .*\\(tenant_id=\\?\\)).*"));
        }
    }

    @Test
    @DisplayName("every traversal (each direction, with and without an edge type) finds a step's edges by (tenant, source) or (tenant, target), never by scanning the tenant's edges")
    void traversalStepsUseIndexes() throws SQLException {
        MemoryGraph graph = atlas.tenant("acme").graph();
        graph.upsertNode(NewGraphNode.of("a"));
        graph.upsertNode(NewGraphNode.of("b"));
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        Db db = ((JdbiAtlas) atlas).db();
        Map<String, String> seen = new TreeMap<>();
        db.statementListener((name, jdbc) -> {
            if (name.startsWith("graph.traverse")) {
                seen.put(name, jdbc);
            }
        });
        try {
            for (Direction d : Direction.values()) {
                graph.traverse("a", d, null, 3, 10);
                graph.traverse("a", d, "r", 3, 10);
            }
        } finally {
            db.statementListener(null);
        }
        assertThat(seen).hasSize(6);
        for (Map.Entry<String, String> s : seen.entrySet()) {
            List<String> plan = plan(s.getValue());
            List<String> edgeSteps = plan.stream().filter(p -> p.matches("SEARCH e .*")).toList();
            assertThat(edgeSteps).as(s.getKey() + ": " + plan).isNotEmpty()
                    .allSatisfy(p -> assertThat(p).matches(".*\\(tenant_id=\\? AND (source|target)_id=\\?.*\\)"));
            assertThat(plan).as(s.getKey()).noneSatisfy(p -> assertThat(p).startsWith("SCAN e"));
            // The nodes reached are then read by primary key, not by scanning the tenant's nodes.
            assertThat(plan).as(s.getKey() + ": " + plan).anySatisfy(p -> assertThat(p).matches("SEARCH n .*\\(tenant_id=\\? AND id=\\?\\)"))
                    .noneSatisfy(p -> assertThat(p).matches("(SCAN n|SEARCH n .*\\(tenant_id=\\?\\)).*"));
        }
    }

    @Test
    @DisplayName("neighbour pages and a node's delete find the node's edges by (tenant, source) or (tenant, target), never by scanning the tenant's edges")
    void neighboursUseIndexes() throws SQLException {
        MemoryGraph graph = atlas.tenant("acme").graph();
        graph.upsertNode(NewGraphNode.of("a"));
        graph.upsertNode(NewGraphNode.of("b"));
        graph.upsertNode(NewGraphNode.of("c"));
        graph.upsertEdge(NewGraphEdge.of("a", "r", "b"));
        graph.upsertEdge(NewGraphEdge.of("c", "r", "a"));
        graph.upsertEdge(NewGraphEdge.of("a", "r", "c"));
        graph.upsertEdge(NewGraphEdge.of("b", "r", "a"));
        Db db = ((JdbiAtlas) atlas).db();
        Map<String, String> seen = new TreeMap<>();
        db.statementListener((name, jdbc) -> {
            if (name.startsWith("graph.neighbours") || name.startsWith("graph.deleteEdges")) {
                seen.put(name, jdbc);
            }
        });
        try {
            for (Direction d : Direction.values()) {
                for (String type : new String[] {null, "r"}) {
                    graph.neighbours("a", d, type, 1, graph.neighbours("a", d, type, 1, null).nextCursor().orElseThrow());
                }
            }
            graph.deleteNode("a");
        } finally {
            db.statementListener(null);
        }
        assertThat(seen).hasSize(14).containsKeys("graph.deleteEdgesFrom", "graph.deleteEdgesTo", "graph.neighbours.both",
                "graph.neighbours.both.typed.after", "graph.neighbours.incoming", "graph.neighbours.outgoing.typed");
        for (Map.Entry<String, String> s : seen.entrySet()) {
            List<String> plan = plan(s.getValue());
            assertThat(plan).as(s.getKey() + ": " + plan)
                    .anySatisfy(p -> assertThat(p).matches("SEARCH (e|atlas_graph_edges) .*\\(tenant_id=\\? AND (source|target)_id=\\?.*\\)"))
                    .noneSatisfy(p -> assertThat(p).matches("(SCAN (e|atlas_graph_edges)|SEARCH (e|atlas_graph_edges) .*\\(tenant_id=\\?\\)).*"));
            if (s.getKey().startsWith("graph.neighbours")) {
                // graph18 (V32): a page reads the node's edges in page order from the (tenant, source|target, weight DESC, id)
                // index and sorts nothing (it sorted all of the node's edges). After a cursor, each direction reads from the
                // cursor itself: its weight from the cursor's id on (weight=? AND id>?), then the lighter edges (weight<?), so a
                // run of equal weights (every edge's default 1.0) is not read again from its start by each later page.
                boolean after = s.getKey().endsWith(".after");
                int directions = s.getKey().contains(".both") ? 2 : 1;
                List<String> edges = plan.stream().filter(p -> p.startsWith("SEARCH e ")).toList();
                assertThat(edges).as(s.getKey() + ": " + plan).hasSize(after ? 2 * directions : directions)
                        .allSatisfy(p -> assertThat(p).matches("SEARCH e USING INDEX atlas_graph_edges_" + (s.getKey().contains(".typed") ? "(source_type_weight|target)"
                                : "(source|target)_weight") + " \\(tenant_id=\\? AND (source|target)_id=\\?"
                                + (s.getKey().contains(".typed") ? " AND type=\\?" : "") + (after ? " AND weight(=\\? AND id>\\?|<\\?)" : "") + "\\)"));
                assertThat(edges).as(s.getKey() + ": " + plan).filteredOn(p -> p.contains(" AND weight=? AND id>?)")).hasSize(after ? directions : 0);
                assertThat(plan).as(s.getKey() + ": " + plan).noneSatisfy(p -> assertThat(p).contains("TEMP B-TREE"));
            }
        }
    }
}
