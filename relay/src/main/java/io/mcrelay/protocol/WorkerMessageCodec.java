package io.mcrelay.protocol;

import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;

import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;

/**
 * Binary codec of {@link WorkerMessage}s: the payload of one worker-channel frame (the channel adds the length
 * prefix, see {@link Frames}). Big-endian throughout; rules in their {@link RuleEncoding}.
 *
 * <pre>
 *  u8 type, then by type:
 *   1 Hello      i32 protocol version, i32 worker index, i64 pid, str token
 *   2 Sync       i64 epoch, i32 rule count, rules
 *   3 Apply      i64 epoch, i32 upsert count, rules, i32 removal count, str ids
 *   4 Ack        i64 epoch (-1: no ruleset yet), i64 ruleset hash
 *   5 Heartbeat  i64 sequence, i64 epoch, i64 ruleset hash,
 *                i64 frames received, i64 unmatched, i64 malformed, i64 fragments,
 *                u16 input count, per input: str interface, i64 packets, i64 ring full, i64 staging full,
 *                i32 rule count, per rule: str id, i64 packets in, i64 bytes in,
 *                  i64 drops buffer full, i64 drops no buffer space, i64 drops send error, i64 drops link down,
 *                  u16 output count, per output: i64 packets out, i64 bytes out, i64 errors,
 *                i32 trace event count, per event: str rule id, i64 packet, u8 step, i32 output, i32 value
 *   6 Shutdown   str reason
 *   7 Trace      str rule id, u8 enabled (0|1)
 *   8 AttachInput  str interface, i64 generation     (the frame carries the input's packet socket)
 *   9 ReleaseInput str interface, i64 generation
 * </pre>
 * Stateless and thread-safe; decoding refuses anything malformed with a {@link CodecException}.
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
    /** The epoch a worker reports before its first Sync. */
    public static final long NO_EPOCH = -1;
    /** Most trace events one heartbeat may carry. */
    public static final int TRACE_EVENTS_MAX = 4096;

    /** Most inputs one heartbeat may carry: every interface a host can have is far fewer. */
    public static final int INPUTS_MAX = 4096;

    private static final int RULE_COUNTERS_BYTES_MIN = 3 + 6 * 8 + 2;
    private static final int INPUT_COUNTERS_BYTES_MIN = 3 + 3 * 8;
    private static final int OUTPUT_COUNTERS_BYTES = 3 * 8;

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
                out.u8(TYPE_SYNC).i64(sync.epoch()).i32(sync.rules().size());
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
            case WorkerMessage.Heartbeat heartbeat -> {
                out.u8(TYPE_HEARTBEAT).i64(heartbeat.sequence()).i64(heartbeat.epoch()).i64(heartbeat.rulesetHash());
                final WorkerCounters counters = heartbeat.counters();
                out.i64(counters.framesReceived()).i64(counters.unmatched()).i64(counters.malformed())
                    .i64(counters.fragments());
                out.u16(counters.inputs().size());
                for (final WorkerCounters.InputCounters input : counters.inputs()) {
                    out.string(input.interfaceName()).i64(input.packets()).i64(input.ringFull())
                        .i64(input.stagingFull());
                }
                out.i32(counters.rules().size());
                for (final WorkerCounters.RuleCounters rule : counters.rules()) {
                    out.string(rule.id().value()).i64(rule.packetsIn()).i64(rule.bytesIn())
                        .i64(rule.dropsBufferFull()).i64(rule.dropsNoBufferSpace()).i64(rule.dropsSendError())
                        .i64(rule.dropsLinkDown());
                    out.u16(rule.outputs().size());
                    for (final WorkerCounters.OutputCounters output : rule.outputs()) {
                        out.i64(output.packetsOut()).i64(output.bytesOut()).i64(output.errors());
                    }
                }
                out.i32(heartbeat.traces().size());
                for (final WorkerMessage.TraceEvent event : heartbeat.traces()) {
                    out.string(event.id().value()).i64(event.packet()).u8(event.step()).i32(event.output())
                        .i32(event.value());
                }
            }
            case WorkerMessage.Trace trace -> out.u8(TYPE_TRACE).string(trace.id().value()).bool(trace.enabled());
            case WorkerMessage.AttachInput attach -> out.u8(TYPE_ATTACH_INPUT).string(attach.interfaceName())
                .i64(attach.generation());
            case WorkerMessage.ReleaseInput release -> out.u8(TYPE_RELEASE_INPUT).string(release.interfaceName())
                .i64(release.generation());
            case WorkerMessage.Shutdown shutdown -> out.u8(TYPE_SHUTDOWN).string(shutdown.reason());
        }
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
                yield new WorkerMessage.Sync(epoch, rules(in, "Sync rules"));
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
        final long sequence = in.i64("sequence");
        final long epoch = reportedEpoch(in);
        final long hash = in.i64("ruleset hash");
        final long framesReceived = counter(in, "frames received");
        final long unmatched = counter(in, "unmatched");
        final long malformed = counter(in, "malformed");
        final long fragments = counter(in, "fragments");
        final int inputCount = in.count("heartbeat inputs", INPUTS_MAX, INPUT_COUNTERS_BYTES_MIN);
        final List<WorkerCounters.InputCounters> inputs = new ArrayList<>(inputCount);
        for (int i = 0; i < inputCount; i++) {
            final String name = in.string("heartbeat inputs[" + i + "].interface");
            final long packets = counter(in, "input " + name + " packets");
            final long ringFull = counter(in, "input " + name + " ring full");
            final long stagingFull = counter(in, "input " + name + " staging full");
            if (ringFull > packets || stagingFull > packets - ringFull) {
                throw new CodecException("input " + name + ": ring full " + ringFull + " and staging full "
                    + stagingFull + " exceed its packets " + packets);
            }
            inputs.add(new WorkerCounters.InputCounters(name, packets, ringFull, stagingFull));
        }
        final int ruleCount = in.count32("heartbeat rules", Limits.RULES_MAX_CEILING, RULE_COUNTERS_BYTES_MIN);
        final List<WorkerCounters.RuleCounters> rules = new ArrayList<>(ruleCount);
        for (int i = 0; i < ruleCount; i++) {
            final RuleId id = ruleId(in, "heartbeat rules[" + i + "].id");
            final long packetsIn = counter(in, "packets in");
            final long bytesIn = counter(in, "bytes in");
            final long bufferFull = counter(in, "drops buffer full");
            final long noBufferSpace = counter(in, "drops no buffer space");
            final long sendError = counter(in, "drops send error");
            final long linkDown = counter(in, "drops link down");
            final int outputCount = in.count("rule " + id + " output counters", Limits.OUTPUTS_PER_RULE_MAX_CEILING,
                OUTPUT_COUNTERS_BYTES);
            final List<WorkerCounters.OutputCounters> outputs = new ArrayList<>(outputCount);
            for (int j = 0; j < outputCount; j++) {
                outputs.add(new WorkerCounters.OutputCounters(counter(in, "packets out"), counter(in, "bytes out"),
                    counter(in, "errors")));
            }
            rules.add(new WorkerCounters.RuleCounters(id, packetsIn, bytesIn, bufferFull, noBufferSpace, sendError, linkDown,
                outputs));
        }
        final int traceCount = in.count32("heartbeat trace events", TRACE_EVENTS_MAX, 3 + 8 + 1 + 4 + 4);
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
        return new WorkerMessage.Heartbeat(sequence, epoch, hash,
            new WorkerCounters(framesReceived, unmatched, malformed, fragments, inputs, rules), traces);
    }

    private static long counter(final WireReader in, final String field) {
        final long value = in.i64(field);
        if (value < 0) {
            throw new CodecException(field + ": a counter must not be negative: " + value);
        }
        return value;
    }
}
