package io.mcrelay.linux.sys;

/**
 * A system call failed: the message names the call and the cause ({@code io_uring_setup failed: ENOSYS (function
 * not implemented)}), with a hint where one helps. Used only where a failure stops what was asked (setting up,
 * opening); on the data path failures are return values.
 */
public final class LinuxException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public LinuxException(final String call, final int errno) {
        super(call + " failed: " + Errno.describe(errno) + Errno.hint(call, errno));
        this.errno = errno;
    }

    /** The errno the call failed with. */
    public int errno() {
        return errno;
    }
}
