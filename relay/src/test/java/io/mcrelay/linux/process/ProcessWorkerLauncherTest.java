package io.mcrelay.linux.process;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;

import io.mcrelay.seam.WorkerLauncher;
import io.mcrelay.seam.WorkerLauncherContract;

/**
 * The process launcher keeps the {@link WorkerLauncher} contract with real worker JVMs ({@code io.mcrelay.daemon.WorkerMain}): as root
 * they run as the unprivileged worker user through setpriv, otherwise as this user.
 */
class ProcessWorkerLauncherTest extends WorkerLauncherContract {
    private final List<ProcessWorkerLauncher> launchers = new ArrayList<>();
    private final List<Path> parents = new ArrayList<>();

    @Override
    protected WorkerLauncher createLauncher() {
        final Path parent = WorkerTestConfigs.runtimeParent();
        parents.add(parent);
        final ProcessWorkerLauncher launcher = ProcessWorkerLauncher.create(WorkerTestConfigs.config(parent));
        launchers.add(launcher);
        return launcher;
    }

    @Override
    protected void settle(final WorkerLauncher launcher) {
        // Waits only while an event is still to come, so the contract's idle rounds cost nothing.
        final ProcessWorkerLauncher processes = (ProcessWorkerLauncher) launcher;
        if (processes.inTransition() > 0) {
            processes.awaitActivity(200);
        }
    }

    @AfterEach
    void closeLaunchers() {
        launchers.forEach(ProcessWorkerLauncher::close);
        parents.forEach(WorkerTestConfigs::delete);
    }
}
