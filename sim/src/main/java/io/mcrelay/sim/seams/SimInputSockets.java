package io.mcrelay.sim.seams;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

import io.mcrelay.seam.InputSockets;

/**
 * {@link InputSockets} for the simulator: simulated links deliver to every attached I/O already, so this keeps the
 * wanted set and a log of opens, closes and reopens for tests and checkers. Single-threaded.
 */
public final class SimInputSockets implements InputSockets {
    private final TreeSet<String> open = new TreeSet<>();
    private final List<String> log = new ArrayList<>();

    @Override
    public void setWanted(final SortedSet<String> interfaceNames) {
        for (final String name : List.copyOf(open)) {
            if (!interfaceNames.contains(name)) {
                open.remove(name);
                log.add("close " + name);
            }
        }
        for (final String name : interfaceNames) {
            if (open.add(name)) {
                log.add("open " + name);
            }
        }
    }

    @Override
    public void reopen(final String interfaceName) {
        if (!open.contains(interfaceName)) {
            throw new IllegalStateException("reopen of " + interfaceName + ", which is not open");
        }
        log.add("reopen " + interfaceName);
    }

    /** The interfaces whose sockets are open, by name. */
    public SortedSet<String> open() {
        return new TreeSet<>(open);
    }

    /** Every open, close and reopen, in order. */
    public List<String> log() {
        return List.copyOf(log);
    }
}
