package dev.atlas;

/**
 * Root of every exception Atlas throws. All Atlas exceptions are unchecked; catch this type to
 * handle any failure from the library in one place.
 */
public abstract class AtlasException extends RuntimeException {
    /**
     * Creates the exception.
     *
     * @param message what went wrong
     */
    protected AtlasException(String message) {
        super(message);
    }

    /**
     * Creates the exception.
     *
     * @param message what went wrong
     * @param cause the underlying failure
     */
    protected AtlasException(String message, Throwable cause) {
        super(message, cause);
    }
}
