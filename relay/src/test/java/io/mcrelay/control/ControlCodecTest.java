package io.mcrelay.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/** The JSON that scripts see, and the messages a bad frame gets. */
class ControlCodecTest {
    private static final Rule RULE = new Rule(new RuleId("cam-1"), "Camera 1",
        new RuleInput("eth0", IpAddress.parse("239.1.1.1"), 5000, null),
        List.of(new RuleOutput(IpAddress.parse("239.10.0.1"), 6000, "eth1", 8),
            new RuleOutput(IpAddress.parse("10.0.0.7"), 7000, "eth2", 0)));

    private static String json(final ControlResponse response) {
        return new String(ControlCodec.encode(response), StandardCharsets.UTF_8);
    }

    private static String refusal(final String text) {
        return assertThrows(CodecException.class,
            () -> ControlCodec.decodeRequest(text.getBytes(StandardCharsets.UTF_8))).getMessage();
    }

    @Test
    void anAnswerWithoutItsListIsRefusedNamingTheFieldByEitherDecoder() {
        // Once by a NullPointerException, whose text the JIT drops after many (the two decoders then disagreed).
        final byte[] payload = "{\"type\":\"rules\",\"request_id\":7,\"epoch\":9,\"rule7\":[]}"
            .getBytes(StandardCharsets.UTF_8);
        final String streamed = assertThrows(CodecException.class, () -> ControlCodec.decodeResponse(payload))
            .getMessage();
        final String bound = assertThrows(CodecException.class, () -> ControlCodec.decodeResponseByMapper(payload))
            .getMessage();
        assertEquals(bound, streamed);
        org.junit.jupiter.api.Assertions.assertTrue(streamed.contains("\"rules\" is missing"), streamed);
    }

    @Test
    void shouldShapeRulesAsTheListContractSays() {
        assertEquals("{\"type\":\"rules\",\"request_id\":3,\"epoch\":9,\"rules\":[{\"id\":\"cam-1\",\"name\":\"Camera 1\","
                + "\"input_interface\":\"eth0\",\"input_group\":\"239.1.1.1\",\"input_port\":5000,\"input_source\":null,"
                + "\"outputs\":[{\"group\":\"239.10.0.1\",\"port\":6000,\"interface\":\"eth1\",\"ttl\":8},"
                + "{\"group\":\"10.0.0.7\",\"port\":7000,\"interface\":\"eth2\",\"ttl\":null}],\"state\":\"active\",\"state_reason\":null}]}",
            json(new ControlResponse.Rules(3, 9, List.of(RuleDocument.of(RULE, "active")))));
    }

    @Test
    void shouldTurnADocumentBackIntoTheSameRule() {
        final var result = io.mcrelay.rules.RuleValidator.validate(RuleDocument.of(RULE, null).toSpec(), null,
            io.mcrelay.rules.Limits.DEFAULT);
        assertEquals(RULE, result.rule());
    }

    @Test
    void shouldNameTheProblemsOfBadRequests() {
        assertEquals("bad request: not JSON (Unrecognized token 'xyz': was expecting "
            + "(JSON String, Number, Array, Object or token 'null', 'true' or 'false'))", refusal("xyz"));
        assertEquals("bad request: unknown type \"frobnicate\"", refusal("{\"type\":\"frobnicate\"}"));
        assertEquals("bad request: \"type\" is missing", refusal("{\"request_id\":1}"));
        assertEquals("bad request: unknown field \"bogus\"",
            refusal("{\"type\":\"remove\",\"request_id\":1,\"id\":\"x\",\"bogus\":1}"));
        assertEquals("bad request at rule.input_port: expected an integer",
            refusal("{\"type\":\"add\",\"request_id\":1,\"rule\":{\"input_port\":\"abc\"}}"));
        assertEquals("bad request at rule.outputs: expected a list",
            refusal("{\"type\":\"add\",\"request_id\":1,\"rule\":{\"outputs\":7}}"));
    }
}
