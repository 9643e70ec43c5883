package io.mcrelay.linux.netlink;

import io.mcrelay.linux.sys.Errno;
import io.mcrelay.linux.sys.LinuxException;
import io.mcrelay.linux.sys.SocketCalls;
import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.linux.sys.UnixSockets;
import io.mcrelay.seam.LinkMonitor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The production {@link LinkMonitor}: a non-blocking {@code NETLINK_ROUTE} socket subscribed to link and address
 * changes ({@code rtnetlink(7)}), plus {@code RTM_GETLINK} dumps for the snapshot. Messages are turned into events by
 * comparing them with the last known state of each interface index, so a link reported again unchanged (the dump
 * and the subscription overlap) produces nothing. An interface counts as up when it is administratively up and has
 * carrier ({@code IFF_UP} and {@code IFF_LOWER_UP}). When the kernel dropped messages because the socket's buffer
 * filled ({@code ENOBUFS}), the monitor dumps the links again and reports the differences, so no change is missed
 * for good. {@link #links()} first reads the notifications waiting on the socket (queueing their events for
 * {@link #poll}), so the snapshot is as current as the kernel's announcements. Works in the network namespace of
 * the thread that opens it. Single-threaded.
 *
 * <p>Offsets from {@code linux/netlink.h} ({@code struct nlmsghdr}, 16 bytes; {@code sockaddr_nl}, 12 bytes) and
 * {@code linux/rtnetlink.h} ({@code struct ifinfomsg}, 16 bytes; {@code struct ifaddrmsg}, 8 bytes;
 * {@code struct rtattr}, 4 bytes, attributes aligned to 4).
 */
public final class NetlinkLinkMonitor implements LinkMonitor {
    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int NETLINK_ROUTE = 0;
    static final int RTMGRP_LINK = 0x1;
    static final int RTMGRP_IPV4_IFADDR = 0x10;
    static final int RTMGRP_IPV6_IFADDR = 0x100;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int RTM_NEWADDR = 20;
    static final int RTM_DELADDR = 21;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_DUMP = 0x300;
    static final int IFLA_IFNAME = 3;
    static final int IFF_UP = 0x1;
    static final int IFF_LOWER_UP = 0x10000;
    private static final int BUFFER_BYTES = 64 * 1024;


    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(BUFFER_BYTES, 8);
    private final MemorySegment capture = arena.allocate(Syscalls.CAPTURE);
    private final int events;
    private final Map<Integer, LinkState> known = new TreeMap<>();
    private final ArrayDeque<LinkEvent> pending = new ArrayDeque<>();
    private int sequence;
    private boolean closed;

    private NetlinkLinkMonitor(final int events) {
        this.events = events;
    }

    /** The notification socket: readable when a change is waiting, for a loop sleeping in {@code poll(2)}. */
    public int descriptor() {
        return events;
    }

    /** True when changes read already wait for {@link #poll}: a loop must not sleep. */
    public boolean hasQueued() {
        return !pending.isEmpty();
    }

    /** Subscribes, then takes the first snapshot; changes from then on are reported by {@link #poll}. */
    public static NetlinkLinkMonitor open() {
        final int fd = socket(true);
        final NetlinkLinkMonitor monitor = new NetlinkLinkMonitor(fd);
        try {
            monitor.bind(fd, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
            monitor.known.putAll(monitor.dump());
            return monitor;
        } catch (final RuntimeException e) {
            monitor.close();
            throw e;
        }
    }

    @Override
    public List<LinkState> links() {
        if (closed) {
            throw new IllegalStateException("link monitor is closed");
        }
        while (receiveOnce()) {
            // bring the picture up to date with what the kernel has announced; the events wait for poll()
        }
        final List<LinkState> links = new ArrayList<>(known.values());
        links.sort(Comparator.comparing(LinkState::name));
        return links;
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        if (closed) {
            throw new IllegalStateException("link monitor is closed");
        }
        while (pending.size() < limit && receiveOnce()) {
            // keep reading while the kernel has messages and the caller wants more
        }
        int delivered = 0;
        while (delivered < limit && !pending.isEmpty()) {
            listener.onLinkEvent(pending.pollFirst());
            delivered++;
        }
        return delivered;
    }

    /** Reads one datagram of notifications; false when none is waiting. */
    private boolean receiveOnce() {
        final long length = Syscalls.recv(capture, events, buffer, BUFFER_BYTES, Syscalls.MSG_DONTWAIT);
        if (length < 0) {
            final int errno = Syscalls.errno(capture);
            if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                return false;
            }
            if (errno == Errno.ENOBUFS) {
                resync(); // the kernel dropped notifications: compare a fresh dump with what we knew
                return true;
            }
            throw new LinuxException("recv on the netlink link monitor", errno);
        }
        long offset = 0;
        while (offset + 16 <= length) {
            final int messageLength = buffer.get(ValueLayout.JAVA_INT, offset);
            final int type = buffer.get(ValueLayout.JAVA_SHORT, offset + 4) & 0xFFFF;
            if (messageLength < 16 || offset + messageLength > length) {
                break; // malformed: stop at what could be read
            }
            switch (type) {
                case RTM_NEWLINK -> apply(parseLink(buffer, offset, messageLength));
                case RTM_DELLINK -> remove(buffer.get(ValueLayout.JAVA_INT, offset + 16 + 4));
                case RTM_NEWADDR, RTM_DELADDR -> {
                    final LinkState link = known.get(buffer.get(ValueLayout.JAVA_INT, offset + 16 + 4));
                    if (link != null) {
                        pending.addLast(new LinkEvent(LinkEvent.Kind.ADDRESS_CHANGED, link.name(), link.ifIndex()));
                    }
                }
                default -> {
                }
            }
            offset += align(messageLength);
        }
        return true;
    }

    private void apply(final LinkState now) {
        final LinkState before = known.get(now.ifIndex());
        if (before != null && !before.name().equals(now.name())) {
            remove(before.ifIndex()); // renamed: to the relay a different interface
        }
        final LinkState previous = known.put(now.ifIndex(), now);
        if (previous == null || !previous.name().equals(now.name())) {
            pending.addLast(new LinkEvent(LinkEvent.Kind.ADDED, now.name(), now.ifIndex()));
            if (now.up()) {
                pending.addLast(new LinkEvent(LinkEvent.Kind.UP, now.name(), now.ifIndex()));
            }
        } else if (previous.up() != now.up()) {
            pending.addLast(new LinkEvent(now.up() ? LinkEvent.Kind.UP : LinkEvent.Kind.DOWN, now.name(),
                now.ifIndex()));
        }
    }

    private void remove(final int ifIndex) {
        final LinkState gone = known.remove(ifIndex);
        if (gone != null) {
            if (gone.up()) {
                pending.addLast(new LinkEvent(LinkEvent.Kind.DOWN, gone.name(), gone.ifIndex()));
            }
            pending.addLast(new LinkEvent(LinkEvent.Kind.REMOVED, gone.name(), gone.ifIndex()));
        }
    }

    private void resync() {
        final Map<Integer, LinkState> fresh = dump();
        for (final Integer index : List.copyOf(known.keySet())) {
            if (!fresh.containsKey(index)) {
                remove(index);
            }
        }
        fresh.values().forEach(this::apply);
    }

    /** Every link now, by index, from an {@code RTM_GETLINK} dump on a socket of its own. */
    private Map<Integer, LinkState> dump() {
        final int fd = socket(false);
        try (Arena call = Arena.ofConfined()) {
            bind(fd, 0);
            final MemorySegment request = call.allocate(32, 8); // nlmsghdr + ifinfomsg (AF_UNSPEC: all links)
            request.set(ValueLayout.JAVA_INT, 0, 32);
            request.set(ValueLayout.JAVA_SHORT, 4, (short) RTM_GETLINK);
            request.set(ValueLayout.JAVA_SHORT, 6, (short) (NLM_F_REQUEST | NLM_F_DUMP));
            request.set(ValueLayout.JAVA_INT, 8, ++sequence);
            final long sent = Syscalls.send(capture, fd, request, 32L, 0);
            if (sent < 0) {
                throw new LinuxException("send of the netlink RTM_GETLINK dump request", Syscalls.errno(capture));
            }
            final Map<Integer, LinkState> links = new TreeMap<>();
            while (true) {
                final long length = Syscalls.recv(capture, fd, buffer, BUFFER_BYTES, 0);
                if (length < 0) {
                    throw new LinuxException("recv of the netlink RTM_GETLINK dump", Syscalls.errno(capture));
                }
                long offset = 0;
                while (offset + 16 <= length) {
                    final int messageLength = buffer.get(ValueLayout.JAVA_INT, offset);
                    final int type = buffer.get(ValueLayout.JAVA_SHORT, offset + 4) & 0xFFFF;
                    if (messageLength < 16 || offset + messageLength > length) {
                        throw new IllegalStateException("malformed netlink message in the link dump");
                    }
                    if (type == NLMSG_DONE) {
                        return links;
                    }
                    if (type == NLMSG_ERROR) {
                        throw new LinuxException("netlink RTM_GETLINK dump", -buffer.get(ValueLayout.JAVA_INT,
                            offset + 16));
                    }
                    if (type == RTM_NEWLINK) {
                        final LinkState link = parseLink(buffer, offset, messageLength);
                        links.put(link.ifIndex(), link);
                    }
                    offset += align(messageLength);
                }
            }
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("netlink dump could not be made", t);
        } finally {
            Syscalls.close(fd);
        }
    }

    /** An {@code RTM_NEWLINK} message at {@code offset}: index and flags from ifinfomsg, the name from IFLA_IFNAME. */
    static LinkState parseLink(final MemorySegment message, final long offset, final int messageLength) {
        final int ifIndex = message.get(ValueLayout.JAVA_INT, offset + 16 + 4);
        final int flags = message.get(ValueLayout.JAVA_INT, offset + 16 + 8);
        String name = "if" + ifIndex;
        long attribute = offset + 32;
        final long end = offset + messageLength;
        while (attribute + 4 <= end) {
            final int attributeLength = message.get(ValueLayout.JAVA_SHORT, attribute) & 0xFFFF;
            final int type = message.get(ValueLayout.JAVA_SHORT, attribute + 2) & 0x3FFF;
            if (attributeLength < 4 || attribute + attributeLength > end) {
                break;
            }
            if (type == IFLA_IFNAME) {
                final byte[] bytes = message.asSlice(attribute + 4, attributeLength - 4).toArray(ValueLayout.JAVA_BYTE);
                int nameLength = 0;
                while (nameLength < bytes.length && bytes[nameLength] != 0) {
                    nameLength++;
                }
                name = new String(bytes, 0, nameLength, StandardCharsets.UTF_8);
            }
            attribute += align(attributeLength);
        }
        return new LinkState(name, ifIndex, (flags & IFF_UP) != 0 && (flags & IFF_LOWER_UP) != 0);
    }

    private static long align(final long length) {
        return (length + 3) & ~3L;
    }

    private static int socket(final boolean nonBlocking) {
        return Syscalls.socket(AF_NETLINK,
            SOCK_RAW | Syscalls.SOCK_CLOEXEC | (nonBlocking ? UnixSockets.SOCK_NONBLOCK : 0), NETLINK_ROUTE,
            "socket(AF_NETLINK, NETLINK_ROUTE)");
    }

    private void bind(final int fd, final int groups) {
        try (Arena call = Arena.ofConfined()) {
            final MemorySegment address = call.allocate(12, 4); // sockaddr_nl: family, pad, pid 0 (kernel picks)
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_NETLINK);
            address.set(ValueLayout.JAVA_INT, 8, groups);
            if ((int) SocketCalls.bind().invokeExact(capture, fd, address, 12) != 0) {
                throw new LinuxException("bind of the netlink socket to groups " + groups, Syscalls.errno(capture));
            }
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException("bind could not be called", t);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Syscalls.close(events);
            arena.close();
        }
    }
}
