package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.AtlasClosedException;
import dev.atlas.ConfigurationException;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.LogCapture;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/** How long {@code close()} waits for calls in flight: {@code closeTimeout}. */
class AtlasCloseTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("closeTimeout defaults to 30 s, accepts 0 (do not wait) up to 1 hour, and refuses null, negative or longer naming closeTimeout")
    void closeTimeoutBounds() {
        Path file = dir.resolve("a.db");
        assertThat(Atlas.builder().sqlite(file).config().closeTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(Atlas.builder().sqlite(file).closeTimeout(Duration.ZERO).config().closeTimeout()).isEqualTo(Duration.ZERO);
        assertThat(Atlas.builder().sqlite(file).closeTimeout(Duration.ofHours(1)).config().closeTimeout()).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> Atlas.builder().sqlite(file).closeTimeout(Duration.ofSeconds(-5)).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("closeTimeout must be between 0 (do not wait) and 1 hour, was -5 s");
        assertThatThrownBy(() -> Atlas.builder().sqlite(file).closeTimeout(Duration.ofHours(1).plusMillis(1)).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("closeTimeout must be between 0 (do not wait) and 1 hour, was 3600.001 s");
        assertThatThrownBy(() -> Atlas.builder().sqlite(file).closeTimeout(null).build())
                .isInstanceOf(ConfigurationException.class).hasMessage("closeTimeout must not be null: pass a java.time.Duration, for example Duration.ofSeconds(30)");
        // A later valid value clears the problem, as with every other setting.
        assertThat(Atlas.builder().sqlite(file).closeTimeout(Duration.ofSeconds(-1)).closeTimeout(Duration.ofSeconds(2)).config().closeTimeout())
                .isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    @DisplayName("Atlas.config() and AtlasConfig.toString show the closeTimeout the instance was built with")
    void closeTimeoutInConfig() {
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("b.db")).closeTimeout(Duration.ofSeconds(7)).build()) {
            assertThat(atlas.config().closeTimeout()).isEqualTo(Duration.ofSeconds(7));
            assertThat(atlas.config().toString()).contains("closeTimeout=PT7S");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("with closeTimeout 0, close() does not wait for a write held inside its transaction: it returns, logs the call it left"
            + " running, and the write, released, fails with a StorageException (not retryable) and is not stored")
    void zeroCloseTimeoutDoesNotWait(String dialect) throws Exception {
        String name = "close_zero_" + ProcessHandle.current().pid();
        var builder = dialect.equals("SQLite") ? Atlas.builder().sqlite(dir.resolve(name + ".db"))
                : Atlas.builder().jdbcUrl(PostgresTestDatabase.createDatabase(name)).credentials("postgres", "postgres");
        Atlas atlas = builder.closeTimeout(Duration.ZERO).build();
        var convo = atlas.conversations().create(NewConversation.of(Owner.user("1")));
        var db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        var inside = new CountDownLatch(1);
        var release = new CountDownLatch(1);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<Object> write = writer.submit(() -> db.write(h -> {
                try (var st = h.getConnection().createStatement()) {
                    st.executeUpdate("UPDATE atlas_conversations SET title = 'late' WHERE id = '" + convo.id() + "'"
                            + (dialect.equals("SQLite") ? "" : "::uuid"));
                    inside.countDown();
                    release.await();
                } catch (java.sql.SQLException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return "committed";
            }));
            inside.await();
            String logged;
            try (LogCapture logs = LogCapture.start()) {
                atlas.close();
                logged = logs.text();
            }
            assertThat(write.isDone()).as("close() returned while the write was still held").isFalse();
            assertThat(logged).contains("closing Atlas with 1 call(s) still running after PT0S");
            assertThatThrownBy(() -> atlas.conversations().get(convo.id())).isInstanceOf(AtlasClosedException.class);
            release.countDown();
            Throwable failed = catchThrowable(write::get);
            assertThat(failed).isInstanceOf(java.util.concurrent.ExecutionException.class).cause().isInstanceOf(StorageException.class)
                    .hasMessageStartingWith("Atlas was closed with this call still running after its closeTimeout (PT0S):"
                            + " the call was stopped and its transaction rolled back");
            assertThat(((StorageException) failed.getCause()).isRetryable()).isFalse();
        } finally {
            release.countDown();
            writer.shutdown();
        }
        try (Atlas again = builder.closeTimeout(Duration.ofSeconds(30)).build()) {
            assertThat(again.conversations().require(convo.id()).title()).isNull();
        }
    }

    @ParameterizedTest(name = "client id {0}")
    @ValueSource(booleans = {false, true})
    @DisplayName("PostgreSQL: an append waiting for the conversation's row lock when close() gives up on it fails with the closed"
            + " StorageException, and nothing is stored once the lock is released: a plain append (one auto-commit statement) as one"
            + " with a client id (a transaction)")
    void appendAbandonedByCloseStoresNothing(boolean withClientId) throws Exception {
        String name = "close_append_" + withClientId + "_" + ProcessHandle.current().pid();
        String url = PostgresTestDatabase.createDatabase(name);
        var builder = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres");
        Atlas atlas = builder.closeTimeout(Duration.ZERO).build();
        var convo = atlas.conversations().create(NewConversation.of(Owner.user("1")));
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try (java.sql.Connection locker = java.sql.DriverManager.getConnection(url, "postgres", "postgres");
             java.sql.Statement st = locker.createStatement()) {
            locker.setAutoCommit(false);
            st.executeQuery("SELECT id FROM atlas_conversations WHERE id = '" + convo.id() + "'::uuid FOR UPDATE").close();
            Future<?> append = writer.submit(() -> atlas.conversations().append(convo.id(),
                    withClientId ? NewMessage.user("sent while closing").clientId("c-1") : NewMessage.user("sent while closing")));
            awaitLockWait(st);
            atlas.close();
            Throwable failed = catchThrowable(append::get);
            assertThat(failed).isInstanceOf(java.util.concurrent.ExecutionException.class).cause().isInstanceOf(StorageException.class)
                    .hasMessageStartingWith("Atlas was closed with this call still running after its closeTimeout (PT0S)");
            locker.commit();
        } finally {
            writer.shutdown();
        }
        try (Atlas again = builder.closeTimeout(Duration.ofSeconds(30)).build()) {
            // Whatever the abandoned statement did after the lock was released has finished once a new append gets the lock.
            assertThat(again.conversations().append(convo.id(), NewMessage.user("after")).sequence()).isEqualTo(1);
            assertThat(again.conversations().messages(convo.id(), 0, 10)).extracting(m -> m.content()).containsExactly("after");
        }
    }

    /** Waits until some session of the database waits for a row lock (the append queued behind {@code st}'s transaction). */
    private static void awaitLockWait(java.sql.Statement st) throws Exception {
        java.sql.Connection probe = java.sql.DriverManager.getConnection(st.getConnection().getMetaData().getURL(), "postgres", "postgres");
        try (probe; java.sql.Statement q = probe.createStatement()) {
            for (int i = 0; i < 6000; i++) {
                try (java.sql.ResultSet rs = q.executeQuery("SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND wait_event_type = 'Lock'")) {
                    if (rs.next()) {
                        return;
                    }
                }
                Thread.sleep(10);
            }
        }
        throw new AssertionError("the append never waited for the lock");
    }
}
