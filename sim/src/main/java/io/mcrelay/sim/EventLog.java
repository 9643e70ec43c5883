package io.mcrelay.sim;

import java.nio.charset.StandardCharsets;

/**
 * The run's event log, kept as a running hash: every worker-channel message delivered, timer fired, worker state
 * change, client response and packet delivered or dropped is folded in, in order. Two runs with the same digest did
 * the same things in the same order; the digest is what {@code DIGEST=} prints. Folding is a 64-bit multiply-xorshift
 * mix (not cryptographic: it detects divergence, not tampering), cheap enough for every packet. Single-threaded.
 */
public final class EventLog {
    /** Event kinds, part of each folded record. */
    public static final int CHANNEL_FRAME = 1;
    public static final int TIMER = 2;
    public static final int WORKER_STATE = 3;
    public static final int RESPONSE = 4;
    public static final int DELIVERY = 5;
    public static final int DROP = 6;
    public static final int FAULT = 7;
    public static final int PHASE = 8;

    private long state = 0x6A09_E667_F3BC_C908L;
    private long events;

    /** Folds one event with up to three values. */
    public void record(final int kind, final long a, final long b, final long c) {
        state = mix(state ^ kind);
        state = mix(state ^ a);
        state = mix(state ^ b);
        state = mix(state ^ c);
        events++;
    }

    /** Folds one event with bytes (a frame, a payload). */
    public void record(final int kind, final byte[] bytes, final int offset, final int length) {
        state = mix(state ^ kind);
        long word = 0;
        for (int i = 0; i < length; i++) {
            word = word << 8 | (bytes[offset + i] & 0xFF);
            if ((i & 7) == 7) {
                state = mix(state ^ word);
                word = 0;
            }
        }
        state = mix(state ^ word ^ (long) length << 48);
        events++;
    }

    /** Folds one event with text. */
    public void record(final int kind, final String text) {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        record(kind, bytes, 0, bytes.length);
    }

    /** The digest so far, as 16 hex digits. */
    public String digest() {
        return String.format("%016x", mix(state ^ events));
    }

    public long events() {
        return events;
    }

    private static long mix(final long value) {
        long z = value * 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
