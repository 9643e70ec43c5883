package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import io.mcrelay.seam.PassedDescriptor;

/**
 * A file descriptor this process owns, as a {@link PassedDescriptor}: what a worker channel passes with
 * {@code SCM_RIGHTS} and hands out on arrival. {@link #duplicate()} is {@code fcntl(F_DUPFD_CLOEXEC)}; {@link #close()}
 * closes the descriptor once. Single-threaded, like the channel that passes it.
 */
public final class OwnedFd implements PassedDescriptor {
    /** {@code fcntl.h}: F_DUPFD_CLOEXEC = F_LINUX_SPECIFIC_BASE (1024) + 6. */
    static final int F_DUPFD_CLOEXEC = 1030;
    // int fcntl(int fd, int cmd, ...): the third argument is variadic.
    private static final MethodHandle FCNTL = Syscalls.downcallVariadic("fcntl",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
        2);

    private final int fd;
    private boolean open = true;

    /** Takes ownership of {@code fd}, which this handle closes. */
    public OwnedFd(final int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("not a descriptor: " + fd);
        }
        this.fd = fd;
    }

    /** The descriptor's number, for system calls; only while open. */
    public int fd() {
        if (!open) {
            throw new IllegalStateException("descriptor " + fd + " is closed");
        }
        return fd;
    }

    @Override
    public OwnedFd duplicate() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final int copy = (int) FCNTL.invokeExact(capture, fd(), F_DUPFD_CLOEXEC, 0);
            if (copy < 0) {
                throw new LinuxException("fcntl(F_DUPFD_CLOEXEC) of descriptor " + fd, Syscalls.errno(capture));
            }
            return new OwnedFd(copy);
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("fcntl could not be called", t);
        }
    }

    /**
     * Gives up ownership: returns the descriptor, which this handle no longer closes (it reads as closed from now
     * on). How an owner that keeps the bare number, such as a packet ring, adopts it.
     */
    public int take() {
        final int taken = fd();
        open = false;
        return taken;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            Syscalls.close(fd);
        }
    }

    @Override
    public String toString() {
        return "OwnedFd{" + fd + (open ? "" : ", closed") + "}";
    }
}
