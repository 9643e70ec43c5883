package io.mcrelay.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.protocol.WorkerMessageCodec;

/** The supervisor's configuration as a recorded journal's {@code start} entry holds it. */
class IoKindsConfigTest {
    @Test
    void aConfigComesBackAsItWasRecordedSyncChunksIncluded() {
        final Supervisor.Config config = Supervisor.Config.defaults(3).withSyncChunkBytes(4096)
            .withFirstMessageTimeoutNs(2_000_000_000L);

        assertEquals(config, IoKinds.decodeConfig(IoKinds.encodeConfig(config)));
    }

    @Test
    void aJournalFromBeforeSyncChunksCouldBeToldReadsAsTheLargestChunks() {
        final byte[] recorded = IoKinds.encodeConfig(Supervisor.Config.defaults(2));
        final byte[] older = Arrays.copyOf(recorded, recorded.length - Integer.BYTES);

        final Supervisor.Config read = IoKinds.decodeConfig(older);

        assertEquals(WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX, read.syncChunkBytes());
        assertEquals(Supervisor.Config.defaults(2), read);
    }

    @Test
    void syncChunksOutsideTheirBoundsAreRefusedWithTheBoundsNamed() {
        final Supervisor.Config config = Supervisor.Config.defaults(1);

        final String small = assertThrows(IllegalArgumentException.class,
            () -> config.withSyncChunkBytes(Supervisor.Config.SYNC_CHUNK_BYTES_MIN - 1)).getMessage();
        assertTrue(small.contains("between 1024 and 65536 bytes, not 1023"), small);
        final String large = assertThrows(IllegalArgumentException.class,
            () -> config.withSyncChunkBytes(WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX + 1)).getMessage();
        assertTrue(large.contains("not 65537"), large);
        assertEquals(WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX, config.syncChunkBytes());
    }
}
