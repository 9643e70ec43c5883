package io.mcrelay.record;

import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.entries.EntryKinds;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.rules.Limits;
import io.mcrelay.seam.GroupMemberships;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.RestartReason;
import io.mcrelay.seam.WorkerLauncher;

/**
 * The journal entry kinds that {@link IoRecorder} writes, beside the supervisor's own ({@code commit},
 * {@code limits}, {@code snapshot}), and the small encodings they use. Inputs are what a seam handed the core;
 * outputs what the core asked of a seam.
 */
public final class IoKinds {
    /** A supervisor starts: its config (input). */
    public static final int START = 100;
    /** The seed of the run (a simulation's, or the daemon's logged seed): {@code i64 seed}. */
    public static final int SEED = 102;
    /** A duty cycle that recorded something: {@code i64 nowNs}. */
    public static final int CYCLE = 101;
    public static final int TIMER_SCHEDULED = 110; // input: i64 deadline, i64 id
    public static final int TIMER_CANCELLED = 111; // output (+ result): i64 id, bool
    public static final int TIMER_FIRED = 112; // input: i64 id, i64 now
    public static final int WORKER_LAUNCHED = 120; // output (+ handle): handle
    public static final int WORKER_KILL = 121; // output: handle, reason word, detail
    public static final int WORKER_CONNECTED = 122; // input: handle
    public static final int WORKER_EXITED = 123; // input: handle, i32 status
    public static final int WORKER_SEND = 124; // output (+ result): u8 result, frame
    public static final int WORKER_FRAME = 125; // input: frame
    public static final int WORKER_CHANNEL_CLOSED = 126; // input
    public static final int WORKER_CHANNEL_CLOSE = 127; // output
    /** A frame sent with a descriptor (which the journal never holds, only that there was one). */
    public static final int WORKER_SEND_DESCRIPTOR = 128; // output (+ result): u8 result, frame
    /** A frame that arrived with a descriptor. */
    public static final int WORKER_FRAME_DESCRIPTOR = 129; // input: frame
    public static final int CLIENT_CONNECTED = 130; // input
    public static final int CLIENT_FRAME = 131; // input: frame
    public static final int CLIENT_DISCONNECTED = 132; // input: str reason
    public static final int CLIENT_SEND = 133; // output (+ result): see encodeClientSend
    public static final int CLIENT_DISCONNECT = 134; // output
    public static final int LINKS = 140; // input: i32 n, (str name, i32 index, bool up)*
    public static final int LINK_EVENT = 141; // input: u8 kind, str name, i32 index
    public static final int LOG_LEVELS = 150; // input: i32 n, (str facility, str level)*
    public static final int LOG_LEVEL_SET = 151; // output (+ result): str facility, str level, str problem
    public static final int INPUT_SOCKETS = 160; // output: i32 n, str*
    public static final int INPUT_SOCKETS_REOPEN = 161; // output: str
    public static final int INPUT_GENERATION = 162; // output (+ result): str name, i64 generation
    public static final int INPUT_MEMBER = 163; // output (+ result): str name, i32 worker, bool handed
    public static final int INPUT_FILTER = 164; // output: str name, i32 n, (i32 address, u16 port)*
    public static final int INPUT_CLOSE = 165; // output: str name, i64 generation
    public static final int MEMBERSHIP_LIMITS = 170; // output (+ result): i32 groups per socket, i32 sources per group
    /** A join: the membership, then the refusal ("" when joined). */
    public static final int MEMBERSHIP_JOIN = 171; // output (+ result): membership, str refusal
    public static final int MEMBERSHIP_LEAVE = 172; // output: membership
    public static final int MEMBERSHIP_FORGET = 173; // output: str name

    private IoKinds() {
    }

    /** True for the kinds the core produces (calls into a seam), false for inputs. */
    public static boolean isOutput(final int kind) {
        return switch (kind) {
            case TIMER_CANCELLED, WORKER_LAUNCHED, WORKER_KILL, WORKER_SEND, WORKER_SEND_DESCRIPTOR,
                 WORKER_CHANNEL_CLOSE, CLIENT_SEND,
                 CLIENT_DISCONNECT, LOG_LEVEL_SET, INPUT_SOCKETS, INPUT_SOCKETS_REOPEN, INPUT_GENERATION, INPUT_MEMBER,
                 INPUT_FILTER, INPUT_CLOSE, MEMBERSHIP_LIMITS, MEMBERSHIP_JOIN, MEMBERSHIP_LEAVE, MEMBERSHIP_FORGET,
                 EntryKinds.COMMIT,
                 EntryKinds.LIMITS, EntryKinds.SNAPSHOT -> true;
            default -> false;
        };
    }

