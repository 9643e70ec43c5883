package io.mcrelay.runtime;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.seam.WorkerChannel;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.WorkerLauncher;

/**
 * A {@link WorkerLauncher} that remembers which version of the input sockets each connected worker was handed
 * (descriptors pass once, when a worker connects), so that the daemon can restart the workers holding an outdated
 * set ({@link #killOutdated}); the supervisor respawns them and the replacements receive the current set (the
 * launcher itself logs every launch, connection and exit). Single-threaded, like the launcher it wraps.
 */
public final class DescriptorTrackingLauncher implements WorkerLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(DescriptorTrackingLauncher.class);

    private final WorkerLauncher inner;
    private final LongSupplier inputVersion;
    // Connected workers by launch id, with the input version they were handed.
    private final Map<Long, Connected> connected = new LinkedHashMap<>();
    private final Listener tracking = new Listener() {
        @Override
        public void onConnected(final WorkerHandle handle, final WorkerChannel channel) {
            connected.put(handle.launchId(), new Connected(handle, inputVersion.getAsLong()));
            target.onConnected(handle, channel);
        }

        @Override
        public void onExited(final WorkerHandle handle, final int exitStatus) {
            connected.remove(handle.launchId());
            target.onExited(handle, exitStatus);
        }
    };
    private Listener target;

    private record Connected(WorkerHandle handle, long inputVersion) {
    }

    public DescriptorTrackingLauncher(final WorkerLauncher inner, final LongSupplier inputVersion) {
        this.inner = inner;
        this.inputVersion = inputVersion;
    }

    @Override
    public WorkerHandle launch(final int workerIndex) {
        return inner.launch(workerIndex);
    }

    @Override
    public void kill(final WorkerHandle handle, final RestartReason reason, final String detail) {
        inner.kill(handle, reason, detail);
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        target = listener;
        return inner.poll(tracking, limit);
    }

    /** Kills every connected worker handed an older input version than the current one; returns how many. */
    public int killOutdated() {
        final long current = inputVersion.getAsLong();
        final List<WorkerHandle> outdated = new ArrayList<>();
        for (final Connected worker : connected.values()) {
            if (worker.inputVersion() != current) {
                outdated.add(worker.handle());
            }
        }
        for (final WorkerHandle handle : outdated) {
            connected.remove(handle.launchId());
            inner.kill(handle, RestartReason.REQUESTED, "the set of input interfaces changed");
        }
        return outdated.size();
    }
}
