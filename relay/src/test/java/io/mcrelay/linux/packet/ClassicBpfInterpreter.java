package io.mcrelay.linux.packet;

/**
 * A small classic-BPF interpreter for tests, after the kernel's semantics ({@code net/core/filter.c}: 32-bit
 * unsigned registers A and X, 16 scratch words, forward jumps, a load outside the packet ends the program with 0).
 * It checks what {@code bpf_check_classic} checks that our programs could get wrong (jumps inside the program, a
 * return at the end, memory indices, no read of an unwritten scratch word on the path taken) and throws on
 * anything it does not know rather than guessing.
 *
 * <p>The packet is an Ethernet frame: the network header is at 14. {@code dataOffset} says where the kernel's
 * {@code skb->data} points when the program runs: 0 (Ethernet header) for a socket filter on {@code SOCK_RAW}, 14
 * (network header) for an incoming frame in {@code packet_rcv_fanout}. Absolute offsets count from there; the
 * {@code SKF_NET_OFF} and {@code SKF_LL_OFF} ranges count from the network and link-layer headers.
 */
final class ClassicBpfInterpreter {
    static final int NETWORK_OFFSET = 14;
    /** {@code linux/if_packet.h}: packet types for {@code SKF_AD_PKTTYPE}. */
    static final int PACKET_HOST = 0;
    static final int PACKET_MULTICAST = 2;
    static final int PACKET_OUTGOING = 4;

    private ClassicBpfInterpreter() {
    }

    /** Runs {@code program} over {@code frame}: the program's result, unsigned. */
    static long run(final ClassicBpf program, final byte[] frame, final int dataOffset, final int packetType) {
        final int n = program.length();
        if (n == 0 || (program.code(n - 1) & 0x07) != ClassicBpf.RET) {
            throw new IllegalArgumentException("a program must end with a return");
        }
        checkLoadsAndStores(program);
        int a = 0;
        int x = 0;
        final int[] memory = new int[ClassicBpf.MEMORY_WORDS];
        final boolean[] written = new boolean[ClassicBpf.MEMORY_WORDS];
        int pc = 0;
        for (int steps = 0; steps <= n; steps++) {
            if (pc < 0 || pc >= n) {
                throw new IllegalStateException("jumped out of the program to " + pc);
            }
            final int code = program.code(pc);
            final int k = program.k(pc);
            final int cls = code & 0x07;
            pc++;
            switch (cls) {
                case ClassicBpf.LD, ClassicBpf.LDX -> {
                    final long loaded = load(code, k, x, a, frame, dataOffset, packetType, memory, written);
                    if (loaded < 0) {
                        return 0; // out of the packet: the kernel ends the program with 0
                    }
                    if (cls == ClassicBpf.LD) {
                        a = (int) loaded;
                    } else {
                        x = (int) loaded;
                    }
                }
                case ClassicBpf.ST, ClassicBpf.STX -> {
                    checkMemory(k);
                    memory[k] = cls == ClassicBpf.ST ? a : x;
                    written[k] = true;
                }
                case ClassicBpf.ALU -> {
                    final int operand = (code & ClassicBpf.X) != 0 ? x : k;
                    final Integer result = alu(code & 0xf0, a, operand);
                    if (result == null) {
                        return 0; // division by zero in X: the kernel ends the program with 0
                    }
                    a = result;
                }
                case ClassicBpf.JMP -> {
                    final int op = code & 0xf0;
                    if (op == ClassicBpf.JA) {
                        pc += k;
                    } else {
                        final int operand = (code & ClassicBpf.X) != 0 ? x : k;
                        final boolean taken = switch (op) {
                            case ClassicBpf.JEQ -> a == operand;
                            case ClassicBpf.JGT -> Integer.compareUnsigned(a, operand) > 0;
                            case ClassicBpf.JGE -> Integer.compareUnsigned(a, operand) >= 0;
                            case ClassicBpf.JSET -> (a & operand) != 0;
                            default -> throw new IllegalArgumentException("unknown jump 0x"
                                + Integer.toHexString(code));
                        };
                        pc += taken ? program.jumpTrue(pc - 1) : program.jumpFalse(pc - 1);
                    }
                }
                case ClassicBpf.RET -> {
                    final int source = code & 0x18;
                    return Integer.toUnsignedLong(source == ClassicBpf.A ? a : k);
                }
                case ClassicBpf.MISC -> {
                    if ((code & 0xf8) == ClassicBpf.TAX) {
                        x = a;
                    } else if ((code & 0xf8) == ClassicBpf.TXA) {
                        a = x;
                    } else {
                        throw new IllegalArgumentException("unknown misc 0x" + Integer.toHexString(code));
                    }
                }
                default -> throw new IllegalArgumentException("unknown class 0x" + Integer.toHexString(code));
            }
        }
        throw new IllegalStateException("more steps than instructions: a backward jump");
    }

