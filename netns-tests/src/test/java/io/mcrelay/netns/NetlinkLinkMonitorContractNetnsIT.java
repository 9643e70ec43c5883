package io.mcrelay.netns;


import io.mcrelay.linux.netlink.NetlinkLinkMonitor;
import io.mcrelay.seam.LinkMonitor;
import io.mcrelay.seam.LinkMonitorContract;
import org.junit.jupiter.api.AfterAll;

/**
 * The production {@link NetlinkLinkMonitor} passes the same {@link LinkMonitorContract} as the simulator's monitor.
 * Each interface is one end of a veth pair whose other end ({@code NAME-p}) is kept up, so the interface's carrier
 * follows its own administrative state (this kernel has no dummy interfaces).
 */
class NetlinkLinkMonitorContractNetnsIT extends LinkMonitorContract {
    private static final String PREFIX = "mcrnc";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Override
    protected Harness createHarness() {
        Netns.requireRoot();
        final Netns netns = Netns.create(PREFIX);
        final NetlinkLinkMonitor monitor;
        try {
            monitor = netns.call(NetlinkLinkMonitor::open);
        } catch (final Exception e) {
            netns.close();
            throw new IllegalStateException("cannot open the netlink monitor in " + netns.name(), e);
        }
        return new Harness() {
            @Override
            public LinkMonitor monitor() {
                return monitor;
            }

            @Override
            public void createLink(final String name) {
                netns.execOrThrow("ip", "link", "add", name, "type", "veth", "peer", "name", name + "-p");
                netns.execOrThrow("ip", "link", "set", name + "-p", "up");
            }

            @Override
            public void setUp(final String name, final boolean up) {
                netns.execOrThrow("ip", "link", "set", name, up ? "up" : "down");
            }

            @Override
            public void deleteLink(final String name) {
                netns.execOrThrow("ip", "link", "del", name);
            }

            @Override
            public void settle() {
                // A settle delay, not a wait (the shared contract polls in rounds and judges what came): `ip` has
                // returned, so the kernel has queued the notifications; a short pause lets them arrive.
                try {
                    Thread.sleep(10);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void close() {
                try {
                    monitor.close();
                } finally {
                    netns.close();
                }
            }
        };
    }
}
