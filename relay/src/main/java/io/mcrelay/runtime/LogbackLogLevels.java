package io.mcrelay.runtime;

import java.util.Locale;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;

import io.mcrelay.seam.LogLevels;

/**
 * The production {@link LogLevels}: Logback's logger levels, changed at runtime. Facilities are logger names
 * ({@code io.mcrelay.core}, ...). Thread-safe as Logback is.
 */
public final class LogbackLogLevels implements LogLevels {
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

    private final LoggerContext context;

    public LogbackLogLevels() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext loggerContext)) {
            throw new IllegalStateException("SLF4J is not bound to Logback: log levels cannot be changed");
        }
        this.context = loggerContext;
    }

    @Override
    public SortedMap<String, String> levels() {
        final TreeMap<String, String> levels = new TreeMap<>();
        for (final Logger logger : context.getLoggerList()) {
            if (logger.getLevel() != null) {
                final String name = Logger.ROOT_LOGGER_NAME.equals(logger.getName()) ? ROOT : logger.getName();
                levels.put(name, logger.getLevel().toString());
            }
        }
        return levels;
    }

    @Override
    public String set(final String facility, final String level) {
        final String upper = level == null ? "" : level.toUpperCase(Locale.ROOT);
        if (!LEVELS.contains(upper)) {
            return "\"" + level + "\" is not a log level (TRACE, DEBUG, INFO, WARN, ERROR or OFF)";
        }
        final String name = facility == null || facility.equals(ROOT) ? Logger.ROOT_LOGGER_NAME : facility;
        context.getLogger(name).setLevel(Level.toLevel(upper));
        return null;
    }
}
