package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.core.worker.WorkerFakes;
import io.mcrelay.linux.packet.PacketRxRing;
import io.mcrelay.linux.packet.PlainPacketSocket;
import io.mcrelay.linux.packetio.EpollPacketIo;
import io.mcrelay.linux.packetio.IoUringPacketIo;
import io.mcrelay.linux.packetio.RingInput;
import io.mcrelay.linux.packetio.RingIoConfig;
import io.mcrelay.linux.sys.IoUring;
import io.mcrelay.linux.sys.OwnedFd;
import io.mcrelay.linux.sys.UnixSockets;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.runtime.WheelTimers;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PacketIoContract;
import io.mcrelay.seam.PassedDescriptor;

/**
 * The {@link PacketIoContract} on the real kernel, and what only the real kernel can show, for any production
 * backend. Three namespaces: the relay's, holding the I/O under test with links {@code in0} and {@code out0}; a
 * source, whose end of {@code in0}'s veth ({@code in0p}) puts whole Ethernet frames on the wire with an
 * {@code AF_PACKET} socket (they arrive on {@code in0} as {@code PACKET_MULTICAST}); and a sink, whose end of
 * {@code out0}'s veth ({@code out0p}) captures every frame with a packet ring, from which {@link Harness#delivered}
 * picks the UDP payloads sent to a group and port. IPv6 is off in all three so that no neighbour discovery or MLD
 * frame appears on the links: the contract counts frames exactly.
 *
 * <p>The I/O is used from the test thread, but its egress sockets must be opened in the relay's namespace, as a
 * worker running there would: the harness's {@link Harness#io()} runs {@code openDestination} inside it.
 */
abstract class PacketIoNetnsContract extends PacketIoContract {
    private static final ValueLayout.OfShort BIG_SHORT =
        ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final long SETTLE_NS = TimeUnit.MILLISECONDS.toNanos(25);

    /** The prefix of this suite's namespaces. */
    protected abstract String prefix();

    /** The geometry of the rings the I/O adopts while running. */
    static final int ATTACHED_BLOCK_BYTES = 1 << 16;
    static final int ATTACHED_BLOCKS = 8;

    /** Opens the backend under test over {@code inputs} (it owns their rings once made), sized by {@code config}. */
    protected abstract PacketIo openRingIo(List<RingInput> inputs, RingIoConfig config);

    /**
     * Opens the I/O under test receiving from {@code inputInterface}, its egress sockets with a send buffer of
     * {@code sendBufferBytes} (0: the default), and with {@code smallReceive} a receive ring that holds only a few
     * dozen small frames at most (two blocks of one page); runs inside the relay's namespace.
     */
    protected PacketIo openIo(final String inputInterface, final int sendBufferBytes, final boolean smallReceive) {
        final PacketRxRing ring = smallReceive ? PacketRxRing.open(inputInterface, 4096, 2, 2)
            : PacketRxRing.open(inputInterface, 1 << 16, 8, 2);
        return openOver(inputInterface, ring, new RingIoConfig(256, 9216, 1 << 20, sendBufferBytes,
            ATTACHED_BLOCK_BYTES, ATTACHED_BLOCKS));
    }

    private PacketIo openOver(final String inputInterface, final PacketRxRing ring, final RingIoConfig config) {
        try {
            return openRingIo(List.of(new RingInput(inputInterface, ring)), config);
        } catch (final RuntimeException e) {
            ring.close();
            throw e;
        }
    }

    /**
     * A packet socket on {@code inputInterface} as the supervisor passes one to a running worker (both backends
     * read the same rings), for {@link PacketIo#attachInput}: a duplicate of the ring's socket; the socket keeps its
     * ring when the opener unmaps its own view and closes its descriptor. Runs inside the relay's namespace.
     */
    protected PassedDescriptor openInputSocket(final String inputInterface) {
        final PacketRxRing ring = PacketRxRing.open(inputInterface, ATTACHED_BLOCK_BYTES, ATTACHED_BLOCKS, 2);
        final OwnedFd opener = new OwnedFd(ring.fd());
        try {
            return opener.duplicate();
        } finally {
            opener.take(); // the ring closes it
            ring.close();
        }
    }

    /**
     * Frames read from the ring beyond a poll's limit that do not fit the staging area are dropped and counted as
     * that input's {@code stagingFull}: with a staging area of 2048 bytes (three frames of 642 bytes) and polls of one
     * frame, a burst of 20 frames read at once is delivered in part, and packets = ring full + staging full +
     * delivered.
     */
    @Test
    void framesThatDoNotFitTheStagingAreaAreCountedForTheirInput() {
        Netns.requireRoot();
        try (VethHarness harness = new VethHarness(prefix(), input -> openOver(input,
            PacketRxRing.open(input, 1 << 16, 8, 2), new RingIoConfig(256, 9216, 2048, 0)))) {
            final PacketIo io = harness.raw();
            for (int i = 0; i < 20; i++) {
                harness.injectFrame(udpFrame(new byte[600]));
            }
            // A settle delay, not a wait: the block retires after 2 ms; every frame waits in the ring for one poll.
            sleepMillis(20);
            final int[] delivered = {0};
            final int[] quiet = {0};
            Waits.until(Waits.Pace.DELIVERY, "50 polls in a row that deliver no frame", () -> {
                io.submit();
                final int polled = io.pollFrames((ifIndex, frame, offset, length) -> { }, 1);
                delivered[0] += polled;
                quiet[0] = polled == 0 ? quiet[0] + 1 : 0;
                return quiet[0];
            }, quietPolls -> quietPolls >= 50, () -> delivered[0] + " delivered so far");
            final PacketIo.InputCounts in0 = io.inputCounts().getFirst();
            System.err.println("[netns] " + io.getClass().getSimpleName() + ", staging of 2048 bytes, polls of 1: "
                + in0 + ", " + delivered[0] + " delivered");
            assertTrue(in0.stagingFull() > 0, in0.toString());
            assertEquals(stagingDrops(io), in0.stagingFull());
            assertEquals(in0.packets(), in0.ringFull() + in0.stagingFull() + delivered[0]);
            assertEquals(20, in0.packets());
        }
    }

