package dev.atlas.task;

import dev.atlas.Owner;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A stored recurring task ({@link TaskStore#schedule(NewSchedule)}).
 *
 * @param id          the schedule's id
 * @param tenantId    the tenant it belongs to
 * @param name        unique among the tenant's schedules
 * @param kind        the kind of each task it enqueues
 * @param payload     the payload of each task it enqueues
 * @param owner       the owner of each task it enqueues, or {@code null}
 * @param maxAttempts the attempts each task it enqueues allows
 * @param interval    the fixed interval, or {@code null} for a cron schedule
 * @param cron        the cron expression (UTC unless it starts with {@code CRON_TZ=zone}: {@link Cron}), or {@code null} for an interval schedule
 * @param paused      whether occurrences are skipped until {@link TaskStore#resumeSchedule resumed}
 * @param nextRunAt   the next occurrence to enqueue
 * @param lastRunAt   the last occurrence enqueued, or {@code null} if none yet
 * @param createdAt   when it was registered
 * @param updatedAt   when it last changed (registered, fired, paused or resumed)
 */
public record TaskSchedule(UUID id, String tenantId, String name, String kind, Map<String, Object> payload, @Nullable Owner owner,
                           int maxAttempts, @Nullable Duration interval, @Nullable String cron, boolean paused, Instant nextRunAt,
                           @Nullable Instant lastRunAt, Instant createdAt, Instant updatedAt) {
    /**
     * Copies {@code payload} deeply into a map that cannot be changed.
     *
     * @param id the schedule's id
     * @param tenantId the tenant
     * @param name the schedule's name
     * @param kind the kind of task it creates
     * @param payload the payload of each task
     * @param owner the owner of each task
     * @param maxAttempts the attempts of each task
     * @param interval the interval, for an interval schedule
     * @param cron the cron expression, for a cron schedule
     * @param paused whether it is paused
     * @param nextRunAt when it runs next
     * @param lastRunAt when it last ran
     * @param createdAt when it was created
     * @param updatedAt when it was last changed
     */
    public TaskSchedule {
        payload = dev.atlas.internal.Check.frozenJson(payload);
    }
}
