package dev.atlas.cli;

import java.io.PrintWriter;

/**
 * Progress of a long command on stderr: one line rewritten in place on a terminal, plain lines
 * otherwise (logs and pipes keep every step and no carriage returns).
 */
final class Progress {
    private final PrintWriter err;
    private final boolean terminal;
    private int width;

    Progress(PrintWriter err) {
        this(err, System.console() != null);
    }

    Progress(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    void step(String text) {
        if (terminal) {
            String padded = text + " ".repeat(Math.max(0, width - text.length()));
            width = text.length();
            err.print("\r" + padded);
        } else {
            err.println(text);
        }
        err.flush();
    }

    /** Ends the in-place line on a terminal so the next output starts on a fresh line. */
    void done() {
        if (terminal && width > 0) {
            err.print("\r" + " ".repeat(width) + "\r");
            err.flush();
            width = 0;
        }
    }
}
