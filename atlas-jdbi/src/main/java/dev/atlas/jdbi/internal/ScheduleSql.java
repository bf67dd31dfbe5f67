package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The statements of recurring tasks ({@link TaskSchedules}). */
final class ScheduleSql {
    static final String COLUMNS = "tenant_id, id, name, kind, payload, owner_type, owner_id, max_attempts, interval_micros, cron, paused,"
            + " next_run_at, last_run_at, created_at, updated_at";
    private static final String S = "SELECT " + COLUMNS + " FROM <p>task_schedules WHERE tenant_id = :t";

    final Statement insert;
    final Statement byName;
    final Statement list;
    final Statement listAfter;
    final Statement pause;
    final Statement resume;
    final Statement delete;
    final Statement due;
    final Statement dueAfter;
    final Statement advance;
    final Statement end;
    final Statement clock;

    ScheduleSql(Catalogue c) {
        insert = c.sql("task_schedules.insert", "INSERT INTO <p>task_schedules (" + COLUMNS + ") VALUES (:t, :id, :name, :kind, :payload,"
                + " :ownerType, :ownerId, :maxAttempts, :interval, :cron, FALSE, :next, NULL, :now, :now) RETURNING " + COLUMNS);
        byName = c.sql("task_schedules.byName", S + " AND name = :name");
        String byName = " ORDER BY " + c.dialect().binary("name") + " LIMIT :limit";
        list = c.sql("task_schedules.list", S + byName);
        listAfter = c.sql("task_schedules.listAfter", S + " AND " + c.dialect().binary("name") + " > :after" + byName);
        // Pausing a paused schedule changes nothing, its updated_at included; a writer whose clock is behind never dates it back.
        pause = c.sql("task_schedules.pause", "UPDATE <p>task_schedules SET updated_at = CASE WHEN paused THEN updated_at ELSE " + Dialect.LATER + " END,"
                + " paused = TRUE WHERE tenant_id = :t AND name = :name RETURNING " + COLUMNS);
        resume = c.sql("task_schedules.resume", "UPDATE <p>task_schedules SET paused = FALSE, next_run_at = :next, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id AND paused RETURNING " + COLUMNS);
        delete = c.sql("task_schedules.delete", "DELETE FROM <p>task_schedules WHERE tenant_id = :t AND name = :name");
        due = c.sql("task_schedules.due", S + " AND NOT paused AND next_run_at <= :now ORDER BY next_run_at, id LIMIT :limit");
        dueAfter = c.sql("task_schedules.dueAfter", S + " AND NOT paused AND next_run_at <= :now AND "
                + Keyset.after("next_run_at", "id", "afterAt", "afterId") + " ORDER BY next_run_at, id LIMIT :limit");
        // The guard on the occurrence read is what makes it fire once: a concurrent caller that
        // read the same occurrence matches no row once the first has moved it on.
        advance = c.sql("task_schedules.advance", "UPDATE <p>task_schedules SET next_run_at = :next, last_run_at = :occurrence,"
                + " updated_at = " + Dialect.LATER + " WHERE tenant_id = :t AND id = :id AND next_run_at = :occurrence AND NOT paused");
        // A schedule with no occurrence left before Limits.MAX_INSTANT fires its last one and rests
        // paused on it, under the same guard as advance.
        end = c.sql("task_schedules.end", "UPDATE <p>task_schedules SET paused = TRUE, last_run_at = :occurrence, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id AND next_run_at = :occurrence AND NOT paused");
        // The clock leases expire by: schedules measure the host's against it (TaskSchedules.Skew).
        clock = c.sql("task_schedules.clock", "SELECT " + c.dialect().databaseClock() + " AS now");
    }
}
