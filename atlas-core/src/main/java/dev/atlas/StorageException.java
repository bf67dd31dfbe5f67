package dev.atlas;

import org.jspecify.annotations.Nullable;

/**
 * The database failed. {@link #isRetryable()} is true when the same call may succeed if
 * repeated (connection lost, server restarting, lock timeout, serialization failure); the
 * transaction was rolled back either way, so nothing was half-written.
 */
public class StorageException extends AtlasException {
    private final String sqlState;
    private final boolean retryable;

    public StorageException(String message, @Nullable String sqlState, boolean retryable, Throwable cause) {
        super(message, cause);
        this.sqlState = sqlState;
        this.retryable = retryable;
    }

    /** The SQLSTATE reported by the driver, or {@code null} when there was none. */
    public @Nullable String sqlState() {
        return sqlState;
    }

    /** Whether repeating the call can succeed without changing it. */
    public boolean isRetryable() {
        return retryable;
    }
}
