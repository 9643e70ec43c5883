package io.mcrelay.netns;

import java.util.Set;
import java.util.TreeSet;

import io.mcrelay.linux.packet.KernelGroupMemberships;
import io.mcrelay.seam.GroupMemberships;

/**
 * The source filters of a namespace's group memberships, as {@code /proc/net/mcfilter} lists them. That listing
 * starts at the first device whose most recently joined group has sources and silently skips the devices before it
 * ({@code igmp_mcf_get_first} in {@code net/ipv4/igmp.c}), so a device whose latest group was joined from any source
 * would show no rows at all. An anchor fixes the start: a source-specific membership on {@code lo} (the first device),
 * joined last there and held while the filters are read, after which every later device is listed whole.
 */
final class McFilter implements AutoCloseable {
    /** The anchor's membership: (127.0.0.1, 232.255.255.254), its row left out of every answer. */
    private static final GroupMemberships.Membership ANCHOR =
        new GroupMemberships.Membership(0xE8FF_FFFE, 0x7F00_0001);

    private final Netns netns;
    private final KernelGroupMemberships anchor;

    private McFilter(final Netns netns, final KernelGroupMemberships anchor) {
        this.netns = netns;
        this.anchor = anchor;
    }

    /** Joins the anchor in {@code netns}; nothing may join on its {@code lo} afterwards. */
    static McFilter anchor(final Netns netns) {
        try {
            return new McFilter(netns, netns.call(() -> {
                final KernelGroupMemberships memberships = new KernelGroupMemberships();
                final String refusal = memberships.join("lo", 0, ANCHOR);
                if (refusal != null) {
                    memberships.close();
                    throw new IllegalStateException("cannot join the mcfilter anchor on lo: " + refusal);
                }
                return memberships;
            }));
        } catch (final RuntimeException e) {
            throw e;
        } catch (final Exception e) {
            throw new IllegalStateException("cannot join the mcfilter anchor", e);
        }
    }

    /**
     * The (group, source) pairs {@code interfaceName} includes, as {@code "0xGGGGGGGG 0xSSSSSSSS"} (hex of the
     * network-order values, lower case); rows whose include count is 0 are left out.
     */
    Set<String> rows(final String interfaceName) {
        final Set<String> rows = new TreeSet<>();
        for (final String line : netns.execOrThrow("cat", "/proc/net/mcfilter").stdout().split("\n")) {
            final String[] fields = line.trim().split("\\s+");
            if (fields.length >= 6 && fields[1].equals(interfaceName) && !fields[4].equals("0")) {
                rows.add(fields[2].toLowerCase() + " " + fields[3].toLowerCase());
            }
        }
        return rows;
    }

    @Override
    public void close() {
        try {
            netns.call(() -> {
                anchor.close();
                return null;
            });
        } catch (final Exception e) {
            throw new IllegalStateException("cannot leave the mcfilter anchor", e);
        }
    }
}
