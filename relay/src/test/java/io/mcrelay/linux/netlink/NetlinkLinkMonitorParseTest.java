package io.mcrelay.linux.netlink;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mcrelay.seam.LinkMonitor.LinkState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Parsing of {@code RTM_NEWLINK} messages, including damaged ones (the kernel path is tested in netns-tests). */
class NetlinkLinkMonitorParseTest {

    /** nlmsghdr (16) + ifinfomsg (16) + an IFLA_MTU attribute (8) + IFLA_IFNAME with {@code name} and its NUL. */
    private static MemorySegment newLink(final Arena arena, final int ifIndex, final int flags, final String name,
        final int nameAttributeLengthOverride) {
        final byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        final int nameAttribute = 4 + bytes.length + 1;
        final int length = 32 + 8 + ((nameAttribute + 3) & ~3);
        final MemorySegment m = arena.allocate(length, 8);
        m.set(ValueLayout.JAVA_INT, 0, length);
        m.set(ValueLayout.JAVA_SHORT, 4, (short) NetlinkLinkMonitor.RTM_NEWLINK);
        m.set(ValueLayout.JAVA_INT, 16 + 4, ifIndex);
        m.set(ValueLayout.JAVA_INT, 16 + 8, flags);
        m.set(ValueLayout.JAVA_SHORT, 32, (short) 8);
        m.set(ValueLayout.JAVA_SHORT, 34, (short) 4); // IFLA_MTU, skipped
        m.set(ValueLayout.JAVA_INT, 36, 1500);
        m.set(ValueLayout.JAVA_SHORT, 40,
            (short) (nameAttributeLengthOverride > 0 ? nameAttributeLengthOverride : nameAttribute));
        m.set(ValueLayout.JAVA_SHORT, 42, (short) NetlinkLinkMonitor.IFLA_IFNAME);
        MemorySegment.copy(bytes, 0, m, ValueLayout.JAVA_BYTE, 44, bytes.length);
        return m;
    }

    @Test
    void upMeansAdministrativelyUpWithCarrier() {
        try (Arena arena = Arena.ofConfined()) {
            final int up = NetlinkLinkMonitor.IFF_UP | NetlinkLinkMonitor.IFF_LOWER_UP;
            final MemorySegment withCarrier = newLink(arena, 7, up, "eth1", 0);
            assertEquals(new LinkState("eth1", 7, true),
                NetlinkLinkMonitor.parseLink(withCarrier, 0, (int) withCarrier.byteSize()));
            final MemorySegment noCarrier = newLink(arena, 7, NetlinkLinkMonitor.IFF_UP, "eth1", 0);
            assertEquals(new LinkState("eth1", 7, false),
                NetlinkLinkMonitor.parseLink(noCarrier, 0, (int) noCarrier.byteSize()));
            final MemorySegment adminDown = newLink(arena, 7, NetlinkLinkMonitor.IFF_LOWER_UP, "eth1", 0);
            assertEquals(new LinkState("eth1", 7, false),
                NetlinkLinkMonitor.parseLink(adminDown, 0, (int) adminDown.byteSize()));
        }
    }

    @Test
    void anAttributeRunningPastTheMessageIsIgnoredNotReadBeyond() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment damaged = newLink(arena, 9, 0, "vlan100", 200);
            assertEquals(new LinkState("if9", 9, false),
                NetlinkLinkMonitor.parseLink(damaged, 0, (int) damaged.byteSize()));
        }
    }
}