    private static long stagingDrops(final PacketIo raw) {
        return raw instanceof IoUringPacketIo uring ? uring.stagingDrops() : ((EpollPacketIo) raw).stagingDrops();
    }

    @Override
    protected VethHarness createHarness() {
        return createHarness(0);
    }

    @Override
    protected VethHarness createSmallRingHarness() {
        Netns.requireRoot();
        return new VethHarness(prefix(), input -> openIo(input, 0, true), this::openInputSocket);
    }

    private VethHarness createHarness(final int sendBufferBytes) {
        Netns.requireRoot();
        return new VethHarness(prefix(), input -> openIo(input, sendBufferBytes, false), this::openInputSocket);
    }

    /** Opens an input socket in the relay namespace. */
    @FunctionalInterface
    interface InputSocketFactory {
        PassedDescriptor open(String inputInterface) throws Exception;
    }

    /** Opens the I/O in the relay namespace. */
    @FunctionalInterface
    interface IoFactory {
        PacketIo open(String inputInterface) throws Exception;
    }

    /** The three namespaces and their veth links; see the class comment. */
    static final class VethHarness implements Harness {
        final Netns relay;
        final Netns source;
        final Netns sink;
        private final List<AutoCloseable> opened = new ArrayList<>();
        private final PacketIo io;
        private final PacketIo inRelay;
        private final PacketRxRing capture;
        private final IoUring injector;
        private final int injectFd;
        private final Arena arena = Arena.ofShared();
        private final InputSocketFactory inputSockets;
        /** The injecting sockets of the links {@link #newInput} made, by relay-side name. */
        private final Map<String, Integer> extraInjectFds = new TreeMap<>();
        /** Captured IPv4/UDP datagrams on out0p: {group, port} and payload. */
        private final List<int[]> capturedTargets = new ArrayList<>();
        private final List<byte[]> capturedPayloads = new ArrayList<>();

        VethHarness(final String prefix, final IoFactory factory) {
            this(prefix, factory, input -> {
                throw new UnsupportedOperationException("this harness makes no input socket");
            });
        }

        VethHarness(final String prefix, final IoFactory factory, final InputSocketFactory inputSockets) {
            this.inputSockets = inputSockets;
            relay = Netns.create(prefix);
            opened.add(relay);
            try {
                source = Netns.create(prefix);
                opened.add(source);
                sink = Netns.create(prefix);
                opened.add(sink);
                for (final Netns netns : List.of(relay, source, sink)) {
                    netns.execOrThrow("sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1");
                    netns.execOrThrow("sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
                }
                Netns.vethPair(relay, "in0", source, "in0p");
                Netns.vethPair(relay, "out0", sink, "out0p");
                Netns.addAddress(relay, "out0", "10.77.1.1/24");
                Netns.addAddress(sink, "out0p", "10.77.1.2/24");
                capture = sink.call(() -> PacketRxRing.open("out0p", 1 << 16, 8, 2));
                opened.add(capture);
                injectFd = source.call(() -> PlainPacketSocket.open("in0p"));
                opened.add(() -> UnixSockets.close(injectFd));
                injector = IoUring.open(4);
                opened.add(injector);
                io = relay.call(() -> factory.open("in0"));
                opened.add(io);
                inRelay = new InNamespace(io, relay);
            } catch (final Exception e) {
                close();
                throw new IllegalStateException("cannot build the veth harness", e);
            }
        }

        @Override
        public PacketIo io() {
            return inRelay;
        }

        /** The I/O itself, for checks of backend-specific methods. */
        PacketIo raw() {
            return io;
        }

        @Override
        public PassedDescriptor newInput(final String name) {
            if (!extraInjectFds.containsKey(name)) {
                Netns.vethPair(relay, name, source, name + "p");
                final int fd = inNamespace(source, () -> PlainPacketSocket.open(name + "p"));
                opened.add(() -> UnixSockets.close(fd));
                extraInjectFds.put(name, fd);
            }
            return inNamespace(relay, () -> inputSockets.open(name));
        }

        @Override
        public void injectFrame(final String name, final byte[] frame) {
            if ("in0".equals(name)) {
                injectFrame(frame);
                return;
            }
            final Integer fd = extraInjectFds.get(name);
            if (fd == null) {
                throw new IllegalArgumentException("no input link " + name + " made by newInput");
            }
            inject(fd, frame);
        }

        @Override
        public long openDescriptors() {
            try (java.util.stream.Stream<java.nio.file.Path> fds =
                java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
                return fds.count();
            } catch (final java.io.IOException e) {
                throw new IllegalStateException("cannot list /proc/self/fd", e);
            }
        }

        @Override
        public void injectFrame(final byte[] frame) {
            inject(injectFd, frame);
        }

        private void inject(final int fd, final byte[] frame) {
            final MemorySegment segment = arena.allocate(frame.length);
            MemorySegment.copy(frame, 0, segment, ValueLayout.JAVA_BYTE, 0, frame.length);
            assertTrue(injector.prepareSend(fd, segment, frame.length, 0, 1));
            injector.submit(1);
            final int[] result = {Integer.MIN_VALUE};
            while (injector.pollCompletions((userData, r, flags) -> result[0] = r, 1) == 0) {
                injector.submit(1);
            }
            assertEquals(frame.length, result[0], "the AF_PACKET send of the injected frame");
        }

        /** Puts the same small UDP frame on in0's wire until {@code stop}, in batches of 32 sends. */
        void flood(final java.util.concurrent.atomic.AtomicBoolean stop) {
            final byte[] frame = udpFrame(new byte[64]);
            try (IoUring ring = IoUring.open(64); Arena local = Arena.ofConfined()) {
                final MemorySegment segment = local.allocate(frame.length);
                MemorySegment.copy(frame, 0, segment, ValueLayout.JAVA_BYTE, 0, frame.length);
                final IoUring.CompletionHandler ignore = (userData, result, flags) -> { };
                int inFlight = 0;
                while (!stop.get()) {
                    while (inFlight < 32 && ring.prepareSend(injectFd, segment, frame.length, 0, 0)) {
                        inFlight++;
                    }
                    ring.submit(1);
                    inFlight -= ring.pollCompletions(ignore, 64);
                }
            }
        }

        @Override
        public List<byte[]> delivered(final byte[] group, final int port) {
            drainCapture();
            final int address = (group[0] & 0xFF) << 24 | (group[1] & 0xFF) << 16 | (group[2] & 0xFF) << 8
                | group[3] & 0xFF;
            final List<byte[]> payloads = new ArrayList<>();
            for (int i = 0; i < capturedTargets.size(); i++) {
                if (capturedTargets.get(i)[0] == address && capturedTargets.get(i)[1] == port) {
                    payloads.add(capturedPayloads.get(i));
                }
            }
            return payloads;
        }

        /** Every captured datagram so far, as "group:port" (for messages). */
        int capturedCount() {
            drainCapture();
            return capturedTargets.size();
        }

        /**
         * Polls the capture until a new datagram arrived or 25 ms passed: bounded, never a blind long sleep. A settle
         * as the shared contract means it (its caller judges what came), not a wait: reaching 25 ms is no failure.
         */
        @Override
        public void settle() {
            final int before = capturedCount();
            final long start = System.nanoTime();
            while (System.nanoTime() - start < SETTLE_NS) {
                if (capturedCount() > before) {
                    return;
                }
                sleepMillis(2);
            }
        }

        private void drainCapture() {
            capture.poll((frame, offset, length, wireLength) -> {
                if (length < 42 || (frame.get(BIG_SHORT, offset + 12) & 0xFFFF) != 0x0800
                    || frame.get(ValueLayout.JAVA_BYTE, offset + 14 + 9) != 17) {
                    return;
                }
                final long ip = offset + 14;
                final int headerLength = (frame.get(ValueLayout.JAVA_BYTE, ip) & 0xF) * 4;
                final int destination = Integer.reverseBytes(frame.get(ValueLayout.JAVA_INT_UNALIGNED, ip + 16));
                final long udp = ip + headerLength;
                final int port = frame.get(BIG_SHORT, udp + 2) & 0xFFFF;
                final int udpLength = frame.get(BIG_SHORT, udp + 4) & 0xFFFF;
                capturedTargets.add(new int[] {destination, port});
                capturedPayloads.add(frame.asSlice(udp + 8, udpLength - 8).toArray(ValueLayout.JAVA_BYTE));
            });
        }

        @Override
        public void close() {
            for (int i = opened.size() - 1; i >= 0; i--) {
                try {
                    opened.get(i).close();
                } catch (final Exception e) {
                    System.err.println("[netns] closing " + opened.get(i) + " failed: " + e);
                }
            }
            arena.close();
        }
    }

