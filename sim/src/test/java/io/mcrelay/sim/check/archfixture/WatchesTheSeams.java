package io.mcrelay.sim.check.archfixture;

import java.util.List;

import io.mcrelay.sim.seams.SimLauncher;

/** Keeps the rules of a checker's room (it reads the simulated seams only): see SimArchitectureTest. */
public final class WatchesTheSeams {
    private WatchesTheSeams() {
    }

    public static int count(final List<SimLauncher.LiveWorker> live) {
        return live.size();
    }
}
