package io.mcrelay.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;

import io.mcrelay.testing.Generators;
import io.mcrelay.testing.RuleGenerators;

/**
 * Validation accepts exactly the valid rules. Specs are drawn with every field from a mix of valid and broken text;
 * an independent oracle, written from DESIGN's rules with regular expressions rather than the validator's code,
 * says whether the spec is valid; the validator must agree, and when it refuses it must name only known fields.
 */
class RuleValidationProperties {
    private static final Limits LIMITS = new Limits(100, 4);
    private static final String OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern INTERFACE = Pattern.compile("[\\x21-\\x7E&&[^/:]]{1,15}");
    private static final Pattern PORT_TEXT = Pattern.compile("[0-9]{1,6}");
    private static final Pattern FIELD = Pattern.compile(
        "id|name|input_interface|input_group|input_port|input_source|outputs"
            + "|outputs\\[[0-9]+\\](\\.(group|port|interface|ttl))?");

    @Test
    void validationAcceptsExactlyTheValidRules() {
        final int examples = 3000;
        final int[] validAndInvalid = new int[2];
        qt().withExamples(examples)
            .forAll(specs())
            .checkAssert(spec -> {
                final RuleValidator.Result result = RuleValidator.validate(spec, new RuleId("generated"), LIMITS);
                final boolean expected = oracleAccepts(spec);
                validAndInvalid[expected ? 0 : 1]++;
                assertEquals(expected, result.isValid(), () -> "oracle says " + expected + " for " + spec
                    + "; validator: " + result.describe());
                if (result.isValid()) {
                    assertNotNull(result.rule());
                    assertEquals(spec.id() == null ? "generated" : spec.id(), result.rule().id().value());
                    assertEquals(spec.outputs().size(), result.rule().outputs().size());
                } else {
                    assertNull(result.rule());
                    assertFalse(result.errors().isEmpty());
                    result.errors().forEach(error -> assertTrue(FIELD.matcher(error.field()).matches(),
                        () -> "unknown field in " + error));
                }
            });
        // The generator is built so that both answers are common: an oracle that almost always says one thing would
        // leave the other side of the validator untested.
        assertTrue(validAndInvalid[0] >= examples / 10 && validAndInvalid[1] >= examples / 10,
            () -> "valid, invalid specs drawn: " + validAndInvalid[0] + ", " + validAndInvalid[1]);
    }

    @Test
    void aValidRuleSurvivesTheRoundTripThroughItsSpec() {
        qt().withExamples(500)
            .forAll(RuleGenerators.rules())
            .checkAssert(rule -> {
                final RuleValidator.Result result = RuleValidator.validate(RuleSpec.of(rule), null, Limits.DEFAULT);
                assertTrue(result.isValid(), result::describe);
                assertEquals(rule, result.rule());
            });
    }

    // ---- the oracle -------------------------------------------------------------------------------------------

    static boolean oracleAccepts(final RuleSpec spec) {
        if (spec.id() != null && !ID.matcher(spec.id()).matches()) {
            return false;
        }
        if (spec.name() != null && (spec.name().isEmpty() || spec.name().length() > 256
            || spec.name().chars().anyMatch(c -> c < 0x20 || (c >= 0x7F && c <= 0x9F)))) {
            return false;
        }
        if (!interfaceOk(spec.inputInterface()) || !hostOrGroupOk(spec.inputGroup()) || !portOk(spec.inputPort())) {
            return false;
        }
        if (spec.inputSource() != null) {
            final int sourceOctet = hostOrGroupOk(spec.inputSource()) ? firstOctet(spec.inputSource()) : -1;
            if (sourceOctet < 0 || (sourceOctet >= 224 && sourceOctet <= 239)
                || firstOctet(spec.inputGroup()) < 224 || firstOctet(spec.inputGroup()) > 239) {
                return false;
            }
        }
        if (spec.outputs().isEmpty() || spec.outputs().size() > LIMITS.outputsPerRuleMax()) {
            return false;
        }
        final Set<String> seen = new HashSet<>();
        final String inputKey = canonical(spec.inputGroup()) + "|" + Integer.parseInt(spec.inputPort()) + "|"
            + spec.inputInterface();
        for (final OutputSpec output : spec.outputs()) {
            if (!hostOrGroupOk(output.group()) || !portOk(output.port()) || !interfaceOk(output.interfaceName())) {
                return false;
            }
            if (output.ttl() != null && !(PORT_TEXT.matcher(output.ttl()).matches()
                && Integer.parseInt(output.ttl()) >= 1 && Integer.parseInt(output.ttl()) <= 255)) {
                return false;
            }
            final String key = canonical(output.group()) + "|" + Integer.parseInt(output.port()) + "|"
                + output.interfaceName();
            if (key.equals(inputKey) || !seen.add(key)) {
                return false;
            }
        }
        return true;
    }

