package dev.atlas;

/**
 * A setting is invalid (one given to {@link Atlas#builder()}, to a worker's builder such as
 * {@link dev.atlas.task.TaskWorker.Builder} or {@link dev.atlas.retention.RetentionWorker.Builder}, or to an
 * integration's builder), or the environment Atlas runs in is (a missing driver, a database it cannot use); the message
 * names the setting and says what is allowed.
 */
public class ConfigurationException extends AtlasException {
    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    public ConfigurationException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