    /** Forwards to the I/O, opening destinations inside {@code netns} (where a worker's thread would be). */
    private record InNamespace(PacketIo io, Netns netns) implements PacketIo {
        @Override
        public int attachInput(final String interfaceName, final io.mcrelay.seam.PassedDescriptor socket) {
            // The socket's interface is looked up by index, in the namespace where a worker's thread would be.
            return inNamespace(netns, () -> io.attachInput(interfaceName, socket));
        }

        @Override
        public boolean releaseInput(final String interfaceName) {
            return io.releaseInput(interfaceName);
        }

        @Override
        public int interfaceIndex(final String interfaceName) {
            return io.interfaceIndex(interfaceName);
        }

        @Override
        public long interfacesVersion() {
            return io.interfacesVersion();
        }

        @Override
        public int openDestination(final String interfaceName, final byte[] groupAddress, final int port,
            final int ttl) {
            return inNamespace(netns, () -> io.openDestination(interfaceName, groupAddress, port, ttl));
        }

        @Override
        public java.util.List<InputCounts> inputCounts() {
            return io.inputCounts(); // a getsockopt on descriptors it holds: no namespace needed
        }

        @Override
        public int pollSendErrors(final SendErrorHandler handler, final int limit) {
            return io.pollSendErrors(handler, limit);
        }

        @Override
        public void closeDestination(final int destination) {
            io.closeDestination(destination);
        }

        @Override
        public int send(final int destination, final DirectBuffer payload, final int offset, final int length,
            final long userData) {
            return io.send(destination, payload, offset, length, userData);
        }

        @Override
        public int sendCapacity() {
            return io.sendCapacity();
        }

        @Override
        public int submit() {
            return io.submit();
        }

        @Override
        public int pollFrames(final FrameHandler handler, final int limit) {
            return io.pollFrames(handler, limit);
        }

        @Override
        public int pollCompletions(final CompletionHandler handler, final int limit) {
            return io.pollCompletions(handler, limit);
        }

        @Override
        public void close() {
            io.close();
        }
    }

