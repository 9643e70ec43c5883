package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.traffic.HistoryChecker;

/**
 * The daemon on its fallback backend: forced with {@code --backend epoll}, and chosen by {@code auto} when the
 * backend's test seam says io_uring is unavailable (as a seccomp profile or {@code kernel.io_uring_disabled} would),
 * each choice logged with its reason; the workers then hold an epoll instance and no io_uring (their descriptors say
 * so), and forward every packet once, whole and in order, with the stats identities exact. With {@code auto} on this
 * machine, io_uring is chosen. The other suites run on the fallback too under {@code -Dmcrelay.netns.backend=epoll}
 * (the nightly workflow does).
 */
class EpollBackendNetnsIT {
    private static final String PREFIX = "mcreb";

    @AfterAll
    static void noNamespaceOfThisRunRemains() {
        Netns.assertNoneLeft(PREFIX);
    }

    @Test
    void withBackendEpollTheDaemonForwardsEveryPacketOnceInOrder() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "forced", "--backend", "epoll")) {
            assertTrue(DaemonKit.read(relay.log).contains("packet backend: epoll (forced by backend=epoll)"),
                () -> DaemonKit.read(relay.log));
            assertWorkersWaitWith(relay, "anon_inode:[eventpoll]", "anon_inode:[io_uring]");
            assertEveryPacketForwarded(relay, 20_000, 10_000);
        }
    }

    @Test
    void autoTakesEpollWhenIoUringIsUnavailableAndLogsWhy() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "fallback", "--backend", "auto",
            "-Dmcrelay.test.ioUringUnavailable=blocked for this test")) {
            final String expected = "packet backend: epoll (auto: io_uring is unavailable: blocked for this test "
                + "(test seam mcrelay.test.ioUringUnavailable))";
            assertTrue(DaemonKit.read(relay.log).contains(expected), () -> DaemonKit.read(relay.log));
            assertWorkersWaitWith(relay, "anon_inode:[eventpoll]", "anon_inode:[io_uring]");
            assertEveryPacketForwarded(relay, 5_000, 5_000);
        }
    }

    @Test
    void autoTakesIoUringWhereTheWorkersCanUseIt() throws Exception {
        Netns.requireRoot();
        try (TrafficRelay relay = TrafficRelay.start(PREFIX, "auto", "--backend", "auto")) {
            assertTrue(DaemonKit.read(relay.log).contains(
                "packet backend: io_uring (auto: io_uring set up and has every operation needed)"),
                () -> DaemonKit.read(relay.log));
            assertWorkersWaitWith(relay, "anon_inode:[io_uring]", "anon_inode:[eventpoll]");
        }
    }

    private static void assertEveryPacketForwarded(final TrafficRelay relay, final int count, final int rate)
        throws Exception {
        final ControlResponse.OutputStats[] before = new ControlResponse.OutputStats[1];
        final TrafficRelay.Run run = TrafficRelay.conclusive(() -> {
            before[0] = relay.settledStats().rules().getFirst().outputs().getFirst();
            return relay.send(count, rate, 1_200, () -> { });
        });
        final HistoryChecker.Report report = run.report();
        final ControlResponse.StatsReport stats = relay.settledStats();
        System.out.println("[epoll] " + count + " at " + rate + "/s: " + report.describe());
        assertTrue(report.clean(), () -> report.describe() + "\n" + stats + "\n" + DaemonKit.read(relay.log));
        assertEquals(count, report.received(), report::describe);
        assertEquals(count, stats.rules().getFirst().outputs().getFirst().packetsOut() - before[0].packetsOut(),
            stats::toString);
        DropAccountingNetnsIT.assertIdentities(stats);
    }

    /** Every worker holds a descriptor naming {@code held} and none naming {@code absent}. */
    private static void assertWorkersWaitWith(final TrafficRelay relay, final String held, final String absent)
        throws Exception {
        final List<ControlResponse.WorkerInfo> workers = relay.workers();
        assertTrue(!workers.isEmpty());
        for (final ControlResponse.WorkerInfo worker : workers) {
            final List<String> kinds = descriptors(worker.pid());
            System.out.println("[epoll] worker " + worker.index() + " (pid " + worker.pid() + ") holds "
                + kinds.stream().filter(kind -> kind.startsWith("anon_inode:")).distinct().toList());
            assertTrue(kinds.contains(held), () -> "worker " + worker.index() + " holds no " + held + ": " + kinds);
            assertTrue(!kinds.contains(absent), () -> "worker " + worker.index() + " holds " + absent + ": " + kinds);
        }
    }

    /** What each of process {@code pid}'s descriptors names ({@code readlink /proc/PID/fd/N}). */
    private static List<String> descriptors(final long pid) throws IOException {
        final List<String> kinds = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (final Path fd : fds.toList()) {
                try {
                    kinds.add(Files.readSymbolicLink(fd).toString());
                } catch (final IOException e) {
                    // closed while we looked
                }
            }
        }
        return kinds;
    }
}
