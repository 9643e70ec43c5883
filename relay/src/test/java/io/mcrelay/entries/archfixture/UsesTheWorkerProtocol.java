package io.mcrelay.entries.archfixture;

import java.util.List;

import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;

/** Breaks the rule that journal entries have their own encoding: it writes a worker-channel {@code Sync}. */
public final class UsesTheWorkerProtocol {
    private UsesTheWorkerProtocol() {
    }

    public static byte[] emptySnapshot() {
        return WorkerMessageCodec.toBytes(new WorkerMessage.Sync(0, List.of()));
    }
}
