package io.mcrelay.sim.check;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.seam.GroupMemberships;

/**
 * A supervisor that forgets to leave a group is caught by "memberships match the rules": its memberships seam drops
 * every leave, as a core that never called it would, so the first rule removed leaves its group joined.
 */
class MembershipCheckerTest {
    @Test
    void aGroupNeverLeftIsCaught() {
        MutantRuns.assertCaughtBy(MembershipChecker.NAME, (config, seams) -> new Supervisor(config,
                new Supervisor.Seams(seams.timers(), seams.launcher(), seams.control(), seams.links(),
                    seams.logLevels(), seams.inputSockets(), new NeverLeaves(seams.memberships()), seams.journal(),
                    seams.clock())),
            WorkerAgent::new);
    }

    /** Memberships whose leaves never reach the kernel. */
    private record NeverLeaves(GroupMemberships inner) implements GroupMemberships {
        @Override
        public Limits limits() {
            return inner.limits();
        }

        @Override
        public String join(final String interfaceName, final int socket, final Membership membership) {
            return inner.join(interfaceName, socket, membership);
        }

        @Override
        public void leave(final String interfaceName, final int socket, final Membership membership) {
            // forgotten
        }

        @Override
        public void forget(final String interfaceName) {
            inner.forget(interfaceName);
        }
    }
}
