package io.mcrelay.core.supervisor;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.rules.Limits;

/** The journal form of {@link Limits}: {@code i32 max rules, i32 max outputs per rule}. */
record JournaledLimits(Limits limits) {
    static byte[] encode(final Limits limits) {
        return new WireWriter().i32(limits.maxRules()).i32(limits.maxOutputsPerRule()).toByteArray();
    }

    static JournaledLimits decode(final byte[] payload) {
        final WireReader in = WireReader.of(payload);
        final int maxRules = in.i32("max rules");
        final int maxOutputs = in.i32("max outputs per rule");
        in.end("limits");
        try {
            return new JournaledLimits(new Limits(maxRules, maxOutputs));
        } catch (final IllegalArgumentException e) {
            throw new CodecException("limits: " + e.getMessage(), e);
        }
    }
}
