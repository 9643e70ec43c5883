package io.mcrelay.core.supervisor;

import java.util.List;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;

/**
 * The journal form of a table snapshot:
 * <pre>
 *  i32 max rules, i32 max outputs per rule, then a Sync frame (type, epoch, rules) as the worker channel has it
 * </pre>
 */
record JournaledSnapshot(long epoch, List<Rule> rules, Limits limits) {
    static byte[] encode(final long epoch, final List<Rule> rules, final Limits limits) {
        final WireWriter out = new WireWriter().i32(limits.maxRules()).i32(limits.maxOutputsPerRule());
        WorkerMessageCodec.encode(new WorkerMessage.Sync(epoch, rules), out);
        return out.toByteArray();
    }

    static JournaledSnapshot decode(final byte[] payload) {
        if (payload.length < 8) {
            throw new CodecException("a snapshot has at least 8 bytes, this one " + payload.length);
        }
        final WireReader in = WireReader.of(payload);
        final int maxRules = in.i32("max rules");
        final int maxOutputs = in.i32("max outputs per rule");
        final byte[] sync = java.util.Arrays.copyOfRange(payload, 8, payload.length);
        if (!(WorkerMessageCodec.decode(sync) instanceof WorkerMessage.Sync table)) {
            throw new CodecException("a snapshot holds a Sync");
        }
        try {
            return new JournaledSnapshot(table.epoch(), table.rules(), new Limits(maxRules, maxOutputs));
        } catch (final IllegalArgumentException e) {
            throw new CodecException("snapshot limits: " + e.getMessage(), e);
        }
    }
}
