package io.mcrelay.traffic;

import java.net.Inet4Address;

import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.SendBatch;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.linux.sys.UdpSockets;

/**
 * The generator's real {@link Generator.Output}: flow {@code i} is a UDP socket connected to
 * {@code destination:(firstPort + i)} that sends out of one interface ({@link UdpSockets#openConnected}), and one
 * {@link SendBatch} of {@link #BATCH_MESSAGES} slots serves them all, one flow's {@code sendmmsg} at a time.
 * Not thread-safe; {@link #close} closes the sockets and frees the batch.
 */
public final class UdpFlows implements Generator.Output, AutoCloseable {
    /** Messages per {@code sendmmsg}: enough to make the system call's cost small per packet. */
    public static final int BATCH_MESSAGES = 64;
    /** {@code IP_MULTICAST_TTL} by default: 1, the kernel's default, so that a group stays on the link unless relayed. */
    public static final int MULTICAST_TTL = 1;

    /** A socket could not be set up: the message names the call and the errno. */
    public static final class SetupException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SetupException(final String message, final Throwable cause) {
            super(message, cause);
        }
    }

    private final int[] fds;
    private final SendBatch batch;

    /**
     * Opens {@code flows} sockets; if one cannot be opened, those opened are closed and a {@link SetupException}
     * naming the call and the errno is thrown.
     *
     * @param sourcePort every socket's local port (0: one the kernel picks for each)
     */
    public UdpFlows(final Inet4Address destination, final int firstPort, final int flows, final String interfaceName,
        final int sourcePort, final int payloadBytesMax) {
        this(destination, firstPort, flows, interfaceName, sourcePort, payloadBytesMax, MULTICAST_TTL);
    }

    /**
     * As above, with {@code multicastTtl} (0 to 255) as every socket's {@code IP_MULTICAST_TTL}: above 1 when a
     * multicast router (kernel forwarding) must pass the packets on, since it forwards only those whose TTL exceeds
     * its threshold (1 by default).
     */
    public UdpFlows(final Inet4Address destination, final int firstPort, final int flows, final String interfaceName,
        final int sourcePort, final int payloadBytesMax, final int multicastTtl) {
        if (flows < 1 || firstPort + flows - 1 > 65_535) {
            throw new IllegalArgumentException("ports " + firstPort + ".." + (firstPort + flows - 1)
                + " do not fit 1..65535");
        }
        fds = new int[flows];
        int opened = 0;
        try {
            for (; opened < flows; opened++) {
                fds[opened] = UdpSockets.openConnected(destination, firstPort + opened, interfaceName, sourcePort,
                    multicastTtl);
            }
            batch = new SendBatch(BATCH_MESSAGES, payloadBytesMax);
        } catch (final RuntimeException e) {
            for (int i = 0; i < opened; i++) {
                Syscalls.close(fds[i]);
            }
            throw e instanceof LinuxException ? new SetupException(e.getMessage(), e) : e;
        }
    }

    /** Whether this network namespace has an interface named {@code interfaceName}. */
    public static boolean interfaceExists(final String interfaceName) {
        try {
            Syscalls.ifIndex(interfaceName);
            return true;
        } catch (final LinuxException e) {
            return false;
        }
    }

    /** Flow {@code flow}'s socket (for tests that read its options). */
    int fd(final int flow) {
        return fds[flow];
    }

    @Override
    public int batchMax() {
        return batch.messagesMax();
    }

    @Override
    public void put(final int index, final byte[] payload, final int length) {
        batch.put(index, payload, 0, length);
    }

    @Override
    public int send(final int flow, final int count) {
        return batch.send(fds[flow], count);
    }

    @Override
    public void close() {
        batch.close();
        for (final int fd : fds) {
            Syscalls.close(fd);
        }
    }
}
