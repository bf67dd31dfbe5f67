package dev.atlas.jdbi.kit;

import dev.atlas.Tenant;
import dev.atlas.conversation.Message;

import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A write stuck in its COMMIT on PostgreSQL, made by construction: a deferred trigger on the message's row waits, inside
 * COMMIT, for an advisory lock the test holds. For the tests of what close() does with a write the server is committing.
 */
public final class PostgresStuckCommit {
    private PostgresStuckCommit() {}

    /**
     * Takes advisory lock {@code key} on {@code admin}'s session, starts {@code tenant}'s update of {@code m}'s metadata on
     * {@code threads} and returns once its COMMIT waits on the server (asserted, 20 s at most). {@link #release} lets it go on.
     */
    public static Future<Message> start(Statement admin, Tenant tenant, Message m, int key, ExecutorService threads) throws Exception {
        admin.execute("CREATE FUNCTION test_hold_commit() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN PERFORM pg_advisory_xact_lock(" + key + "); RETURN NULL; END $$");
        admin.execute("CREATE CONSTRAINT TRIGGER test_hold_commit AFTER UPDATE ON atlas_messages DEFERRABLE INITIALLY DEFERRED"
                + " FOR EACH ROW WHEN (NEW.id = '" + m.id() + "'::uuid) EXECUTE FUNCTION test_hold_commit()");
        admin.execute("SELECT pg_advisory_lock(" + key + ")");
        Future<Message> write = threads.submit(() -> tenant.conversations().updateMessageMetadata(m.id(), Map.of("late", true)));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        boolean held = false;
        while (!held && System.nanoTime() < end) {
            try (ResultSet rs = admin.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND wait_event = 'advisory' AND query = 'COMMIT'")) {
                rs.next();
                held = rs.getInt(1) == 1;
            }
            if (!held) {
                TimeUnit.MILLISECONDS.sleep(5);
            }
        }
        assertThat(held).as("the write's COMMIT waits on the server").isTrue();
        return write;
    }

    /** Releases lock {@code key}, so a COMMIT still waiting for it goes on. */
    public static void release(Statement admin, int key) throws Exception {
        admin.execute("SELECT pg_advisory_unlock(" + key + ")");
    }

    /** Releases lock {@code key} and waits (20 s at most) for {@code write} to end; how it failed, or null if it did not. */
    public static Throwable releaseAndAwait(Statement admin, int key, Future<?> write) throws Exception {
        release(admin, key);
        try {
            write.get(20, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** How many sessions of this database run a COMMIT now. */
    public static int committing(Statement admin) throws Exception {
        try (ResultSet rs = admin.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND query = 'COMMIT'")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
