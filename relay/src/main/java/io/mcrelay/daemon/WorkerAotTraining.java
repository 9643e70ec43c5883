package io.mcrelay.daemon;

import java.util.List;
import java.util.concurrent.locks.LockSupport;

import io.mcrelay.linux.packetio.WorkerIo;
import io.mcrelay.linux.process.StreamWorkerChannel;
import io.mcrelay.linux.process.WorkerProcess;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/**
 * The training run from which {@code dist} builds the workers' JDK AOT cache ({@code mcrelay-worker.aot}): a worker's
 * start-up path, in process, without a supervisor process — the worker's I/O and loop set up as a worker sets them up
 * ({@link WorkerRuntime#create}, io_uring as the supervisor asks), a {@code Sync} of one rule taken in (its output
 * socket opened on the loopback interface), heartbeats, and the end of the loop when the supervisor's end of the
 * channel closes. A worker run with the cache finds these classes parsed and linked. Where io_uring cannot be set up
 * (a build sandbox), the training says so on stderr and ends: the cache then holds less, and workers still start.
 * Must run with the workers' JVM options and the shipped jar as the class path.
 */
public final class WorkerAotTraining {
    private WorkerAotTraining() {
    }

    public static void main(final String[] args) {
        final StreamWorkerChannel[] ends = StreamWorkerChannel.pair(WorkerProcess.CHANNEL_CAPACITY_BYTES,
            WorkerProcess.CHANNEL_FRAME_BYTES_MAX);
        final StreamWorkerChannel supervisorEnd = ends[1];
        final WorkerRuntime runtime;
        try {
            runtime = WorkerRuntime.create(0, ends[0], new int[0],
                WorkerIo.Config.parse(List.of("--backend=io_uring", "--heartbeat-ms=20")));
        } catch (final RuntimeException e) {
            supervisorEnd.close();
            System.err.println("worker AOT training: no worker I/O here (" + e.getMessage() + "): cache left thinner");
            return;
        }
        try (runtime) {
            final Rule rule = new Rule(new RuleId("training"), null,
                new RuleInput("lo", IpAddress.parse("239.1.1.1"), 5000, null),
                List.of(new RuleOutput(IpAddress.parse("239.1.1.2"), 5000, "lo", 1)));
            final WireWriter writer = new WireWriter();
            WorkerMessageCodec.encode(new WorkerMessage.Sync(0, 0, 1, List.of(rule)), writer);
            supervisorEnd.send(writer.buffer(), 0, writer.position());
            // The worker's loop on this thread ends when the supervisor's end closes: close it once a heartbeat came.
            final Thread closer = Thread.ofPlatform().daemon().start(() -> {
                final long deadline = System.nanoTime() + 5_000_000_000L;
                int frames = 0;
                while (frames < 2 && System.nanoTime() < deadline) {
                    frames += supervisorEnd.poll((buffer, offset, length) -> { }, 16); // an ack, heartbeats
                    LockSupport.parkNanos(1_000_000L);
                }
                supervisorEnd.close();
            });
            runtime.run();
            closer.join();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
