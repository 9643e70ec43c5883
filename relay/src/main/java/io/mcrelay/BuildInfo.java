package io.mcrelay;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The product's version and the protocol versions it speaks.
 *
 * <p>The control protocol version is checked in the first frame of every control connection (a mismatch
 * is refused naming both versions); the worker protocol version is checked when a worker connects back.
 * Bump either whenever a frame's layout or meaning changes.
 */
public final class BuildInfo {
    /** Version of the control-socket protocol (CLI ⇄ supervisor). */
    public static final int CONTROL_PROTOCOL_VERSION = 1;
    /** Version of the worker-channel protocol (supervisor ⇄ worker). */
    public static final int WORKER_PROTOCOL_VERSION = 1;

    private static final String VERSION = loadVersion();

    private BuildInfo() {
    }

    /** The version of this build, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String version() {
        return VERSION;
    }

    private static String loadVersion() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in == null) {
                return "unknown";
            }
            final Properties properties = new Properties();
            properties.load(in);
            final String version = properties.getProperty("version", "unknown");
            // An unfiltered resource (an IDE build that skipped Maven's filtering) must not leak "${...}".
            return version.startsWith("${") ? "unknown" : version;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read build.properties", e);
        }
    }
}
