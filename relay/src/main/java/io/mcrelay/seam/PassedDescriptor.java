package io.mcrelay.seam;

/**
 * A descriptor passed over a {@link WorkerChannel}, held by reference: production wraps a file descriptor
 * ({@code io.mcrelay.linux.sys.OwnedFd}, passed with {@code SCM_RIGHTS}), the simulator a simulated socket
 * ({@link io.mcrelay.seam.support.SharedDescriptor}). Neither the seam nor the journal ever sees a descriptor's number.
 *
 * <p>A handle is like a file descriptor: several handles may refer to one open file (socket), which stays open while
 * any of them is open. Whoever holds a handle owns it and closes it; {@link #close()} releases this handle only and
 * is idempotent. Single-threaded, like the channel that passes it.
 */
public interface PassedDescriptor extends AutoCloseable {
    /**
     * A new handle on the same open file, owned by the caller; this handle is unaffected ({@code dup(2)}). How a
     * channel keeps a descriptor that its sender keeps too.
     *
     * @throws IllegalStateException when this handle is closed
     */
    PassedDescriptor duplicate();

    /** True until {@link #close()}. */
    boolean isOpen();

    /** Releases this handle; idempotent. */
    @Override
    void close();
}
