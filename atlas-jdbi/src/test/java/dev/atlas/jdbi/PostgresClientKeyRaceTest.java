package dev.atlas.jdbi;

import dev.atlas.ConflictException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.PostgresLockWaits;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.NewMemory;
import dev.atlas.portability.ExportScope;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A portability import and a keyed {@code create} of one client key (a memory's, a task's, an
 * asset's) racing on PostgreSQL, made to interleave by construction: a lock on a table the first of
 * them writes next, held by hand, stops it after its keyed row is inserted and before it commits.
 * The second must then wait for the first and see its row, not pass its key check and meet the
 * unique index. SQLite's single writer cannot interleave them.
 */
class PostgresClientKeyRaceTest extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");

    PostgresClientKeyRaceTest() {
        super(new PostgresTestDatabase());
    }

    /** An export of a tenant holding one tagged memory {@code m} with client key "k". */
    private byte[] exportOf(NewMemory m) {
        Tenant source = atlas.tenant("source");
        source.memories().create(m);
        return export(source);
    }

    @Test
    @DisplayName("a keyed create meeting an import's uncommitted row with the same key returns the imported memory when it is the"
            + " same create, and is ConflictException on clientKey when it is not (before: an unnamed StorageException, unique violation)")
    void createRacingImportOfItsKey() throws Exception {
        NewMemory imported = NewMemory.fact(ALICE, "Lives in Lyon").agent("support").tags("home").clientKey("k");
        byte[] file = exportOf(imported);
        Tenant acme = atlas.tenant("acme");
        Memory same = race("atlas_memory_tags", () -> acme.portability().importFrom(new ByteArrayInputStream(file)), () -> acme.memories().create(imported));
        assertThat(same.content()).isEqualTo("Lives in Lyon");
        assertThat(acme.memories().list(MemoryQuery.all()).items()).extracting(Memory::id).containsExactly(same.id());
        assertThat(same.id()).isEqualTo(atlas.tenant("source").memories().list(MemoryQuery.all()).items().get(0).id());

        Tenant globex = atlas.tenant("globex");
        Throwable other = catchThrowable(() -> race("atlas_memory_tags", () -> globex.portability().importFrom(new ByteArrayInputStream(file)),
                () -> globex.memories().create(NewMemory.fact(ALICE, "Lives in Paris").agent("support").clientKey("k"))));
        assertThat(other).isInstanceOf(ConflictException.class);
        assertThat(((ConflictException) other).field()).isEqualTo("clientKey");
        assertThat(globex.memories().list(MemoryQuery.all()).items()).extracting(Memory::content).containsExactly("Lives in Lyon");
    }

    @Test
    @DisplayName("an import meeting a keyed create's uncommitted row with the same key is ConflictException naming the line's"
            + " memory.client_key, the created memory stays, and no part of the exception quotes the imported row")
    void importRacingCreateOfItsKey() throws Exception {
        NewMemory m = NewMemory.fact(ALICE, "Lives in Lyon").agent("support").tags("home").clientKey("k");
        byte[] file = exportOf(m);
        Tenant acme = atlas.tenant("acme");
        Throwable thrown = catchThrowable(() -> race("atlas_memory_tags", () -> acme.memories().create(m),
                () -> acme.portability().importFrom(new ByteArrayInputStream(file))));
        assertThat(thrown).isInstanceOf(ConflictException.class);
        assertThat(((ConflictException) thrown).field()).isEqualTo("line 2: memory.client_key");
        assertThat(acme.memories().list(MemoryQuery.all()).items()).hasSize(1);
        // The driver's batch error would quote the row it sent, content and all, to whoever logs this exception.
        java.io.StringWriter trace = new java.io.StringWriter();
        thrown.printStackTrace(new java.io.PrintWriter(trace));
        assertThat(trace.toString()).contains("duplicate key").doesNotContain("Lives in Lyon").doesNotContain("alice");
    }

    @Test
    @DisplayName("on an application's HikariCP pool without logServerErrorDetail=false, the import's ConflictException and its whole"
            + " cause chain still quote only the server's message, not the row pgjdbc sent (before: the batch entry's values and the"
            + " key's Detail)")
    void importRacingCreateOfItsKeyOnAnApplicationsPool() throws Exception {
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setDataSource(database.dataSource()); // pgjdbc's defaults: logServerErrorDetail on
        try (com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource(config)) {
            dev.atlas.Atlas app = reopen(b -> b.dataSource(pool));
            NewMemory m = NewMemory.fact(Owner.user("owner-5d1c"), "Lives in Lyon-8e2f").agent("support").tags("home").clientKey("key-3b7a");
            Tenant source = app.tenant("source");
            source.memories().create(m);
            byte[] file = export(source);
            Tenant tenant = app.tenant("tenant-9c4e");
            Throwable thrown = catchThrowable(() -> race("atlas_memory_tags", () -> tenant.memories().create(m),
                    () -> tenant.portability().importFrom(new ByteArrayInputStream(file))));
            assertThat(thrown).isInstanceOf(ConflictException.class);
            assertThat(((ConflictException) thrown).field()).isEqualTo("line 2: memory.client_key");
            java.io.StringWriter trace = new java.io.StringWriter();
            thrown.printStackTrace(new java.io.PrintWriter(trace));
            assertThat(trace.toString()).contains("duplicate key value violates unique constraint \"atlas_memories_client_key\"")
                    .doesNotContain("Lyon-8e2f").doesNotContain("owner-5d1c").doesNotContain("tenant-9c4e");
            // Atlas's own message names the caller's key it conflicts on; no cause quotes it.
            assertThat(trace.toString().substring(trace.toString().indexOf("Caused by:"))).doesNotContain("key-3b7a");
            app.close();
        }
    }

    @Test
    @DisplayName("a keyed task create meeting an import's uncommitted task with the same key returns the imported task when it is the"
            + " same create, and is ConflictException on clientKey when it is not")
    void taskCreateRacingImportOfItsKey() throws Exception {
        NewTask task = NewTask.of("email.send", java.util.Map.of("to", "a@example.com")).clientKey("k");
        Tenant source = atlas.tenant("source");
        UUID sourceId = source.tasks().create(task).id();
        source.settings().create("after-tasks", "Written after the tasks", null);
        byte[] file = export(source);
        Tenant acme = atlas.tenant("acme");
        Task same = race("atlas_settings", () -> acme.portability().importFrom(new ByteArrayInputStream(file)), () -> acme.tasks().create(task));
        assertThat(same.id()).isEqualTo(sourceId);
        assertThat(acme.tasks().list(TaskQuery.all()).items()).extracting(Task::id).containsExactly(sourceId);

        Tenant globex = atlas.tenant("globex");
        Throwable other = catchThrowable(() -> race("atlas_settings", () -> globex.portability().importFrom(new ByteArrayInputStream(file)),
                () -> globex.tasks().create(NewTask.of("email.send", java.util.Map.of("to", "b@example.com")).clientKey("k"))));
        assertThat(other).isInstanceOf(ConflictException.class);
        assertThat(((ConflictException) other).field()).isEqualTo("clientKey");
        assertThat(globex.tasks().list(TaskQuery.all()).items()).extracting(Task::id).containsExactly(sourceId);
    }

    @Test
    @DisplayName("a keyed asset create meeting an import's uncommitted asset with the same key returns the imported asset when it is"
            + " the same create, and is ConflictException on clientKey when it is not")
    void assetCreateRacingImportOfItsKey() throws Exception {
        NewAsset asset = NewAsset.of(AssetType.IMAGE, "chart.png", "image/png").clientKey("k");
        byte[] bytes = {1, 2, 3, 4};
        Tenant source = atlas.tenant("source");
        UUID sourceId = source.assets().create(asset, bytes).id();
        source.memories().create(NewMemory.fact(ALICE, "Written after the assets").tags("later"));
        byte[] file = export(source);
        Tenant acme = atlas.tenant("acme");
        Asset same = race("atlas_memory_tags", () -> acme.portability().importFrom(new ByteArrayInputStream(file)),
                () -> acme.assets().create(asset, bytes));
        assertThat(same.id()).isEqualTo(sourceId);

        Tenant globex = atlas.tenant("globex");
        Throwable other = catchThrowable(() -> race("atlas_memory_tags", () -> globex.portability().importFrom(new ByteArrayInputStream(file)),
                () -> globex.assets().create(asset, new byte[] {9, 9})));
        assertThat(other).isInstanceOf(ConflictException.class);
        assertThat(((ConflictException) other).field()).isEqualTo("clientKey");
        assertThat(globex.assets().get(sourceId)).isPresent();
    }

    private static byte[] export(Tenant tenant) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        tenant.portability().exportTo(out, ExportScope.tenant());
        return out.toByteArray();
    }

    /**
     * Runs {@code first} until it waits on {@code lockedTable}'s lock (its keyed row inserted), then
     * {@code second} until it waits too (on the first's key), then releases the lock: returns
     * what {@code second} returns, or throws what it threw.
     */
    private <T> T race(String lockedTable, java.util.function.Supplier<?> first, java.util.function.Supplier<T> second) throws Exception {
        try (Connection locker = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            locker.setAutoCommit(false);
            try (PreparedStatement ps = locker.prepareStatement("LOCK TABLE " + lockedTable + " IN SHARE ROW EXCLUSIVE MODE")) {
                ps.execute();
            }
            CompletableFuture<?> a = CompletableFuture.supplyAsync(first);
            PostgresLockWaits.await(probe, 1, a);
            CompletableFuture<T> b = CompletableFuture.supplyAsync(second);
            PostgresLockWaits.await(probe, 2, b);
            assertThat(a.isDone()).as("the first writer waits on " + lockedTable).isFalse();
            assertThat(b.isDone()).as("the second writer waits on the first's key").isFalse();
            locker.commit();
            catchThrowable(() -> a.get(60, TimeUnit.SECONDS));
            try {
                return b.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
            }
        }
    }
}
