package io.mcrelay.linux.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs code inside another network namespace: {@code setns(2)} changes only the calling thread, so the work runs on
 * a fresh platform thread that enters the namespace first and ends afterwards. Sockets opened there stay in that
 * namespace for their whole life, whichever thread uses them later. Used by tests and tools; needs
 * {@code CAP_SYS_ADMIN}.
 */
public final class NetworkNamespaces {
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;

    private static final MethodHandle OPEN = Syscalls.downcall("open",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETNS = Syscalls.downcall("setns",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private NetworkNamespaces() {
    }

    /** The file of a namespace created with {@code ip netns add NAME}. */
    public static Path named(final String name) {
        return Path.of("/run/netns", name);
    }

    /**
     * Runs {@code task} on a new thread inside the network namespace of {@code namespaceFile} and returns its result;
     * its exception, if any, is rethrown here.
     */
    public static <T> T callIn(final Path namespaceFile, final Callable<T> task) throws Exception {
        final AtomicReference<T> result = new AtomicReference<>();
        final AtomicReference<Exception> failure = new AtomicReference<>();
        final Thread thread = Thread.ofPlatform().name("netns-" + namespaceFile.getFileName()).unstarted(() -> {
            try {
                enter(namespaceFile);
                result.set(task.call());
            } catch (final Exception e) {
                failure.set(e);
            }
        });
        thread.start();
        thread.join();
        if (failure.get() != null) {
            throw failure.get();
        }
        return result.get();
    }

    private static void enter(final Path namespaceFile) {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
            final int fd = (int) OPEN.invokeExact(capture, arena.allocateFrom(namespaceFile.toString()),
                O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                throw new LinuxException("open of the namespace " + namespaceFile, Syscalls.errno(capture));
            }
            try {
                if ((int) SETNS.invokeExact(capture, fd, CLONE_NEWNET) != 0) {
                    throw new LinuxException("setns into " + namespaceFile, Syscalls.errno(capture));
                }
            } finally {
                Syscalls.close(fd);
            }
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("setns could not be called", t);
        }
    }
}