    static <T> T inNamespace(final Netns netns, final Callable<T> task) {
        try {
            return netns.call(task);
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void sleepMillis(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Polls completions (submitting each round) until {@code count} arrived, a {@link Waits.Pace#DELIVERY} wait;
     * {userData, result}.
     */
    static List<long[]> awaitCompletions(final Harness harness, final int count) {
        return awaitCompletions(harness, count, () -> { });
    }

    /**
     * As {@link #awaitCompletions(Harness, int)}, running {@code eachRound} every round as well: for sends that trickle
     * out for longer than the capture's ring holds unread, a {@link Harness#delivered} call that drains it.
     */
    static List<long[]> awaitCompletions(final Harness harness, final int count, final Runnable eachRound) {
        final List<long[]> completions = new ArrayList<>();
        Waits.until(Waits.Pace.DELIVERY, count + " send completions", () -> {
            eachRound.run();
            harness.io().submit();
            harness.io().pollCompletions((userData, result) -> completions.add(new long[] {userData, result}),
                1024);
            return completions.size();
        }, arrived -> arrived >= count, () -> "completions {userData, result}: "
            + completions.stream().map(Arrays::toString).toList());
        return completions;
    }

    /**
     * A burst of more sends than the capacity: the surplus is refused with {@link PacketIo#SEND_QUEUE_FULL} and not
     * taken; every accepted send completes exactly once with its own user data; what completed with a byte count
     * arrived at the sink; the capacity is whole again afterwards.
     */
    @Test
    void aBurstBeyondTheCapacityIsRefusedAndEveryAcceptedSendIsAccountedFor() {
        try (VethHarness harness = createHarness()) {
            final byte[] group = {(byte) 239, 4, 4, 4};
            final PacketIo io = harness.io();
            final int destination = io.openDestination("out0", group, 6100, 0);
            final int capacity = io.sendCapacity();
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[100]);
            int accepted = 0;
            int refused = 0;
            for (int i = 0; i < capacity + 10; i++) {
                payload.putInt(0, i);
                if (io.send(destination, payload, 0, 100, i) == 0) {
                    accepted++;
                } else {
                    refused++;
                }
            }
            assertEquals(capacity, accepted);
            assertEquals(10, refused);
            assertEquals(0, io.sendCapacity());
            final List<long[]> completions = awaitCompletions(harness, capacity);
            assertEquals(capacity, completions.size(), "every accepted send completes");
            final Set<Long> userData = new TreeSet<>();
            int sent = 0;
            for (final long[] completion : completions) {
                userData.add(completion[0]);
                assertTrue(completion[1] == 100 || completion[1] == -PacketIo.EAGAIN
                    || completion[1] == -PacketIo.ENOBUFS, "result " + completion[1]);
                sent += completion[1] == 100 ? 1 : 0;
            }
            assertEquals(capacity, userData.size(), "each send completes once, with its own user data");
            assertEquals(0L, userData.iterator().next());
            assertEquals(capacity, io.sendCapacity(), "the capacity is whole again");
            final int sentOk = sent;
            Waits.until(Waits.Pace.DELIVERY, sent + " datagrams to 239.4.4.4:6100 on out0p",
                () -> harness.delivered(group, 6100).size(), arrived -> arrived >= sentOk);
            final List<byte[]> delivered = harness.delivered(group, 6100);
            assertEquals(sent, delivered.size(), "what completed with its byte count arrived");
            assertTrue(sent > 0);
        }
    }

    /**
     * A poll never delivers more frames than its limit, and what it left waits for the next polls, in order: a burst
     * of 20 frames taken three at a time (for the ring, whose blocks hold many frames, this is its staging area).
     */
    @Test
    void framesBeyondThePollLimitWaitForTheNextPollsInOrder() {
        try (VethHarness harness = createHarness()) {
            final int count = 20;
            for (int i = 0; i < count; i++) {
                harness.injectFrame(udpFrame(new byte[] {(byte) i, 7, 7}));
            }
            final List<byte[]> received = new ArrayList<>();
            Waits.until(Waits.Pace.DELIVERY, count + " injected frames, polled three at a time", () -> {
                harness.io().submit();
                final int polled = harness.io().pollFrames((ifIndex, buffer, offset, length) -> {
                    final byte[] copy = new byte[length];
                    buffer.getBytes(offset, copy);
                    received.add(copy);
                }, 3);
                assertTrue(polled <= 3, "a poll of limit 3 delivered " + polled);
                return received.size();
            }, frames -> frames >= count);
            assertEquals(count, received.size());
            for (int i = 0; i < count; i++) {
                assertTrue(Arrays.equals(udpFrame(new byte[] {(byte) i, 7, 7}), received.get(i)), "frame " + i);
            }
        }
    }

    /**
     * A socket buffer that fills (a small {@code SO_SNDBUF} and a slow token-bucket queue on {@code out0}) does not
     * lose what a blocking socket would have sent: the sends that meet it are held and go, in order, as the queue
     * drains. With every open destination blocked (here the only one) there is no other output to keep slots for:
     * a burst of the whole capacity is held, every send completes with its byte count, and they arrive in the order
     * they were sent, although the buffer holds about three of them.
     */
    @Test
    void aFullSocketBufferHoldsSendsAndSendsThemInOrder() {
        try (VethHarness harness = createHarness(4096)) {
            harness.relay.execOrThrow("tc", "qdisc", "add", "dev", "out0", "root", "tbf", "rate", "10mbit",
                "burst", "1600", "limit", "1000000");
            final byte[] group = {(byte) 239, 7, 7, 8};
            final PacketIo io = harness.io();
            final int destination = io.openDestination("out0", group, 6401, 0);
            final int capacity = io.sendCapacity();
            final int sends = capacity;
            sendNumbered(io, destination, sends, 2000);
            // They trickle out for longer than the capture's ring holds unread: it is drained as they go.
            final List<long[]> completions = awaitCompletions(harness, sends, () -> harness.delivered(group, 6401));
            assertEquals(sends, completions.size());
            for (final long[] completion : completions) {
                assertEquals(1200, completion[1], () -> "every send held until it went: " + completions.stream()
                    .map(Arrays::toString).toList());
            }
            assertEquals(capacity, io.sendCapacity());
            Waits.until(Waits.Pace.DELIVERY, sends + " datagrams to 239.7.7.8:6401 on out0p",
                () -> harness.delivered(group, 6401).size(), arrived -> arrived >= sends,
                () -> harness.relay.execOrThrow("tc", "-s", "qdisc", "show", "dev", "out0").toString());
            final List<byte[]> delivered = harness.delivered(group, 6401);
            assertEquals(sends, delivered.size());
            for (int i = 0; i < sends; i++) {
                assertEquals(i, numberOf(delivered.get(i)), "datagram " + i + " in the order sent");
            }
        }
    }

    /** Sends {@code count} datagrams of 1,200 bytes to {@code destination}, each numbered in its first 4 bytes. */
    private static void sendNumbered(final PacketIo io, final int destination, final int count,
        final long userDataBase) {
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[1200]);
        for (int i = 0; i < count; i++) {
            payload.putInt(0, i);
            assertEquals(0, io.send(destination, payload, 0, 1200, userDataBase + i));
        }
    }

    /** The number {@link #sendNumbered} gave a datagram. */
    private static int numberOf(final byte[] datagram) {
        return java.nio.ByteBuffer.wrap(datagram).order(ByteOrder.nativeOrder()).getInt(0);
    }

    /**
     * Beyond what a blocked destination may hold while another output has room (a burst of the whole capacity into a
     * small {@code SO_SNDBUF} and a slow token bucket, a second destination open and idle, with a TTL of its own so
     * that it has a socket, and so a buffer, of its own), sends complete with
     * {@code -EAGAIN} (or {@code -ENOBUFS}), counted, never thrown; each send still completes exactly once, the
     * capacity comes back whole, and what was sent arrives in order.
     */
    @Test
    void sendsBeyondWhatABlockedDestinationHoldsCompleteWithEagain() {
        try (VethHarness harness = createHarness(4096)) {
            harness.relay.execOrThrow("tc", "qdisc", "add", "dev", "out0", "root", "tbf", "rate", "4mbit",
                "burst", "1600", "limit", "1000000");
            final byte[] group = {(byte) 239, 7, 7, 7};
            final PacketIo io = harness.io();
            final int destination = io.openDestination("out0", group, 6400, 0);
            io.openDestination("out0", new byte[] {(byte) 239, 7, 7, 6}, 6400, 9); // another output, with room
            final int capacity = io.sendCapacity();
            sendNumbered(io, destination, capacity, 1000);
            final List<long[]> completions = awaitCompletions(harness, capacity,
                () -> harness.delivered(group, 6400));
            assertEquals(capacity, completions.size());
            final Set<Long> userData = new TreeSet<>();
            int sent = 0;
            int full = 0;
            for (final long[] completion : completions) {
                userData.add(completion[0]);
                if (completion[1] == 1200) {
                    sent++;
                } else {
                    assertTrue(completion[1] == -PacketIo.EAGAIN || completion[1] == -PacketIo.ENOBUFS,
                        "result " + completion[1]);
                    full++;
                }
            }
            assertEquals(capacity, userData.size());
            assertTrue(sent > 0, "some sends fit the buffer");
            assertTrue(full > 0, "the buffer filled: " + sent + " sent of " + capacity);
            assertEquals(capacity, io.sendCapacity());
            final int sentOk = sent;
            Waits.until(Waits.Pace.DELIVERY, sent + " datagrams to 239.7.7.7:6400 on out0p",
                () -> harness.delivered(group, 6400).size(), arrived -> arrived >= sentOk);
            final List<byte[]> delivered = harness.delivered(group, 6400);
            assertEquals(sent, delivered.size(), "what completed with its byte count arrived");
            int previous = -1;
            for (final byte[] datagram : delivered) {
                final int index = numberOf(datagram);
                assertTrue(index > previous, "in the order sent: " + index + " after " + previous);
                previous = index;
            }
        }
    }

    /**
     * Destinations out of one interface with one TTL share one socket (a table of thousands of outputs needs one, not
     * thousands), another TTL gets a socket of its own, and the sends interleaved among them in one cycle each reach
     * their own destination, in the order they were queued. A socket closes with its last destination.
     */
    @Test
    void destinationsShareASocketPerInterfaceAndTtlAndEachGetsItsOwnSendsInOrder() {
        try (VethHarness harness = createHarness()) {
            final PacketIo io = harness.io();
            final int[] ttls = {0, 0, 0, 4};
            final int[] destinations = new int[ttls.length];
            for (int d = 0; d < ttls.length; d++) {
                destinations[d] = io.openDestination("out0", new byte[] {(byte) 239, 7, 9, (byte) (d + 1)}, 6900 + d,
                    ttls[d]);
            }
            assertEquals(2, egressSockets(harness.raw()), "one socket for TTL 0 (1), one for TTL 4");
            final int sends = 60;
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[100]);
            for (int i = 0; i < sends; i++) {
                payload.putInt(0, i);
                assertEquals(0, io.send(destinations[i % ttls.length], payload, 0, 100, i));
            }
            final List<long[]> completions = awaitCompletions(harness, sends);
            assertTrue(completions.stream().allMatch(c -> c[1] == 100), () -> "every send went: "
                + completions.stream().map(Arrays::toString).toList());
            for (int d = 0; d < ttls.length; d++) {
                final byte[] group = {(byte) 239, 7, 9, (byte) (d + 1)};
                final int port = 6900 + d;
                final int expected = sends / ttls.length;
                Waits.until(Waits.Pace.DELIVERY, expected + " datagrams to destination " + d,
                    () -> harness.delivered(group, port).size(), arrived -> arrived >= expected);
                final List<byte[]> delivered = harness.delivered(group, port);
                assertEquals(expected, delivered.size(), "destination " + d);
                for (int k = 0; k < expected; k++) {
                    assertEquals(k * ttls.length + d, numberOf(delivered.get(k)), "destination " + d + ", datagram "
                        + k + " in the order sent");
                }
            }
            io.closeDestination(destinations[3]);
            assertEquals(1, egressSockets(harness.raw()), "the TTL 4 socket closed with its only destination");
            io.closeDestination(destinations[0]);
            assertEquals(1, egressSockets(harness.raw()), "two destinations still use the TTL 0 socket");
        }
    }

    /** The egress sockets a production backend holds. */
    private static int egressSockets(final PacketIo raw) {
        return raw instanceof IoUringPacketIo uring ? uring.egressSockets() : ((EpollPacketIo) raw).egressSockets();
    }

    /**
     * The zero-allocation check through the real duty cycle: the {@link WorkerAgent} a worker process runs, over this
     * I/O, forwards what another thread floods onto {@code in0} (a Sync of one 1→1 rule for it, delivered through the
     * test-jar's in-memory channel), one {@code doWork} after another, as the worker's loop calls it: commands,
     * completions, send errors, frames, timers, submit. After a warm-up, the thread allocates less than 64 KiB over at
     * least 120,000 frames in one of up to five measured rounds (compilation may finish late on a loaded machine; an
     * allocation per frame fails every round; the heartbeat, which allocates by design, is an hour away on the agent's
     * clock), and every frame it read was matched and sent or counted as a drop. No timing is asserted.
     */
    @Test
    void theWorkersRealDutyCycleAllocatesNothing() throws Exception {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (VethHarness harness = createHarness()) {
            final WorkerFakes.QueueChannel channel = new WorkerFakes.QueueChannel();
            final WorkerAgent worker = new WorkerAgent(new WorkerAgent.Config(0, TimeUnit.HOURS.toNanos(1), 16, 256,
                1024), channel, harness.io(), new WheelTimers(0));
            worker.start(0);
            channel.deliver(new WorkerMessage.Sync(1, List.of(new Rule(new RuleId("flood"), null,
                new RuleInput("in0", IpAddress.parse("239.1.1.1"), 5000, null),
                List.of(new RuleOutput(IpAddress.parse("239.8.8.9"), 6510, "out0", 0))))));
            final long[] now = {1};
            worker.doWork(now[0]++);
            assertEquals(1, worker.epoch(), "the Sync is installed");
            final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            final Thread injector = Thread.ofPlatform().name("injector").start(() -> harness.flood(stop));
            try {
                // A hang guard inside the measured loop rather than a Waits wait, which would allocate on this thread.
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                final Runnable cycles = () -> {
                    final long target = worker.framesReceived() + 30_000;
                    while (worker.framesReceived() < target && System.nanoTime() < deadline) {
                        worker.doWork(now[0]++);
                    }
                };
                for (int i = 0; i < 10; i++) {
                    cycles.run(); // warm-up: class loading and compilation fall outside the measurement
                }
                // Measured rounds of at least 120,000 frames each, until one allocates under the bound: compilation
                // on a loaded machine can finish after the warm-up (code not yet compiled by C2 allocates what escape
                // analysis later removes). An allocation per frame shows in every round, so it still fails.
                final List<String> rounds = new ArrayList<>();
                boolean clean = false;
                for (int round = 0; round < 5 && !clean; round++) {
                    final long before = threads.getCurrentThreadAllocatedBytes();
                    assertTrue(before > 0, "this JVM measures allocation per thread");
                    final long framesBefore = worker.framesReceived();
                    for (int i = 0; i < 4; i++) {
                        cycles.run();
                    }
                    final long allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;
                    final long frames = worker.framesReceived() - framesBefore;
                    assertTrue(frames >= 120_000, "only " + frames + " frames arrived within the time limit");
                    rounds.add(allocatedBytes + " bytes over " + frames + " frames");
                    clean = allocatedBytes < 64 * 1024;
                }
                assertTrue(clean, () -> "the duty cycle allocated in every round: " + rounds);
                System.err.println("[netns] the duty cycle allocated " + rounds);
            } finally {
                stop.set(true);
                injector.join();
            }
            for (int i = 0; i < 1_000 && worker.counters().rules().getFirst().outputs().getFirst().packetsOut()
                + dropsOf(worker) < worker.counters().rules().getFirst().packetsIn(); i++) {
                worker.doWork(now[0]++); // the last sends complete
                harness.settle();
            }
            final io.mcrelay.protocol.WorkerCounters counters = worker.counters();
            final io.mcrelay.protocol.WorkerCounters.RuleCounters rule = counters.rules().getFirst();
            assertEquals(counters.framesReceived(), rule.packetsIn() + counters.unmatched(),
                "every frame read matched the rule (or counted unmatched)");
            assertEquals(rule.packetsIn(), rule.outputs().getFirst().packetsOut() + dropsOf(worker),
                () -> "every matched packet sent or dropped with a count: " + counters);
            assertTrue(rule.outputs().getFirst().packetsOut() > 0, "packets went out of out0");
        }
    }

    /** The send drops of the worker's only rule, every reason. */
    private static long dropsOf(final WorkerAgent worker) {
        final io.mcrelay.protocol.WorkerCounters.RuleCounters rule = worker.counters().rules().getFirst();
        return rule.dropsBufferFull() + rule.dropsNoBufferSpace() + rule.dropsSendError() + rule.dropsLinkDown();
    }

    /**
     * The worker's packet path allocates nothing over a real veth: frames received and their payloads sent on, with
     * completions and send errors polled and one submit per cycle, for 120,000 frames after a warm-up of 30,000,
     * while another thread injects frames. The relay thread's allocated bytes ({@code com.sun.management.ThreadMXBean})
     * must stay below what even one byte per frame would add. No timing is asserted.
     */
    @Test
    void theReceiveToSendPathAllocatesNothing() throws Exception {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (VethHarness harness = createHarness()) {
            final PacketIo io = harness.raw();
            final int destination = harness.io().openDestination("out0", new byte[] {(byte) 239, 8, 8, 8}, 6500, 0);
            final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            final Thread injector = Thread.ofPlatform().name("injector").start(() -> harness.flood(stop));
            try {
                final long[] counts = new long[3]; // frames, sends refused, completion results summed
                final PacketIo.FrameHandler onFrame = (ifIndex, frame, offset, length) -> {
                    counts[0]++;
                    if (io.send(destination, frame, offset + 42, length - 42, counts[0]) != 0) {
                        counts[1]++;
                    }
                };
                final PacketIo.CompletionHandler onComplete = (userData, result) -> counts[2] += result;
                final PacketIo.SendErrorHandler onError = (handle, errno) -> counts[1]++;
                // A hang guard inside the measured loop rather than a Waits wait: Awaitility would allocate on this
                // thread, whose allocation is what the test measures. A run cut short fails the count below.
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                final Runnable cycles = () -> {
                    final long target = counts[0] + 30_000;
                    while (counts[0] < target && System.nanoTime() < deadline) {
                        io.pollCompletions(onComplete, 256);
                        io.pollFrames(onFrame, Math.min(64, io.sendCapacity()));
                        io.pollSendErrors(onError, 16);
                        io.submit();
                    }
                };
                for (int i = 0; i < 10; i++) {
                    cycles.run(); // warm-up: class loading and compilation fall outside the measurement
                }
                final long before = threads.getCurrentThreadAllocatedBytes();
                assertTrue(before > 0, "this JVM measures allocation per thread");
                final long framesBefore = counts[0];
                for (int i = 0; i < 4; i++) {
                    cycles.run();
                }
                final long allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;
                final long frames = counts[0] - framesBefore;
                assertTrue(frames >= 120_000, "only " + frames + " frames arrived within the time limit");
                assertTrue(allocatedBytes < 64 * 1024, "allocated " + allocatedBytes + " bytes over " + frames
                    + " frames");
                assertTrue(counts[2] > 0, "sends completed with byte counts");
            } finally {
                stop.set(true);
                injector.join();
            }
        }
    }

    /**
     * A send out of an interface that went down completes with a negative errno (a counted completion, not an
     * exception); once the interface is up again, sends to the same destination go through.
     */
    @Test
    void aSendOutOfADownInterfaceCompletesWithANegativeErrno() {
        try (VethHarness harness = createHarness()) {
            final byte[] group = {(byte) 239, 5, 5, 5};
            final PacketIo io = harness.io();
            final int destination = io.openDestination("out0", group, 6200, 0);
            harness.relay.execOrThrow("ip", "link", "set", "out0", "down");
            assertEquals(0, io.send(destination, new UnsafeBuffer(new byte[] {1}), 0, 1, 41L));
            final List<long[]> down = awaitCompletions(harness, 1);
            assertEquals(1, down.size());
            assertEquals(41L, down.getFirst()[0]);
            final int errno = (int) -down.getFirst()[1];
            System.err.println("[netns] a send out of a down interface completed with errno " + errno);
            assertTrue(Set.of(PacketIo.ENETDOWN, PacketIo.ENXIO, 101 /* ENETUNREACH */).contains(errno),
                "errno " + errno);
            harness.relay.execOrThrow("ip", "link", "set", "out0", "up");
            // The link comes up (carrier) shortly after the command returns: a send every 20 ms until one goes out.
            final long result = Waits.until(Waits.Pace.DELIVERY.every(Duration.ofMillis(20)),
                "a send out of out0 once it is up again", () -> {
                    io.send(destination, new UnsafeBuffer(new byte[] {2}), 0, 1, 42L);
                    return awaitCompletions(harness, 1).getFirst()[1];
                }, completed -> completed >= 0);
            assertEquals(1, result, "a send after the interface came back up");
            assertEquals(0, io.send(destination, new UnsafeBuffer(new byte[] {3}), 0, 1, 43L));
            assertEquals(1, awaitCompletions(harness, 1).size());
            harness.settle();
            assertTrue(harness.delivered(group, 6200).stream().anyMatch(p -> Arrays.equals(p, new byte[] {3})));
        }
    }

    /**
     * An output interface deleted and created again has a new index: the old socket's send completes with a
     * negative errno, {@link PacketIo#interfacesVersion()} moves, and opening the destination again (as the worker
     * does when the version moved) sends out of the new interface. A destination on an interface that does not
     * exist opens without an exception and its sends complete with {@code -ENODEV}.
     */
    @Test
    void aRecreatedOutputInterfaceIsUsedAgainAfterTheVersionMoved() {
        try (VethHarness harness = createHarness()) {
            final byte[] group = {(byte) 239, 6, 6, 6};
            final PacketIo io = harness.io();
            final int missing = io.openDestination("nosuch0", group, 6300, 0);
            assertEquals(0, io.send(missing, new UnsafeBuffer(new byte[] {9}), 0, 1, 50L));
            assertEquals(-19, awaitCompletions(harness, 1).getFirst()[1], "ENODEV for a missing interface");

            final int destination = io.openDestination("out0", group, 6300, 0);
            final long version = io.interfacesVersion();
            harness.relay.execOrThrow("ip", "link", "del", "out0");
            Netns.vethPair(harness.relay, "out0", harness.relay, "out0q");
            Netns.addAddress(harness.relay, "out0", "10.77.2.1/24");
            assertEquals(0, io.send(destination, new UnsafeBuffer(new byte[] {1}), 0, 1, 51L));
            final long[] stale = awaitCompletions(harness, 1).getFirst();
            assertTrue(stale[1] < 0, "a send on the socket of the deleted interface: " + stale[1]);
            assertNotEquals(version, io.interfacesVersion(), "the version moved after result " + stale[1]);
            assertEquals(destination, io.openDestination("out0", group, 6300, 0), "the same handle");
            assertEquals(0, io.send(destination, new UnsafeBuffer(new byte[] {2}), 0, 1, 52L));
            final long[] again = awaitCompletions(harness, 1).getFirst();
            assertEquals(52L, again[0]);
            assertEquals(1, again[1], "sent out of the re-created interface");
        }
    }

    /**
     * A device queue that is full (a token bucket on {@code out0} holding about one packet) makes sends complete with
     * {@code -ENOBUFS}, which the egress sockets' {@code IP_RECVERR} makes Linux report instead of passing the dropped
     * packet for sent: every send completes with its byte count, {@code -ENOBUFS} or {@code -EAGAIN}, some with
     * {@code -ENOBUFS}, and exactly those that completed with their byte count arrive.
     */
    @Test
    void aFullDeviceQueueCompletesSendsWithEnobufsAndLosesNoneSilently() {
        try (VethHarness harness = createHarness()) {
            harness.relay.execOrThrow("tc", "qdisc", "add", "dev", "out0", "root", "tbf", "rate", "1mbit", "burst",
                "1600", "limit", "1600");
            final byte[] group = {(byte) 239, 10, 10, 10};
            final PacketIo io = harness.io();
            final int destination = io.openDestination("out0", group, 6700, 0);
            final int sends = Math.min(io.sendCapacity(), 64);
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[1000]);
            for (int i = 0; i < sends; i++) {
                assertEquals(0, io.send(destination, payload, 0, 1000, i));
            }
            final List<long[]> completions = awaitCompletions(harness, sends);
            assertEquals(sends, completions.size());
            int sent = 0;
            int noBufferSpace = 0;
            int bufferFull = 0;
            for (final long[] completion : completions) {
                if (completion[1] == 1000) {
                    sent++;
                } else if (PacketIo.SendFailure.of((int) completion[1]) == PacketIo.SendFailure.NO_BUFFER_SPACE) {
                    noBufferSpace++;
                } else if (PacketIo.SendFailure.of((int) completion[1]) == PacketIo.SendFailure.BUFFER_FULL) {
                    bufferFull++;
                }
            }
            System.err.println("[netns] " + sends + " sends into a full device queue: " + sent + " sent, "
                + noBufferSpace + " ENOBUFS, " + bufferFull + " EAGAIN");
            assertEquals(sends, sent + noBufferSpace + bufferFull, "each completed sent, ENOBUFS or EAGAIN");
            assertTrue(noBufferSpace > 0, "the device queue refused some");
            assertTrue(sent > 0, "the device queue took some");
            final int sentOk = sent;
            Waits.until(Waits.Pace.DELIVERY, sent + " datagrams to 239.10.10.10:6700 on out0p",
                () -> harness.delivered(group, 6700).size(), arrived -> arrived >= sentOk);
            harness.settle();
            assertEquals(sent, harness.delivered(group, 6700).size(), "what completed as sent arrived, no more");
        }
    }

