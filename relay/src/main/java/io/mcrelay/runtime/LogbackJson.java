package io.mcrelay.runtime;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;

/**
 * Switches the daemon's log on stderr to one JSON object per line ({@code --log-json}), with Logback's own
 * {@link JsonEncoder}: each line has {@code timestamp} (ms) and {@code nanoseconds}, {@code level},
 * {@code threadName}, {@code loggerName}, {@code mdc}, {@code formattedMessage} and {@code throwable} ({@code null} or
 * the exception).
 */
public final class LogbackJson {
    private LogbackJson() {
    }

    /**
     * Gives the root logger's stderr appender the JSON encoder.
     *
     * @throws IllegalStateException if logging is not Logback's, or has no stderr appender
     */
    public static void toStderr() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            throw new IllegalStateException("logging is not Logback's: --log-json needs it");
        }
        final Appender<ILoggingEvent> appender = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
            .getAppender("STDERR");
        if (!(appender instanceof ConsoleAppender<ILoggingEvent> console)) {
            throw new IllegalStateException("no STDERR console appender on the root logger to give --log-json");
        }
        final JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        // The message as it reads, not its pattern and arguments apart; no per-line copy of the context.
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithContext(false);
        encoder.setWithSequenceNumber(false);
        encoder.start();
        console.stop();
        console.setEncoder(encoder);
        console.start();
    }
}
