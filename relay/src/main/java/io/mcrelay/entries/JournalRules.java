package io.mcrelay.entries;

import java.util.ArrayList;
import java.util.List;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.protocol.WireReader;
import io.mcrelay.protocol.WireWriter;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.rules.RuleValidator;

/**
 * How rules are written inside journal entries. Each rule opens with a format byte, so that a changed layout gets a
 * new format while this class keeps reading every older one: journals outlive releases. Big-endian, as
 * {@link WireWriter} writes. The fields follow {@code protocol.RuleEncoding}'s order, but the code is kept apart on
 * purpose: a change to the worker protocol must never change how a journal is read.
 *
 * <pre>
 *  u8  format (1)
 *  str id                       str  = u16 byte length, UTF-8 bytes
 *  u8  has name (0|1) [str name]
 *  str input interface
 *  adr input group              adr  = u8 length (4 IPv4 | 16 IPv6), address bytes in network order
 *  u16 input port
 *  u8  has source (0|1) [adr source]
 *  u16 output count
 *  per output:
 *    adr group, u16 port, str interface, u8 ttl (0 = unset)
 * </pre>
 * Format 1 is also the layout rules had on the worker channel when journals of schema version 1 were written, so
 * {@link SchemaV1} reads their rules here too; the worker channel's own encoding may change without touching this.
 * Stateless.
 */
public final class JournalRules {
    /** The format this code writes. */
    public static final int FORMAT = 1;
    /** The fewest bytes one encoded output can take: a 4-byte address, port, a 1-byte name, ttl. */
    private static final int OUTPUT_BYTES_MIN = 5 + 2 + 3 + 1;
    /** The fewest bytes one encoded rule can take. */
    static final int RULE_BYTES_MIN = 1 + 3 + 1 + 3 + 5 + 2 + 1 + 2 + OUTPUT_BYTES_MIN;

    private JournalRules() {
    }

    /** Appends {@code rule} in format {@link #FORMAT}. */
    public static void write(final WireWriter out, final Rule rule) {
        out.u8(FORMAT);
        out.string(rule.id().value());
        out.bool(rule.name() != null);
        if (rule.name() != null) {
            out.string(rule.name());
        }
        final RuleInput input = rule.input();
        out.string(input.interfaceName());
        out.address(input.group());
        out.u16(input.port());
        out.bool(input.source() != null);
        if (input.source() != null) {
            out.address(input.source());
        }
        out.u16(rule.outputs().size());
        for (final RuleOutput output : rule.outputs()) {
            out.address(output.group());
            out.u16(output.port());
            out.string(output.interfaceName());
            out.u8(output.ttl());
        }
    }

    /** Appends {@code i32 count} and the rules. */
    static void writeAll(final WireWriter out, final List<Rule> rules) {
        out.i32(rules.size());
        for (final Rule rule : rules) {
            write(out, rule);
        }
    }

    /**
     * Reads one rule of any format this class knows, checking it as strictly as the domain types' constructors do.
     *
     * @throws CodecException naming the field when the bytes are not a rule
     */
    public static Rule read(final WireReader in) {
        final int format = in.u8("rule format");
        if (format != FORMAT) {
            throw new CodecException("rule format " + format + " is not known (this version reads format " + FORMAT
                + ")");
        }
        final String id = in.string("rule id");
        if (!RuleId.isValid(id)) {
            throw new CodecException("rule id: " + RuleId.describeProblem(id));
        }
        final String name = in.bool("rule has name") ? in.string("rule name") : null;
        if (name != null && (name.isEmpty() || name.length() > RuleValidator.NAME_LENGTH_MAX)) {
            throw new CodecException("rule " + id + " name: length " + name.length() + " out of range");
        }
        try {
            final String inputInterface = in.string("input interface");
            final IpAddress group = in.address("input group");
            final int port = in.u16("input port");
            final IpAddress source = in.bool("input has source") ? in.address("input source") : null;
            final int outputCount = in.count("rule " + id + " outputs", Limits.OUTPUTS_PER_RULE_MAX_CEILING,
                OUTPUT_BYTES_MIN);
            final List<RuleOutput> outputs = new ArrayList<>(outputCount);
            for (int i = 0; i < outputCount; i++) {
                final IpAddress outputGroup = in.address("outputs[" + i + "].group");
                final int outputPort = in.u16("outputs[" + i + "].port");
                final String outputInterface = in.string("outputs[" + i + "].interface");
                final int ttl = in.u8("outputs[" + i + "].ttl");
                outputs.add(new RuleOutput(outputGroup, outputPort, outputInterface, ttl));
            }
            return new Rule(new RuleId(id), name, new RuleInput(inputInterface, group, port, source), outputs);
        } catch (final IllegalArgumentException e) {
            throw new CodecException("rule " + id + ": " + e.getMessage(), e);
        }
    }

    /** Reads {@code i32 count} and that many rules. */
    static List<Rule> readAll(final WireReader in, final String field) {
        final int count = in.count32(field, Limits.RULES_MAX_CEILING, RULE_BYTES_MIN);
        final List<Rule> rules = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            rules.add(read(in));
        }
        return rules;
    }

    /** Reads {@code i32 count} and that many rule ids. */
    static List<RuleId> readIds(final WireReader in, final String field) {
        final int count = in.count32(field, Limits.RULES_MAX_CEILING, 3);
        final List<RuleId> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final String id = in.string(field + "[" + i + "]");
            if (!RuleId.isValid(id)) {
                throw new CodecException(field + "[" + i + "]: " + RuleId.describeProblem(id));
            }
            ids.add(new RuleId(id));
        }
        return ids;
    }

    /** Appends {@code i32 count} and the ids. */
    static void writeIds(final WireWriter out, final List<RuleId> ids) {
        out.i32(ids.size());
        for (final RuleId id : ids) {
            out.string(id.value());
        }
    }
}
