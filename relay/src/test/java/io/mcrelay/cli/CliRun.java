package io.mcrelay.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * One run of the CLI's command tree ({@link Main#execute}) with captured streams, for tests: what a script would
 * see. Shared with other modules' tests through the test-jar.
 */
public record CliRun(int exitCode, String out, String err) {
    /** Runs {@code mcrelay ARGS} in this JVM. */
    public static CliRun of(final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliRun(code, out.toString(), err.toString());
    }
}
