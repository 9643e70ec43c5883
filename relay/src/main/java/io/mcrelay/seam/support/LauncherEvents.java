package io.mcrelay.seam.support;

import java.util.ArrayDeque;

import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.WorkerLauncher;

/**
 * The queue of a {@link WorkerLauncher}'s events, delivered in the order they happened: what every launcher, real or
 * simulated, keeps between the moment it learns of a connection or an exit and its caller's next
 * {@link WorkerLauncher#poll}. Not thread-safe.
 */
public final class LauncherEvents {
    private record Event(WorkerLauncher.WorkerHandle handle, WorkerChannel channel, int exitStatus) {
    }

    private final ArrayDeque<Event> events = new ArrayDeque<>();

    /** The worker connected and proved itself; {@code channel} goes to the listener. */
    public void connected(final WorkerLauncher.WorkerHandle handle, final WorkerChannel channel) {
        events.addLast(new Event(handle, channel, 0));
    }

    /** The worker's process ended with {@code exitStatus}. */
    public void exited(final WorkerLauncher.WorkerHandle handle, final int exitStatus) {
        events.addLast(new Event(handle, null, exitStatus));
    }

    /** How many events wait. */
    public int size() {
        return events.size();
    }

    public boolean isEmpty() {
        return events.isEmpty();
    }

    /** Delivers up to {@code limit} events in order; returns how many. */
    public int deliver(final WorkerLauncher.Listener listener, final int limit) {
        int delivered = 0;
        while (delivered < limit && !events.isEmpty()) {
            final Event event = events.pollFirst();
            delivered++;
            if (event.channel() != null) {
                listener.onConnected(event.handle(), event.channel());
            } else {
                listener.onExited(event.handle(), event.exitStatus());
            }
        }
        return delivered;
    }
}
