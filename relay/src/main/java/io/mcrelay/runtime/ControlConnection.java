package io.mcrelay.runtime;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

import io.mcrelay.protocol.FrameDecoder;
import io.mcrelay.protocol.Frames;

/**
 * One client of {@link UnixControlServer}, which alone reads and writes these fields. {@code reported}: its disconnect is queued; from then on it is only flushed, then closed.
 * {@code heldBytes}: what the ledger last allowed it (its frame buffer and unsent responses).
 */
final class ControlConnection {
    final long id;
    final SocketChannel channel;
    final SelectionKey key;
    final ControlPeer peer;
    FrameDecoder decoder = new FrameDecoder(Frames.CONTROL_BYTES_MAX);
    final ArrayDeque<ByteBuffer> output = new ArrayDeque<>();
    long outputBytes;
    long heldBytes;
    long lastReadNs;
    long lastExchangeNs;
    boolean reported;
    long flushDeadlineNs;

    ControlConnection(final long id, final SocketChannel channel, final SelectionKey key, final ControlPeer peer,
                      final long nowNs) {
        this.id = id;
        this.channel = channel;
        this.key = key;
        this.peer = peer;
        this.lastReadNs = nowNs;
        this.lastExchangeNs = nowNs;
    }
}
