package dev.atlas;

import java.util.UUID;

/**
 * The caller no longer holds the task's lease: it expired and another worker claimed the task,
 * the task was cancelled, or it was already completed or failed with this claim. Nothing was written.
 */
public class LeaseLostException extends ConflictException {
    private final UUID taskId;

    public LeaseLostException(UUID taskId, UUID claimId, String why) {
        super("claim", "claim " + claimId + " no longer holds task " + taskId + ": " + why);
        this.taskId = taskId;
    }

    public UUID taskId() {
        return taskId;
    }
}
