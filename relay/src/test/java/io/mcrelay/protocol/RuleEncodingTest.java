package io.mcrelay.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/**
 * Pins the canonical rule encoding and the ruleset hash to their documented definitions, byte by byte: a change to
 * either breaks every converged cluster's hash comparison and every journal, so it must be deliberate.
 */
class RuleEncodingTest {
    private static final Rule RULE = new Rule(new RuleId("r1"), null,
        new RuleInput("eth0", IpAddress.parse("239.1.2.3"), 5000, IpAddress.parse("10.0.0.9")),
        List.of(new RuleOutput(IpAddress.parse("239.9.9.9"), 6000, "eth1", 8)));

    private static final byte[] EXPECTED = {
        1,                                  // format
        0, 2, 'r', '1',                     // id
        0,                                  // no name
        0, 4, 'e', 't', 'h', '0',           // input interface
        4, (byte) 239, 1, 2, 3,             // input group
        0x13, (byte) 0x88,                  // input port 5000
        1, 4, 10, 0, 0, 9,                  // source 10.0.0.9
        0, 1,                               // one output
        4, (byte) 239, 9, 9, 9,             // output group
        0x17, 0x70,                         // output port 6000
        0, 4, 'e', 't', 'h', '1',           // output interface
        8,                                  // ttl
    };

    @Test
    void shouldEncodeARuleExactlyAsDocumented() {
        assertArrayEquals(EXPECTED, RuleEncoding.toBytes(RULE));
        assertEquals(RULE, RuleEncoding.read(WireReader.of(EXPECTED)));
    }

    @Test
    void shouldHashAsDocumented() throws Exception {
        final byte[] sha = MessageDigest.getInstance("SHA-256").digest(EXPECTED);
        long expected = 0;
        for (int i = 0; i < 8; i++) {
            expected = expected << 8 | (sha[i] & 0xFF);
        }
        assertEquals(expected, RulesetHash.digest(RULE));
        assertEquals(expected, RulesetHash.of(List.of(RULE)));
        assertEquals(RulesetHash.EMPTY, RulesetHash.of(List.of()));
    }

    @Test
    void shouldRefuseAnUnknownFormatNamingIt() {
        final byte[] bytes = EXPECTED.clone();
        bytes[0] = 7;
        assertEquals("rule format 7 is not known (expected 1)",
            assertThrows(CodecException.class, () -> RuleEncoding.read(WireReader.of(bytes))).getMessage());
    }

    @Test
    void shouldRefuseABadAddressLengthNamingTheField() {
        final byte[] bytes = EXPECTED.clone();
        bytes[12] = 5;
        assertEquals("input group: an address has 4 or 16 bytes, found length 5",
            assertThrows(CodecException.class, () -> RuleEncoding.read(WireReader.of(bytes))).getMessage());
    }

    @Test
    void shouldRefuseInvalidUtf8() {
        final byte[] bytes = EXPECTED.clone();
        bytes[3] = (byte) 0xC3; // a lead byte followed by '1': not UTF-8
        assertEquals("rule id: not valid UTF-8",
            assertThrows(CodecException.class, () -> RuleEncoding.read(WireReader.of(bytes))).getMessage());
        assertEquals(2, "r1".getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void shouldRefuseACountTheBytesCannotHold() {
        final WireWriter out = new WireWriter();
        out.u8(WorkerMessageCodec.TYPE_SYNC).i64(1).i32(0).i32(1).i32(1_000);
        assertEquals("truncated: Sync rules claims 1000 items, only 0 bytes left",
            assertThrows(CodecException.class, () -> WorkerMessageCodec.decode(out.toByteArray())).getMessage());
    }
}
