package io.mcrelay.runtime;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.SelectableChannel;

/**
 * The file descriptor behind a JDK socket channel, so that one {@code poll(2)} can wait on it beside descriptors the
 * JDK never saw. The JDK names it only through its internal {@code sun.nio.ch.SelChImpl#getFDVal}, reachable when
 * {@code java.base/sun.nio.ch} is exported to this code (the launcher's JVM options do that, for Chronicle Queue
 * too); without it every answer is -1 and callers fall back to waking up often. The descriptor stays the channel's:
 * never closed or read here. Thread-safe.
 */
final class ChannelDescriptors {
    private static final MethodHandle FD_VAL = lookUp();

    private ChannelDescriptors() {
    }

    private static MethodHandle lookUp() {
        try {
            final Class<?> selectable = Class.forName("sun.nio.ch.SelChImpl");
            return MethodHandles.lookup().findVirtual(selectable, "getFDVal", MethodType.methodType(int.class));
        } catch (final ReflectiveOperationException | RuntimeException e) {
            return null; // not exported here
        }
    }

    /** True when descriptors can be named in this JVM. */
    static boolean available() {
        return FD_VAL != null;
    }

    /** The descriptor of {@code channel}, or -1 when it cannot be named (or the channel is closed). */
    static int of(final SelectableChannel channel) {
        if (FD_VAL == null || !channel.isOpen()) {
            return -1;
        }
        try {
            return (int) FD_VAL.invoke(channel);
        } catch (final Throwable t) {
            return -1;
        }
    }
}