    /**
     * The kernel's rule ({@code check_load_and_stores} in {@code net/core/filter.c}), checked the way it checks it:
     * one pass in order; a jump narrows the set of written words at its targets to what is written at the jump, and
     * the instruction after a jump starts from that narrowed set; every other instruction (a {@code ret} included)
     * falls through with its set. A scratch word read where it is not certainly written makes the kernel refuse
     * the program with {@code EINVAL}.
     */
    static void checkLoadsAndStores(final ClassicBpf program) {
        final int n = program.length();
        final int[] masks = new int[n];
        java.util.Arrays.fill(masks, 0xFFFF);
        int valid = 0;
        for (int pc = 0; pc < n; pc++) {
            valid &= masks[pc];
            final int code = program.code(pc);
            final int cls = code & 0x07;
            if (cls == ClassicBpf.ST || cls == ClassicBpf.STX) {
                valid |= 1 << program.k(pc);
            } else if ((cls == ClassicBpf.LD || cls == ClassicBpf.LDX) && (code & 0xe0) == ClassicBpf.MEM) {
                if ((valid & 1 << program.k(pc)) == 0) {
                    throw new IllegalArgumentException("M[" + program.k(pc) + "] read at " + pc
                        + " where the kernel's checker cannot see it written: EINVAL");
                }
            } else if (cls == ClassicBpf.JMP) {
                if ((code & 0xf0) == ClassicBpf.JA) {
                    masks[pc + 1 + program.k(pc)] &= valid;
                } else {
                    masks[pc + 1 + program.jumpTrue(pc)] &= valid;
                    masks[pc + 1 + program.jumpFalse(pc)] &= valid;
                }
                valid = 0xFFFF;
            }
        }
    }

    /** The loaded value (0 to 2^32 - 1), or -1 when the load falls outside the packet. */
    private static long load(final int code, final int k, final int x, final int a, final byte[] frame,
        final int dataOffset, final int packetType, final int[] memory, final boolean[] written) {
        final int mode = code & 0xe0;
        final int size = code & 0x18;
        final boolean ldx = (code & 0x07) == ClassicBpf.LDX;
        switch (mode) {
            case ClassicBpf.IMM -> {
                return Integer.toUnsignedLong(k);
            }
            case ClassicBpf.LEN -> {
                return frame.length - dataOffset;
            }
            case ClassicBpf.MEM -> {
                checkMemory(k);
                if (!written[k]) {
                    throw new IllegalStateException("M[" + k + "] read before it was written");
                }
                return Integer.toUnsignedLong(memory[k]);
            }
            case ClassicBpf.ABS -> {
                if (ldx) {
                    throw new IllegalArgumentException("ldx takes no absolute mode");
                }
                if (k < 0 && k >= ClassicBpf.SKF_AD_OFF) {
                    return ancillary(k - ClassicBpf.SKF_AD_OFF, size, frame, packetType);
                }
                return bytesAt(frame, position(k, dataOffset), size);
            }
            case ClassicBpf.IND -> {
                if (ldx) {
                    throw new IllegalArgumentException("ldx takes no indirect mode");
                }
                return bytesAt(frame, position(x + k, dataOffset), size);
            }
            case ClassicBpf.MSH -> {
                if (!ldx || size != ClassicBpf.B) {
                    throw new IllegalArgumentException("msh is ldxb only");
                }
                final long b = bytesAt(frame, position(k, dataOffset), ClassicBpf.B);
                return b < 0 ? -1 : (b & 0xf) * 4;
            }
            default -> throw new IllegalArgumentException("unknown load mode 0x" + Integer.toHexString(code));
        }
    }

