package dev.atlas.jdbi;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.PostgresLockWaits;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchTarget;
import dev.atlas.portability.EraseReport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Erase racing a write still in flight on another connection, with PostgreSQL's real row locks:
 * the writer's transaction is held open by hand while the erase runs into it. SQLite's single
 * writer cannot interleave them (PortabilityContract covers the orders between transactions). Run by
 * {@link PostgresEraseRaceTest} and {@link PgvectorEraseRaceTest}.
 */
abstract class PostgresEraseRaces extends AtlasContract {
    /** {@link PostgresEraseRaceTest} on embedded PostgreSQL; {@link PgvectorEraseRaceTest} where vector writes also fill the embedding column. */
    PostgresEraseRaces(TestDatabase database) {
        super(database);
    }

    private static long count(Connection c, String sql, UUID id) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    @DisplayName("a step insert still uncommitted when eraseConversation reaches its execution (before: the erase deleted the steps"
            + " without it, then failed on its foreign key): the erase waits for it and deletes it with the execution")
    void eraseWaitsForAStepInFlightAndDeletesIt() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        acme.conversations().append(c, NewMessage.user("go"));
        ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c));
        run.step();
        try (Connection writer = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            writer.setAutoCommit(false);
            // What a step insert does: share-locks its running execution, then inserts the step.
            try (PreparedStatement ps = writer.prepareStatement("SELECT 1 FROM atlas_executions WHERE tenant_id = 'acme' AND id = ?"
                    + " AND status = 'processing' FOR SHARE")) {
                ps.setObject(1, run.id());
                assertThat(ps.executeQuery().next()).isTrue();
            }
            try (PreparedStatement ps = writer.prepareStatement("INSERT INTO atlas_execution_steps (tenant_id, id, execution_id, sequence,"
                    + " status, started_at, created_at, updated_at) VALUES ('acme', ?, ?, 2, 'processing', now(), now(), now())")) {
                ps.setObject(1, UUID.randomUUID());
                ps.setObject(2, run.id());
                ps.executeUpdate();
            }
            CompletableFuture<EraseReport> erase = CompletableFuture.supplyAsync(() -> acme.portability().eraseConversation(c, false));
            awaitLockWaitOrDone(probe, erase);
            writer.commit();
            EraseReport report = erase.get(60, TimeUnit.SECONDS);
            assertThat(report.counts()).containsEntry("executions", 1L).containsEntry("execution_steps", 2L).containsEntry("conversations", 1L);
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_execution_steps WHERE execution_id = ?", run.id())).isZero();
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_executions WHERE id = ?", run.id())).isZero();
        }
    }

    @Test
    @DisplayName("an execution started while an erase's soft-delete of its conversation is still uncommitted waits for it and is"
            + " refused NotFoundException (conversation), so no execution lands in a conversation being erased (before: it read the"
            + " last committed, live row and was stored)")
    void executionStartWaitsForTheErasesSoftDelete() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        try (Connection eraser = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            eraser.setAutoCommit(false);
            // What an erase's first transaction does: soft-delete the scope's conversations.
            try (PreparedStatement ps = eraser.prepareStatement("UPDATE atlas_conversations SET deleted_at = now()"
                    + " WHERE tenant_id = 'acme' AND id = ?")) {
                ps.setObject(1, c);
                assertThat(ps.executeUpdate()).isEqualTo(1);
            }
            CompletableFuture<ExecutionHandle> start = CompletableFuture.supplyAsync(
                    () -> acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(c)));
            awaitLockWaitOrDone(probe, start);
            eraser.commit();
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> start.get(60, TimeUnit.SECONDS)))
                    .hasCauseInstanceOf(dev.atlas.NotFoundException.class).cause()
                    .satisfies(e -> assertThat(((dev.atlas.NotFoundException) e).entity()).isEqualTo("conversation"));
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_executions WHERE conversation_id = ?", c)).isZero();
        }
    }

    // ---- vectors: no foreign key, so the erase and the vector write must order themselves ----------

    /** What a vector write does after its source check: inserts the row (vectors of {@code model} have 2 dimensions). */
    private static void insertVector(Connection c, String type, UUID target, UUID conversation) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO atlas_vectors (tenant_id, id, target_type, target_id, model, dimension,"
                + " vector, conversation_id, created_at, updated_at) VALUES ('acme', ?, ?, ?, 'emb', 2, ?, ?, now(), now())")) {
            ps.setObject(1, UUID.randomUUID());
            ps.setString(2, type);
            ps.setObject(3, target);
            ps.setBytes(4, new byte[] {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, 0}); // {1f, 0f}, little-endian float32
            ps.setObject(5, conversation);
            ps.executeUpdate();
        }
    }

    private static void lockRow(Connection c, String table, UUID id, String mode) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM atlas_" + table + " WHERE tenant_id = 'acme' AND id = ? " + mode)) {
            ps.setObject(1, id);
            assertThat(ps.executeQuery().next()).isTrue();
        }
    }

    private static Throwable failure(CompletableFuture<?> call) {
        return org.assertj.core.api.Assertions.catchThrowable(() -> call.get(60, TimeUnit.SECONDS));
    }

    private static void assertNotFound(Throwable t, String entity) {
        assertThat(t).hasCauseInstanceOf(dev.atlas.NotFoundException.class).cause()
                .satisfies(e -> assertThat(((dev.atlas.NotFoundException) e).entity()).isEqualTo(entity));
    }

    @Test
    @DisplayName("a memory's vector still uncommitted when eraseOwner runs (its write share-locks the memory) is deleted with the memory"
            + " (before: the erase had swept vectors before it reached the memory and left the vector behind)")
    void eraseWaitsForAMemoryVectorInFlightAndDeletesIt() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Memory kept = acme.memories().create(NewMemory.fact(Owner.user("alice"), "likes tea"));
        Memory racing = acme.memories().create(NewMemory.fact(Owner.user("alice"), "likes coffee"));
        acme.search().upsertVector(SearchTarget.MEMORY, kept.id(), "emb", new float[] {1, 0});
        try (Connection writer = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            writer.setAutoCommit(false);
            lockRow(writer, "memories", racing.id(), "FOR SHARE");
            insertVector(writer, "memory", racing.id(), null);
            CompletableFuture<EraseReport> erase = CompletableFuture.supplyAsync(() -> acme.portability().eraseOwner(Owner.user("alice"), false));
            awaitLockWaitOrDone(probe, erase);
            writer.commit();
            assertThat(erase.get(60, TimeUnit.SECONDS).counts()).containsEntry("memories", 2L).containsEntry("vectors", 2L);
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_vectors WHERE target_id = ?", racing.id())).isZero();
        }
    }

    @Test
    @DisplayName("a memory vector written while an erase holds the memory, deleted but uncommitted, waits for it and is refused"
            + " NotFoundException (memory) (before: it read the last committed, live memory and stored a vector of an erased memory)")
    void memoryVectorWaitsForTheErasesDelete() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Memory m = acme.memories().create(NewMemory.fact(Owner.user("alice"), "likes tea"));
        acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "emb", new float[] {1, 0});
        try (Connection eraser = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            eraser.setAutoCommit(false);
            // What an erase's batch of memories does: locks them, then deletes them with their children and vectors.
            lockRow(eraser, "memories", m.id(), "FOR UPDATE");
            for (String sql : List.of("DELETE FROM atlas_vectors WHERE tenant_id = 'acme' AND target_id = ?",
                    "DELETE FROM atlas_memory_tags WHERE tenant_id = 'acme' AND memory_id = ?",
                    "DELETE FROM atlas_memory_revisions WHERE tenant_id = 'acme' AND memory_id = ?",
                    "DELETE FROM atlas_memories WHERE tenant_id = 'acme' AND id = ?")) {
                try (PreparedStatement ps = eraser.prepareStatement(sql)) {
                    ps.setObject(1, m.id());
                    ps.executeUpdate();
                }
            }
            CompletableFuture<Void> put = CompletableFuture.runAsync(
                    () -> acme.search().upsertVector(SearchTarget.MEMORY, m.id(), "emb", new float[] {0, 1}));
            awaitLockWaitOrDone(probe, put);
            eraser.commit();
            assertNotFound(failure(put), "memory");
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_vectors WHERE target_id = ?", m.id())).isZero();
        }
    }

    @Test
    @DisplayName("a message vector written while an erase's soft-delete of its conversation is uncommitted waits for it and is refused"
            + " NotFoundException (message) (before: it read the last committed, live conversation and its vector outlived the erase)")
    void messageVectorWaitsForTheErasesSoftDelete() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        UUID message = acme.conversations().append(c, NewMessage.user("hello")).id();
        try (Connection eraser = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            eraser.setAutoCommit(false);
            softDelete(eraser, c);
            CompletableFuture<Void> put = CompletableFuture.runAsync(
                    () -> acme.search().upsertVector(SearchTarget.MESSAGE, message, "emb", new float[] {0, 1}));
            awaitLockWaitOrDone(probe, put);
            eraser.commit();
            assertNotFound(failure(put), "message");
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_vectors WHERE target_id = ?", message)).isZero();
        }
    }

    @Test
    @DisplayName("a message vector written while a purge holds the message's conversation locked and has deleted the message waits and"
            + " is refused NotFoundException (message) (before: it had read the message before the lock and stored a vector of a purged message)")
    void messageVectorWaitsForAPurgeOfTheMessage() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        UUID message = acme.conversations().append(c, NewMessage.user("hello")).id();
        try (Connection purger = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            purger.setAutoCommit(false);
            // What a purge's batch of messages does: locks their conversations, then deletes the messages (with their vectors).
            lockRow(purger, "conversations", c, "FOR UPDATE");
            for (String sql : List.of("DELETE FROM atlas_message_events WHERE tenant_id = 'acme' AND message_id = ?",
                    "DELETE FROM atlas_messages WHERE tenant_id = 'acme' AND id = ?")) {
                try (PreparedStatement ps = purger.prepareStatement(sql)) {
                    ps.setObject(1, message);
                    ps.executeUpdate();
                }
            }
            CompletableFuture<Void> put = CompletableFuture.runAsync(
                    () -> acme.search().upsertVector(SearchTarget.MESSAGE, message, "emb", new float[] {0, 1}));
            awaitLockWaitOrDone(probe, put);
            purger.commit();
            assertNotFound(failure(put), "message");
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_vectors WHERE target_id = ?", message)).isZero();
        }
    }

    @Test
    @DisplayName("an asset's vector still uncommitted when eraseOwner deletes the owner's asset (its write share-locks the asset) is"
            + " deleted with the asset (before: the erase had swept vectors before the assets and left it behind)")
    void eraseWaitsForAnAssetVectorInFlightAndDeletesIt() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID asset = acme.assets().store(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "a.txt", "text/plain")
                .owner(Owner.user("alice")), new byte[] {1, 2}).id();
        try (Connection writer = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            writer.setAutoCommit(false);
            lockRow(writer, "assets", asset, "FOR SHARE");
            insertVector(writer, "asset", asset, null);
            CompletableFuture<EraseReport> erase = CompletableFuture.supplyAsync(() -> acme.portability().eraseOwner(Owner.user("alice"), false));
            awaitLockWaitOrDone(probe, erase);
            writer.commit();
            assertThat(erase.get(60, TimeUnit.SECONDS).counts()).containsEntry("assets", 1L).containsEntry("vectors", 1L);
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_vectors WHERE target_id = ?", asset)).isZero();
        }
    }

    @Test
    @DisplayName("an asset vector naming a conversation whose erase's soft-delete is uncommitted waits for it and is refused"
            + " NotFoundException (conversation) (before: it was stored, pointing into the erased conversation)")
    void assetVectorWaitsForTheErasesSoftDeleteOfItsConversation() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        UUID asset = acme.assets().store(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "a.txt", "text/plain")
                .owner(Owner.user("bob")), new byte[] {1, 2}).id();
        try (Connection eraser = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            eraser.setAutoCommit(false);
            softDelete(eraser, c);
            CompletableFuture<Void> put = CompletableFuture.runAsync(() -> acme.search().upsertAssetVector(asset, c, "emb", new float[] {0, 1}));
            awaitLockWaitOrDone(probe, put);
            eraser.commit();
            assertNotFound(failure(put), "conversation");
            assertThat(count(probe, "SELECT COUNT(*) FROM atlas_vectors WHERE target_id = ?", asset)).isZero();
        }
    }

    @Test
    @DisplayName("eraseTenant and eraseOwner of one tenant at once, both queued behind a transaction holding a tool thread whose id"
            + " is below its parent's, the owner's erase on an instance whose planner reads the table in its physical order: each"
            + " locks the conversations it closes in id order, so both finish and erase each row once between them (before: the"
            + " owner's close locked the parent in the order its plan met it, then waited for the thread, which the tenant's close"
            + " held while waiting for the parent: deadlock detected, 40P01, and the tenant's erase failed)")
    void eraseTenantAndEraseOwnerCloseConversationsInOneOrder() throws Exception {
        Tenant source = atlas.tenant("source");
        Owner alice = Owner.user("alice");
        UUID parent = source.conversations().create(NewConversation.of(alice)).id();
        source.conversations().append(parent, NewMessage.user("parent"));
        // Another owner's agent's tool thread below alice's conversation: eraseOwner(alice) takes it with its parent.
        UUID thread = source.conversations().create(NewConversation.toolThread(Owner.user("bob"), "agent", parent, null)).id();
        source.conversations().append(thread, NewMessage.user("thread"));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        source.portability().exportTo(out, dev.atlas.portability.ExportScope.tenant());
        // The thread imported under an id below its parent's (ids are the file's: another system's, or hand-made), and stored
        // after it: the table holds them in the other order than their ids.
        UUID low = new UUID(0x0000000000007000L, 0x8000000000000001L);
        String file = out.toString(java.nio.charset.StandardCharsets.UTF_8).replace(thread.toString(), low.toString());
        atlas.tenant("acme").portability().importFrom(new java.io.ByteArrayInputStream(file.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        // Another instance whose plans read tables in their physical order, as a large table's plans do (a sequential scan or
        // a hash join over one): the order a statement meets rows in is the planner's, not the ids'.
        org.postgresql.ds.common.BaseDataSource kits = (org.postgresql.ds.common.BaseDataSource) database.dataSource();
        org.postgresql.ds.PGSimpleDataSource physical = new org.postgresql.ds.PGSimpleDataSource();
        physical.setUrl(kits.getUrl());
        physical.setUser(kits.getUser());
        physical.setPassword(kits.getPassword());
        physical.setOptions("-c enable_indexscan=off -c enable_bitmapscan=off -c enable_indexonlyscan=off");
        dev.atlas.Atlas other = reopen(b -> b.dataSource(physical));
        try (Connection holder = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            lockRow(holder, "conversations", low, "FOR UPDATE");
            CompletableFuture<EraseReport> tenant = CompletableFuture.supplyAsync(() -> atlas.tenant("acme").portability().eraseTenant(false));
            PostgresLockWaits.await(probe, 1, tenant);
            CompletableFuture<EraseReport> owner = CompletableFuture.supplyAsync(() -> other.tenant("acme").portability().eraseOwner(alice, false));
            PostgresLockWaits.await(probe, 2, owner);
            holder.commit();
            EraseReport t = tenant.get(60, TimeUnit.SECONDS);
            EraseReport o = owner.get(60, TimeUnit.SECONDS);
            assertThat(t.count("conversations") + o.count("conversations")).isEqualTo(2);
            assertThat(t.count("messages") + o.count("messages")).isEqualTo(2);
            try (PreparedStatement ps = probe.prepareStatement("SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = 'acme'");
                    ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
        }
    }

    @Test
    @DisplayName("a conversation created while eraseTenant runs, whose message attaches an asset an erased execution made, is kept"
            + " whole by that pass, the attachment and the asset's bytes with it: an erase stopped after the pass leaves it readable")
    void aConversationCreatedMeanwhileKeepsAnUploadOfAnErasedExecution() throws Exception {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        Tenant acme = atlas.tenant("acme");
        UUID old = acme.conversations().create(NewConversation.of(Owner.user("alice"))).id();
        acme.conversations().append(old, NewMessage.user("go"));
        ExecutionHandle run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(old));
        UUID made = acme.assets().store(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "c.png", "image/png")
                .execution(run.id(), null), new byte[] {1, 2, 3}).id();
        java.util.concurrent.atomic.AtomicReference<UUID> message = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        RuntimeException crash = new IllegalStateException("crash after the pass");
        db.statementListener((name, sql) -> {
            if (message.get() == null && failed.get() == null && name.equals("portability.erase.vectors")) {
                // The pass has closed the tenant's conversations; another connection starts a new one and attaches the upload.
                Thread w = new Thread(() -> {
                    try {
                        UUID n = acme.conversations().create(NewConversation.of(Owner.user("bob"))).id();
                        UUID m = acme.conversations().append(n, NewMessage.user("look")).id();
                        acme.assets().attach(m, made, java.util.Map.of());
                        message.set(m);
                    } catch (Throwable e) {
                        failed.set(e);
                    }
                });
                w.start();
                try {
                    w.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else if (name.equals("portability.deleteLeases")) {
                throw crash;
            }
        });
        Throwable thrown;
        try {
            thrown = org.assertj.core.api.Assertions.catchThrowable(() -> acme.portability().eraseTenant(false));
        } finally {
            db.statementListener(null);
        }
        assertThat(failed.get()).isNull();
        assertThat(thrown).isSameAs(crash);
        assertThat(acme.assets().forMessage(message.get())).extracting(a -> a.asset().id()).containsExactly(made);
        try (java.io.InputStream in = acme.assets().open(made)) {
            assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
        }
        acme.portability().eraseTenant(false);
        assertThat(acme.portability().eraseTenant(true).counts()).isEmpty();
    }

    /** What an erase's first transaction does: soft-delete the scope's conversations. */
    private static void softDelete(Connection eraser, UUID conversation) throws Exception {
        try (PreparedStatement ps = eraser.prepareStatement("UPDATE atlas_conversations SET deleted_at = now() WHERE tenant_id = 'acme' AND id = ?")) {
            ps.setObject(1, conversation);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    /** Waits (up to 30 s) until a session waits on a row lock, or {@code call} has finished without waiting. */
    private static void awaitLockWaitOrDone(Connection probe, CompletableFuture<?> call) throws Exception {
        for (int i = 0; i < 3000 && !call.isDone(); i++) {
            try (PreparedStatement ps = probe.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) >= 1) {
                    return;
                }
            }
            Thread.sleep(10);
        }
    }
}
