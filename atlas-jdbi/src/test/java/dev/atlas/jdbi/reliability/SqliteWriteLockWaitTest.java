package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.kit.StatementRecorder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Writes of this Atlas waiting for SQLite's write lock, which another connection (another
 * process, a backup tool, an operator's shell) holds and does not give back.
 */
class SqliteWriteLockWaitTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("while another connection holds the write lock, every write queued when a transaction's BEGIN gave up waiting fails with"
            + " it: a retryable StorageException naming the write lock, after at most two busy timeouts whatever the queue's length"
            + " (was one more busy timeout per 64 queued calls); nothing is stored, and the same Atlas writes once the lock is free")
    void writesQueuedBehindAnotherConnectionsLockFailTogether() throws Exception {
        Path file = dir.resolve("app.db");
        int queued = 70; // more than one batch (WriteCombiner.MAX_BATCH = 64)
        ExecutorService pool = Executors.newFixedThreadPool(queued + 1);
        try (Atlas atlas = Atlas.sqlite(file)) {
            Db db = ((JdbiAtlas) atlas).db();
            Conversation c = atlas.conversations().create(NewConversation.of(Owner.user("u"), "x"));
            StatementRecorder recorder = StatementRecorder.attach(atlas);
            List<CompletableFuture<Object>> calls = new ArrayList<>();
            try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + file)) {
                try (Statement s = other.createStatement()) {
                    s.execute("BEGIN IMMEDIATE");
                }
                calls.add(append(atlas, c, pool));
                // The first call leads: its BEGIN is sent (and waits) before the others queue behind it.
                while (begins(recorder) < 1) {
                    Thread.onSpinWait();
                }
                for (int i = 0; i < queued; i++) {
                    calls.add(append(atlas, c, pool));
                }
                while (db.queuedWrites() < queued) {
                    Thread.onSpinWait();
                }
                List<String> outcomes = new ArrayList<>();
                for (CompletableFuture<Object> call : calls) {
                    // The guard of this test, not its outcome: the bound under test is the busy timeout.
                    Object outcome = call.get(180, TimeUnit.SECONDS);
                    outcomes.add(outcome instanceof StorageException e && e.isRetryable() && e.getMessage().contains("SQLite's write lock")
                            ? "retryable, names the write lock" : String.valueOf(outcome));
                }
                assertThat(outcomes).hasSize(queued + 1).containsOnly("retryable, names the write lock");
                // The leader's BEGIN, then one for the calls queued while it waited: the 6 calls past the first batch of 64
                // failed with that batch instead of waiting a third busy timeout.
                assertThat(begins(recorder)).isEqualTo(2);
                try (Statement s = other.createStatement()) {
                    s.execute("ROLLBACK");
                }
            }
            assertThat(atlas.conversations().require(c.id()).lastSequence()).isZero();
            assertThat(atlas.conversations().append(c.id(), NewMessage.user("after")).sequence()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    private static CompletableFuture<Object> append(Atlas atlas, Conversation c, ExecutorService pool) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return atlas.conversations().append(c.id(), NewMessage.user("waits"));
            } catch (RuntimeException e) {
                return e;
            }
        }, pool);
    }

    private static long begins(StatementRecorder recorder) {
        return recorder.recorded().stream().filter(r -> r.sql().equals("BEGIN IMMEDIATE")).count();
    }
}