    private static boolean interfaceOk(final String name) {
        return name != null && INTERFACE.matcher(name).matches() && !name.equals(".") && !name.equals("..");
    }

    private static boolean hostOrGroupOk(final String text) {
        return text != null && IPV4.matcher(text).matches() && !text.equals("0.0.0.0")
            && !text.equals("255.255.255.255");
    }

    private static boolean portOk(final String text) {
        return text != null && PORT_TEXT.matcher(text).matches() && Integer.parseInt(text) >= 1
            && Integer.parseInt(text) <= 65535;
    }

    private static int firstOctet(final String address) {
        return Integer.parseInt(address.substring(0, address.indexOf('.')));
    }

    private static String canonical(final String address) {
        return address; // the oracle's addresses have no leading zeros, so text equality is address equality
    }

    // ---- generators of raw text -------------------------------------------------------------------------------

    private static Gen<RuleSpec> specs() {
        // A third valid, a third with exactly one field broken, a third with every field drawn from the mix: so
        // both answers are common and each refusal is exercised alone as well as in company.
        return Generators.oneOf(
            validSpecs(),
            validSpecs().zip(Generators.ints(0, 8), anyText(), RuleValidationProperties::breakOneField),
            mixedSpecs());
    }

    private static Gen<RuleSpec> validSpecs() {
        return RuleGenerators.rules().map(RuleSpec::of)
            .zip(Generators.booleans(), (spec, keepId) -> keepId ? spec : spec.withId(null));
    }

    private static Gen<String> anyText() {
        return Generators.oneOf(interfaceTexts(), addressTexts(), portTexts(), ttlTexts(),
            Generators.pick("", "x".repeat(300), "bad id"));
    }
    private static RuleSpec breakOneField(final RuleSpec spec, final int field, final String text) {
        final List<OutputSpec> outputs = new ArrayList<>(spec.outputs());
        final OutputSpec first = outputs.getFirst();
        return switch (field) {
            case 0 -> spec.withId(text);
            case 1 -> new RuleSpec(spec.id(), text, spec.inputInterface(), spec.inputGroup(), spec.inputPort(),
                spec.inputSource(), outputs);
            case 2 -> new RuleSpec(spec.id(), spec.name(), text, spec.inputGroup(), spec.inputPort(),
                spec.inputSource(), outputs);
            case 3 -> new RuleSpec(spec.id(), spec.name(), spec.inputInterface(), text, spec.inputPort(),
                spec.inputSource(), outputs);
            case 4 -> new RuleSpec(spec.id(), spec.name(), spec.inputInterface(), spec.inputGroup(), text,
                spec.inputSource(), outputs);
            case 5 -> new RuleSpec(spec.id(), spec.name(), spec.inputInterface(), spec.inputGroup(), spec.inputPort(),
                text, outputs);
            case 6 -> {
                outputs.set(0, new OutputSpec(text, first.port(), first.interfaceName(), first.ttl()));
                yield new RuleSpec(spec.id(), spec.name(), spec.inputInterface(), spec.inputGroup(), spec.inputPort(),
                    spec.inputSource(), outputs);
            }
            case 7 -> {
                outputs.set(0, new OutputSpec(first.group(), text, first.interfaceName(), first.ttl()));
                yield new RuleSpec(spec.id(), spec.name(), spec.inputInterface(), spec.inputGroup(), spec.inputPort(),
                    spec.inputSource(), outputs);
            }
            default -> {
                outputs.set(0, new OutputSpec(first.group(), first.port(), text, text.length() % 2 == 0 ? text : null));
                yield new RuleSpec(spec.id(), spec.name(), spec.inputInterface(), spec.inputGroup(), spec.inputPort(),
                    spec.inputSource(), outputs);
            }
        };
    }

