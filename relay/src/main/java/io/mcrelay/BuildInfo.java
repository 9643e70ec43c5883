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
    public static final int CONTROL_PROTOCOL_VERSION = 3;
    /** Version of the worker-channel protocol (supervisor ⇄ worker). */
    public static final int WORKER_PROTOCOL_VERSION = 6;

    private static final Properties PROPERTIES = load();
    private static final String VERSION = value("version");
    private static final String COMMIT = value("commit");

    private BuildInfo() {
    }

    /** The version of this build, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String version() {
        return VERSION;
    }

    /** The git commit this build was made from (12 hex digits), or {@code unknown}. */
    public static String commit() {
        return COMMIT;
    }

    private static Properties load() {
        final Properties properties = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                properties.load(in);
            }
            return properties;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot read build.properties", e);
        }
    }

    private static String value(final String key) {
        final String value = PROPERTIES.getProperty(key, "unknown").trim();
        // An unfiltered resource (an IDE build, no git) must not leak "${...}".
        return value.isEmpty() || value.startsWith("${") ? "unknown" : value;
    }
}
