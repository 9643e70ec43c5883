package io.mcrelay.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The {@code rules} answer ({@code list}: every rule, 2.3 MB of JSON at 10,000 rules) written and read with Jackson's
 * streaming API instead of data binding: the same bytes as {@link ControlCodec}'s mapper writes, field for field, at a
 * fraction of the cost, above all in a JVM that has not run it before (a client's {@code list}, a daemon's first
 * answer: data binding's first pass over 10,000 records took 500 ms there).
 *
 * <p>Reading takes only what data binding would take and read the same way: the frame as the mapper writes it
 * ({@code "type":"rules"} first), each field at most once, integers where integers go. Anything else (another field
 * order at the top, a string for a number, an unknown or repeated field, a malformed document) is left to the mapper,
 * which reads it or names the problem as it does for every frame: {@link #decode} returns {@code null} then.
 */
final class RulesJson {
    /** How every {@code rules} frame begins: the mapper writes the type id first. */
    private static final byte[] PREFIX = "{\"type\":\"rules\",".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private RulesJson() {
    }

    /** Whether {@code payload} may be a {@code rules} frame this class reads. */
    static boolean looksLikeRules(final byte[] payload) {
        if (payload.length < PREFIX.length) {
            return false;
        }
        for (int i = 0; i < PREFIX.length; i++) {
            if (payload[i] != PREFIX[i]) {
                return false;
            }
        }
        return true;
    }

    static byte[] encode(final JsonFactory factory, final ControlResponse.Rules rules) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256 + rules.rules().size() * 240);
        try (JsonGenerator json = factory.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("type", "rules");
            json.writeNumberField("request_id", rules.requestId());
            json.writeNumberField("epoch", rules.epoch());
            json.writeArrayFieldStart("rules");
            for (final RuleDocument rule : rules.rules()) {
                json.writeStartObject();
                string(json, "id", rule.id());
                string(json, "name", rule.name());
                string(json, "input_interface", rule.inputInterface());
                string(json, "input_group", rule.inputGroup());
                integer(json, "input_port", rule.inputPort());
                string(json, "input_source", rule.inputSource());
                json.writeArrayFieldStart("outputs");
                for (final RuleDocument.OutputDocument output : rule.outputs()) {
                    json.writeStartObject();
                    string(json, "group", output.group());
                    integer(json, "port", output.port());
                    string(json, "interface", output.interfaceName());
                    integer(json, "ttl", output.ttl());
                    json.writeEndObject();
                }
                json.writeEndArray();
                string(json, "state", rule.state());
                string(json, "state_reason", rule.stateReason());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot encode a rules answer in memory", e);
        }
        return out.toByteArray();
    }

    private static void string(final JsonGenerator json, final String field, final String value) throws IOException {
        if (value == null) {
            json.writeNullField(field);
        } else {
            json.writeStringField(field, value);
        }
    }

    private static void integer(final JsonGenerator json, final String field, final Integer value)
        throws IOException {
        if (value == null) {
            json.writeNullField(field);
        } else {
            json.writeNumberField(field, value.intValue());
        }
    }

    /** Signals a document this class leaves to the mapper. */
    private static final class NotCanonical extends Exception {
        private static final long serialVersionUID = 1L;

        NotCanonical() {
            super(null, null, false, false);
        }
    }

    private static final NotCanonical NOT_CANONICAL = new NotCanonical();

    /** The frame read, or {@code null} if the mapper must read it (see the class comment). */
    static ControlResponse.Rules decode(final JsonFactory factory, final byte[] payload) {
        try (JsonParser json = factory.createParser(payload)) {
            expect(json.nextToken(), JsonToken.START_OBJECT);
            if (json.nextToken() != JsonToken.FIELD_NAME || !"type".equals(json.currentName())
                || json.nextToken() != JsonToken.VALUE_STRING || !"rules".equals(json.getText())) {
                return null;
            }
            long requestId = 0;
            long epoch = 0;
            List<RuleDocument> rules = null;
            int seen = 0;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                final String field = json.currentName();
                final int bit = switch (field) {
                    case "request_id" -> 1;
                    case "epoch" -> 2;
                    case "rules" -> 4;
                    default -> throw NOT_CANONICAL;
                };
                seen = once(seen, bit);
                final JsonToken value = json.nextToken();
                switch (bit) {
                    case 1 -> requestId = longValue(json, value);
                    case 2 -> epoch = longValue(json, value);
                    default -> rules = rules(json, value);
                }
            }
            expect(json.currentToken(), JsonToken.END_OBJECT);
            if (json.nextToken() != null || rules == null) {
                return null; // trailing tokens, or no list: the mapper says what is wrong
            }
            return new ControlResponse.Rules(requestId, epoch, rules);
        } catch (final NotCanonical | IOException | RuntimeException e) {
            return null;
        }
    }

    private static List<RuleDocument> rules(final JsonParser json, final JsonToken start)
        throws IOException, NotCanonical {
        expect(start, JsonToken.START_ARRAY);
        final List<RuleDocument> rules = new ArrayList<>();
        JsonToken token;
        while ((token = json.nextToken()) == JsonToken.START_OBJECT) {
            rules.add(rule(json));
        }
        expect(token, JsonToken.END_ARRAY);
        return rules;
    }

    private static RuleDocument rule(final JsonParser json) throws IOException, NotCanonical {
        String id = null;
        String name = null;
        String inputInterface = null;
        String inputGroup = null;
        Integer inputPort = null;
        String inputSource = null;
        List<RuleDocument.OutputDocument> outputs = null;
        String state = null;
        String stateReason = null;
        int seen = 0;
        while (json.nextToken() == JsonToken.FIELD_NAME) {
            final String field = json.currentName();
            final JsonToken value = json.nextToken();
            switch (field) {
                case "id" -> {
                    seen = once(seen, 1);
                    id = string(json, value);
                }
                case "name" -> {
                    seen = once(seen, 2);
                    name = string(json, value);
                }
                case "input_interface" -> {
                    seen = once(seen, 4);
                    inputInterface = string(json, value);
                }
                case "input_group" -> {
                    seen = once(seen, 8);
                    inputGroup = string(json, value);
                }
                case "input_port" -> {
                    seen = once(seen, 16);
                    inputPort = integer(json, value);
                }
                case "input_source" -> {
                    seen = once(seen, 32);
                    inputSource = string(json, value);
                }
                case "outputs" -> {
                    seen = once(seen, 64);
                    outputs = value == JsonToken.VALUE_NULL ? null : outputs(json, value);
                }
                case "state" -> {
                    seen = once(seen, 128);
                    state = string(json, value);
                }
                case "state_reason" -> {
                    seen = once(seen, 256);
                    stateReason = string(json, value);
                }
                default -> throw NOT_CANONICAL;
            }
        }
        expect(json.currentToken(), JsonToken.END_OBJECT);
        return new RuleDocument(id, name, inputInterface, inputGroup, inputPort, inputSource, outputs, state,
            stateReason);
    }

    private static List<RuleDocument.OutputDocument> outputs(final JsonParser json, final JsonToken start)
        throws IOException, NotCanonical {
        expect(start, JsonToken.START_ARRAY);
        final List<RuleDocument.OutputDocument> outputs = new ArrayList<>(1);
        JsonToken token;
        while ((token = json.nextToken()) == JsonToken.START_OBJECT) {
            String group = null;
            Integer port = null;
            String interfaceName = null;
            Integer ttl = null;
            int seen = 0;
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                final String field = json.currentName();
                final JsonToken value = json.nextToken();
                switch (field) {
                    case "group" -> {
                        seen = once(seen, 1);
                        group = string(json, value);
                    }
                    case "port" -> {
                        seen = once(seen, 2);
                        port = integer(json, value);
                    }
                    case "interface" -> {
                        seen = once(seen, 4);
                        interfaceName = string(json, value);
                    }
                    case "ttl" -> {
                        seen = once(seen, 8);
                        ttl = integer(json, value);
                    }
                    default -> throw NOT_CANONICAL;
                }
            }
            expect(json.currentToken(), JsonToken.END_OBJECT);
            outputs.add(new RuleDocument.OutputDocument(group, port, interfaceName, ttl));
        }
        expect(token, JsonToken.END_ARRAY);
        return outputs;
    }

    private static int once(final int seen, final int bit) throws NotCanonical {
        if ((seen & bit) != 0) {
            throw NOT_CANONICAL; // a repeated field: the mapper refuses it, naming it
        }
        return seen | bit;
    }

    private static void expect(final JsonToken actual, final JsonToken expected) throws NotCanonical {
        if (actual != expected) {
            throw NOT_CANONICAL;
        }
    }

    private static String string(final JsonParser json, final JsonToken value) throws IOException, NotCanonical {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(value, JsonToken.VALUE_STRING);
        return json.getText();
    }

    private static Integer integer(final JsonParser json, final JsonToken value) throws IOException, NotCanonical {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.VALUE_NUMBER_INT || json.getNumberType() != JsonParser.NumberType.INT) {
            throw NOT_CANONICAL;
        }
        return json.getIntValue();
    }

    private static long longValue(final JsonParser json, final JsonToken value) throws IOException, NotCanonical {
        if (value != JsonToken.VALUE_NUMBER_INT || json.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw NOT_CANONICAL; // null for a primitive, text, a fraction, too big: the mapper names it
        }
        return json.getLongValue();
    }
}
