package dev.atlas;

/** A setting given to {@link Atlas#builder()} is invalid; the message says what is allowed. */
public class ConfigurationException extends AtlasException {
    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
