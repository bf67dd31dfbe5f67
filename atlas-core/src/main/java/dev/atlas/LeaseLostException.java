package dev.atlas;

import java.util.UUID;

/**
 * The caller no longer holds the task's lease: it expired and another worker claimed the task,
 * the task was cancelled, or it was already completed or failed with this claim. Nothing was written.
 */
public class LeaseLostException extends ConflictException {
    /** The task whose lease was lost. */
    private final UUID taskId;

    /**
     * Creates the exception.
     *
     * @param taskId the task's id
     * @param claimId the claim id
     * @param why what is wrong
     */
    public LeaseLostException(UUID taskId, UUID claimId, String why) {
        super("claim", "claim " + claimId + " no longer holds task " + taskId + ": " + why);
        this.taskId = taskId;
    }

    /**
     * The task's id.
     *
     * @return the task's id
     */
    public UUID taskId() {
        return taskId;
    }
}
