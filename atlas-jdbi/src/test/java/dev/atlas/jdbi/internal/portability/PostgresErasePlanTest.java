package dev.atlas.jdbi.internal.portability;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.search.SearchTarget;
import dev.atlas.task.NewTask;
import dev.atlas.voice.NewVoiceCall;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL's plan of the statement that chooses an erase's next batch of vectors ({@link Scope#condition} for
 * {@code vectors}, as {@code JdbiPortability} selects a batch), EXPLAIN ANALYZE on a tenant holding most of the database's
 * vectors. A conversation's or an owner's vectors are found through the vectors' indexes (by conversation, by target):
 * written as one {@code OR} of four {@code IN} lists, PostgreSQL read every vector of the tenant for each batch, 926 ms to
 * erase a conversation without vectors beside a million vectors of its tenant. The attachments, assets, voice calls, tasks and
 * executions of a scope likewise: each an {@code OR} of {@code IN} lists before, read by PostgreSQL from every row of the tenant
 * per batch (530 to 800 ms for a batch of attachments beside 300,000 of other owners).
 */
class PostgresErasePlanTest {
    private final PostgresTestDatabase database = new PostgresTestDatabase();
    private Atlas atlas;
    @TempDir
    Path blobs;

    @BeforeEach
    void open() {
        atlas = database.open(b -> b.blobStore(new LocalDirectoryBlobStore(blobs)));
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

    @Test
    @DisplayName("an erase's batch of attachments, assets, voice calls, tasks and executions of a conversation or an owner reads"
            + " them by index, planned for the values and generic, beside 6,000 of each of other owners in the tenant; so does the"
            + " choice of the uploads only the scope's messages hold")
    void eraseReadsTheScopesRowsByIndex() throws SQLException {
        Tenant big = atlas.tenant("big");
        Owner alice = Owner.user("alice");
        Conversation c = big.conversations().create(NewConversation.of(alice));
        Message m = big.conversations().append(c.id(), NewMessage.user("hello"));
        Asset upload = big.assets().create(NewAsset.of(AssetType.DOCUMENT, "receipt.pdf", "application/pdf").owner(alice), bytes("receipt"));
        big.assets().attach(m.id(), upload.id(), Map.of());
        ExecutionHandle e = big.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        big.assets().create(NewAsset.of(AssetType.IMAGE, "chart.png", "image/png").execution(e.id(), null), bytes("chart"));
        e.complete();
        big.executions().start(ExecutionSpec.text("openai", "gpt-4o").owner(alice)).complete();
        big.assets().create(NewAsset.of(AssetType.DOCUMENT, "own.pdf", "application/pdf").owner(alice), bytes("own"));
        big.voiceCalls().start(NewVoiceCall.of("in-conversation", "openai", "rt").owner(alice).conversation(c.id()));
        big.voiceCalls().start(NewVoiceCall.of("alone", "openai", "rt").owner(alice));
        big.tasks().create(NewTask.of("summarise", Map.of()).forConversation(c.id()));
        big.tasks().create(NewTask.of("remind", Map.of()).owner(alice));
        big.conversations().delete(c.id());
        try (Connection conn = database.dataSource().getConnection(); Statement s = conn.createStatement()) {
            // Other owners' rows of the same tenant, each kind 6,000 times, and 1,200 in ten other tenants: the generic plan
            // takes a tenant to hold a share of the rows as the statistics count them (all of them, if it were alone).
            String others = " FROM generate_series(1, 7200) g";
            String tenant = "CASE WHEN g <= 6000 THEN 'big' ELSE 'small' || (g % 10) END";
            s.execute("INSERT INTO atlas_conversations (tenant_id, id, owner_type, owner_id, type, status, metadata, last_sequence, activity_at,"
                    + " created_at, updated_at) SELECT " + tenant + ", md5('c' || g)::uuid, 'user', 'o' || (g % 100), 'user', 'open', '{}', 1, now(),"
                    + " now(), now()" + others);
            s.execute("INSERT INTO atlas_messages (tenant_id, id, conversation_id, sequence, role, content_type, content, status, is_active,"
                    + " metadata, created_at, updated_at, search_text) SELECT " + tenant + ", md5('m' || g)::uuid, md5('c' || g)::uuid, 1, 'user', 'text',"
                    + " 'hi', 'delivered', true, '{}', now(), now(), 'hi'" + others);
            s.execute("INSERT INTO atlas_executions (tenant_id, id, conversation_id, provider, model, type, status, metadata, created_at,"
                    + " updated_at, owner_type, owner_id) SELECT " + tenant + ", md5('e' || g)::uuid, CASE WHEN g % 2 = 0 THEN md5('c' || g)::uuid END,"
                    + " 'openai', 'gpt-4o', 'text', 'completed', '{}', now(), now(), 'user', 'o' || (g % 100)" + others);
            s.execute("INSERT INTO atlas_assets (tenant_id, id, type, filename, blob_key, size_bytes, sha256, owner_type, owner_id, execution_id,"
                    + " metadata, created_at, updated_at) SELECT " + tenant + ", md5('a' || g)::uuid, 'image', 'x.png', 'k/' || g, 1, 'ab',"
                    + " CASE WHEN g % 2 = 0 THEN 'user' END, CASE WHEN g % 2 = 0 THEN 'o' || (g % 100) END,"
                    + " CASE WHEN g % 2 = 1 THEN md5('e' || g)::uuid END, '{}', now(), now()" + others);
            s.execute("INSERT INTO atlas_message_assets (tenant_id, id, message_id, asset_id, metadata, created_at)"
                    + " SELECT " + tenant + ", md5('ma' || g)::uuid, md5('m' || g)::uuid, md5('a' || g)::uuid, '{}', now()" + others);
            s.execute("INSERT INTO atlas_voice_calls (tenant_id, id, session_id, conversation_id, execution_id, owner_type, owner_id, provider,"
                    + " model, status, transcript, metadata, started_at, created_at, updated_at) SELECT " + tenant + ", md5('v' || g)::uuid, 's' || g,"
                    + " CASE WHEN g % 3 = 0 THEN md5('c' || g)::uuid END, CASE WHEN g % 3 = 1 THEN md5('e' || g)::uuid END,"
                    + " CASE WHEN g % 3 <> 1 THEN 'user' END, CASE WHEN g % 3 <> 1 THEN 'o' || (g % 100) END, 'openai', 'rt', 'completed',"
                    + " '[]', '{}', now(), now(), now()" + others);
            s.execute("INSERT INTO atlas_tasks (tenant_id, id, kind, payload, conversation_id, owner_type, owner_id, status, attempts,"
                    + " max_attempts, run_after, created_at, updated_at) SELECT " + tenant + ", md5('t' || g)::uuid, 'k', '{}',"
                    + " CASE WHEN g % 2 = 0 THEN md5('c' || g)::uuid END, 'user', 'o' || (g % 100), 'pending', 0, 3, now(), now(), now()" + others);
            s.execute("VACUUM ANALYZE");
            Map<String, long[]> expected = new LinkedHashMap<>(); // per table: the conversation's rows, the owner's
            expected.put("message_assets", new long[] {1, 1});
            expected.put("assets", new long[] {2, 3});
            expected.put("voice_calls", new long[] {1, 2});
            expected.put("tasks", new long[] {1, 2});
            expected.put("executions", new long[] {1, 2});
            List<Scope> scopes = List.of(Scope.conversation(c.id()).withUploads(List.of(upload.id())).closed(),
                    Scope.owner(alice).withUploads(List.of(upload.id())).closed());
            int n = 0;
            for (Map.Entry<String, long[]> table : expected.entrySet()) {
                for (int i = 0; i < scopes.size(); i++) {
                    String text = ("SELECT x.id FROM <p>" + table.getKey() + " x WHERE x.tenant_id = :t AND "
                            + scopes.get(i).condition(table.getKey(), false) + " LIMIT " + (table.getKey().equals("executions")
                            ? JdbiPortability.FAMILY_BATCH : JdbiPortability.BATCH)).replace("<p>", "atlas_")
                            .replaceAll(":t\\b", "\\$1").replaceAll(":cid\\b", "\\$2").replaceAll(":ot\\b", "\\$3")
                            .replaceAll(":oi\\b", "\\$4").replaceAll(":uploads0\\b", "\\$5");
                    String name = "batch" + n++;
                    s.execute("PREPARE " + name + " (text, uuid, text, text, uuid) AS " + text);
                    String execute = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE " + name + " ('big', '" + c.id()
                            + "', 'user', 'alice', '" + upload.id() + "')";
                    s.execute("SET plan_cache_mode = force_custom_plan");
                    List<String> custom = lines(s, execute);
                    s.execute("SET plan_cache_mode = force_generic_plan");
                    List<String> generic = lines(s, execute);
                    for (List<String> plan : List.of(custom, generic)) {
                        String all = table.getKey() + " of " + scopes.get(i).kind + "\n" + String.join("\n", plan);
                        assertThat(plan.get(0)).as(all).contains("rows=" + table.getValue()[i] + ".00");
                        assertThat(plan).as(all).noneMatch(line -> line.contains("Seq Scan"));
                        assertThat(plan).as(all).noneMatch(line -> line.matches(".*Rows Removed by Filter: \\d{4,}.*"));
                    }
                }
            }
            // The uploads only the scope's messages hold, read once per pass: by index, as each batch is; the custom plan read every
            // attachment of the tenant (Hash Right Anti Join over a Seq Scan of atlas_message_assets).
            for (Scope scope : List.of(Scope.conversation(c.id()), Scope.owner(alice))) {
                String text = PortabilitySql.exclusiveUploadsText(scope).replace("<p>", "atlas_").replaceAll(":t\\b", "\\$1")
                        .replaceAll(":cid\\b", "\\$2").replaceAll(":ot\\b", "\\$3").replaceAll(":oi\\b", "\\$4");
                String name = "uploads" + n++;
                s.execute("PREPARE " + name + " (text, uuid, text, text) AS " + text);
                String execute = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE " + name + " ('big', '" + c.id()
                        + "', 'user', 'alice')";
                for (String mode : List.of("force_custom_plan", "force_generic_plan")) {
                    s.execute("SET plan_cache_mode = " + mode);
                    List<String> plan = lines(s, execute);
                    String all = "uploads of " + scope.kind + " (" + mode + ")\n" + String.join("\n", plan);
                    assertThat(plan.get(0)).as(all).contains("rows=1.00");
                    assertThat(plan).as(all).noneMatch(line -> line.contains("Seq Scan"));
                    assertThat(plan).as(all).noneMatch(line -> line.matches(".*Rows Removed by Filter: \\d{4,}.*"));
                    assertThat(plan).as(all).noneMatch(line -> line.matches(".*atlas_message_assets.*actual rows=\\d{4,}.*"));
                }
            }
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
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