    /**
     * A send to a unicast address where no socket listens (the sink's, which answers with an ICMP port unreachable)
     * is reported through {@link PacketIo#pollSendErrors} for its destination, with {@code ECONNREFUSED}, once; a
     * multicast destination used alongside reports nothing. The loop is a worker's duty cycle.
     */
    @Test
    void aPortUnreachableIsReportedForItsDestination() {
        try (VethHarness harness = createHarness()) {
            harness.sink.execOrThrow("sysctl", "-q", "-w", "net.ipv4.icmp_ratemask=0"); // no ICMP rate limit
            final PacketIo io = harness.io();
            final int group = io.openDestination("out0", new byte[] {(byte) 239, 11, 11, 11}, 6800, 0);
            final int refused = io.openDestination("out0", new byte[] {10, 77, 1, 2}, 6801, 0);
            assertEquals(0, io.send(refused, new UnsafeBuffer(new byte[8]), 0, 8, 1L));
            assertEquals(0, io.send(group, new UnsafeBuffer(new byte[8]), 0, 8, 2L));
            final List<int[]> reports = new ArrayList<>();
            final List<long[]> completions = new ArrayList<>();
            Waits.until(Waits.Pace.DELIVERY, "the port-unreachable report for 10.77.1.2:6801", () -> {
                cycle(io, completions, reports);
                return reports.size();
            }, count -> count > 0);
            // Not a wait but a window of about 100 ms in which nothing more may come: one send, one report.
            for (int i = 0; i < 50; i++) {
                cycle(io, completions, reports);
                sleepMillis(2);
            }
            assertEquals(1, reports.size(), "reports: " + reports.size());
            assertArrayEquals(new int[] {refused, ECONNREFUSED}, reports.getFirst());
            assertEquals(2, completions.size());
            assertTrue(completions.stream().allMatch(c -> c[1] == 8), "both sends went out");
        }
    }

