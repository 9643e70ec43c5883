package io.mcrelay.protocol;

import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;

import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;

/**
 * Binary codec of {@link WorkerMessage}s: the payload of one worker-channel frame (the channel adds the length
 * prefix, see {@link Frames}). Big-endian throughout; rules in their {@link RuleEncoding}; {@code v} is a varint
 * ({@link WireWriter#varint}: a non-negative number, 1 byte up to 127, at most 9).
 *
 * <pre>
 *  u8 type, then by type:
 *   1 Hello      i32 protocol version, i32 worker index, i64 pid, str token
 *   2 Sync       i64 epoch, i32 chunk (from 0), i32 chunks, i32 rule count, rules
 *   3 Apply      i64 epoch, i32 upsert count, rules, i32 removal count, str ids
 *   4 Ack        i64 epoch (-1: no ruleset yet), i64 ruleset hash
 *   5 Heartbeat  v sequence, v epoch + 1 (0: no ruleset yet), i64 ruleset hash,
 *                v next within ns (0: the usual interval),
 *                v sync epoch + 1 (0: no sync under way), then if not 0:
 *                  v chunks received, v chunks, v rules prepared, v rules,
 *                v frames received, v unmatched, v malformed, v fragments,
 *                v removed packets in, v removed bytes in,
 *                v input count, per input: str interface, v packets, v ring full, v staging full,
 *                v rule count, per rule (those changed since the last heartbeat sent, and the refresh's):
 *                  str id, v packets in, v bytes in,
 *                  v drops buffer full, v drops no buffer space, v drops send error, v drops link down,
 *                  v output count, per output: v packets out, v bytes out, v errors,
 *                v trace event count, per event: str rule id, i64 packet, u8 step, i32 output, i32 value
 *   6 Shutdown   str reason
 *   7 Trace      str rule id, u8 enabled (0|1)
 *   8 AttachInput  str interface, i64 generation     (the frame carries the input's packet socket)
 *   9 ReleaseInput str interface, i64 generation
 *  10 LogLevel   str facility ("root" for the root), str level
 * </pre>
 * A table goes in chunks of at most {@link #SYNC_CHUNK_BYTES_MAX} ({@link #syncChunks}), so that no frame of a big
 * table is big and a worker takes one in bounded steps. Counters travel as varints: an idle rule's counters are
 * one byte each. Stateless and thread-safe; decoding refuses anything malformed with a {@link CodecException} that
 * names the field.
 */
public final class WorkerMessageCodec {
    public static final int TYPE_HELLO = 1;
    public static final int TYPE_SYNC = 2;
    public static final int TYPE_APPLY = 3;
    public static final int TYPE_ACK = 4;
    public static final int TYPE_HEARTBEAT = 5;
    public static final int TYPE_SHUTDOWN = 6;
    public static final int TYPE_TRACE = 7;
    public static final int TYPE_ATTACH_INPUT = 8;
    public static final int TYPE_RELEASE_INPUT = 9;
    public static final int TYPE_LOG_LEVEL = 10;
    /** The epoch a worker reports before its first Sync. */
    public static final long NO_EPOCH = -1;
    /** Most trace events one heartbeat may carry. */
    public static final int TRACE_EVENTS_MAX = 4096;

    /** Most inputs one heartbeat may carry: every interface a host can have is far fewer. */
    public static final int INPUTS_MAX = 4096;
    /**
     * The most encoded bytes of one {@code Sync} chunk, header included: 64 KiB, about 1,000 rules of one output.
     * Small enough that a worker decodes one in well under a millisecond between its other work, large enough that
     * the largest table (262,144 rules) is a few hundred frames.
     */
    public static final int SYNC_CHUNK_BYTES_MAX = 64 * 1024;
    /** The bytes of a {@code Sync}'s header: type, epoch, chunk, chunks, rule count. */
    static final int SYNC_HEADER_BYTES = 1 + 8 + 4 + 4 + 4;

    private static final int RULE_COUNTERS_BYTES_MIN = 1 + 1 + 6 + 1;
    private static final int INPUT_COUNTERS_BYTES_MIN = 3 + 3;
    private static final int OUTPUT_COUNTERS_BYTES_MIN = 3;
    private static final int TRACE_EVENT_BYTES_MIN = 3 + 8 + 1 + 4 + 4;

