package dev.atlas.cli;

/** A failure the command explains in its message (exit code 1, no stack trace unless --verbose). */
final class CliException extends RuntimeException {
    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
