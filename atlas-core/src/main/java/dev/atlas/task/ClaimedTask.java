package dev.atlas.task;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * A task a worker holds a lease on. Pass it back to {@link TaskStore#heartbeat},
 * {@link TaskStore#complete} or {@link TaskStore#fail}; they succeed only while this claim is
 * still the task's current one.
 *
 * @param task           the task as claimed (status running, attempts already counted)
 * @param claimId        this lease's id
 * @param leaseExpiresAt when the lease ends unless extended, on the database's clock (see {@link TaskStore})
 * @param leaseDuration  how long each heartbeat extends the lease
 */
public record ClaimedTask(Task task, UUID claimId, Instant leaseExpiresAt, Duration leaseDuration) {
    /**
     * The task's id.
     *
     * @return the task's id
     */
    public UUID taskId() {
        return task.id();
    }

    /**
     * The claim without its id: the id is the lease's token (whoever has it can complete, fail or release the
     * task), so a logged claim does not hand it out; {@link #claimId()} returns it.
     *
     * @return the task, {@code claimId=****}, the lease's expiry and duration
     */
    @Override
    public String toString() {
        return "ClaimedTask[task=" + task + ", claimId=****, leaseExpiresAt=" + leaseExpiresAt + ", leaseDuration=" + leaseDuration + "]";
    }
}