    private WorkerMessageCodec() {
    }

    /** Appends the encoding of {@code message} to {@code out}. */
    public static void encode(final WorkerMessage message, final WireWriter out) {
        switch (message) {
            case WorkerMessage.Hello hello -> {
                out.u8(TYPE_HELLO).i32(hello.protocolVersion()).i32(hello.workerIndex()).i64(hello.pid());
                out.string(hello.token());
            }
            case WorkerMessage.Sync sync -> {
                out.u8(TYPE_SYNC).i64(sync.epoch()).i32(sync.chunk()).i32(sync.chunks()).i32(sync.rules().size());
                for (final Rule rule : sync.rules()) {
                    RuleEncoding.write(out, rule);
                }
            }
            case WorkerMessage.Apply apply -> {
                out.u8(TYPE_APPLY).i64(apply.epoch()).i32(apply.upserts().size());
                for (final Rule rule : apply.upserts()) {
                    RuleEncoding.write(out, rule);
                }
                out.i32(apply.removals().size());
                for (final RuleId id : apply.removals()) {
                    out.string(id.value());
                }
            }
            case WorkerMessage.Ack ack -> out.u8(TYPE_ACK).i64(ack.epoch()).i64(ack.rulesetHash());
            case WorkerMessage.Heartbeat heartbeat -> encodeHeartbeat(heartbeat, out);
            case WorkerMessage.Trace trace -> out.u8(TYPE_TRACE).string(trace.id().value()).bool(trace.enabled());
            case WorkerMessage.AttachInput attach -> out.u8(TYPE_ATTACH_INPUT).string(attach.interfaceName())
                .i64(attach.generation());
            case WorkerMessage.ReleaseInput release -> out.u8(TYPE_RELEASE_INPUT).string(release.interfaceName())
                .i64(release.generation());
            case WorkerMessage.Shutdown shutdown -> out.u8(TYPE_SHUTDOWN).string(shutdown.reason());
            case WorkerMessage.LogLevel level -> out.u8(TYPE_LOG_LEVEL).string(level.facility()).string(level.level());
        }
    }

    private static void encodeHeartbeat(final WorkerMessage.Heartbeat heartbeat, final WireWriter out) {
        out.u8(TYPE_HEARTBEAT).varint(heartbeat.sequence()).varint(heartbeat.epoch() + 1).i64(heartbeat.rulesetHash())
            .varint(heartbeat.nextWithinNs());
        final WorkerMessage.SyncProgress progress = heartbeat.progress();
        out.varint(progress.epoch() + 1);
        if (progress.epoch() >= 0) {
            out.varint(progress.chunksReceived()).varint(progress.chunks()).varint(progress.rulesPrepared())
                .varint(progress.rules());
        }
        final WorkerCounters counters = heartbeat.counters();
        out.varint(counters.framesReceived()).varint(counters.unmatched()).varint(counters.malformed())
            .varint(counters.fragments());
        out.varint(counters.removedPacketsIn()).varint(counters.removedBytesIn());
        out.varint(counters.inputs().size());
        for (final WorkerCounters.InputCounters input : counters.inputs()) {
            out.string(input.interfaceName()).varint(input.packets()).varint(input.ringFull())
                .varint(input.stagingFull());
        }
        out.varint(counters.rules().size());
        for (final WorkerCounters.RuleCounters rule : counters.rules()) {
            out.string(rule.id().value()).varint(rule.packetsIn()).varint(rule.bytesIn())
                .varint(rule.dropsBufferFull()).varint(rule.dropsNoBufferSpace()).varint(rule.dropsSendError())
                .varint(rule.dropsLinkDown());
            out.varint(rule.outputs().size());
            for (final WorkerCounters.OutputCounters output : rule.outputs()) {
                out.varint(output.packetsOut()).varint(output.bytesOut()).varint(output.errors());
            }
        }
        out.varint(heartbeat.traces().size());
        for (final WorkerMessage.TraceEvent event : heartbeat.traces()) {
            out.string(event.id().value()).i64(event.packet()).u8(event.step()).i32(event.output())
                .i32(event.value());
        }
    }

