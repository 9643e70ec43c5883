package io.mcrelay.seam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * What every {@link WorkerLauncher} guarantees: one connection and one exit event per launch, in order, and kill
 * leading to the exit. Subclasses supply a launcher whose workers connect back and then stay alive until killed.
 */
public abstract class WorkerLauncherContract {
    protected abstract WorkerLauncher createLauncher();

    private final List<WorkerChannel> channels = new ArrayList<>();

    /** Lets launched workers start, connect or die (advance the simulation, or wait briefly). */
    protected abstract void settle(WorkerLauncher launcher);

    /** Events as text, for comparison. */
    private List<String> events(final WorkerLauncher launcher) {
        final List<String> events = new ArrayList<>();
        for (int round = 0; round < 50; round++) {
            settle(launcher);
            launcher.poll(new WorkerLauncher.Listener() {
                @Override
                public void onConnected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel) {
                    events.add("connected " + handle.workerIndex() + "/" + handle.launchId());
                    // Keep the channel open: a worker whose supervisor end closes exits on its own.
                    channels.add(channel);
                }

                @Override
                public void onExited(final WorkerLauncher.WorkerHandle handle, final int exitStatus) {
                    events.add("exited " + handle.workerIndex() + "/" + handle.launchId());
                }
            }, 100);
        }
        return events;
    }

    @Test
    void aLaunchedWorkerConnectsThenExitsOnceWhenKilled() {
        final WorkerLauncher launcher = createLauncher();
        final WorkerLauncher.WorkerHandle handle = launcher.launch(0);
        assertEquals(List.of("connected 0/" + handle.launchId()), events(launcher));
        launcher.kill(handle, RestartReason.REQUESTED, "the test");
        assertEquals(List.of("exited 0/" + handle.launchId()), events(launcher));
        launcher.kill(handle, RestartReason.REQUESTED, "the test"); // already gone: nothing happens
        assertEquals(List.of(), events(launcher));
    }

    @Test
    void everyLaunchIsDistinct() {
        final WorkerLauncher launcher = createLauncher();
        final WorkerLauncher.WorkerHandle first = launcher.launch(1);
        final WorkerLauncher.WorkerHandle second = launcher.launch(1);
        assertNotEquals(first.launchId(), second.launchId());
        final List<String> events = events(launcher);
        assertTrue(events.contains("connected 1/" + first.launchId()) && events.contains("connected 1/"
            + second.launchId()), events::toString);
        launcher.kill(first, RestartReason.REQUESTED, "the test");
        launcher.kill(second, RestartReason.REQUESTED, "the test");
        assertEquals(2, events(launcher).size());
    }
}
