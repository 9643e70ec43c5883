package io.mcrelay.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The messages people see: each refusal names the field and quotes what was wrong. */
class RuleValidatorTest {
    private static RuleSpec spec(final String group, final String port, final OutputSpec... outputs) {
        return new RuleSpec("cam-1", "Camera 1", "eth0", group, port, null, List.of(outputs));
    }

    private static String errors(final RuleSpec spec) {
        final RuleValidator.Result result = RuleValidator.validate(spec, null, Limits.DEFAULT);
        assertFalse(result.isValid(), "expected a refusal");
        return result.describe();
    }

    @Test
    void shouldAcceptATypicalRule() {
        final RuleValidator.Result result = RuleValidator.validate(
            spec("239.1.1.1", "5000", OutputSpec.parseCli("239.10.0.1:6000:eth1:8")), null, Limits.DEFAULT);
        assertTrue(result.isValid(), result::describe);
        assertEquals("239.10.0.1:6000:eth1:8", result.rule().outputs().getFirst().toString());
        assertEquals("eth0 239.1.1.1:5000", result.rule().input().toString());
    }

    @Test
    void shouldNameEveryBadField() {
        final String message = errors(new RuleSpec("bad id", null, "a-name-that-is-too-long", "300.1.1.1", "70000",
            null, List.of(new OutputSpec("239.1.1.1", "0", "eth1", "256"))));
        assertEquals("""
            id: "bad id" is not a valid id (letters, digits, '.', '_' and '-' only)
            input_interface: interface names have at most 15 characters, "a-name-that-is-too-long" has 23
            input_group: octet over 255 in "300.1.1.1"
            input_port: 70000 is out of range for a port (1-65535)
            outputs[0].port: 0 is out of range for a port (1-65535)
            outputs[0].ttl: 256 is out of range for a TTL (1-255)""", message);
    }

    @Test
    void shouldRefuseAnOutputEqualToItsInput() {
        assertEquals("outputs[1]: output 239.1.1.1:5000:eth0:4 equals the input: it would forward its own packets in a loop",
            errors(spec("239.1.1.1", "5000", OutputSpec.parseCli("239.2.2.2:5000:eth1"),
                OutputSpec.parseCli("239.1.1.1:5000:eth0:4"))));
    }

    @Test
    void shouldRefuseARepeatedOutput() {
        assertEquals("outputs[1]: output 239.2.2.2:5000:eth1:3 repeats an earlier output of this rule",
            errors(spec("239.1.1.1", "5000", OutputSpec.parseCli("239.2.2.2:5000:eth1"),
                OutputSpec.parseCli("239.2.2.2:5000:eth1:3"))));
    }

    @Test
    void shouldRefuseASourceForAUnicastInput() {
        assertEquals("input_source: a source applies only to a multicast input_group, and 10.1.1.1 is unicast",
            errors(new RuleSpec(null, null, "eth0", "10.1.1.1", "5000", "10.9.9.9",
                List.of(OutputSpec.parseCli("239.1.1.1:5000:eth1"))).withId("x")));
    }

    @Test
    void shouldRefuseMoreOutputsThanTheLimit() {
        final RuleValidator.Result result = RuleValidator.validate(
            spec("239.1.1.1", "5000", OutputSpec.parseCli("239.2.2.2:1:eth1"), OutputSpec.parseCli("239.2.2.2:2:eth1"),
                OutputSpec.parseCli("239.2.2.2:3:eth1")),
            null, new Limits(10, 2));
        assertEquals("outputs: a rule has at most 2 outputs (max_outputs_per_rule), this one has 3", result.describe());
    }

    @Test
    void shouldRequireAnIdWhenNoneIsGenerated() {
        assertEquals("id: an id is required", errors(spec("239.1.1.1", "5000", OutputSpec.parseCli("239.2.2.2:1:eth1"))
            .withId(null)));
    }

    @Test
    void shouldExplainAMalformedCliOutput() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> OutputSpec.parseCli("239.1.1.1:5000"));
        assertEquals("\"239.1.1.1:5000\" is not an output: expected GROUP:PORT:INTERFACE[:TTL], e.g. 239.10.0.1:5000:eth1:8",
            e.getMessage());
    }

    @Test
    void shouldParseOnlyLiteralDottedQuads() {
        assertEquals("239.0.0.1", IpAddress.parse("239.0.0.1").toString());
        assertEquals("leading zeros are ambiguous in \"010.0.0.1\"",
            assertThrows(IllegalArgumentException.class, () -> IpAddress.parse("010.0.0.1")).getMessage());
        assertEquals("IPv6 addresses are not supported yet: \"ff02::1\"",
            assertThrows(IllegalArgumentException.class, () -> IpAddress.parse("ff02::1")).getMessage());
        assertEquals("\"localhost\" is not an IPv4 address (a.b.c.d)",
            assertThrows(IllegalArgumentException.class, () -> IpAddress.parse("localhost")).getMessage());
    }
}
