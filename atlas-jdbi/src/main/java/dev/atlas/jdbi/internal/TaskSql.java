package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;
import org.jspecify.annotations.Nullable;

/**
 * The task store's statements. Leases are set and compared with the database's clock
 * ({@link Dialect#databaseNow}); claims lock the row they pick with {@link Dialect#lockSkipLocked}.
 */
final class TaskSql {
    static final String COLUMNS = "tenant_id, id, kind, payload, conversation_id, message_id, owner_type, owner_id, status, attempts,"
            + " max_attempts, result, error, run_after, claim_id, lease_expires_at, created_at, updated_at, started_at, finished_at, client_key";
    /** The keyset of {@link #list}: strictly after the cursor's task in (created_at, id) order. */
    static final String LIST_AFTER = Keyset.after("created_at", "id", "afterAt", "afterId");
    private static final String T = "SELECT " + COLUMNS + " FROM <p>tasks WHERE tenant_id = :t";
    private static final String HELD = " WHERE tenant_id = :t AND id = :id AND claim_id = :claim AND status = 'running' RETURNING " + COLUMNS;
    private static final String RELEASE = ", claim_id = NULL, lease_expires_at = NULL";

    private final Catalogue c;
    private final String pick;
    final Statement insert;
    /** PostgreSQL: the transaction's advisory lock on one client key; null on SQLite, whose single writer serialises creates. */
    final @Nullable Statement keyLock;
    final Statement messageConversation;
    final Statement byId;
    final Statement sweep;
    final Statement sweepOne;
    final Statement pickAny;
    final Statement take;
    final Statement failUnreadable;
    final Statement heartbeat;
    final Statement complete;
    final Statement fail;
    final Statement release;
    final Statement cancel;
    final Statement completeUnheld;
    final Statement failUnheld;
    final Statement requeue;