    public static String name(final int kind) {
        return switch (kind) {
            case START -> "start";
            case CYCLE -> "cycle";
            case SEED -> "seed";
            case TIMER_SCHEDULED -> "timer-scheduled";
            case TIMER_CANCELLED -> "timer-cancelled";
            case TIMER_FIRED -> "timer-fired";
            case WORKER_LAUNCHED -> "worker-launched";
            case WORKER_KILL -> "worker-kill";
            case WORKER_CONNECTED -> "worker-connected";
            case WORKER_EXITED -> "worker-exited";
            case WORKER_SEND -> "worker-send";
            case WORKER_FRAME -> "worker-frame";
            case WORKER_CHANNEL_CLOSED -> "worker-channel-closed";
            case WORKER_CHANNEL_CLOSE -> "worker-channel-close";
            case WORKER_SEND_DESCRIPTOR -> "worker-send-descriptor";
            case WORKER_FRAME_DESCRIPTOR -> "worker-frame-descriptor";
            case CLIENT_CONNECTED -> "client-connected";
            case CLIENT_FRAME -> "client-frame";
            case CLIENT_DISCONNECTED -> "client-disconnected";
            case CLIENT_SEND -> "client-send";
            case CLIENT_DISCONNECT -> "client-disconnect";
            case LINKS -> "links";
            case LINK_EVENT -> "link-event";
            case LOG_LEVELS -> "log-levels";
            case LOG_LEVEL_SET -> "log-level-set";
            case INPUT_SOCKETS -> "input-sockets";
            case INPUT_SOCKETS_REOPEN -> "input-sockets-reopen";
            case INPUT_GENERATION -> "input-generation";
            case INPUT_MEMBER -> "input-member";
            case INPUT_FILTER -> "input-filter";
            case INPUT_CLOSE -> "input-close";
            case MEMBERSHIP_LIMITS -> "membership-limits";
            case MEMBERSHIP_JOIN -> "membership-join";
            case MEMBERSHIP_LEAVE -> "membership-leave";
            case MEMBERSHIP_FORGET -> "membership-forget";
            default -> null;
        };
    }

    static String workerSource(final WorkerLauncher.WorkerHandle handle) {
        return "worker:" + handle.workerIndex() + ":" + handle.launchId();
    }

    static String clientSource(final long connectionId) {
        return "client:" + connectionId;
    }

    public static byte[] encodeHandle(final WorkerLauncher.WorkerHandle handle) {
        return new WireWriter().i32(handle.workerIndex()).i64(handle.launchId()).i64(handle.pid()).toByteArray();
    }

    /** An input filter: the interface, then its destinations. */
    public static byte[] encodeFilter(final String interfaceName,
                                      final java.util.SortedSet<InputSockets.Destination> destinations) {
        final WireWriter out = new WireWriter().string(interfaceName).i32(destinations.size());
        destinations.forEach(d -> out.i32(d.address()).u16(d.port()));
        return out.toByteArray();
    }

    /** A membership on a socket: the interface, the socket's number, the group and the source (0: any). */
    public static WireWriter membership(final String interfaceName, final int socket,
                                        final GroupMemberships.Membership membership) {
        return new WireWriter().string(interfaceName).i32(socket).i32(membership.group()).i32(membership.source());
    }

    /**
     * An answer longer than this is recorded as its length and SHA-256 rather than whole: a {@code list} or
     * {@code stats} of a big table is megabytes (2.3 MB at 10,000 rules), which a monitoring script asking every few
     * seconds would otherwise write into the journal each time. Replay compares the digest just as surely.
     */
    public static final int CLIENT_ANSWER_WHOLE_MAX = 16 * 1024;
    private static final int SENT = 1;
    private static final int DIGEST = 2;
    private static final int SHA256_BYTES = 32;

    /**
     * A {@code client-send}: {@code u8 flags} (1: the server took it; 2: digest form), then the answer's bytes, or
     * for an answer longer than {@link #CLIENT_ANSWER_WHOLE_MAX}, {@code i32 length} and its 32-byte SHA-256.
     */
    public static byte[] encodeClientSend(final boolean sent, final byte[] answer) {
        if (answer.length <= CLIENT_ANSWER_WHOLE_MAX) {
            return new WireWriter().u8(sent ? SENT : 0).bytes(answer).toByteArray();
        }
        return new WireWriter().u8((sent ? SENT : 0) | DIGEST).i32(answer.length).bytes(digestOf(answer))
            .toByteArray();
    }

