package io.mcrelay.seam;

import java.util.SortedMap;

/**
 * Log levels by facility (logger name), changed at runtime by {@code mcrelay log-level}. Production: Logback;
 * simulation: a map. Facility {@code null} means the root logger.
 *
 * <p>Contract: {@link #levels()} lists every facility with an explicit level plus {@code root}, sorted by name;
 * {@link #set} accepts {@code TRACE}, {@code DEBUG}, {@code INFO}, {@code WARN}, {@code ERROR} and {@code OFF} in any
 * case, and refuses anything else without changing a level.
 */
public interface LogLevels {
    /** The name used for the root logger in {@link #levels()}. */
    String ROOT = "root";

    /** Levels that are not kept anywhere: none are listed, every set is taken and does nothing. */
    LogLevels NONE = new LogLevels() {
        @Override
        public SortedMap<String, String> levels() {
            return java.util.Collections.emptySortedMap();
        }

        @Override
        public String set(final String facility, final String level) {
            return null;
        }
    };

    /** Facility → level, sorted by facility. */
    SortedMap<String, String> levels();

    /**
     * Sets the level of {@code facility} (or the root when {@code null}).
     *
     * @return {@code null} on success, else why the level was refused
     */
    String set(String facility, String level);
}