    TaskSql(Catalogue c) {
        this.c = c;
        Dialect d = c.dialect();
        String dbNow = d.databaseNow();
        insert = c.sql("tasks.insert", "INSERT INTO <p>tasks (tenant_id, id, kind, payload, conversation_id, message_id, owner_type, owner_id,"
                + " status, attempts, max_attempts, run_after, created_at, updated_at, client_key) VALUES (:t, :id, :kind, :payload, :conversation,"
                + " :message, :ownerType, :ownerId, 'pending', 0, :maxAttempts, :runAfter, :now, :now, :clientKey)");
        keyLock = d == Dialect.POSTGRESQL ? c.sql("tasks.keyLocks", PgSessions.XACT_KEY_LOCKS) : null;
        // Share-locked on PostgreSQL (SQLite's single writer already excludes it): an erase or
        // delete of the message that commits first makes this a NotFoundException, one that comes
        // later waits for the task and takes it along with its conversation.
        messageConversation = c.sql("tasks.messageConversation", "SELECT m.conversation_id FROM <p>messages m JOIN <p>conversations x"
                + " ON x.tenant_id = m.tenant_id AND x.id = m.conversation_id WHERE m.tenant_id = :t AND m.id = :id"
                + " AND m.deleted_at IS NULL AND x.deleted_at IS NULL" + d.forShare());
        byId = c.sql("tasks.byId", T + " AND id = :id");
        // A running task whose worker vanished with no attempts left fails at the first claim after
        // its lease ran out; SKIP LOCKED keeps concurrent sweeps from waiting on each other.
        sweep = c.sql("tasks.sweep", "UPDATE <p>tasks SET status = 'failed', error = 'lease expired after ' || CAST(attempts AS TEXT) || ' attempts'"
                + RELEASE + ", finished_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id IN (SELECT id FROM <p>tasks"
                + " WHERE tenant_id = :t AND status = 'running' AND lease_expires_at <= " + dbNow + " AND attempts >= max_attempts"
                + d.lockSkipLocked() + ")");
        // The same for one task, so that an operator's requeue finds it failed as the next claim would leave it.
        sweepOne = c.sql("tasks.sweepOne", "UPDATE <p>tasks SET status = 'failed', error = 'lease expired after ' || CAST(attempts AS TEXT)"
                + " || ' attempts'" + RELEASE + ", finished_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id"
                + " AND status = 'running' AND lease_expires_at <= " + dbNow + " AND attempts >= max_attempts");
        pick = "SELECT id FROM <p>tasks WHERE tenant_id = :t AND ((status = 'pending' AND run_after <= :now) OR (status = 'running'"
                + " AND lease_expires_at <= " + dbNow + " AND attempts < max_attempts))";
        pickAny = c.sql("tasks.pick", pick(""));
        take = c.sql("tasks.take", "UPDATE <p>tasks SET status = 'running', attempts = attempts + 1, claim_id = :claim, lease_expires_at = "
                + d.databaseNowPlusMicros("lease") + ", started_at = COALESCE(started_at, " + Dialect.LATER + "), updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id RETURNING " + COLUMNS);
        failUnreadable = c.sql("tasks.failUnreadable", "UPDATE <p>tasks SET status = 'failed', error = :error" + RELEASE
                + ", finished_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id");
        heartbeat = c.sql("tasks.heartbeat", "UPDATE <p>tasks SET lease_expires_at = " + d.databaseNowPlusMicros("lease")
                + ", updated_at = " + Dialect.LATER + HELD);
        complete = c.sql("tasks.complete", "UPDATE <p>tasks SET status = 'completed', result = :result" + RELEASE
                + ", finished_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER + HELD);
        // attempts only changes when a task is claimed, so the row's own counter decides retry or final failure.
        fail = c.sql("tasks.fail", "UPDATE <p>tasks SET status = CASE WHEN attempts < max_attempts THEN 'pending' ELSE 'failed' END,"
                + " run_after = CASE WHEN attempts < max_attempts THEN :retry ELSE run_after END,"
                + " finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE " + Dialect.LATER + " END,"
                + " error = :error" + RELEASE + ", updated_at = " + Dialect.LATER + HELD);
        // As if never claimed: the attempt the claim counted is given back, and a first attempt's start with it.
        // run_after stays as it was when the task was claimed (due then): the releasing instance's clock,
        // perhaps ahead of the others', must not hold the task back from them.
        release = c.sql("tasks.release", "UPDATE <p>tasks SET status = 'pending', attempts = attempts - 1,"
                + " started_at = CASE WHEN attempts = 1 THEN NULL ELSE started_at END" + RELEASE
                + ", updated_at = " + Dialect.LATER + HELD);
        // Clearing the claim is what locks a running holder out: every holder write matches on its claim id.
        String unheld = RELEASE + ", finished_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id"
                + " AND status IN ('pending', 'running') RETURNING " + COLUMNS;
        cancel = c.sql("tasks.cancel", "UPDATE <p>tasks SET status = 'cancelled'" + unheld);
        completeUnheld = c.sql("tasks.completeUnheld", "UPDATE <p>tasks SET status = 'completed', result = :result" + unheld);
        failUnheld = c.sql("tasks.failUnheld", "UPDATE <p>tasks SET status = 'failed', error = :error" + unheld);
        // A fresh attempt budget, as a new task would have; the last error stays for the operator to read.
        requeue = c.sql("tasks.requeue", "UPDATE <p>tasks SET status = 'pending', attempts = 0, run_after = :runAfter,"
                + " started_at = NULL, finished_at = NULL, updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id AND status = 'failed'"
                + " RETURNING " + COLUMNS);
    }

    /** The listing with the optional filters {@code where} renders, in creation order. */
    Statement list(String where) {
        return c.render("tasks.list", T + where + " ORDER BY created_at, id LIMIT :limit");
    }

    /** The tasks holding the client keys {@code where} renders. */
    Statement byClientKeys(String where) {
        return c.render("tasks.byClientKeys", T + where);
    }

    /** The claim's pick restricted to the kinds {@code where} renders. */
    Statement pickKinds(String where) {
        return c.render("tasks.pickKinds", pick(where));
    }

    /**
     * The first due task of the kinds {@code where} renders (empty: any kind) in (run_after, id) order: a pending task due, or a
     * running one whose lease ran out with attempts left. As one OR both databases read every due task of the tenant and sorted
     * them for one row (scale probe, perf30: at 100k pending tasks 50 to 73 ms on SQLite; 170 ms and an external sort on
     * PostgreSQL, against 0.4 ms at 1k). SQLite: the earlier of two arms, each its own index range read in order and stopped at
     * its first row: the pending tasks due from (tenant, status, run_after, id), and the running ones whose lease ran out
     * (few: at most one per worker that vanished); same row, the minimum of the arms' minimums. PostgreSQL, whose
     * {@code FOR UPDATE SKIP LOCKED} locks what it reads: while the tenant has no running task of the kinds claimed with an
     * expired lease (an uncorrelated EXISTS, evaluated once), the pending arm alone, read in index order and stopped at the
     * first row it can lock; otherwise the OR as before. Exactly one arm runs, on the statement's one snapshot, so the row and the rows locked
     * are the OR's.
     */
    private String pick(String where) {
        if (c.dialect() != Dialect.SQLITE) {
            // Of the kinds claimed only: an expired lease of another kind (its workers gone) would keep these claims on the OR.
            String expired = "SELECT 1 FROM <p>tasks WHERE tenant_id = :t AND status = 'running' AND lease_expires_at <= "
                    + c.dialect().databaseNow() + " AND attempts < max_attempts" + where;
            String lock = c.dialect().lockSkipLocked();
            return "SELECT id FROM (SELECT id FROM <p>tasks WHERE tenant_id = :t AND status = 'pending' AND run_after <= :now" + where
                    + " AND NOT EXISTS (" + expired + ") ORDER BY run_after, id LIMIT 1" + lock + ") a UNION ALL SELECT id FROM ("
                    + pick + where + " AND EXISTS (" + expired + ") ORDER BY run_after, id LIMIT 1" + lock + ") b";
        }
        String arm = "SELECT id, run_after FROM (SELECT id, run_after FROM <p>tasks WHERE tenant_id = :t AND ";
        String order = " ORDER BY run_after, id LIMIT 1)";
        return "SELECT id FROM (" + arm + "status = 'pending' AND run_after <= :now" + where + order
                + " UNION ALL " + arm + "status = 'running' AND lease_expires_at <= " + c.dialect().databaseNow()
                + " AND attempts < max_attempts" + where + order + ") ORDER BY run_after, id LIMIT 1";
    }
}
