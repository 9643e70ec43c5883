package io.mcrelay.netns;

import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import org.junit.jupiter.api.AfterAll;

import io.mcrelay.linux.packet.KernelGroupMemberships;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.GroupMembershipsContract;

/**
 * The {@link GroupMembershipsContract} on the real kernel: {@link KernelGroupMemberships} in a namespace whose
 * {@code in0} is a veth, with {@code net.ipv4.igmp_max_memberships} and {@code igmp_max_msf} set to the contract's
 * small limits there. Every call runs in that namespace (sockets, interface indices and the sysctls are the
 * namespace's); what the interface joined is read from {@code ip maddr} and {@code /proc/net/mcfilter} (through
 * {@link McFilter}, whose anchor makes the listing whole).
 */
class KernelGroupMembershipsContractNetnsIT extends GroupMembershipsContract {
    private static final String PREFIX = "mcrkgm";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Override
    protected Harness createHarness() {
        Netns.requireRoot();
        return new VethHarness();
    }

    private static final class VethHarness implements Harness {
        private final Netns relay;
        private final Netns peer;
        private final KernelGroupMemberships kernel;
        private final GroupMemberships inRelay;
        private final McFilter filters;

        VethHarness() {
            relay = Netns.create(PREFIX);
            Netns created = null;
            try {
                created = Netns.create(PREFIX);
                Netns.vethPair(relay, IF, created, IF + "p");
                relay.execOrThrow("sysctl", "-q", "-w", "net.ipv4.igmp_max_memberships=" + GROUPS_PER_SOCKET);
                relay.execOrThrow("sysctl", "-q", "-w", "net.ipv4.igmp_max_msf=" + SOURCES_PER_GROUP);
                peer = created;
                kernel = relay.call(KernelGroupMemberships::new);
                filters = McFilter.anchor(relay);
            } catch (final Exception e) {
                if (created != null) {
                    created.close();
                }
                relay.close();
                throw new IllegalStateException("cannot build the veth harness", e);
            }
            inRelay = new InNamespace();
        }

        /** Runs each call in the relay namespace. */
        private final class InNamespace implements GroupMemberships {
            private <T> T in(final Callable<T> call) {
                try {
                    return relay.call(call);
                } catch (final RuntimeException e) {
                    throw e;
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public Limits limits() {
                return in(kernel::limits);
            }

            @Override
            public String join(final String interfaceName, final int socket, final Membership membership) {
                return in(() -> kernel.join(interfaceName, socket, membership));
            }

            @Override
            public void leave(final String interfaceName, final int socket, final Membership membership) {
                in(() -> {
                    kernel.leave(interfaceName, socket, membership);
                    return null;
                });
            }

            @Override
            public void forget(final String interfaceName) {
                in(() -> {
                    kernel.forget(interfaceName);
                    return null;
                });
            }
        }

        @Override
        public GroupMemberships memberships() {
            return inRelay;
        }

        @Override
        public SortedMap<Integer, SortedSet<Integer>> joined(final String interfaceName) {
            final TreeMap<Integer, SortedSet<Integer>> out = new TreeMap<>(Integer::compareUnsigned);
            for (final String line : relay.execOrThrow("ip", "maddr", "show", "dev", interfaceName).stdout()
                .split("\n")) {
                final String[] fields = line.trim().split("\\s+");
                if (fields.length >= 2 && fields[0].equals("inet") && !fields[1].equals("224.0.0.1")) {
                    out.put(address(fields[1]), new TreeSet<>(Integer::compareUnsigned));
                }
            }
            for (final String row : filters.rows(interfaceName)) {
                final String[] hex = row.split(" ");
                final int group = Integer.parseUnsignedInt(hex[0].substring(2), 16);
                out.computeIfAbsent(group, g -> new TreeSet<>(Integer::compareUnsigned))
                    .add(Integer.parseUnsignedInt(hex[1].substring(2), 16));
            }
            return out;
        }

        private static int address(final String dotted) {
            int value = 0;
            for (final String octet : dotted.split("\\.")) {
                value = value << 8 | Integer.parseInt(octet);
            }
            return value;
        }

        @Override
        public void close() {
            try {
                filters.close();
                relay.call(() -> {
                    kernel.close();
                    return null;
                });
            } catch (final Exception e) {
                throw new IllegalStateException(e);
            } finally {
                peer.close();
                relay.close();
            }
        }
    }
}
