package io.mcrelay.linux.packetio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

/** A worker's options travel as arguments: they read back as written, absent ones default, bad ones are named. */
class WorkerIoOptionsTest {
    @Test
    void optionsReadBackAsWritten() {
        final WorkerIo.Config options = new WorkerIo.Config(PacketBackend.Preference.EPOLL, 1 << 20, 16, 100);
        assertEquals(List.of("--backend=epoll", "--ring=1048576x16", "--heartbeat-ms=100"), options.toArgs());
        assertEquals(options, WorkerIo.Config.parse(options.toArgs()));
        final WorkerIo.Config uring = new WorkerIo.Config(PacketBackend.Preference.IO_URING, 4096, 2, 250);
        assertEquals(uring, WorkerIo.Config.parse(uring.toArgs()));
    }

    @Test
    void absentOptionsDefault() {
        assertEquals(WorkerIo.Config.DEFAULT, WorkerIo.Config.parse(List.of()));
        assertEquals(new WorkerIo.Config(PacketBackend.Preference.AUTO, 128 << 10, 256, 40),
            WorkerIo.Config.parse(List.of("--heartbeat-ms=40")), "the default ring: 32 MiB in 256 blocks");
    }

    @Test
    void badArgumentsAreNamed() {
        assertEquals("worker argument --ring=4096: expected BLOCK_BYTESxBLOCKS",
            assertThrows(IllegalArgumentException.class, () -> WorkerIo.Config.parse(List.of("--ring=4096")))
                .getMessage());
        assertEquals("worker argument --backend=dpdk: unknown packet backend 'dpdk': use io_uring, epoll or auto",
            assertThrows(IllegalArgumentException.class, () -> WorkerIo.Config.parse(List.of("--backend=dpdk")))
                .getMessage());
        assertEquals("worker argument --verbose: unknown option",
            assertThrows(IllegalArgumentException.class, () -> WorkerIo.Config.parse(List.of("--verbose")))
                .getMessage());
        assertEquals("ring geometry and heartbeat interval must be positive: 256 x 131072, 0 ms", assertThrows(IllegalArgumentException.class,
                () -> WorkerIo.Config.parse(List.of("--heartbeat-ms=0"))).getMessage());
    }
}
