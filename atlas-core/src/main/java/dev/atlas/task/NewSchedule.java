package dev.atlas.task;

import dev.atlas.InvalidInputException;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.Instant;

/**
 * A recurring task to register with {@link TaskStore#schedule(NewSchedule)}: each occurrence of a
 * fixed interval or of a {@link Cron} expression (UTC, or the zone it names) enqueues {@code task} as a normal task.
 *
 * <pre>{@code
 * tasks.schedule(NewSchedule.every("digest", Duration.ofHours(1), NewTask.of("digest", Map.of())));
 * tasks.schedule(NewSchedule.cron("nightly-cleanup", "30 2 * * *", NewTask.of("cleanup", Map.of())));
 * }</pre>
 *
 * @param name     unique among the tenant's schedules (non-blank, at most {@link dev.atlas.Limits#MAX_KEY_LENGTH} characters)
 * @param task     what each occurrence enqueues: kind, payload, owner and maxAttempts (it may not
 *                 name a conversation or message, nor a runAfter: the occurrence is its time; nor a
 *                 clientKey: one key cannot name every occurrence)
 * @param interval the fixed interval (1 second to 366 days), or {@code null} for a cron schedule
 * @param cron     the cron expression, or {@code null} for an interval schedule
 * @param startAt  an interval schedule's first occurrence ({@code null}: one interval from now);
 *                 must be {@code null} for a cron schedule
 */
public record NewSchedule(String name, NewTask task, @Nullable Duration interval, @Nullable Cron cron, @Nullable Instant startAt) {
    /** Shortest interval accepted. */
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    /** Longest interval accepted. */
    public static final Duration MAX_INTERVAL = Duration.ofDays(366);

    /**
     * Validates the components; a bad one throws {@link InvalidInputException} naming it.
     *
     * @param name     unique among the tenant's schedules
     * @param task     what each occurrence enqueues
     * @param interval the fixed interval, or {@code null} for a cron schedule
     * @param cron     the cron expression, or {@code null} for an interval schedule
     * @param startAt  an interval schedule's first occurrence, or {@code null}
     */
    public NewSchedule {
        Check.key("name", name);
        Check.notNull("task", task);
        if (task.conversationId() != null) {
            throw new InvalidInputException("task.conversationId", "a scheduled task cannot name a conversation");
        }
        if (task.clientKey() != null) {
            throw new InvalidInputException("task.clientKey", "a scheduled task fires once per occurrence, and one client key cannot"
                    + " name them all; each occurrence is enqueued exactly once without one");
        }
        if (task.runAfter() != null) {
            throw new InvalidInputException("task.runAfter", "a scheduled task runs at its occurrence; use startAt for the first one");
        }
        if ((interval == null) == (cron == null)) {
            throw new InvalidInputException(interval == null ? "interval" : "cron", "give exactly one of interval and cron");
        }
        if (interval != null && (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0
                || interval.getNano() % 1_000 != 0)) {
            throw new InvalidInputException("interval", "must be between " + MIN_INTERVAL + " and " + MAX_INTERVAL
                    + " in whole microseconds, was " + interval);
        }
        if (cron != null && startAt != null) {
            throw new InvalidInputException("startAt", "a cron schedule starts at its next occurrence");
        }
        Check.instant("startAt", startAt);
    }

    /**
     * A schedule enqueueing {@code task} every {@code interval}, first one interval from now.
     *
     * @param name     unique among the tenant's schedules
     * @param interval 1 second to 366 days
     * @param task     what each occurrence enqueues
     * @return the schedule to register
     */
    public static NewSchedule every(String name, Duration interval, NewTask task) {
        return new NewSchedule(name, task, Check.notNull("interval", interval), null, null);
    }

    /**
     * A schedule enqueueing {@code task} at each occurrence of {@code expression}, in UTC unless it
     * starts with {@code CRON_TZ=zone} ({@code "CRON_TZ=Europe/Berlin 30 2 * * *"}; see {@link Cron}).
     *
     * @param name       unique among the tenant's schedules
     * @param expression a 5-field cron expression, optionally after {@code CRON_TZ=zone} ({@link Cron})
     * @param task       what each occurrence enqueues
     * @return the schedule to register
     * @throws InvalidInputException naming {@code cron} for a malformed expression
     */
    public static NewSchedule cron(String name, String expression, NewTask task) {
        return new NewSchedule(name, task, null, Cron.parse(expression), null);
    }

    /**
     * Returns a copy whose first occurrence is {@code startAt} (interval schedules only).
     *
     * @param startAt the first occurrence
     * @return a copy with this change
     */
    public NewSchedule startingAt(Instant startAt) {
        return new NewSchedule(name, task, interval, cron, Check.notNull("startAt", startAt));
    }
}
