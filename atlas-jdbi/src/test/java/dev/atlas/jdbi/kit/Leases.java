package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.DatabaseKind;
import dev.atlas.task.ClaimedTask;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** Task leases for tests that need one over without waiting for it. */
public final class Leases {
    private Leases() {}

    /**
     * Ends a lease as if its time had run out on the database's clock (a lease cannot be shorter than
     * {@link dev.atlas.task.TaskStore#MIN_LEASE}), by raw JDBC: Atlas has no call that shortens a lease.
     */
    public static void expire(Atlas atlas, TestDatabase database, ClaimedTask claim) throws SQLException {
        String past = atlas.databaseKind() == DatabaseKind.POSTGRESQL ? "now() - INTERVAL '1 hour'" : "lease_expires_at - 3600000000";
        try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
            if (atlas.databaseKind() != DatabaseKind.POSTGRESQL) {
                s.execute("PRAGMA busy_timeout = 30000");
            }
            s.executeUpdate("UPDATE atlas_tasks SET lease_expires_at = " + past + " WHERE id = '" + claim.taskId() + "' AND claim_id = '"
                    + claim.claimId() + "'");
        }
    }
}
