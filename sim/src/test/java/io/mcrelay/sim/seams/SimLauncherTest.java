package io.mcrelay.sim.seams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.WorkerLauncherContract;

/**
 * The in-process launcher keeps the {@link WorkerLauncher} contract, and steps each worker through a duty-cycle runner
 * of its own.
 */
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

    @Test
    void anErrorEscapingAWorkersCycleReachesTheCallerAndFailsThatWorkerForGood() {
        final AssertionError broken = new AssertionError("a broken invariant");
        final SimLauncher launcher = new SimLauncher((index, launchId, channel) -> {
            final SimPacketIo io = network.attach();
            final SimTimers timers = new SimTimers();
            return new SimLauncher.Incarnation(new WorkerAgent(WorkerAgent.Config.defaults(index), channel, io,
                timers) {
                @Override
                public int doWork(final long nowNs) {
                    throw broken;
                }
            }, io, timers);
        }, clock, 1 << 20, 1 << 20);
        launcher.launch(0);
        final SimLauncher.LiveWorker worker = launcher.liveWorker(0);
        assertSame(broken, assertThrows(AssertionError.class, () -> launcher.stepWorker(worker, clock.nanoTime())));
        final IllegalStateException again = assertThrows(IllegalStateException.class,
            () -> launcher.stepWorker(worker, clock.nanoTime()));
        assertTrue(again.getMessage().startsWith("worker 0 (launch 1): its duty cycle failed earlier"),
            again::getMessage);
        assertEquals(1, launcher.liveWorkers().size(), "the launcher does not hide the failure by ending the worker");
    }
}