    /**
     * The frames of a whole table at {@code epoch}: {@code Sync} chunks of at most {@code chunkBytesMax} encoded
     * bytes each ({@link #SYNC_CHUNK_BYTES_MAX} on the channel; tests pass less), rules in the order given, a rule
     * never split (one larger than a chunk goes alone), and one empty chunk for an empty table. Each array is the
     * payload of one frame.
     */
    public static List<byte[]> syncChunks(final long epoch, final List<Rule> rules, final int chunkBytesMax) {
        if (chunkBytesMax <= SYNC_HEADER_BYTES) {
            throw new IllegalArgumentException("a chunk of " + chunkBytesMax + " bytes holds no rule");
        }
        // Each rule encoded once, back to back; ends[i] is where rule i's encoding ends.
        final WireWriter all = new WireWriter();
        final int[] ends = new int[rules.size()];
        for (int i = 0; i < rules.size(); i++) {
            RuleEncoding.write(all, rules.get(i));
            ends[i] = all.position();
        }
        final List<int[]> spans = new ArrayList<>(); // [first rule, rules]
        int first = 0;
        while (first < rules.size()) {
            final int start = first == 0 ? 0 : ends[first - 1];
            int last = first; // a chunk takes at least one rule
            while (last + 1 < rules.size() && SYNC_HEADER_BYTES + ends[last + 1] - start <= chunkBytesMax) {
                last++;
            }
            spans.add(new int[] {first, last - first + 1});
            first = last + 1;
        }
        if (spans.isEmpty()) {
            spans.add(new int[] {0, 0});
        }
        final List<byte[]> frames = new ArrayList<>(spans.size());
        final WireWriter out = new WireWriter();
        for (int chunk = 0; chunk < spans.size(); chunk++) {
            final int from = spans.get(chunk)[0];
            final int count = spans.get(chunk)[1];
            final int start = from == 0 ? 0 : ends[from - 1];
            final int end = count == 0 ? start : ends[from + count - 1];
            out.reset().u8(TYPE_SYNC).i64(epoch).i32(chunk).i32(spans.size()).i32(count);
            final byte[] frame = new byte[SYNC_HEADER_BYTES + end - start];
            out.buffer().getBytes(0, frame, 0, SYNC_HEADER_BYTES);
            all.buffer().getBytes(start, frame, SYNC_HEADER_BYTES, end - start);
            frames.add(frame);
        }
        return frames;
    }

    /** The encoding of {@code message} as a new array (for tests and the control path, not the data path). */
    public static byte[] toBytes(final WorkerMessage message) {
        final WireWriter out = new WireWriter();
        encode(message, out);
        return out.toByteArray();
    }

    public static WorkerMessage decode(final byte[] bytes) {
        return decode(WireReader.of(bytes));
    }

    public static WorkerMessage decode(final DirectBuffer buffer, final int offset, final int length) {
        return decode(new WireReader(buffer, offset, length));
    }

    private static WorkerMessage decode(final WireReader in) {
        final int type = in.u8("message type");
        final WorkerMessage message = switch (type) {
            case TYPE_HELLO -> new WorkerMessage.Hello(in.i32("protocol version"), in.i32("worker index"),
                in.i64("pid"), in.string("token"));
            case TYPE_SYNC -> {
                final long epoch = epoch(in);
                final int chunk = in.i32("Sync chunk");
                final int chunks = in.i32("Sync chunks");
                if (chunks < 1 || chunks > Limits.RULES_MAX_CEILING) {
                    throw new CodecException("Sync chunks: " + Integer.toUnsignedString(chunks) + ", expected 1 to "
                        + Limits.RULES_MAX_CEILING + " (a chunk holds at least one rule)");
                }
                if (chunk < 0 || chunk >= chunks) {
                    throw new CodecException("Sync chunk " + Integer.toUnsignedString(chunk) + " is not one of its "
                        + chunks + " chunks (0 to " + (chunks - 1) + ")");
                }
                yield new WorkerMessage.Sync(epoch, chunk, chunks, rules(in, "Sync rules"));
            }
            case TYPE_APPLY -> {
                final long epoch = epoch(in);
                final List<Rule> upserts = rules(in, "Apply upserts");
                final int removalCount = in.count32("Apply removals", Limits.RULES_MAX_CEILING, 3);
                final List<RuleId> removals = new ArrayList<>(removalCount);
                for (int i = 0; i < removalCount; i++) {
                    removals.add(ruleId(in, "Apply removals[" + i + "]"));
                }
                yield new WorkerMessage.Apply(epoch, upserts, removals);
            }
            case TYPE_ACK -> new WorkerMessage.Ack(reportedEpoch(in), in.i64("ruleset hash"));
            case TYPE_HEARTBEAT -> heartbeat(in);
            case TYPE_SHUTDOWN -> new WorkerMessage.Shutdown(in.string("reason"));
            case TYPE_TRACE -> new WorkerMessage.Trace(ruleId(in, "trace rule id"), in.bool("trace enabled"));
            case TYPE_ATTACH_INPUT -> new WorkerMessage.AttachInput(interfaceName(in, "AttachInput interface"),
                generation(in, "AttachInput generation"));
            case TYPE_RELEASE_INPUT -> new WorkerMessage.ReleaseInput(interfaceName(in, "ReleaseInput interface"),
                generation(in, "ReleaseInput generation"));
            case TYPE_LOG_LEVEL -> new WorkerMessage.LogLevel(in.string("log level facility"),
                in.string("log level"));
            default -> throw new CodecException("unknown worker message type " + type);
        };
        in.end(message.getClass().getSimpleName());
        return message;
    }

