package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.List;

import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerChannelContract;
import io.mcrelay.seam.support.SharedDescriptor;

/** The in-memory channel keeps the {@link WorkerChannel} contract; its descriptors are counted handles. */
class SimWorkerChannelTest extends WorkerChannelContract {
    /** The first handle on each referent made here: every duplicate counts with it. */
    private final List<SharedDescriptor> made = new ArrayList<>();

    @Override
    protected Pair createPair(final int capacityBytes) {
        final SimWorkerChannel[] ends = SimWorkerChannel.pair(capacityBytes, 1 << 20);
        return new Pair(ends[0], ends[1]);
    }

    @Override
    protected void settle(final Pair pair) {
        // in memory: a sent frame is already there
    }

    @Override
    protected PassedDescriptor newDescriptor() {
        final SharedDescriptor descriptor = SharedDescriptor.of("simulated socket " + made.size());
        made.add(descriptor);
        return descriptor;
    }

    @Override
    protected boolean sameFile(final PassedDescriptor sent, final PassedDescriptor arrived) {
        return ((SharedDescriptor) sent).referent() == ((SharedDescriptor) arrived).referent();
    }

    @Override
    protected long openDescriptors() {
        long open = 0;
        for (final SharedDescriptor descriptor : made) {
            open += descriptor.openHandles();
        }
        return open;
    }
}
