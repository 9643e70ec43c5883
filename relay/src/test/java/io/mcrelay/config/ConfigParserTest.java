package io.mcrelay.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.mcrelay.rules.Limits;

/** Config files: comments allowed, every error located by file, line, column and field, nothing half-read. */
class ConfigParserTest {
    private static ConfigParser.Result parse(final String text) {
        return ConfigParser.parse("studio.json", text, Limits.DEFAULT);
    }

    @Test
    void shouldReadRulesAndLimitsWithComments() {
        final ConfigParser.Result result = parse("""
            {
              // the studio's feeds
              "limits": {"max_rules": 10, "max_outputs_per_rule": 4},
              "rules": [
                /* camera one */
                {"id": "cam-1", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": 5000,
                 "outputs": [{"group": "239.10.0.1", "port": 5000, "interface": "eth1", "ttl": 8}]},
                {"input_interface": "eth0", "input_group": "239.1.1.2", "input_port": 5000, "input_source": "10.0.0.1",
                 "outputs": [{"group": "10.9.9.9", "port": 6000, "interface": "eth2", "ttl": null}],
                 "state": "active"}
              ]
            }
            """);
        assertTrue(result.isValid(), result::describe);
        assertEquals(new Limits(10, 4), result.config().limits());
        assertEquals(2, result.config().rules().size());
        assertTrue(result.config().rules().get(0).idGiven());
        assertFalse(result.config().rules().get(1).idGiven());
        assertEquals("10.0.0.1", result.config().rules().get(1).rule().input().source().toString());
    }

    @Test
    void shouldLocateEveryErrorByLineAndField() {
        final ConfigParser.Result result = parse("""
            {
              "rules": [
                {"id": "a", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": 70000,
                 "outputs": [{"group": "239.10.0.1", "port": "x", "interface": "eth1"}]},
                {"id": "b", "input_interface": "eth0", "input_group": "239.1.1.300", "input_port": 5000,
                 "bogus": true,
                 "outputs": [{"group": "239.10.0.1", "port": 5000, "interface": "eth1"}]}
              ]
            }
            """);
        assertNull(result.config());
        assertEquals("""
            studio.json:4:50: rules[0].outputs[0].port: expected a whole number, found text "x"
            studio.json:6:15: rules[1].bogus: unknown field (expected one of [id, input_group, input_interface, \
            input_port, input_source, name, outputs, state])
            studio.json:5:59: rules[1].input_group: octet over 255 in "239.1.1.300\"""", result.describe());
    }

    @Test
    void shouldReportValidationErrorsAtTheirField() {
        final ConfigParser.Result result = parse("""
            {"rules": [
              {"id": "a", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": 70000,
               "outputs": [{"group": "239.10.0.1", "port": 5000, "interface": "eth1"}]}
            ]}
            """);
        assertEquals("studio.json:2:84: rules[0].input_port: 70000 is out of range for a port (1-65535)",
            result.describe());
    }

    @Test
    void shouldRefuseDuplicatesAcrossTheFile() {
        final ConfigParser.Result result = parse("""
            {"rules": [
              {"id": "a", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": 5000,
               "outputs": [{"group": "239.10.0.1", "port": 5000, "interface": "eth1"}]},
              {"id": "a", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": 5000,
               "outputs": [{"group": "239.10.0.2", "port": 5000, "interface": "eth1"}]}
            ]}
            """);
        assertEquals("""
            studio.json:4:3: rules[1].id: id "a" is already used by rules[0]
            studio.json:4:3: rules[1].input: rules[0] already receives eth0 239.1.1.1:5000""", result.describe());
    }

    @Test
    void shouldRefuseBrokenJsonAtItsPosition() {
        assertEquals("studio.json:2:11: not valid JSON: Unexpected character ('}' (code 125)): was expecting "
            + "double-quote to start field name", parse("{\"rules\": [],\n  \"x\": 1, }").describe());
        assertEquals("studio.json:1:1: the file is empty", parse("  ").describe());
        assertEquals("studio.json:1:1: rules: \"rules\" is missing (use [] for none)", parse("{}").describe());
        assertEquals("studio.json:1:1: the file must hold one JSON object with \"rules\"", parse("[]").describe());
    }

    @Test
    void shouldRefuseLimitsOutOfRange() {
        assertEquals("studio.json:1:12: limits: max_rules must be between 1 and 262144, not 0",
            parse("{\"limits\": {\"max_rules\": 0}, \"rules\": []}").describe());
    }
}
