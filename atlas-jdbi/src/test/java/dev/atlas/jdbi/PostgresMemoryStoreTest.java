package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.jdbi.kit.MemoryStoreContract;
import dev.atlas.jdbi.kit.PostgresLockWaits;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class PostgresMemoryStoreTest extends MemoryStoreContract {
    PostgresMemoryStoreTest() {
        super(new PostgresTestDatabase());
    }

    /**
     * Made by construction (SQLite's single writer cannot interleave them): the first update holds the memory's row lock,
     * its new tags written and not committed, while the second update waits for that lock.
     */
    @Test
    @DisplayName("an update that waited for another instance's update of the memory compares its patch with the tags that"
            + " update committed: setting back the tags it replaced is written, not taken for a no-op (before: the locking read's"
            + " tags were those of its snapshot, before the wait, so the second update returned the old tags and wrote nothing)")
    void updateAfterWaitingForAnotherUpdateSeesItsTags() throws Exception {
        Memory m = memories.create(NewMemory.fact(Owner.user("alice"), "Lives in Lyon").tags("old"));
        Atlas first = reopen(b -> configure(b).migrate(false));
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) first).db();
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        db.statementListener((name, sql) -> {
            if (name.equals("memories.insertTag")) {
                paused.countDown();
                try {
                    go.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        MemoryStore firstMemories = first.tenant("acme").memories();
        try (Connection probe = database.dataSource().getConnection()) {
            CompletableFuture<Memory> a = CompletableFuture.supplyAsync(() -> firstMemories.update(m.id(), MemoryPatch.none().tags("new")));
            assertThat(paused.await(60, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Memory> b = CompletableFuture.supplyAsync(() -> memories.update(m.id(), MemoryPatch.none().tags("old")));
            PostgresLockWaits.await(probe, 1, b);
            assertThat(b.isDone()).as("the second update waits for the first's row lock").isFalse();
            go.countDown();
            assertThat(a.get(60, TimeUnit.SECONDS).tags()).containsExactly("new");
            Memory second = b.get(60, TimeUnit.SECONDS);
            assertThat(second.tags()).containsExactly("old");
            assertThat(second.updatedAt()).isAfterOrEqualTo(a.get().updatedAt());
        } finally {
            db.statementListener(null);
            go.countDown();
        }
        assertThat(memories.get(m.id()).orElseThrow().tags()).containsExactly("old");
    }
}
