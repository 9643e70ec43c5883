package io.mcrelay.sim;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.seam.RandomSource;

/**
 * DESIGN's default workload: rule templates added and removed by a control client during the run (one of them a 1→3
 * fan-out, one on an interface that may appear late), on three input interfaces, so that inputs open and close as
 * their rules come and go; some source-specific, in the source-specific range 232/8 or on the fan-out's group (which
 * its any-source membership then covers), so that memberships change mode and spread over sockets; and packets to
 * every live rule every 10 ms (100 per second
 * per rule). Each packet carries the rule's generation (which add it belongs to), a sequence number, its send time
 * and a checksum, so sinks can tell where it belongs, whether it is whole and whether it came twice. Now and then,
 * with faults only, a change is another control request: a config load of 1,000 to 3,000 rules besides the live
 * templates ({@link BulkRules}), a {@code sync}, or tracing a live template on or off.
 * Single-threaded; every choice comes from its seeded {@link RandomSource}.
 */
final class Workload {
    static final int TEMPLATES = 24;
    static final int FANOUT_TEMPLATE = 0;
    static final int LATE_TEMPLATE = TEMPLATES - 1;
    static final String INPUT_LINK = "in0";
    /** The input of every third template: fewer rules, so its input is often closed and opened again. */
    static final String SECOND_INPUT_LINK = "in1";
    static final String LATE_LINK = "late0";
    static final List<String> OUTPUT_LINKS = List.of("out0", "out1", "out2");
    /** The links that exist from the start: the inputs and the outputs (the late link may appear during the run). */
    static final List<String> LINKS = List.of(INPUT_LINK, SECOND_INPUT_LINK, "out0", "out1", "out2");
    static final long PACKET_INTERVAL_NS = 10_000_000L;
    /** Removed rules are still sent packets for this long, which must not be forwarded once the removal is acked. */
    static final long PROBE_AFTER_REMOVE_NS = 100_000_000L;
    static final int SOURCE = IpAddress.parse("10.0.0.1").ipv4Value();
    /** The sender of the second source-specific template on the fan-out's group. */
    static final int SECOND_SOURCE = IpAddress.parse("10.0.0.2").ipv4Value();
    static final int PAYLOAD_BYTES = 64;
    private static final int MAGIC = 0x6D637273; // "mcrs"

    /** What the workload believes about one template. */
    enum State { ABSENT, ADDING, LIVE, REMOVING }

    static final class Template {
        final int index;
        final String inputInterface;
        final int group;
        final int port;
        /** The one sender the rule accepts, or 0 for any (packets then come from {@link #SOURCE}). */
        final int source;
        final List<RuleDocument.OutputDocument> outputs;
        State state = State.ABSENT;
        /** Generation of the current or last add; packets carry it. */
        int generation = -1;
        String id;
        long seq;
        /** When the last removal was acked, or -1; probing of that generation stops after the probe window. */
        long removedAtNs = -1;
        /** When the supervisor answered its current add (RuleAdded), or -1. */
        long addAnsweredNs = -1;
        int removedGeneration = -1;

        Template(final int index) {
            this.index = index;
            this.inputInterface = inputOf(index);
            this.group = groupOf(index);
            this.port = portOf(index);
            this.source = sourceOf(index);
            final List<RuleDocument.OutputDocument> outs = new ArrayList<>();
            if (index == FANOUT_TEMPLATE) {
                for (int i = 0; i < OUTPUT_LINKS.size(); i++) {
                    outs.add(new RuleDocument.OutputDocument("239.2.0." + (i + 1), 6000, OUTPUT_LINKS.get(i), null));
                }
            } else {
                outs.add(new RuleDocument.OutputDocument("239.2." + index + ".1", 6000 + index,
                    OUTPUT_LINKS.get(index % OUTPUT_LINKS.size()), null));
            }
            this.outputs = List.copyOf(outs);
        }

        RuleDocument document(final String requestedId) {
            return new RuleDocument(requestedId, null, inputInterface, IpAddress.ipv4(group).toString(), port,
                source == 0 ? null : IpAddress.ipv4(source).toString(), outputs, null);
        }
    }

    /** The input interface of template {@code index}. */
    static String inputOf(final int index) {
        return index == LATE_TEMPLATE ? LATE_LINK : index % 3 == 2 ? SECOND_INPUT_LINK : INPUT_LINK;
    }

    /**
     * The IPv4 group (network order) template {@code index} receives: its own in 239.1.0/24, or, for the
     * source-specific templates, its own in 232.1.0/24 (every eighth from 3) or the fan-out's (every eighth from 7).
     */
    static int groupOf(final int index) {
        if (index % 8 == 3) {
            return IpAddress.parse("232.1.0." + (index + 1)).ipv4Value();
        }
        return IpAddress.parse("239.1.0." + (index % 8 == 7 ? FANOUT_TEMPLATE + 1 : index + 1)).ipv4Value();
    }

    /** The UDP port template {@code index} receives: 5000, or its own beside the fan-out on the fan-out's group. */
    static int portOf(final int index) {
        return index % 8 == 7 ? 5000 + index : 5000;
    }

