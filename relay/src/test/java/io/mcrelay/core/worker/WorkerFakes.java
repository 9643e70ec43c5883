package io.mcrelay.core.worker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.seam.PacketIo;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;

/**
 * Hand-written stand-ins for a worker's seams, for the tests that drive a real {@link WorkerAgent} directly (public
 * in the test-jar: the real-kernel tests drive a worker over a real packet I/O with its channel).
 */
public final class WorkerFakes {
    private WorkerFakes() {
    }

    /**
     * A channel that hands the worker the frames queued by the test and decodes what it sends; while {@link #full}
     * it refuses every send, as a channel whose buffer is full does.
     */
    public static final class QueueChannel implements WorkerChannel {
        final ArrayDeque<byte[]> inbound = new ArrayDeque<>();
        final List<WorkerMessage> sent = new ArrayList<>();
        boolean full;

        /** Queues {@code message} for the worker's next poll. */
        public void deliver(final WorkerMessage message) {
            inbound.add(WorkerMessageCodec.toBytes(message));
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length) {
            if (full) {
                return SendResult.FULL;
            }
            sent.add(WorkerMessageCodec.decode(buffer, offset, length));
            return SendResult.SENT;
        }

        @Override
        public SendResult send(final DirectBuffer buffer, final int offset, final int length,
            final PassedDescriptor descriptor) {
            throw new UnsupportedOperationException("the worker sends no descriptors");
        }

        @Override
        public PassedDescriptor takeDescriptor() {
            return null; // no frame here carries a descriptor
        }

        @Override
        public int poll(final FrameHandler handler, final int limit) {
            int count = 0;
            while (count < limit && !inbound.isEmpty()) {
                final byte[] frame = inbound.poll();
                handler.onFrame(new UnsafeBuffer(frame), 0, frame.length);
                count++;
            }
            return count;
        }

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public int frameBytesMax() {
            return 1 << 20;
        }

        @Override
        public void close() {
        }

        /** The messages of one type the worker sent, in order. */
        <T extends WorkerMessage> List<T> sent(final Class<T> type) {
            return sent.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }

    /**
     * Packet I/O with one input ({@code in0}, index 7) and no traffic of its own: frames are handed to the worker by
     * the test; it counts the destinations opened for the first time (each its own handle), and those closed. Not
     * final: a test that also needs sends overrides them.
     */
    static class DestinationsIo implements PacketIo {
        final Map<String, Integer> handles = new HashMap<>();
        int firstOpens;
        int closes;

        @Override
        public int attachInput(final String interfaceName, final PassedDescriptor socket) {
            socket.close();
            throw new UnsupportedOperationException("one fixed input");
        }

        @Override
        public boolean releaseInput(final String interfaceName) {
            return true;
        }

        @Override
        public int interfaceIndex(final String interfaceName) {
            return interfaceName.equals("in0") ? 7 : 0;
        }

        @Override
        public int openDestination(final String interfaceName, final byte[] groupAddress, final int port,
                                   final int ttl) {
            final String key = interfaceName + "/" + java.util.Arrays.toString(groupAddress) + ":" + port + "/" + ttl;
            return handles.computeIfAbsent(key, k -> {
                firstOpens++;
                return handles.size();
            });
        }

        @Override
        public void closeDestination(final int destination) {
            closes++;
            handles.values().remove(destination);
        }

        @Override
        public List<InputCounts> inputCounts() {
            return List.of();
        }

        @Override
        public int pollSendErrors(final SendErrorHandler handler, final int limit) {
            return 0;
        }

        @Override
        public int send(final int destination, final DirectBuffer payload, final int offset, final int length,
                        final long userData) {
            return 0;
        }

        @Override
        public long interfacesVersion() {
            return 1;
        }

        @Override
        public int sendCapacity() {
            return 1024;
        }

        @Override
        public int submit() {
            return 0;
        }

        @Override
        public int pollFrames(final FrameHandler handler, final int limit) {
            return 0;
        }

        @Override
        public int pollCompletions(final CompletionHandler handler, final int limit) {
            return 0;
        }

        @Override
        public void close() {
        }
    }
}