    /** A recorded {@code client-send}: whether it was sent, and the answer whole or as its length and digest. */
    public record ClientSend(boolean sent, byte[] whole, int length, byte[] sha256) {
        /** True when {@code answer} is the answer recorded. */
        public boolean matches(final byte[] answer) {
            return whole != null ? java.util.Arrays.equals(whole, answer)
                : answer.length == length && java.util.Arrays.equals(sha256, digestOf(answer));
        }

        /** The recorded answer as text, or what is known of it, for a divergence report. */
        public String describe() {
            return whole != null ? new String(whole, java.nio.charset.StandardCharsets.UTF_8)
                : "an answer of " + length + " bytes (SHA-256 " + java.util.HexFormat.of().formatHex(sha256) + ")";
        }
    }

    public static ClientSend decodeClientSend(final byte[] recorded) {
        final WireReader in = WireReader.of(recorded);
        final int flags = in.u8("flags");
        if ((flags & DIGEST) == 0) {
            return new ClientSend((flags & SENT) != 0, java.util.Arrays.copyOfRange(recorded, 1, recorded.length),
                recorded.length - 1, null);
        }
        final int length = in.i32("answer length");
        if (in.remaining() != SHA256_BYTES) {
            throw new io.mcrelay.protocol.CodecException("client-send: a digest of " + SHA256_BYTES
                + " bytes expected, " + in.remaining() + " left");
        }
        return new ClientSend((flags & SENT) != 0, null, length,
            java.util.Arrays.copyOfRange(recorded, recorded.length - SHA256_BYTES, recorded.length));
    }

    /** An answer as a journal would hold it, described as {@link ClientSend#describe} describes a recorded one. */
    public static String describeAnswer(final byte[] answer) {
        return decodeClientSend(encodeClientSend(true, answer)).describe();
    }

    private static byte[] digestOf(final byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (final java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** A kill: the worker's handle, then the reason's word and its detail. */
    public static byte[] encodeKill(final WorkerLauncher.WorkerHandle handle, final RestartReason reason,
                                    final String detail) {
        return new WireWriter().i32(handle.workerIndex()).i64(handle.launchId()).i64(handle.pid())
            .string(reason.word()).string(detail).toByteArray();
    }

    public static WorkerLauncher.WorkerHandle decodeHandle(final WireReader in) {
        return new WorkerLauncher.WorkerHandle(in.i32("worker index"), in.i64("launch id"), in.i64("pid"));
    }

    public static byte[] encodeConfig(final Supervisor.Config config) {
        return new WireWriter().i32(config.workerCount()).i64(config.ackTimeoutNs()).i64(config.heartbeatIntervalNs())
            .i32(config.missedHeartbeatsMax()).i64(config.connectTimeoutNs()).i64(config.backoffInitialNs())
            .i64(config.backoffMaxNs()).i64(config.backoffResetNs()).i32(config.limits().rulesMax())
            .i32(config.limits().outputsPerRuleMax()).i64(config.firstMessageTimeoutNs()).i32(config.syncChunkBytes())
            .toByteArray();
    }

    public static Supervisor.Config decodeConfig(final byte[] payload) {
        final WireReader in = WireReader.of(payload);
        final int workers = in.i32("workers");
        final long ackTimeoutNs = in.i64("ack timeout");
        final long heartbeatIntervalNs = in.i64("heartbeat interval");
        final int missedHeartbeatsMax = in.i32("missed heartbeats");
        final long connectTimeoutNs = in.i64("connect timeout");
        final long backoffInitialNs = in.i64("backoff initial");
        final long backoffMaxNs = in.i64("backoff max");
        final long backoffResetNs = in.i64("backoff reset");
        final Limits limits = new Limits(in.i32("max rules"), in.i32("max outputs per rule"));
        // Absent from journals written before it existed, when it was the heartbeat silence allowed.
        final long firstMessageTimeoutNs = in.remaining() > 0 ? in.i64("first message timeout")
            : heartbeatIntervalNs * missedHeartbeatsMax;
        // Absent from journals written before it could be told, when every chunk was of the largest size.
        final int syncChunkBytes = in.remaining() > 0 ? in.i32("sync chunk bytes")
            : WorkerMessageCodec.SYNC_CHUNK_BYTES_MAX;
        in.end("config");
        return new Supervisor.Config(workers, ackTimeoutNs, heartbeatIntervalNs, missedHeartbeatsMax, connectTimeoutNs,
            backoffInitialNs, backoffMaxNs, backoffResetNs, limits, firstMessageTimeoutNs, syncChunkBytes);
    }
}
