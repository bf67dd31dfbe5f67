package dev.atlas;

/** A setting given to {@link Atlas#builder()} is invalid; the message says what is allowed. */
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
