package io.mcrelay.linux.packet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A classic BPF program ({@code struct sock_filter[]}, {@code linux/filter.h}: each instruction is
 * {@code {u16 code; u8 jt; u8 jf; u32 k}}), as the kernel takes it for {@code SO_ATTACH_FILTER} and
 * {@code PACKET_FANOUT_DATA}. Pure Java, no native memory: built with {@link Builder}, whose labels are resolved
 * to the 8-bit relative jump offsets classic BPF uses (an offset above 255 is refused when building). Immutable.
 *
 * <p>Opcode fields from {@code linux/bpf_common.h}; the ancillary and negative offsets from {@code linux/filter.h}.
 */
public final class ClassicBpf {
    /** {@code linux/bpf_common.h}: {@code BPF_MAXINSNS}, the most instructions the kernel accepts. */
    public static final int INSTRUCTIONS_MAX = 4096;
    /** {@code linux/filter.h}: {@code BPF_MEMWORDS}, the scratch memory words M[0..15]. */
    public static final int MEMORY_WORDS = 16;

    // Instruction classes (linux/bpf_common.h).
    static final int LD = 0x00;
    static final int LDX = 0x01;
    static final int ST = 0x02;
    static final int STX = 0x03;
    static final int ALU = 0x04;
    static final int JMP = 0x05;
    static final int RET = 0x06;
    static final int MISC = 0x07;
    // Load sizes and modes.
    static final int W = 0x00;
    static final int H = 0x08;
    static final int B = 0x10;
    static final int IMM = 0x00;
    static final int ABS = 0x20;
    static final int IND = 0x40;
    static final int MEM = 0x60;
    static final int LEN = 0x80;
    static final int MSH = 0xa0;
    // ALU operations.
    static final int ADD = 0x00;
    static final int SUB = 0x10;
    static final int MUL = 0x20;
    static final int DIV = 0x30;
    static final int OR = 0x40;
    static final int AND = 0x50;
    static final int LSH = 0x60;
    static final int RSH = 0x70;
    static final int NEG = 0x80;
    static final int MOD = 0x90;
    static final int XOR = 0xa0;
    // Jumps.
    static final int JA = 0x00;
    static final int JEQ = 0x10;
    static final int JGT = 0x20;
    static final int JGE = 0x30;
    static final int JSET = 0x40;
    // Sources: the constant k or the register X; BPF_A for "ret A".
    static final int K = 0x00;
    static final int X = 0x08;
    static final int A = 0x10;
    // MISC: A to X and back.
    static final int TAX = 0x00;
    static final int TXA = 0x80;

    /** {@code linux/filter.h}: {@code SKF_AD_OFF}; an absolute load at {@code SKF_AD_OFF + n} reads ancillary n. */
    static final int SKF_AD_OFF = -0x1000;
    /** {@code SKF_AD_PROTOCOL}: the frame's {@code skb->protocol} in host order (the EtherType). */
    static final int SKF_AD_PROTOCOL = 0;
    /** {@code SKF_AD_PKTTYPE}: the packet type ({@code PACKET_OUTGOING} = 4 for frames this host sends). */
    static final int SKF_AD_PKTTYPE = 4;
    /** {@code SKF_NET_OFF}: loads at {@code SKF_NET_OFF + n} read byte n of the network header, wherever data is. */
    static final int SKF_NET_OFF = -0x100000;
    /** {@code SKF_LL_OFF}: loads at {@code SKF_LL_OFF + n} read byte n of the link-layer header. */
    static final int SKF_LL_OFF = -0x200000;

    private final int[] codes;
    private final int[] jumpsTrue;
    private final int[] jumpsFalse;
    private final int[] constants;

    private ClassicBpf(final int[] codes, final int[] jumpsTrue, final int[] jumpsFalse, final int[] constants) {
        this.codes = codes;
        this.jumpsTrue = jumpsTrue;
        this.jumpsFalse = jumpsFalse;
        this.constants = constants;
    }

    /** A new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Instructions in the program. */
    public int length() {
        return codes.length;
    }

    /** The opcode of instruction {@code i}. */
    public int code(final int i) {
        return codes[i];
    }

    /** How many instructions a taken conditional jump at {@code i} skips. */
    public int jumpTrue(final int i) {
        return jumpsTrue[i];
    }

    /** How many instructions a conditional jump at {@code i} skips when not taken. */
    public int jumpFalse(final int i) {
        return jumpsFalse[i];
    }

