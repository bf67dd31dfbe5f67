package dev.atlas;

import org.jspecify.annotations.Nullable;

/**
 * The database failed. {@link #isRetryable()} is true when the same call may succeed if
 * repeated (connection lost, server restarting, lock timeout, serialization failure); the
 * transaction was rolled back either way, so nothing was half-written.
 */
public class StorageException extends AtlasException {
    /** The SQLSTATE reported by the driver, or {@code null}. */
    private final @Nullable String sqlState;
    /** Whether retrying the operation may succeed. */
    private final boolean retryable;

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     * @param sqlState the SQLSTATE, or {@code null}
     * @param retryable whether retrying may succeed
     * @param cause the underlying failure
     */
    public StorageException(String message, @Nullable String sqlState, boolean retryable, Throwable cause) {
        super(message, cause);
        this.sqlState = sqlState;
        this.retryable = retryable;
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
}
