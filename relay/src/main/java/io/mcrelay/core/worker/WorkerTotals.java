package io.mcrelay.core.worker;

/**
 * A worker's totals since it started, including rules removed since. Conservation: {@code framesReceived = matched +
 * unmatched + malformed + fragments}, {@code sendsAttempted = sendsCompleted + sendsFailed + sendsInFlight} (a
 * matched packet makes one send per output), and every failed send is counted under exactly one reason:
 * {@code sendsFailed = dropsBufferFull + dropsNoBufferSpace + dropsSendError + dropsLinkDown}.
 * {@code sendErrorReports} are the kernel's later reports on packets already sent (not drops).
 */
public record WorkerTotals(long framesReceived, long matched, long unmatched, long malformed, long fragments,
                           long sendsAttempted, long sendsCompleted, long sendsFailed, long sendsInFlight,
                           long dropsBufferFull, long dropsNoBufferSpace, long dropsSendError, long dropsLinkDown,
                           long sendErrorReports) {
}

