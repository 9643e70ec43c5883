package io.mcrelay.cli.spi;

/** The CLI's exit codes; scripts depend on them (DESIGN "CLI contract"). */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** Refused or failed: a daemon refusal, a failed simulation, a damaged journal, a bad config. */
    public static final int FAILED = 1;
    /** Usage error: unknown command or option, bad argument. */
    public static final int USAGE = 2;
    /** Cannot reach the daemon, or its protocol version differs. */
    public static final int UNREACHABLE = 3;
    /** The change is committed but not every worker acked it in time. */
    public static final int NOT_ACKED = 4;

    private ExitCodes() {
    }
}
