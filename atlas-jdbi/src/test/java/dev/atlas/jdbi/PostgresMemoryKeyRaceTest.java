package dev.atlas.jdbi;

import dev.atlas.ConflictException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.NewMemory;
import dev.atlas.portability.ExportScope;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A portability import and a keyed {@code create} of one client key racing on PostgreSQL, made to
 * interleave by construction: a lock on the memory tag table, held by hand, stops the first of them
 * after its memory row is inserted and before it commits, so the second passes its key check and
 * meets the unique index, waiting for the first. SQLite's single writer cannot interleave them.
 */
class PostgresMemoryKeyRaceTest extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");

    PostgresMemoryKeyRaceTest() {
        super(new PostgresTestDatabase());
    }

    /** An export of a tenant holding one tagged memory {@code m} with client key "k". */
    private byte[] exportOf(NewMemory m) {
        Tenant source = atlas.tenant("source");
        source.memories().create(m);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        source.portability().exportTo(out, ExportScope.tenant());
        return out.toByteArray();
    }

    @Test
    @DisplayName("a keyed create meeting an import's uncommitted row with the same key returns the imported memory when it is the"
            + " same create, and is ConflictException on clientKey when it is not (before: an unnamed StorageException, unique violation)")
    void createRacingImportOfItsKey() throws Exception {
        NewMemory imported = NewMemory.fact(ALICE, "Lives in Lyon").agent("support").tags("home").clientKey("k");
        byte[] file = exportOf(imported);
        Tenant acme = atlas.tenant("acme");
        Memory same = race(() -> acme.portability().importFrom(new ByteArrayInputStream(file)), () -> acme.memories().create(imported));
        assertThat(same.content()).isEqualTo("Lives in Lyon");
        assertThat(acme.memories().list(MemoryQuery.all()).items()).extracting(Memory::id).containsExactly(same.id());
        assertThat(same.id()).isEqualTo(atlas.tenant("source").memories().list(MemoryQuery.all()).items().get(0).id());

        Tenant globex = atlas.tenant("globex");
        Throwable other = catchThrowable(() -> race(() -> globex.portability().importFrom(new ByteArrayInputStream(file)),
                () -> globex.memories().create(NewMemory.fact(ALICE, "Lives in Paris").agent("support").clientKey("k"))));
        assertThat(other).isInstanceOf(ConflictException.class);
        assertThat(((ConflictException) other).field()).isEqualTo("clientKey");
        assertThat(globex.memories().list(MemoryQuery.all()).items()).extracting(Memory::content).containsExactly("Lives in Lyon");
    }

    @Test
    @DisplayName("an import meeting a keyed create's uncommitted row with the same key is ConflictException naming the line's"
            + " memory.client_key, and the created memory stays")
    void importRacingCreateOfItsKey() throws Exception {
        NewMemory m = NewMemory.fact(ALICE, "Lives in Lyon").agent("support").tags("home").clientKey("k");
        byte[] file = exportOf(m);
        Tenant acme = atlas.tenant("acme");
        Throwable thrown = catchThrowable(() -> race(() -> acme.memories().create(m),
                () -> acme.portability().importFrom(new ByteArrayInputStream(file))));
        assertThat(thrown).isInstanceOf(ConflictException.class);
        assertThat(((ConflictException) thrown).field()).isEqualTo("line 2: memory.client_key");
        assertThat(acme.memories().list(MemoryQuery.all()).items()).hasSize(1);
    }

    /**
     * Runs {@code first} until it waits on the tag table's lock (its memory row inserted), then
     * {@code second} until it waits too (on the unique index), then releases the lock: returns
     * what {@code second} returns, or throws what it threw.
     */
    private <T> T race(java.util.function.Supplier<?> first, java.util.function.Supplier<T> second) throws Exception {
        try (Connection locker = database.dataSource().getConnection(); Connection probe = database.dataSource().getConnection()) {
            locker.setAutoCommit(false);
            try (PreparedStatement ps = locker.prepareStatement("LOCK TABLE atlas_memory_tags IN SHARE ROW EXCLUSIVE MODE")) {
                ps.execute();
            }
            CompletableFuture<?> a = CompletableFuture.supplyAsync(first);
            awaitLockWaiters(probe, 1, a);
            CompletableFuture<T> b = CompletableFuture.supplyAsync(second);
            awaitLockWaiters(probe, 2, b);
            assertThat(a.isDone()).as("the first writer waits on the tag table").isFalse();
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

    /** Waits (up to 30 s) until {@code n} sessions wait on a lock, or {@code call} has finished. */
    private static void awaitLockWaiters(Connection probe, int n, CompletableFuture<?> call) throws Exception {
        for (int i = 0; i < 3000 && !call.isDone(); i++) {
            try (PreparedStatement ps = probe.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
                 ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getInt(1) >= n) {
                    return;
                }
            }
            Thread.sleep(10);
        }
    }
}
