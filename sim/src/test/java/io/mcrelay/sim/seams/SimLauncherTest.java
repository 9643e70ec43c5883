package io.mcrelay.sim.seams;

import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.WorkerLauncherContract;

/** The in-process launcher keeps the {@link WorkerLauncher} contract. */
class SimLauncherTest extends WorkerLauncherContract {
    private final ManualClock clock = new ManualClock(0, 0);
    private final SimNetwork network = new SimNetwork();

    @Override
    protected WorkerLauncher createLauncher() {
        return new SimLauncher((index, launchId, channel) -> {
            final SimPacketIo io = network.attach();
            final SimTimers timers = new SimTimers();
            return new SimLauncher.Incarnation(new WorkerAgent(WorkerAgent.Config.defaults(index), channel, io,
                timers), io, timers);
        }, clock, 1 << 20, 1 << 20);
    }

    @Override
    protected void settle(final WorkerLauncher launcher) {
        ((SimLauncher) launcher).step(clock.nanoTime());
        clock.advance(1_000_000L);
    }
}