    private static long epoch(final WireReader in) {
        final long epoch = in.i64("epoch");
        if (epoch < 0) {
            throw new CodecException("epoch must not be negative: " + epoch);
        }
        return epoch;
    }

    /** A worker's reported epoch: -1 means it has no ruleset yet (its Sync has not arrived). */
    private static long reportedEpoch(final WireReader in) {
        final long epoch = in.i64("epoch");
        if (epoch < NO_EPOCH) {
            throw new CodecException("epoch must be -1 (none yet) or more: " + epoch);
        }
        return epoch;
    }

    private static String interfaceName(final WireReader in, final String field) {
        final String name = in.string(field);
        final String problem = io.mcrelay.rules.InterfaceNames.problem(name);
        if (problem != null) {
            throw new CodecException(field + ": " + problem);
        }
        return name;
    }

    private static long generation(final WireReader in, final String field) {
        final long generation = in.i64(field);
        if (generation < 0) {
            throw new CodecException(field + " must not be negative: " + generation);
        }
        return generation;
    }

    private static RuleId ruleId(final WireReader in, final String field) {
        final String id = in.string(field);
        if (!RuleId.isValid(id)) {
            throw new CodecException(field + ": " + RuleId.describeProblem(id));
        }
        return new RuleId(id);
    }

