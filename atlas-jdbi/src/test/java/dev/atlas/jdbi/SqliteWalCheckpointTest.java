package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.sqlite.SQLiteDataSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On Atlas's own SQLite pool the write connection does not checkpoint the WAL itself (a commit
 * would then wait for pages copied and the database file synced); a background thread does,
 * and the data stays where a reader, a reopen and another process expect it.
 */
class SqliteWalCheckpointTest {
    private final SqliteTestDatabase database = new SqliteTestDatabase();
    private Atlas atlas;

    @AfterEach
    void close() {
        if (atlas != null) {
            atlas.close();
        }
        database.cleanup();
    }

    private static int pragma(java.sql.Connection c, String sql) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void ownPoolWriterLeavesCheckpointsToTheBackground() {
        atlas = database.open();
        Db db = ((JdbiAtlas) atlas).db();
        ConversationStore store = atlas.tenant("acme").conversations();
        UUID c = store.create(NewConversation.of(Owner.user("u"))).id();
        store.append(c, NewMessage.user("hello"));
        assertThat((int) db.<Integer>write(h -> pragma(h.getConnection(), "PRAGMA wal_autocheckpoint"))).isZero();
        // Statement journals of the per-call savepoints stay in memory (2 = MEMORY).
        assertThat((int) db.<Integer>write(h -> pragma(h.getConnection(), "PRAGMA temp_store"))).isEqualTo(2);
        for (int i = 0; i < 300; i++) {
            store.append(c, NewMessage.user("message " + i + " with a few words to index"));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (db.backgroundCheckpoints() == 0) {
            assertThat(System.nanoTime()).as("a background checkpoint ran").isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(store.history(c, 1000)).hasSize(301);
    }

    @Test
    void hostPoolWriterKeepsSqlitesOwnCheckpoints() throws Exception {
        Path file = Files.createTempDirectory("atlas-wal").resolve("host.db");
        SQLiteDataSource host = new SQLiteDataSource();
        host.setUrl("jdbc:sqlite:" + file + "?journal_mode=WAL&foreign_keys=true&busy_timeout=10000&transaction_mode=IMMEDIATE");
        try (Atlas hosted = Atlas.builder().dataSource(host).build()) {
            Db db = ((JdbiAtlas) hosted).db();
            assertThat((int) db.<Integer>write(h -> pragma(h.getConnection(), "PRAGMA wal_autocheckpoint"))).isEqualTo(1000);
            assertThat((int) db.<Integer>write(h -> pragma(h.getConnection(), "PRAGMA temp_store"))).isZero();
            assertThat(db.backgroundCheckpoints()).isZero();
        }
    }

    @Test
    void closeStopsTheThreadAndLeavesEverythingReadable() throws Exception {
        java.util.Set<Thread> before = checkpointThreads();
        atlas = database.open();
        ConversationStore store = atlas.tenant("acme").conversations();
        UUID c = store.create(NewConversation.of(Owner.user("u"))).id();
        for (int i = 0; i < 200; i++) {
            store.append(c, NewMessage.user("message " + i));
        }
        java.util.Set<Thread> ours = checkpointThreads();
        ours.removeAll(before);
        assertThat(ours).hasSize(1);
        atlas.close();
        atlas = null;
        assertThat(ours).noneMatch(Thread::isAlive);
        try (Atlas reopened = Atlas.sqlite(database.file())) {
            assertThat(reopened.tenant("acme").conversations().history(c, 1000)).hasSize(200);
        }
    }

    private static java.util.Set<Thread> checkpointThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("atlas-sqlite-checkpoint"))
                .collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
    }
}
