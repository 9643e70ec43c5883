package io.mcrelay.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.mcrelay.protocol.Frames;
import io.mcrelay.runtime.DeadlineTrackingTimers;
import io.mcrelay.runtime.SystemClock;
import io.mcrelay.runtime.UnixControlServer;
import io.mcrelay.runtime.WheelTimers;
import io.mcrelay.seam.ControlServer;
import io.mcrelay.seam.support.DutyCycleRunner;

/**
 * The supervisor's wait set on real parts (the control socket server, the timer wheel, {@code poll(2)}): a request to
 * an idle loop is taken by the wake-up its arrival causes, with no timer expiring between request and answer; and an
 * idle loop with a timer due sleeps until that timer rather than waking every millisecond. Counts, never times.
 */
class SupervisorWaitTest {
    @TempDir
    Path dir;

    /** What the loop saw, recorded by its own thread. */
    private static final class Seen {
        volatile long[] atConnect;
        volatile long[] atRequest;
        volatile boolean requestCameByDescriptor;
        long timerExpiries;
    }

    @Test
    void aRequestToAnIdleLoopIsTakenAtOnceWithoutATimerExpiring() throws Exception {
        final UnixControlServer server = UnixControlServer.open(dir.resolve("control.sock"), SystemClock.INSTANCE);
        final DeadlineTrackingTimers timers = new DeadlineTrackingTimers(new WheelTimers(SystemClock.INSTANCE
            .nanoTime()));
        timers.schedule(SystemClock.INSTANCE.nanoTime() + TimeUnit.SECONDS.toNanos(600)); // far away: never due
        final CountDownLatch stop = new CountDownLatch(1);
        final SupervisorWait wait = new SupervisorWait(SystemClock.INSTANCE::nanoTime, () -> stop.getCount() == 0,
            SupervisorDaemon.controlSource(server), SupervisorDaemon.timersSource(timers));
        final Seen seen = new Seen();
        final ControlServer.Listener listener = new ControlServer.Listener() {
            @Override
            public void onConnected(final long connectionId) {
                seen.atConnect = new long[] {wait.wokenByDescriptor(), wait.wokenByDeadline(), seen.timerExpiries};
            }

            @Override
            public void onFrame(final long connectionId, final byte[] payload) {
                seen.atRequest = new long[] {wait.wokenByDescriptor(), wait.wokenByDeadline(), seen.timerExpiries};
                seen.requestCameByDescriptor = wait.lastWokenByDescriptor();
                server.send(connectionId, "pong".getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public void onDisconnected(final long connectionId, final String reason) {
            }
        };
        final DutyCycleRunner runner = new DutyCycleRunner("supervisor", nowNs ->
            timers.poll(nowNs, (id, firedNs) -> seen.timerExpiries++, 16) + server.poll(listener, 16));
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread loop = Thread.ofPlatform().name("supervisor-loop").start(() -> {
            try {
                runner.run(SystemClock.INSTANCE, () -> stop.getCount() == 0, wait);
            } catch (final Throwable t) {
                failure.set(t);
            }
        });
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("control.sock")))) {
            while (seen.atConnect == null) {
                Thread.sleep(10); // until the loop took the connection: then it sleeps again
            }
            Thread.sleep(200); // a settle delay, not a wait: the loop is asleep when the request comes
            client.write(ByteBuffer.wrap(Frames.frame("ping".getBytes(StandardCharsets.UTF_8),
                Frames.CONTROL_BYTES_MAX)));
            final ByteBuffer answer = ByteBuffer.allocate(Frames.HEADER_BYTES + 4);
            while (answer.hasRemaining()) {
                if (client.read(answer) < 0) {
                    throw new IOException("the server closed the connection");
                }
            }
            assertEquals("pong", new String(answer.array(), Frames.HEADER_BYTES, 4, StandardCharsets.UTF_8));
        } finally {
            stop.countDown();
            loop.join(TimeUnit.SECONDS.toMillis(30));
            server.close();
        }
        assertEquals(null, failure.get());
        final long[] before = seen.atConnect;
        final long[] after = seen.atRequest;
        System.out.println("[wait] between connect and request: " + (after[0] - before[0]) + " wake-ups by a "
            + "descriptor, " + (after[1] - before[1]) + " at a deadline, " + (after[2] - before[2]) + " timers expired");
        assertTrue(seen.requestCameByDescriptor, "the request's cycle followed a wake-up by its descriptor");
        assertTrue(after[0] - before[0] >= 1, "woken by the request's arrival");
        assertEquals(0, after[2] - before[2], "no timer expired between request and answer");
    }

    @Test
    void anIdleLoopSleepsUntilItsNextTimer() throws Exception {
        final UnixControlServer server = UnixControlServer.open(dir.resolve("control.sock"), SystemClock.INSTANCE);
        final DeadlineTrackingTimers timers = new DeadlineTrackingTimers(new WheelTimers(SystemClock.INSTANCE
            .nanoTime()));
        final long[] fired = {0};
        final SupervisorWait wait = new SupervisorWait(SystemClock.INSTANCE::nanoTime, () -> fired[0] >= 3,
            SupervisorDaemon.controlSource(server), SupervisorDaemon.timersSource(timers));
        final long periodNs = TimeUnit.MILLISECONDS.toNanos(100);
        timers.schedule(SystemClock.INSTANCE.nanoTime() + periodNs);
        final DutyCycleRunner runner = new DutyCycleRunner("supervisor", nowNs -> timers.poll(nowNs,
            (id, firedNs) -> {
                fired[0]++;
                timers.schedule(firedNs + periodNs);
            }, 16));
        try (server) {
            runner.run(SystemClock.INSTANCE, () -> fired[0] >= 3, wait);
        }
        System.out.println("[wait] 3 timers of 100 ms: " + wait.wokenByDeadline() + " wake-ups at a deadline, "
            + wait.wokenByDescriptor() + " by a descriptor, " + wait.busyWaits() + " short");
        assertEquals(3, fired[0]);
        assertEquals(0, wait.busyWaits(), "nothing kept it from sleeping");
        // Each timer is one sleep to its deadline (plus the wheel's tick), with a spare sleep where the wheel's tick
        // had not come yet: a loop waking every millisecond would count about 300.
        assertTrue(wait.wokenByDeadline() <= 9, "wake-ups at a deadline: " + wait.wokenByDeadline());
    }
}
