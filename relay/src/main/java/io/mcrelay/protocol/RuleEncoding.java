package io.mcrelay.protocol;

import java.util.ArrayList;
import java.util.List;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.rules.RuleValidator;

/**
 * The canonical binary form of a {@link Rule}: the bytes the ruleset hash is computed over and the form rules
 * take on the worker channel. One rule has exactly one encoding (no optional padding, no map order), so equal
 * rules give equal bytes on every JVM.
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
 */
public final class RuleEncoding {
    /** The format byte that opens every encoded rule. */
    public static final int FORMAT = 1;
    /** The fewest bytes one encoded output can take: a 4-byte address, port, a 1-byte name, ttl. */
    static final int OUTPUT_BYTES_MIN = 5 + 2 + 3 + 1;
    /** The fewest bytes one encoded rule can take. */
    public static final int RULE_BYTES_MIN = 1 + 3 + 1 + 3 + 5 + 2 + 1 + 2 + OUTPUT_BYTES_MIN;

    // The names of the fields of an output, for errors: made once for the first outputs of a rule rather than for
    // every output of every rule read (a worker taking in a table reads thousands).
    private static final int GROUP = 0;
    private static final int PORT = 1;
    private static final int INTERFACE = 2;
    private static final int TTL = 3;
    private static final String[] OUTPUT_FIELD_NAMES = {"group", "port", "interface", "ttl"};
    private static final String[][] OUTPUT_FIELDS = new String[16][OUTPUT_FIELD_NAMES.length];

    static {
        for (int i = 0; i < OUTPUT_FIELDS.length; i++) {
            for (int field = 0; field < OUTPUT_FIELD_NAMES.length; field++) {
                OUTPUT_FIELDS[i][field] = outputFieldName(i, field);
            }
        }
    }

    private static String outputField(final int output, final int field) {
        return output < OUTPUT_FIELDS.length ? OUTPUT_FIELDS[output][field] : outputFieldName(output, field);
    }

    private static String outputFieldName(final int output, final int field) {
        return "outputs[" + output + "]." + OUTPUT_FIELD_NAMES[field];
    }

    private RuleEncoding() {
    }

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

    /** The canonical bytes of one rule. */
    public static byte[] toBytes(final Rule rule) {
        final WireWriter out = new WireWriter();
        write(out, rule);
        return out.toByteArray();
    }

    /**
     * Reads one rule, checking it as strictly as the constructors of the domain types do.
     *
     * @throws CodecException naming the field when the bytes are not a rule
     */
    public static Rule read(final WireReader in) {
        final int format = in.u8("rule format");
        if (format != FORMAT) {
            throw new CodecException("rule format " + format + " is not known (expected " + FORMAT + ")");
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
                final IpAddress outputGroup = in.address(outputField(i, GROUP));
                final int outputPort = in.u16(outputField(i, PORT));
                final String outputInterface = in.string(outputField(i, INTERFACE));
                final int ttl = in.u8(outputField(i, TTL));
                outputs.add(new RuleOutput(outputGroup, outputPort, outputInterface, ttl));
            }
            return new Rule(new RuleId(id), name, new RuleInput(inputInterface, group, port, source), outputs);
        } catch (final IllegalArgumentException e) {
            throw new CodecException("rule " + id + ": " + e.getMessage(), e);
        }
    }
}