    /** The constant {@code k} of instruction {@code i}. */
    public int k(final int i) {
        return constants[i];
    }

    /** The program in {@code tcpdump -dd} form, one instruction a line, for messages and docs. */
    @Override
    public String toString() {
        final StringBuilder text = new StringBuilder();
        for (int i = 0; i < codes.length; i++) {
            text.append(String.format("{ 0x%02x, %d, %d, 0x%08x },%n", codes[i], jumpsTrue[i], jumpsFalse[i],
                constants[i]));
        }
        return text.toString();
    }

    @Override
    public boolean equals(final Object o) {
        return o instanceof ClassicBpf other && Arrays.equals(codes, other.codes)
            && Arrays.equals(jumpsTrue, other.jumpsTrue) && Arrays.equals(jumpsFalse, other.jumpsFalse)
            && Arrays.equals(constants, other.constants);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(codes) * 31 + Arrays.hashCode(constants);
    }

    /** A place in a program under construction; placed once with {@link Builder#place}. */
    public static final class Label {
        private int index = -1;
    }

    /**
     * Appends instructions in order; jumps name {@link Label}s, placed later or earlier (classic BPF jumps only
     * forward: a backward jump is refused when building). Not thread-safe; build once.
     */
    public static final class Builder {
        private final List<int[]> rows = new ArrayList<>(); // code, k
        private final List<Label[]> targets = new ArrayList<>(); // jt, jf (conditional) or {target, null} (JA)

        private Builder() {
        }

        /** A new, unplaced label. */
        public Label label() {
            return new Label();
        }

        /** Places {@code label} at the next instruction. */
        public Builder place(final Label label) {
            if (label.index >= 0) {
                throw new IllegalStateException("label placed twice");
            }
            label.index = rows.size();
            return this;
        }

        /** An instruction without a jump: a load, store, ALU operation, return or register move. */
        public Builder statement(final int code, final int k) {
            if ((code & 0x07) == JMP) {
                throw new IllegalArgumentException("jumps take labels: use jump() or jumpAlways()");
            }
            rows.add(new int[] {code, k});
            targets.add(new Label[] {null, null});
            return this;
        }

        /** A conditional jump ({@code JMP | op | K or X}): to {@code ifTrue} or {@code ifFalse}, null = next. */
        public Builder jump(final int code, final int k, final Label ifTrue, final Label ifFalse) {
            if ((code & 0x07) != JMP || (code & 0xf0) == JA) {
                throw new IllegalArgumentException("not a conditional jump: 0x" + Integer.toHexString(code));
            }
            rows.add(new int[] {code, k});
            targets.add(new Label[] {ifTrue, ifFalse});
            return this;
        }

        /** {@code ja label}: an unconditional jump with a 32-bit offset, for targets beyond 255 instructions. */
        public Builder jumpAlways(final Label target) {
            rows.add(new int[] {JMP | JA, 0});
            targets.add(new Label[] {target});
            return this;
        }

        /** Instructions so far. */
        public int size() {
            return rows.size();
        }

        /**
         * The program, with jump offsets resolved. Does not cap the length at {@link #INSTRUCTIONS_MAX}: the
         * kernel is the judge of that (its refusal names the call).
         *
         * @throws IllegalStateException for an unplaced label, a backward jump or a conditional jump over 255
         */
        public ClassicBpf build() {
            final int n = rows.size();
            final int[] codes = new int[n];
            final int[] jt = new int[n];
            final int[] jf = new int[n];
            final int[] ks = new int[n];
            for (int i = 0; i < n; i++) {
                codes[i] = rows.get(i)[0];
                ks[i] = rows.get(i)[1];
                final Label[] to = targets.get(i);
                if (to.length == 1) {
                    ks[i] = offset(i, to[0], Integer.MAX_VALUE);
                } else {
                    jt[i] = to[0] == null ? 0 : offset(i, to[0], 255);
                    jf[i] = to[1] == null ? 0 : offset(i, to[1], 255);
                }
            }
            return new ClassicBpf(codes, jt, jf, ks);
        }

        private static int offset(final int from, final Label to, final int max) {
            if (to.index < 0) {
                throw new IllegalStateException("jump at " + from + " to a label never placed");
            }
            final int offset = to.index - from - 1;
            if (offset < 0 || offset > max) {
                throw new IllegalStateException("jump at " + from + " to " + to.index + " is out of reach (" + offset
                    + " instructions; classic BPF jumps forward, conditionally at most 255)");
            }
            return offset;
        }
    }
}
