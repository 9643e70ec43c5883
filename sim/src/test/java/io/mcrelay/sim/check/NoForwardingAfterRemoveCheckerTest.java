package io.mcrelay.sim.check;

import java.util.SortedSet;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerMutants;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.PassedDescriptor;

/**
 * A worker whose forwarding entries outlive their removed rule is caught by "no forwarding after remove". The exact
 * input filter would hide it (a removed rule's pair leaves the filter before the removal is acked), so the mutant runs
 * on input sockets that keep the coarse filter, as production's do when the kernel refuses the exact one (its option
 * memory) or a rule set has more pairs than the exact filter holds: then the worker's table is all that stands
 * between a removed rule and its outputs.
 */
class NoForwardingAfterRemoveCheckerTest {
    @Test
    void forwardingAfterRemoveIsCaught() {
        MutantRuns.assertCaughtBy(NoForwardingAfterRemoveChecker.NAME, (config, seams) -> new Supervisor(config,
                new Supervisor.Seams(seams.timers(), seams.launcher(), seams.control(), seams.links(),
                    seams.logLevels(), new CoarseFilterOnly(seams.inputSockets()), seams.memberships(),
                    seams.journal(), seams.clock())),
            WorkerMutants.ForwardAfterRemoveWorker::new);
    }

    /** Input sockets whose filter stays the coarse one: every filter set is ignored, the rest passes through. */
    private record CoarseFilterOnly(InputSockets inner) implements InputSockets {
        @Override
        public void setFilter(final String interfaceName, final SortedSet<Destination> destinations) {
            // The kernel kept the coarse filter.
        }

        @Override
        public void setWanted(final SortedSet<String> interfaceNames) {
            inner.setWanted(interfaceNames);
        }

        @Override
        public void reopen(final String interfaceName) {
            inner.reopen(interfaceName);
        }

        @Override
        public long generation(final String interfaceName) {
            return inner.generation(interfaceName);
        }

        @Override
        public PassedDescriptor member(final String interfaceName, final int workerIndex) {
            return inner.member(interfaceName, workerIndex);
        }
    }
}
