package dev.atlas.jdbi.kit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.concurrent.Future;

/** For races made by construction on PostgreSQL: waiting until a writer is blocked on a lock. */
public final class PostgresLockWaits {
    private PostgresLockWaits() {}

    /** Waits (up to 30 s) until {@code n} sessions wait on a lock, or {@code call} has finished (it did not need to wait). */
    public static void await(Connection probe, int n, Future<?> call) throws Exception {
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
