package io.mcrelay.netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A local peer of the control socket that misbehaves, for {@link ControlSocketLockoutNetnsIT}: started as another
 * user (through {@code setpriv}), it opens, in this order, connections that each break the protocol one way (with
 * {@code misbehave}) and then as many idle ones as asked, and prints {@code opened N}. On {@code report} from stdin it
 * reads what each connection was sent and prints what became of them; {@code quit} or EOF closes them all and exits.
 * A connect that fails prints {@code connect failed: MESSAGE} and exits 3.
 *
 * <p>It uses the JDK only and runs from a copy of its class file: the user it runs as cannot read the build.
 *
 * <p>Report: {@code report idle_open=N idle_closed=N}, then one {@code peer NAME open|closed TEXT} line per misbehaving
 * connection and one {@code peer idle-refused closed TEXT} line for the first idle connection that was closed, where
 * {@code TEXT} is every whole frame it was sent, joined by {@code " | "}; then {@code end}.
 */
final class ControlFlood {
    private ControlFlood() {
    }

    /** One connection and what it was sent. */
    private static final class Peer {
        final SocketChannel channel;
        final ByteBuffer in = ByteBuffer.allocate(1 << 16);
        final List<String> frames = new ArrayList<>();
        boolean closed;

        Peer(final Path socket, final byte[] first) throws IOException {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            final ByteBuffer out = ByteBuffer.wrap(first);
            while (out.hasRemaining()) {
                channel.write(out);
            }
            channel.configureBlocking(false);
        }

        /** Reads what has arrived; true once the daemon closed it. */
        boolean poll() {
            try {
                while (!closed) {
                    final int read = channel.read(in);
                    if (read < 0) {
                        closed = true;
                    } else if (read == 0) {
                        break;
                    }
                    frames();
                }
            } catch (final IOException e) {
                closed = true; // reset by the daemon: as good as closed
            }
            return closed;
        }

        private void frames() {
            in.flip();
            while (in.remaining() >= 4 && in.remaining() >= 4 + in.getInt(in.position())) {
                final byte[] payload = new byte[in.getInt()];
                in.get(payload);
                frames.add(new String(payload, StandardCharsets.UTF_8));
            }
            in.compact();
        }

        String describe() {
            return (closed ? "closed " : "open ") + String.join(" | ", frames);
        }
    }

    private static byte[] frame(final String text) {
        final byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
    }

    public static void main(final String[] args) throws IOException {
        final Path socket = Path.of(args[0]);
        final int idleCount = Integer.parseInt(args[1]);
        final boolean misbehave = args.length > 2 && args[2].equals("misbehave");
        final Map<String, Peer> odd = new LinkedHashMap<>();
        final List<Peer> idle = new ArrayList<>();
        try {
            if (misbehave) {
                // Text where a length belongs: "GET " read as a length is about 1.2 GB.
                odd.put("garbage", new Peer(socket, "GET / HTTP/1.1\r\nHost: mcrelay\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII)));
                odd.put("oversize", new Peer(socket, ByteBuffer.allocate(4).putInt((16 << 20) + 1).array()));
                odd.put("framed-garbage", new Peer(socket, frame("{not json")));
                final byte[] half = ByteBuffer.allocate(4 + 8).putInt(100).put("{\"type\":".getBytes(
                    StandardCharsets.US_ASCII)).array();
                odd.put("half", new Peer(socket, half));
            }
            for (int i = 0; i < idleCount; i++) {
                idle.add(new Peer(socket, new byte[0]));
            }
        } catch (final IOException e) {
            System.out.println("connect failed: " + e.getMessage());
            System.exit(3);
        }
        System.out.println("opened " + (odd.size() + idle.size()));
        final BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = commands.readLine(); line != null && !line.equals("quit"); line = commands.readLine()) {
            if (line.equals("report")) {
                final long closed = idle.stream().filter(Peer::poll).count();
                final StringBuilder report = new StringBuilder("report idle_open=").append(idle.size() - closed)
                    .append(" idle_closed=").append(closed).append('\n');
                odd.forEach((name, peer) -> {
                    peer.poll();
                    report.append("peer ").append(name).append(' ').append(peer.describe()).append('\n');
                });
                idle.stream().filter(peer -> peer.closed).findFirst().ifPresent(peer ->
                    report.append("peer idle-refused ").append(peer.describe()).append('\n'));
                System.out.print(report.append("end\n"));
                System.out.flush();
            }
        }
        for (final Peer peer : odd.values()) {
            peer.channel.close();
        }
        for (final Peer peer : idle) {
            peer.channel.close();
        }
    }
}
