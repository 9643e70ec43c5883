package io.mcrelay.traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Inet4Address;
import java.net.InetAddress;

import org.junit.jupiter.api.Test;

import io.mcrelay.linux.sys.Syscalls;

/**
 * The generator's sockets carry the multicast TTL they were asked for ({@code IP_MULTICAST_TTL} read back from each
 * socket), and the kernel's default of 1 when none was asked for: a multicast router forwards only packets whose TTL
 * exceeds its threshold, so a benchmark of kernel forwarding depends on it.
 */
class UdpFlowsTest {
    /** {@code linux/in.h}. */
    private static final int IPPROTO_IP = 0;
    private static final int IP_MULTICAST_TTL = 33;

    private static int ttl(final UdpFlows flows, final int flow) {
        return Syscalls.getsockoptInt(flows.fd(flow), IPPROTO_IP, IP_MULTICAST_TTL, "getsockopt(IP_MULTICAST_TTL)");
    }

    @Test
    void everyFlowsSocketHasTheMulticastTtlAskedFor() throws Exception {
        final Inet4Address group = (Inet4Address) InetAddress.getByName("239.255.77.2");
        try (UdpFlows flows = new UdpFlows(group, 5000, 3, "lo", 0, 100, 7)) {
            for (int flow = 0; flow < 3; flow++) {
                assertEquals(7, ttl(flows, flow), "flow " + flow);
            }
        }
        try (UdpFlows flows = new UdpFlows(group, 5000, 1, "lo", 0, 100)) {
            assertEquals(UdpFlows.MULTICAST_TTL, ttl(flows, 0));
            assertEquals(1, UdpFlows.MULTICAST_TTL);
        }
    }
}
