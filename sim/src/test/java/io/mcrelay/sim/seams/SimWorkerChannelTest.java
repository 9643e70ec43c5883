package io.mcrelay.sim.seams;

import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerChannelContract;

/** The in-memory channel keeps the {@link WorkerChannel} contract. */
class SimWorkerChannelTest extends WorkerChannelContract {
    @Override
    protected Pair createPair(final int capacityBytes) {
        final SimWorkerChannel[] ends = SimWorkerChannel.pair(capacityBytes, 1 << 20);
        return new Pair(ends[0], ends[1]);
    }

    @Override
    protected void settle(final Pair pair) {
        // in memory: a sent frame is already there
    }
}
