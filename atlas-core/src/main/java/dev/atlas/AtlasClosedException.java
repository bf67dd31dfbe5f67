package dev.atlas;

/**
 * The {@link Atlas} instance was closed: every call on it and on its tenant views fails with
 * this exception. Open a new instance to continue.
 */
public class AtlasClosedException extends AtlasException {
    /** Creates the exception. */
    public AtlasClosedException() {
        super("this Atlas instance is closed");
    }
}