    /**
     * Reading error reports allocates nothing: 2,000 sends to a refused unicast destination, each answered by an ICMP
     * port unreachable, read by the duty cycle's {@link PacketIo#pollSendErrors} after a warm-up of ten times as
     * many. The relay
     * thread's allocated bytes must stay below what even a few bytes per report would add. No timing is asserted.
     */
    @Test
    void readingSendErrorsAllocatesNothing() {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (VethHarness harness = createHarness()) {
            harness.sink.execOrThrow("sysctl", "-q", "-w", "net.ipv4.icmp_ratemask=0"); // no ICMP rate limit
            final PacketIo io = harness.raw();
            final int refused = harness.io().openDestination("out0", new byte[] {10, 77, 1, 2}, 6802, 0);
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[8]);
            final long[] counts = new long[3]; // reports, reports of another errno or destination, completions
            final PacketIo.SendErrorHandler onError = (destination, errno) -> {
                counts[0]++;
                counts[1] += destination == refused && errno == ECONNREFUSED ? 0 : 1;
            };
            final PacketIo.CompletionHandler onComplete = (userData, result) -> counts[2]++;
            final PacketIo.FrameHandler onFrame = (ifIndex, frame, offset, length) -> { };
            // A hang guard inside the measured loop rather than a Waits wait: Awaitility would allocate on this
            // thread, whose allocation is what the test measures. A run cut short fails the count below.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            final Runnable reports = () -> {
                final long target = counts[0] + 2_000;
                long sent = counts[2];
                while (counts[0] < target && System.nanoTime() < deadline) {
                    if (sent == counts[2] && io.send(refused, payload, 0, 8, 0) == 0) {
                        sent++; // one send in flight at a time: each meets its own ICMP
                    }
                    io.submit();
                    io.pollCompletions(onComplete, 64);
                    io.pollFrames(onFrame, 64);
                    io.pollSendErrors(onError, 16);
                }
            };
            for (int i = 0; i < 10; i++) {
                reports.run(); // warm-up: until the downcalls are compiled, the interpreter allocates around them
            }
            final long before = threads.getCurrentThreadAllocatedBytes();
            final long reportsBefore = counts[0];
            reports.run();
            final long allocatedBytes = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(counts[0] - reportsBefore >= 2_000, "only " + (counts[0] - reportsBefore) + " reports");
            assertEquals(0, counts[1], "every report is the refused destination's ECONNREFUSED");
            assertTrue(allocatedBytes < 64 * 1024, "allocated " + allocatedBytes + " bytes over "
                + (counts[0] - reportsBefore) + " reports");
        }
    }

    /** {@code ECONNREFUSED} from {@code asm-generic/errno.h}: what an ICMP port unreachable becomes. */
    static final int ECONNREFUSED = 111;

    /** One duty cycle of a worker: submit, completions, frames, send errors. */
    static void cycle(final PacketIo io, final List<long[]> completions, final List<int[]> reports) {
        io.submit();
        io.pollCompletions((userData, result) -> completions.add(new long[] {userData, result}), 64);
        io.pollFrames((ifIndex, frame, offset, length) -> { }, 64);
        io.pollSendErrors((destination, errno) -> reports.add(new int[] {destination, errno}), 16);
    }
}
