package io.mcrelay.cli;

import java.io.Console;
import java.io.PrintWriter;

/**
 * Progress of a command that waits (for the workers' acks, say): on a terminal, one line on stderr that is erased
 * when the wait ends; when {@code CI} is set or stderr is no terminal, nothing, so that output stays plain lines.
 */
final class Progress {
    private static final Progress NONE = new Progress(null);

    private final PrintWriter err;

    private Progress(final PrintWriter err) {
        this.err = err;
    }

    /** Shows {@code what} while waiting, if this is an interactive terminal. */
    static Progress start(final PrintWriter err, final String what) {
        if (!interactive(System.getenv("CI"), System.console())) {
            return NONE;
        }
        err.print("mcrelay: " + what + "...\r");
        err.flush();
        return new Progress(err);
    }

    /** Whether progress may be drawn: no {@code CI} variable and a console attached to a terminal. */
    static boolean interactive(final String ciVariable, final Console console) {
        return (ciVariable == null || ciVariable.isEmpty()) && console != null && console.isTerminal();
    }

    /** Erases the progress line. */
    void done() {
        if (err != null) {
            err.print("\r\033[K"); // carriage return, then ANSI "erase to end of line"
            err.flush();
        }
    }
}
