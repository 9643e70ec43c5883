package io.mcrelay.core.supervisor;

import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.GroupMemberships.Membership;

/**
 * {@link Memberships} as it was before it followed the rules' changes: every {@link #reconcile} computes what every
 * rule needs and looks at every interface's memberships. Kept in the tests as the reference the delta is compared
 * with call for call ({@code MembershipsTest}); its placement is the production one, copied.
 */
final class MembershipsReference {
    private final GroupMemberships seam;
    /** What each interface's sockets hold. */
    private final MembershipSockets sockets = new MembershipSockets();
    /** Where each held membership is: interface → membership → socket index. */
    private final TreeMap<String, TreeMap<Membership, Integer>> held = new TreeMap<>();
    /** Joins the kernel refused, with its reason: interface → membership → reason. */
    private final TreeMap<String, TreeMap<Membership, String>> refused = new TreeMap<>();

    MembershipsReference(final GroupMemberships seam) {
        this.seam = Objects.requireNonNull(seam, "seam");
    }

    /**
     * Makes the memberships held equal to those {@code rules} need: joins what is missing (except what the kernel
     * refused and was not asked again since), then leaves what is no longer needed.
     *
     * @return the number of joins and leaves asked of the kernel
     */
    int reconcile(final List<Rule> rules, final Predicate<String> exists) {
        final SortedMap<String, SortedSet<Membership>> needed = Memberships.needed(rules, exists);
        final TreeSet<String> names = new TreeSet<>(needed.keySet());
        names.addAll(held.keySet());
        names.addAll(refused.keySet());
        GroupMemberships.Limits limits = null;
        int calls = 0;
        for (final String name : names) {
            final SortedSet<Membership> want = needed.getOrDefault(name, Collections.emptySortedSet());
            final TreeMap<Membership, String> refusedHere = refused.get(name);
            if (refusedHere != null) {
                refusedHere.keySet().retainAll(want);
                if (refusedHere.isEmpty()) {
                    refused.remove(name);
                }
            }
            final TreeMap<Membership, Integer> heldHere = held.computeIfAbsent(name, n -> new TreeMap<>());
            for (final Membership membership : want) {
                if (heldHere.containsKey(membership) || refused.containsKey(name)
                    && refused.get(name).containsKey(membership)) {
                    continue;
                }
                if (limits == null) {
                    limits = seam.limits();
                }
                final int socket = sockets.place(name, membership, limits);
                final String refusal = seam.join(name, socket, membership);
                calls++;
                if (refusal == null) {
                    heldHere.put(membership, socket);
                    sockets.add(name, socket, membership);
                } else {
                    refused.computeIfAbsent(name, n -> new TreeMap<>()).put(membership, refusal);
                }
            }
            for (final Membership membership : List.copyOf(heldHere.keySet())) {
                if (!want.contains(membership)) {
                    leave(name, membership);
                    calls++;
                }
            }
            if (heldHere.isEmpty()) {
                held.remove(name);
                sockets.forget(name);
            }
        }
        return calls;
    }

    /**
     * Follows a change of interface {@code name}: the memberships it refused are tried again at the next
     * {@link #reconcile}; when it went or was created anew ({@code deviceGone}), its sockets are closed and its
     * memberships forgotten (the kernel dropped them with the old device).
     */
    void onLinkChanged(final String name, final boolean deviceGone) {
        refused.remove(name);
        if (deviceGone && held.containsKey(name)) {
            seam.forget(name);
            held.remove(name);
            sockets.forget(name);
        }
    }

    /**
     * Why the membership that would deliver {@code rule}'s packets was refused, or {@code null} when it was not (it
     * is held, not needed, or its interface does not exist).
     */
    String refusal(final Rule rule) {
        final TreeMap<Membership, String> here = refused.get(rule.input().interfaceName());
        final IpAddress group = rule.input().group();
        if (here == null || group.family() != IpAddress.Family.IPV4 || !group.isMulticast()) {
            return null;
        }
        // Refusals are kept only while needed, so a refused any-source membership is the one covering this rule.
        final String anySource = here.get(new Membership(group.ipv4Value(), 0));
        if (anySource != null || rule.input().source() == null) {
            return anySource;
        }
        return here.get(new Membership(group.ipv4Value(), rule.input().source().ipv4Value()));
    }

    /** The memberships held, by interface: membership → socket index (for checkers and tests). */
    SortedMap<String, SortedMap<Membership, Integer>> held() {
        final TreeMap<String, SortedMap<Membership, Integer>> out = new TreeMap<>();
        held.forEach((name, here) -> out.put(name, Collections.unmodifiableSortedMap(new TreeMap<>(here))));
        return Collections.unmodifiableSortedMap(out);
    }

    /** The joins refused and not yet tried again, by interface, with the reasons. */
    SortedMap<String, SortedMap<Membership, String>> refused() {
        final TreeMap<String, SortedMap<Membership, String>> out = new TreeMap<>();
        refused.forEach((name, here) -> out.put(name, Collections.unmodifiableSortedMap(new TreeMap<>(here))));
        return Collections.unmodifiableSortedMap(out);
    }

    private void leave(final String name, final Membership membership) {
        final int socket = held.get(name).remove(membership);
        seam.leave(name, socket, membership);
        sockets.remove(name, socket, membership);
    }
}