    /** Where offset {@code k} points in the frame: from data, or from the network or link-layer header. */
    private static long position(final int k, final int dataOffset) {
        if (k >= 0) {
            return (long) dataOffset + k;
        }
        if (k >= ClassicBpf.SKF_NET_OFF) {
            return k >= ClassicBpf.SKF_AD_OFF ? -1 : NETWORK_OFFSET + (long) (k - ClassicBpf.SKF_NET_OFF);
        }
        if (k >= ClassicBpf.SKF_LL_OFF) {
            return k - ClassicBpf.SKF_LL_OFF;
        }
        return -1;
    }

    private static long bytesAt(final byte[] frame, final long position, final int size) {
        final int bytes = switch (size) {
            case ClassicBpf.W -> 4;
            case ClassicBpf.H -> 2;
            case ClassicBpf.B -> 1;
            default -> throw new IllegalArgumentException("unknown load size " + size);
        };
        if (position < 0 || position + bytes > frame.length) {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < bytes; i++) {
            value = value << 8 | (frame[(int) position + i] & 0xFF); // network order
        }
        return value;
    }

    private static long ancillary(final int which, final int size, final byte[] frame, final int packetType) {
        if (size != ClassicBpf.W) {
            throw new IllegalArgumentException("ancillary loads are words");
        }
        return switch (which) {
            case ClassicBpf.SKF_AD_PROTOCOL -> bytesAt(frame, 12, ClassicBpf.H); // skb->protocol: the EtherType
            case ClassicBpf.SKF_AD_PKTTYPE -> packetType;
            default -> throw new IllegalArgumentException("ancillary " + which + " is not modelled");
        };
    }

    /** The ALU result, or null for a division by zero. */
    private static Integer alu(final int op, final int a, final int operand) {
        return switch (op) {
            case ClassicBpf.ADD -> a + operand;
            case ClassicBpf.SUB -> a - operand;
            case ClassicBpf.MUL -> a * operand;
            case ClassicBpf.DIV -> operand == 0 ? null : Integer.divideUnsigned(a, operand);
            case ClassicBpf.MOD -> operand == 0 ? null : Integer.remainderUnsigned(a, operand);
            case ClassicBpf.OR -> a | operand;
            case ClassicBpf.AND -> a & operand;
            case ClassicBpf.XOR -> a ^ operand;
            case ClassicBpf.LSH -> shift(operand) ? a << operand : 0;
            case ClassicBpf.RSH -> shift(operand) ? a >>> operand : 0;
            case ClassicBpf.NEG -> -a;
            default -> throw new IllegalArgumentException("unknown ALU operation 0x" + Integer.toHexString(op));
        };
    }

    private static boolean shift(final int amount) {
        if (amount < 0 || amount >= 32) {
            throw new IllegalArgumentException("shift by " + amount + ": the kernel refuses it");
        }
        return true;
    }

    private static void checkMemory(final int k) {
        if (k < 0 || k >= ClassicBpf.MEMORY_WORDS) {
            throw new IllegalArgumentException("scratch word " + k + " out of M[0.." + (ClassicBpf.MEMORY_WORDS - 1)
                + "]");
        }
    }
}