    private static Gen<RuleSpec> mixedSpecs() {
        final Gen<String> ids = Generators.orNull(Generators.oneOf(
            RuleGenerators.ids().map(RuleId::value),
            Generators.pick("", "has space", "a/b", "x".repeat(65), "ünïcode", "ok-id_1.2")), 30);
        final Gen<String> names = Generators.oneOf(RuleGenerators.names(),
            Generators.pick("", "tab\tname", "x".repeat(257)));
        final Gen<String> interfaces = interfaceTexts();
        final Gen<String> groups = addressTexts();
        final Gen<String> ports = portTexts();
        final Gen<String> sources = Generators.orNull(addressTexts(), 60);
        final Gen<List<OutputSpec>> outputs = Generators.lists(outputSpecs(), 0, 6);
        final Gen<Integer> mixes = Generators.ints(0, 9);
        return in -> {
            final String id = ids.generate(in);
            final String name = names.generate(in);
            final String iface = interfaces.generate(in);
            final String group = groups.generate(in);
            final String port = ports.generate(in);
            final String source = sources.generate(in);
            final List<OutputSpec> mixed = new ArrayList<>(outputs.generate(in));
            final int mix = mixes.generate(in);
            // Sometimes copy the input into an output (a loop) or repeat an output: rare by chance alone.
            if (mix == 0 && !mixed.isEmpty()) {
                mixed.set(0, new OutputSpec(group, port, iface, null));
            } else if (mix == 1 && !mixed.isEmpty()) {
                mixed.add(mixed.getFirst());
            }
            return new RuleSpec(id, name, iface, group, port, source, mixed);
        };
    }

    private static Gen<OutputSpec> outputSpecs() {
        return addressTexts().zip(portTexts(), interfaceTexts(), Generators.orNull(ttlTexts(), 50), OutputSpec::new);
    }

    private static Gen<String> interfaceTexts() {
        return Generators.weighted(
            Pair.of(8, RuleGenerators.interfaceNames()),
            Pair.of(2, Generators.pick("", ".", "..", "a/b", "eth:0", "eth 0", "x".repeat(16), "ëth0",
                "x".repeat(15))),
            Pair.of(1, Generators.strings(0, 17)));
    }

    private static Gen<String> addressTexts() {
        return Generators.weighted(
            Pair.of(8, RuleGenerators.groups().map(Object::toString)),
            Pair.of(2, Generators.pick("", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4",
                "1.2.3", "1.2.3.4.5", "239.1.1.1 ", "::1", "ff02::1", "a.b.c.d", "1..2.3", "-1.2.3.4", "224.0.0.1",
                "10.0.0.1")),
            Pair.of(1, Generators.strings("0123456789.", 0, 16)));
    }

    private static Gen<String> portTexts() {
        return Generators.weighted(
            Pair.of(8, RuleGenerators.ports().map(Object::toString)),
            Pair.of(2, Generators.pick("", "0", "65536", "-1", "abc", "5000x", "9999999", "65535",
                "1", " 80")));
    }

    private static Gen<String> ttlTexts() {
        return Generators.oneOf(Generators.ints(1, 255).map(Object::toString),
            Generators.pick("0", "256", "x", "", "-3", "1000000"));
    }
}
