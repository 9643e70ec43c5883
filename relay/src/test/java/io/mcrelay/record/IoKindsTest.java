package io.mcrelay.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.protocol.WorkerMessageCodec;

/** What recorded entries hold: the supervisor's configuration ({@code start}), answers to clients. */
class IoKindsTest {
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

    @Test
    void aShortAnswerIsRecordedWholeAndALongOneAsItsLengthAndDigest() {
        final byte[] small = "{\"type\":\"pong\",\"request_id\":3}".getBytes(StandardCharsets.UTF_8);
        final IoKinds.ClientSend whole = IoKinds.decodeClientSend(IoKinds.encodeClientSend(true, small));
        assertTrue(whole.sent());
        assertArrayEquals(small, whole.whole());
        assertTrue(whole.matches(small));
        assertEquals(new String(small, StandardCharsets.UTF_8), whole.describe());

        final byte[] big = new byte[IoKinds.CLIENT_ANSWER_WHOLE_MAX + 1];
        Arrays.fill(big, (byte) 'x');
        final byte[] recorded = IoKinds.encodeClientSend(false, big);
        assertEquals(1 + 4 + 32, recorded.length, "flags, length, SHA-256: not the answer");
        final IoKinds.ClientSend digest = IoKinds.decodeClientSend(recorded);
        assertFalse(digest.sent());
        assertTrue(digest.matches(big));
        final byte[] changed = big.clone();
        changed[changed.length / 2] = 'y';
        assertFalse(digest.matches(changed), "one byte changed");
        assertFalse(digest.matches(Arrays.copyOf(big, big.length - 1)), "one byte shorter");
        assertTrue(digest.describe().startsWith("an answer of 16385 bytes (SHA-256 "), digest.describe());
        assertEquals(digest.describe(), IoKinds.describeAnswer(big));
    }

    @Test
    void aDamagedDigestFormIsRefusedNamingWhatIsMissing() {
        final byte[] recorded = IoKinds.encodeClientSend(true, new byte[IoKinds.CLIENT_ANSWER_WHOLE_MAX + 10]);
        final io.mcrelay.protocol.CodecException damaged = assertThrows(io.mcrelay.protocol.CodecException.class,
            () -> IoKinds.decodeClientSend(Arrays.copyOf(recorded, recorded.length - 1)));
        assertTrue(damaged.getMessage().contains("a digest of 32 bytes expected, 31 left"), damaged.getMessage());
    }
}
