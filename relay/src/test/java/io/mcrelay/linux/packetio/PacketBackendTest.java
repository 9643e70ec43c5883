package io.mcrelay.linux.packetio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

/**
 * The backend choice: the setting's parsing, the forced and automatic paths of {@link PacketBackend#decide} with
 * io_uring's status given (no kernel needed), and the probe of this kernel, which has io_uring (DESIGN, environment
 * facts), with the line the supervisor logs.
 */
class PacketBackendTest {
    private static final PacketBackend.IoUringStatus MISSING =
        PacketBackend.IoUringStatus.unusable("io_uring_setup failed: ENOSYS (function not implemented)");

    @Test
    void theSettingParsesItsThreeValuesAndRefusesOthersByName() {
        assertEquals(PacketBackend.Preference.AUTO, PacketBackend.Preference.parse(null));
        assertEquals(PacketBackend.Preference.AUTO, PacketBackend.Preference.parse(" "));
        assertEquals(PacketBackend.Preference.AUTO, PacketBackend.Preference.parse("auto"));
        assertEquals(PacketBackend.Preference.IO_URING, PacketBackend.Preference.parse("io_uring"));
        assertEquals(PacketBackend.Preference.IO_URING, PacketBackend.Preference.parse("IO-URING"));
        assertEquals(PacketBackend.Preference.EPOLL, PacketBackend.Preference.parse("Epoll "));
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> PacketBackend.Preference.parse("select"));
        assertEquals("unknown packet backend 'select': use io_uring, epoll or auto", e.getMessage());
    }

    @Test
    void forcedEpollIsTakenWithoutTryingIoUring() {
        final AtomicInteger asked = new AtomicInteger();
        final PacketBackend.Choice choice = PacketBackend.decide(PacketBackend.Preference.EPOLL, () -> {
            asked.incrementAndGet();
            return PacketBackend.IoUringStatus.ok();
        });
        assertEquals(PacketBackend.Kind.EPOLL, choice.kind());
        assertEquals("packet I/O backend: epoll (forced by backend=epoll)", choice.describe());
        assertEquals(0, asked.get());
    }

    @Test
    void forcedIoUringRunsWhereUsableAndFailsWithTheReasonWhereNot() {
        assertEquals(PacketBackend.Kind.IO_URING,
            PacketBackend.decide(PacketBackend.Preference.IO_URING, PacketBackend.IoUringStatus::ok).kind());
        final IllegalStateException e = assertThrows(IllegalStateException.class,
            () -> PacketBackend.decide(PacketBackend.Preference.IO_URING, () -> MISSING));
        assertEquals("packet backend io_uring was asked for but cannot run: io_uring_setup failed: ENOSYS (function"
            + " not implemented); use --backend epoll (or auto) on this host", e.getMessage());
    }

    @Test
    void autoTakesIoUringWhenUsableElseEpollSayingWhy() {
        final Supplier<PacketBackend.IoUringStatus> usable = PacketBackend.IoUringStatus::ok;
        assertEquals(PacketBackend.Kind.IO_URING, PacketBackend.decide(PacketBackend.Preference.AUTO, usable).kind());
        final PacketBackend.Choice fallback = PacketBackend.decide(PacketBackend.Preference.AUTO, () -> MISSING);
        assertEquals(PacketBackend.Kind.EPOLL, fallback.kind());
        assertEquals("packet I/O backend: epoll (auto: io_uring is unavailable: io_uring_setup failed: ENOSYS (function not implemented))",
            fallback.describe());
        final PacketBackend.Choice lacking = PacketBackend.decide(PacketBackend.Preference.AUTO,
            () -> PacketBackend.IoUringStatus.unusable("io_uring lacks IORING_OP_SEND (Linux 5.6+)"));
        assertEquals("auto: io_uring is unavailable: io_uring lacks IORING_OP_SEND (Linux 5.6+)", lacking.reason());
    }

    @Test
    void onThisKernelAutoChoosesIoUringAndSaysWhy() {
        assertEquals(PacketBackend.IoUringStatus.ok(), PacketBackend.probeIoUring());
        assertEquals("packet I/O backend: io_uring (auto: io_uring set up and has every operation needed)",
            PacketBackend.decide(PacketBackend.Preference.AUTO, PacketBackend::probeIoUring).describe());
        assertEquals("packet I/O backend: epoll (forced by backend=epoll)",
            PacketBackend.decide(PacketBackend.Preference.EPOLL, PacketBackend::probeIoUring).describe());
    }

    @Test
    void theSystemPropertyCarriesTheSetting() {
        final String before = System.getProperty(PacketBackend.PROPERTY);
        try {
            System.setProperty(PacketBackend.PROPERTY, "epoll");
            assertEquals(PacketBackend.Preference.EPOLL, PacketBackend.fromSystemProperty());
            System.setProperty(PacketBackend.PROPERTY, "kqueue");
            assertTrue(assertThrows(IllegalArgumentException.class, PacketBackend::fromSystemProperty).getMessage()
                .contains("'kqueue'"));
            System.clearProperty(PacketBackend.PROPERTY);
            assertEquals(PacketBackend.Preference.AUTO, PacketBackend.fromSystemProperty());
        } finally {
            if (before == null) {
                System.clearProperty(PacketBackend.PROPERTY);
            } else {
                System.setProperty(PacketBackend.PROPERTY, before);
            }
        }
    }

    /**
     * {@code kernel.io_uring_disabled} as it applies to an unprivileged worker: 0 lets it, 1 only when its group is
     * {@code kernel.io_uring_group}, 2 never; each refusal says which setting and why.
     */
    @Test
    void theSysctlIsReadAsAnUnprivilegedWorkerFeelsIt() {
        assertEquals(PacketBackend.IoUringStatus.ok(), PacketBackend.forUnprivileged(0, -1, 998));
        assertEquals(PacketBackend.IoUringStatus.ok(), PacketBackend.forUnprivileged(1, 998, 998));
        assertEquals(PacketBackend.IoUringStatus.unusable("kernel.io_uring_disabled = 1 allows io_uring only to "
            + "CAP_SYS_ADMIN and members of kernel.io_uring_group (-1), and the workers (gid 998) are neither"),
            PacketBackend.forUnprivileged(1, -1, 998));
        assertEquals("kernel.io_uring_disabled = 1 allows io_uring only to CAP_SYS_ADMIN and members of "
            + "kernel.io_uring_group (5), and the workers (gid 998) are neither",
            PacketBackend.forUnprivileged(1, 5, 998).problem());
        assertEquals(PacketBackend.IoUringStatus.unusable("kernel.io_uring_disabled = 2: io_uring is disabled for "
            + "every process"), PacketBackend.forUnprivileged(2, 998, 998));
        // This machine's setting is 0 (DESIGN, environment facts): the workers' probe finds io_uring usable.
        assertEquals(PacketBackend.IoUringStatus.ok(), PacketBackend.probeIoUringForWorkers(65534));
    }

    /** The test seam: with its property set, {@code auto} sees io_uring unavailable and takes epoll, saying why. */
    @Test
    void theTestSeamMakesAutoFallBackWithTheReason() {
        final String before = System.getProperty(PacketBackend.UNAVAILABLE_PROPERTY);
        try {
            System.setProperty(PacketBackend.UNAVAILABLE_PROPERTY, "blocked by a seccomp profile");
            assertEquals("packet I/O backend: epoll (auto: io_uring is unavailable: blocked by a seccomp profile "
                + "(test seam mcrelay.test.ioUringUnavailable))", PacketBackend.decide(PacketBackend.Preference.AUTO,
                    () -> PacketBackend.probeIoUringForWorkers(65534)).describe());
            assertTrue(assertThrows(IllegalStateException.class, () -> PacketBackend.decide(
                PacketBackend.Preference.IO_URING, () -> PacketBackend.probeIoUringForWorkers(65534))).getMessage()
                .startsWith("packet backend io_uring was asked for but cannot run: blocked by a seccomp profile"));
        } finally {
            if (before == null) {
                System.clearProperty(PacketBackend.UNAVAILABLE_PROPERTY);
            } else {
                System.setProperty(PacketBackend.UNAVAILABLE_PROPERTY, before);
            }
        }
    }
}
