package io.mcrelay.entries.archfixture;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;

/** Keeps the entries' rule: it uses only the wire primitives of {@code protocol}. */
public final class UsesTheWirePrimitives {
    private UsesTheWirePrimitives() {
    }

    public static long roundTrip(final long value) {
        final long read = WireReader.of(new WireWriter().i64(value).toByteArray()).i64("value");
        if (read != value) {
            throw new CodecException("lost " + value);
        }
        return read;
    }
}