    /** The sender template {@code index} accepts: 0 for any, or one for the source-specific templates. */
    static int sourceOf(final int index) {
        if (index == LATE_TEMPLATE || index % 4 != 3) {
            return 0;
        }
        return index % 16 == 15 ? SECOND_SOURCE : SOURCE;
    }

    /** The groups of the templates on {@code link}, in template order. */
    static List<Integer> groupsOn(final String link) {
        final List<Integer> groups = new ArrayList<>();
        for (int i = 0; i < TEMPLATES; i++) {
            if (inputOf(i).equals(link)) {
                groups.add(groupOf(i));
            }
        }
        return List.copyOf(groups);
    }

    private final RandomSource random;
    final Template[] templates = new Template[TEMPLATES];
    /** Template by its input as a rule document names it (the first template of an input): lookups only. */
    private final java.util.Map<String, Template> byInput = new java.util.HashMap<>();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[io.mcrelay.protocol.UdpFrameEncoder.frameLength(
        PAYLOAD_BYTES, false)]);
    private final byte[] payload = new byte[PAYLOAD_BYTES];
    private final UnsafeBuffer payloadView = new UnsafeBuffer(payload);
    private int nextGeneration;
    /** Generation → template, for sinks; generations are handed out in order, so a list index is the key. */
    private final List<Template> byGeneration = new ArrayList<>();
    /** DESIGN: the default workload adds and removes at least this many rules in a run. */
    static final int CHANGES_MIN = 20;

    int adds;
    int removes;
    int configLoads;
    long packetsSent;
    /** The rules traced now, by template id. */
    final java.util.TreeSet<String> traced = new java.util.TreeSet<>();

    Workload(final RandomSource random) {
        this.random = random;
        for (int i = 0; i < TEMPLATES; i++) {
            templates[i] = new Template(i);
            byInput.putIfAbsent(inputKey(templates[i].inputInterface, IpAddress.ipv4(templates[i].group).toString(),
                templates[i].port), templates[i]);
        }
    }

    private static String inputKey(final String inputInterface, final String group, final int port) {
        return inputInterface + '|' + group + '|' + port;
    }

    /**
     * The next change to request, or {@code null}: adds while few rules are live, removals while many, and now and
     * then a request that must be refused (a second rule on a live input, or a bad port).
     */
    ControlRequest nextChange(final long requestId, final boolean addsOnly) {
        final int live = (int) java.util.Arrays.stream(templates).filter(t -> t.state == State.LIVE).count();
        if (addsOnly) {
            final Template absent = pick(State.ABSENT);
            if (absent.state != State.ABSENT) {
                return null; // every template is live or changing
            }
            absent.state = State.ADDING;
            absent.generation = nextGeneration++;
            byGeneration.add(absent);
            return new ControlRequest.Add(requestId, absent.document(null));
        }
        final ControlRequest other = otherRequest(requestId);
        if (other != null) {
            return other;
        }
        if (random.chance(0.08)) {
            // A clash: the input of a live template under a fresh id, or an out-of-range port. Both must be refused.
            for (final Template template : templates) {
                if (template.state == State.LIVE) {
                    return new ControlRequest.Add(requestId, template.document("clash-" + requestId));
                }
            }
            final RuleDocument bad = templates[1].document(random.chance(0.5) ? "bad-port" : "any-in-ssm");
            if (bad.id().equals("any-in-ssm")) {
                // Any source in the source-specific range: refused for new rules (RFC 4607).
                return new ControlRequest.Add(requestId, new RuleDocument(bad.id(), null, bad.inputInterface(),
                    "232.1.0.100", bad.inputPort(), null, bad.outputs(), null));
            }
            return new ControlRequest.Add(requestId, new RuleDocument(bad.id(), null, bad.inputInterface(),
                bad.inputGroup(), 70000, null, bad.outputs(), null));
        }
        // Between 6 and 12 live rules, adds and removes in equal measure: plenty of both in every run.
        final boolean add = live < 6 || (live <= 12 && random.chance(0.5));
        // The late template and the fan-out go first, so that both are exercised in every run.
        final Template first = templates[LATE_TEMPLATE].generation < 0 ? templates[LATE_TEMPLATE]
            : templates[FANOUT_TEMPLATE].generation < 0 ? templates[FANOUT_TEMPLATE] : null;
        final Template template = first != null ? first : pick(add ? State.ABSENT : State.LIVE);
        if (add && template.state == State.ABSENT) {
            template.state = State.ADDING;
            template.generation = nextGeneration++;
            byGeneration.add(template);
            assert byGeneration.size() == nextGeneration;
            // Half the rules get a chosen id, half a generated one.
            return new ControlRequest.Add(requestId, template.document(random.chance(0.5) ? "t" + template.index
                + "-g" + template.generation : null));
        }
        if (!add && template.state == State.LIVE) {
            template.state = State.REMOVING;
            return new ControlRequest.Remove(requestId, template.id);
        }
        return null;
    }

    /**
     * Now and then (about one change in 14) a request that is not an add or a remove: a config load with bulk rules
     * (3%), a {@code sync} (3%), or tracing of a live template turned on or off (1%); otherwise {@code null}.
     */
    private ControlRequest otherRequest(final long requestId) {
        final int roll = random.nextInt(100);
        if (roll < 3) {
            final List<Template> live = new ArrayList<>();
            for (final Template template : templates) {
                if (template.state == State.LIVE) {
                    live.add(template);
                }
            }
            configLoads++;
            return BulkRules.load(requestId, live, BulkRules.nextCount(random));
        }
        if (roll < 6) {
            return new ControlRequest.Sync(requestId);
        }
        if (roll < 7) {
            final Template template = pick(State.LIVE);
            if (template.state == State.LIVE) {
                return traced.contains(template.id) ? new ControlRequest.TraceDisable(requestId, template.id)
                    : new ControlRequest.TraceEnable(requestId, template.id);
            }
        }
        return null;
    }

    /** A random template in {@code state}, or any template when none is (the change is then skipped). */
    private Template pick(final State state) {
        final List<Template> candidates = new ArrayList<>();
        for (final Template template : templates) {
            if (template.state == state) {
                candidates.add(template);
            }
        }
        return candidates.isEmpty() ? templates[random.nextInt(TEMPLATES)]
            : candidates.get(random.nextInt(candidates.size()));
    }

    /** Sends one packet to every live template (and to recently removed ones, as probes). */
    void sendPackets(final Cluster cluster, final long nowNs, final boolean probeRemoved) {
        for (final Template template : templates) {
            if (template.state == State.LIVE || template.state == State.REMOVING) {
                send(cluster, template, template.generation, nowNs);
            } else if (probeRemoved && template.removedAtNs >= 0 && nowNs - template.removedAtNs
                <= PROBE_AFTER_REMOVE_NS && template.state == State.ABSENT) {
                send(cluster, template, template.removedGeneration, nowNs);
            }
        }
    }

    private void send(final Cluster cluster, final Template template, final int generation, final long nowNs) {
        final long seq = template.seq++;
        payloadView.putInt(0, MAGIC, ByteOrder.BIG_ENDIAN);
        payloadView.putInt(4, generation, ByteOrder.BIG_ENDIAN);
        payloadView.putLong(8, seq, ByteOrder.BIG_ENDIAN);
        payloadView.putLong(16, nowNs, ByteOrder.BIG_ENDIAN);
        for (int i = 24; i < PAYLOAD_BYTES - 8; i++) {
            payload[i] = (byte) (seq * 31 + i);
        }
        payloadView.putLong(PAYLOAD_BYTES - 8, checksum(payloadView, 0, PAYLOAD_BYTES - 8), ByteOrder.BIG_ENDIAN);
        final int length = io.mcrelay.protocol.UdpFrameEncoder.write(frame, 0, -1,
            template.source == 0 ? SOURCE : template.source, template.group, 40000,
            template.port, 8, payload);
        cluster.network().injectFrame(template.inputInterface, frame, 0, length);
        packetsSent++;
    }

    static long checksum(final DirectBuffer buffer, final int offset, final int length) {
        long sum = 0xCBF2_9CE4_8422_2325L;
        for (int i = 0; i < length; i++) {
            sum = (sum ^ (buffer.getByte(offset + i) & 0xFF)) * 0x0000_0100_0000_01B3L;
        }
        return sum;
    }

    /** A delivered payload, decoded; {@code null} if it is not one of ours or not whole. */
    record Packet(int generation, long seq, long sentNs) {
    }

    static Packet decode(final DirectBuffer buffer, final int offset, final int length) {
        if (length != PAYLOAD_BYTES || buffer.getInt(offset, ByteOrder.BIG_ENDIAN) != MAGIC) {
            return null;
        }
        if (buffer.getLong(offset + PAYLOAD_BYTES - 8, ByteOrder.BIG_ENDIAN)
            != checksum(buffer, offset, PAYLOAD_BYTES - 8)) {
            return null;
        }
        return new Packet(buffer.getInt(offset + 4, ByteOrder.BIG_ENDIAN), buffer.getLong(offset + 8,
            ByteOrder.BIG_ENDIAN), buffer.getLong(offset + 16, ByteOrder.BIG_ENDIAN));
    }

    Template byGeneration(final int generation) {
        return generation >= 0 && generation < byGeneration.size() ? byGeneration.get(generation) : null;
    }

    /** The template whose input {@code rule} has, or {@code null}. */
    Template templateOf(final RuleDocument rule) {
        return rule.inputPort() == null ? null
            : byInput.get(inputKey(rule.inputInterface(), rule.inputGroup(), rule.inputPort()));
    }

    /** The template holding the rule {@code id}, or {@code null}. */
    Template byId(final String id) {
        for (final Template template : templates) {
            if (id.equals(template.id)) {
                return template;
            }
        }
        return null;
    }

    /**
     * True for the requests {@link #nextChange} makes to be refused: a clash with a live rule, a bad port, or any
     * source in the source-specific range.
     */
    static boolean mustBeRefused(final RuleDocument rule) {
        return rule.id() != null && (rule.id().startsWith("clash-") || rule.id().equals("bad-port")
            || rule.id().equals("any-in-ssm"));
    }
}
