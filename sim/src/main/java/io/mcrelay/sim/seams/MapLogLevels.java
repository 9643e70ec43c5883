package io.mcrelay.sim.seams;

import java.util.Locale;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import io.mcrelay.seam.LogLevels;

/** {@link LogLevels} held in a map, for the simulator. Single-threaded. */
public final class MapLogLevels implements LogLevels {
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

    private final TreeMap<String, String> levels = new TreeMap<>();

    public MapLogLevels() {
        levels.put(ROOT, "INFO");
    }

    @Override
    public SortedMap<String, String> levels() {
        return new TreeMap<>(levels);
    }

    @Override
    public String set(final String facility, final String level) {
        final String upper = level == null ? "" : level.toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(upper)) {
            return "\"" + level + "\" is not a log level (TRACE, DEBUG, INFO, WARN, ERROR or OFF)";
        }
        levels.put(facility == null ? ROOT : facility, upper);
        return null;
    }
}