    private static List<Rule> rules(final WireReader in, final String field) {
        final int count = in.count32(field, Limits.RULES_MAX_CEILING, RuleEncoding.RULE_BYTES_MIN);
        final List<Rule> rules = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            rules.add(RuleEncoding.read(in));
        }
        return rules;
    }

    private static WorkerMessage.Heartbeat heartbeat(final WireReader in) {
        final long sequence = in.varint("sequence");
        final long epoch = in.varint("epoch") - 1;
        final long hash = in.i64("ruleset hash");
        final long nextWithinNs = in.varint("next within");
        if (nextWithinNs > WorkerMessage.Heartbeat.NEXT_WITHIN_MAX_NS) {
            throw new CodecException("next within " + nextWithinNs + " ns is more than the "
                + WorkerMessage.Heartbeat.NEXT_WITHIN_MAX_NS + " ns a heartbeat may announce");
        }
        final WorkerMessage.SyncProgress progress = syncProgress(in);
        final long framesReceived = in.varint("frames received");
        final long unmatched = in.varint("unmatched");
        final long malformed = in.varint("malformed");
        final long fragments = in.varint("fragments");
        final long removedPacketsIn = in.varint("removed packets in");
        final long removedBytesIn = in.varint("removed bytes in");
        final int inputCount = in.varintCount("heartbeat inputs", INPUTS_MAX, INPUT_COUNTERS_BYTES_MIN);
        final List<WorkerCounters.InputCounters> inputs = new ArrayList<>(inputCount);
        for (int i = 0; i < inputCount; i++) {
            final String name = in.string("heartbeat inputs[" + i + "].interface");
            final long packets = in.varint("input " + name + " packets");
            final long ringFull = in.varint("input " + name + " ring full");
            final long stagingFull = in.varint("input " + name + " staging full");
            if (ringFull > packets || stagingFull > packets - ringFull) {
                throw new CodecException("input " + name + ": ring full " + ringFull + " and staging full "
                    + stagingFull + " exceed its packets " + packets);
            }
            inputs.add(new WorkerCounters.InputCounters(name, packets, ringFull, stagingFull));
        }
        final int ruleCount = in.varintCount("heartbeat rules", Limits.RULES_MAX_CEILING, RULE_COUNTERS_BYTES_MIN);
        final List<WorkerCounters.RuleCounters> rules = new ArrayList<>(ruleCount);
        for (int i = 0; i < ruleCount; i++) {
            final RuleId id = ruleId(in, "heartbeat rules[" + i + "].id");
            final long packetsIn = in.varint("rule " + id + " packets in");
            final long bytesIn = in.varint("rule " + id + " bytes in");
            final long bufferFull = in.varint("rule " + id + " drops buffer full");
            final long noBufferSpace = in.varint("rule " + id + " drops no buffer space");
            final long sendError = in.varint("rule " + id + " drops send error");
            final long linkDown = in.varint("rule " + id + " drops link down");
            final int outputCount = in.varintCount("rule " + id + " output counters",
                Limits.OUTPUTS_PER_RULE_MAX_CEILING, OUTPUT_COUNTERS_BYTES_MIN);
            final List<WorkerCounters.OutputCounters> outputs = new ArrayList<>(outputCount);
            for (int j = 0; j < outputCount; j++) {
                outputs.add(new WorkerCounters.OutputCounters(in.varint("rule " + id + " packets out"),
                    in.varint("rule " + id + " bytes out"), in.varint("rule " + id + " errors")));
            }
            rules.add(new WorkerCounters.RuleCounters(id, packetsIn, bytesIn, bufferFull, noBufferSpace, sendError,
                linkDown, outputs));
        }
        final int traceCount = in.varintCount("heartbeat trace events", TRACE_EVENTS_MAX, TRACE_EVENT_BYTES_MIN);
        final List<WorkerMessage.TraceEvent> traces = new ArrayList<>(traceCount);
        for (int i = 0; i < traceCount; i++) {
            final RuleId id = ruleId(in, "trace event " + i + " rule id");
            final long packet = in.i64("trace packet");
            final int step = in.u8("trace step");
            if (step < WorkerMessage.TraceEvent.RECEIVED || step > WorkerMessage.TraceEvent.DROPPED) {
                throw new CodecException("trace event " + i + ": unknown step " + step);
            }
            traces.add(new WorkerMessage.TraceEvent(id, packet, step, in.i32("trace output"), in.i32("trace value")));
        }
        return new WorkerMessage.Heartbeat(sequence, epoch, hash, nextWithinNs, progress,
            new WorkerCounters(framesReceived, unmatched, malformed, fragments, removedPacketsIn, removedBytesIn,
                inputs, rules), traces);
    }

    private static WorkerMessage.SyncProgress syncProgress(final WireReader in) {
        final long epochPlusOne = in.varint("sync epoch");
        if (epochPlusOne == 0) {
            return WorkerMessage.SyncProgress.NONE;
        }
        final long received = in.varint("sync chunks received");
        final long chunks = in.varint("sync chunks");
        final long prepared = in.varint("sync rules prepared");
        final long rules = in.varint("sync rules");
        if (chunks < 1 || chunks > Limits.RULES_MAX_CEILING || received > chunks) {
            throw new CodecException("sync progress: " + received + " of " + chunks + " chunks received, expected 1 to "
                + Limits.RULES_MAX_CEILING + " chunks and no more received than there are");
        }
        if (rules > Limits.RULES_MAX_CEILING || prepared > rules) {
            throw new CodecException("sync progress: " + prepared + " of " + rules + " rules prepared, expected at most "
                + Limits.RULES_MAX_CEILING + " rules and no more prepared than there are");
        }
        return new WorkerMessage.SyncProgress(epochPlusOne - 1, (int) received, (int) chunks, (int) prepared,
            (int) rules);
    }
}
