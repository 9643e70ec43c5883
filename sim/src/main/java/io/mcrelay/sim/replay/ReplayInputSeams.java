package io.mcrelay.sim.replay;

import java.util.Arrays;
import java.util.SortedSet;

import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.record.IoKinds;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.Journal;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.support.SharedDescriptor;

/**
 * The input side of a replayed supervisor's world, served from the journal: its packet sockets and its group
 * memberships. What the core asks of them is an output, compared with the recording; what they answered is taken from
 * it.
 */
final class ReplayInputSeams {
    /** The journal's entries as a replay walks them. */
    interface Cursor {
        /** The next entry, which must be of {@code kind} (and from {@code source} when given). */
        Journal.IndexedEntry take(int kind, String source, String doing);

        /** An output: the next entry must be exactly this. */
        Journal.IndexedEntry expect(int kind, String source, byte[] payload, String doing);

        /** The replay differs from the recording at {@code entry}. */
        RuntimeException diverged(Journal.IndexedEntry entry, String expected, String actual);

        /** An entry, in words. */
        String describe(Journal.IndexedEntry entry);
    }

    private ReplayInputSeams() {
    }

    /** The input sockets: their calls are outputs, their answers recorded results. */
    static final class Sockets implements InputSockets {
        private final Cursor cursor;

        Sockets(final Cursor cursor) {
            this.cursor = cursor;
        }

        @Override
        public void setWanted(final SortedSet<String> interfaceNames) {
            final WireWriter out = new WireWriter().i32(interfaceNames.size());
            interfaceNames.forEach(out::string);
            cursor.expect(IoKinds.INPUT_SOCKETS, "sockets", out.toByteArray(),
                "wanted sockets on " + interfaceNames);
        }

        @Override
        public void reopen(final String interfaceName) {
            cursor.expect(IoKinds.INPUT_SOCKETS_REOPEN, "sockets",
                new WireWriter().string(interfaceName).toByteArray(), "reopened " + interfaceName);
        }

        @Override
        public void setFilter(final String interfaceName,
                              final java.util.SortedSet<InputSockets.Destination> destinations) {
            cursor.expect(IoKinds.INPUT_FILTER, "sockets", IoKinds.encodeFilter(interfaceName, destinations),
                "filtered " + interfaceName + " to " + destinations);
        }

        @Override
        public void closeReleased(final String interfaceName, final long generation) {
            cursor.expect(IoKinds.INPUT_CLOSE, "sockets", new WireWriter().string(interfaceName).i64(generation)
                .toByteArray(), "closed generation " + generation + " of " + interfaceName);
        }

        @Override
        public long generation(final String interfaceName) {
            final Journal.IndexedEntry entry = cursor.take(IoKinds.INPUT_GENERATION, null,
                "asked the generation of " + interfaceName);
            final WireReader in = WireReader.of(entry.entry().payload());
            final String recorded = in.string("interface");
            if (!recorded.equals(interfaceName)) {
                throw cursor.diverged(entry, "the generation of " + recorded, "asked the generation of "
                    + interfaceName);
            }
            return in.i64("generation");
        }

        @Override
        public PassedDescriptor member(final String interfaceName, final int workerIndex) {
            final Journal.IndexedEntry entry = cursor.take(IoKinds.INPUT_MEMBER, null,
                "asked worker " + workerIndex + "'s member of " + interfaceName);
            final WireReader in = WireReader.of(entry.entry().payload());
            final String recorded = in.string("interface");
            final int worker = in.i32("worker");
            if (!recorded.equals(interfaceName) || worker != workerIndex) {
                throw cursor.diverged(entry, "worker " + worker + "'s member of " + recorded,
                    "asked worker " + workerIndex + "'s member of " + interfaceName);
            }
            return in.bool("handed") ? SharedDescriptor.of("member of " + interfaceName + " in journal entry "
                + entry.index()) : null;
        }
    }

    /** The group memberships: joins, leaves and forgets are outputs; limits and refusals recorded results. */
    static final class Memberships implements GroupMemberships {
        private final Cursor cursor;

        Memberships(final Cursor cursor) {
            this.cursor = cursor;
        }

        @Override
        public Limits limits() {
            final WireReader in = WireReader.of(cursor.take(IoKinds.MEMBERSHIP_LIMITS, null,
                "asked the membership limits").entry().payload());
            return new Limits(in.i32("groups per socket"), in.i32("sources per group"));
        }

        @Override
        public String join(final String interfaceName, final int socket, final Membership membership) {
            final String doing = "joined " + membership + " on socket " + socket + " of " + interfaceName;
            final byte[] asked = IoKinds.membership(interfaceName, socket, membership).toByteArray();
            final Journal.IndexedEntry entry = cursor.take(IoKinds.MEMBERSHIP_JOIN, null, doing);
            final byte[] recorded = entry.entry().payload();
            if (recorded.length < asked.length || !Arrays.equals(asked, 0, asked.length, recorded, 0, asked.length)) {
                throw cursor.diverged(entry, cursor.describe(entry), doing);
            }
            final String refusal = WireReader.of(Arrays.copyOfRange(recorded, asked.length, recorded.length))
                .string("refusal");
            return refusal.isEmpty() ? null : refusal;
        }

        @Override
        public void leave(final String interfaceName, final int socket, final Membership membership) {
            cursor.expect(IoKinds.MEMBERSHIP_LEAVE, "memberships",
                IoKinds.membership(interfaceName, socket, membership).toByteArray(),
                "left " + membership + " on socket " + socket + " of " + interfaceName);
        }

        @Override
        public void forget(final String interfaceName) {
            cursor.expect(IoKinds.MEMBERSHIP_FORGET, "memberships",
                new WireWriter().string(interfaceName).toByteArray(), "forgot the memberships of " + interfaceName);
        }
    }
}
