package dev.atlas;

import org.jspecify.annotations.Nullable;

/**
 * The database failed. {@link #isRetryable()} is true when the same call may succeed if
 * repeated (connection lost, server restarting, lock timeout, serialization failure); the
 * transaction was rolled back, so nothing was half-written.
 *
 * <p>One case has no known outcome: the connection lost while a write was committing (the
 * server may have committed and lost only its reply). Then {@link #isOutcomeUnknown()} is true and
 * {@link #isRetryable()} false: the write is stored whole or not at all, and repeating it is safe
 * only for a call that is idempotent by its key (an append with the same
 * {@code NewMessage.clientId}, an asset with the same {@code NewAsset.clientKey}); otherwise read
 * back first.
 */
public class StorageException extends AtlasException {
    /** The SQLSTATE reported by the driver, or {@code null}. */
    private final @Nullable String sqlState;
    /** Whether retrying the operation may succeed. */
    private final boolean retryable;
    /** Whether a write may have been stored although the call failed. */
    private final boolean outcomeUnknown;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     * @param sqlState the SQLSTATE, or {@code null}
     * @param retryable whether retrying may succeed
     * @param cause the underlying failure
     */
    public StorageException(String message, @Nullable String sqlState, boolean retryable, Throwable cause) {
        this(message, sqlState, retryable, false, cause);
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     * @param sqlState the SQLSTATE, or {@code null}
     * @param retryable whether retrying may succeed
     * @param outcomeUnknown whether the write may have been stored although the call failed
     * @param cause the underlying failure
     */
    public StorageException(String message, @Nullable String sqlState, boolean retryable, boolean outcomeUnknown, Throwable cause) {
        super(message, cause);
        this.sqlState = sqlState;
        this.retryable = retryable;
        this.outcomeUnknown = outcomeUnknown;
    }

    /**
     * The SQLSTATE reported by the driver, or {@code null} when there was none.
     *
     * @return the SQLSTATE, or {@code null}
     */
    public @Nullable String sqlState() {
        return sqlState;
    }

    /**
     * Whether repeating the call can succeed without changing it.
     *
     * @return whether repeating the call can succeed without changing it
     */
    public boolean isRetryable() {
        return retryable;
    }

    /**
     * Whether the connection was lost while the write was committing, so it may have been stored
     * (whole) although the call failed. Repeat such a call only with the same client id or key.
     *
     * @return whether the write may have been stored
     */
    public boolean isOutcomeUnknown() {
        return outcomeUnknown;
    }
}
