package io.mcrelay.control;

import static io.mcrelay.testing.Generators.booleans;
import static io.mcrelay.testing.Generators.byteArrays;
import static io.mcrelay.testing.Generators.ints;
import static io.mcrelay.testing.Generators.lists;
import static io.mcrelay.testing.Generators.longs;
import static io.mcrelay.testing.Generators.pick;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

import io.mcrelay.seam.RestartReason;
import io.mcrelay.protocol.CodecException;
import io.mcrelay.testing.Generators;
import io.mcrelay.testing.RuleGenerators;

/**
 * The control codec round-trips every request and response type, and any byte string either decodes or is refused
 * with a {@link CodecException}.
 */
class ControlCodecProperties {

    @Test
    void decodeInvertsEncodeForRequests() {
        qt().withExamples(1000)
            .forAll(requests())
            .checkAssert(request -> assertEquals(request, ControlCodec.decodeRequest(ControlCodec.encode(request))));
    }

    @Test
    void decodeInvertsEncodeForResponses() {
        qt().withExamples(1000)
            .forAll(responses())
            .checkAssert(response -> assertEquals(response,
                ControlCodec.decodeResponse(ControlCodec.encode(response))));
    }

    @Test
    void rulesAnswersAreStreamedAsTheMapperWritesAndReadsThem() {
        final Gen<RuleDocument> documents = documents().zip(Generators.orNull(Generators.strings(0, 12), 50),
            (d, reason) -> new RuleDocument(d.id(), d.name(), d.inputInterface(), d.inputGroup(), d.inputPort(),
                d.inputSource(), d.outputs(), d.state(), reason));
        qt().withExamples(500)
            .forAll(longs(0, Long.MAX_VALUE), longs(0, Long.MAX_VALUE), lists(documents, 0, 6))
            .checkAssert((id, epoch, rules) -> {
                final ControlResponse.Rules answer = new ControlResponse.Rules(id, epoch, rules);
                final byte[] bound = ControlCodec.encodeByMapper(answer);
                assertEquals(new String(bound, StandardCharsets.UTF_8),
                    new String(ControlCodec.encode(answer), StandardCharsets.UTF_8));
                assertEquals(answer, ControlCodec.decodeResponse(bound));
            });
    }

    /**
     * A {@code rules} frame changed by a byte, cut short, or reshaped (fields moved, text for a number, a field
     * unknown or repeated) is read, or refused with the same message, as by data binding alone: the streaming reader
     * takes only what the mapper would take.
     */
    @Test
    void aDamagedOrReshapedRulesFrameIsReadOrRefusedAsByTheMapper() {
        final byte[] frame = ControlCodec.encode(new ControlResponse.Rules(7, 9, List.of(
            new RuleDocument("a", "A", "eth0", "239.1.1.1", 5000, null,
                List.of(new RuleDocument.OutputDocument("239.2.2.2", 5002, "eth1", 4)), "active", null),
            new RuleDocument("b", null, "eth0", "239.1.1.2", 5000, "10.0.0.1", List.of(), "waiting", "why"))));
        final String text = new String(frame, StandardCharsets.UTF_8);
        for (final String variant : List.of(
            text.replace("\"input_port\":5000", "\"input_port\":\"5000\""),
            text.replace("\"port\":5002", "\"port\":5002.0"),
            text.replace("\"ttl\":4", "\"ttl\":4,\"ttl\":5"),
            text.replace("\"state\":\"active\"", "\"state\":\"active\",\"colour\":1"),
            text.replace("\"request_id\":7,\"epoch\":9", "\"epoch\":9,\"request_id\":7"),
            text.replace("\"request_id\":7", "\"request_id\":null"),
            text.replace("\"epoch\":9", "\"epoch\":99999999999999999999"),
            text.replace("\"input_port\":5000", "\"input_port\":4294967296"),
            text.replace("\"outputs\":[]", "\"outputs\":null"),
            text.replace("\"name\":\"A\"", "\"name\":17"),
            text + " {}",
            text.substring(0, text.indexOf(",\"rules\"")) + "}",
            text.replace("\"rules\":[", "\"rules\":null,\"x\":["))) {
            assertSameOutcome(variant.getBytes(StandardCharsets.UTF_8));
        }
        qt().withExamples(3000)
            .forAll(ints(0, frame.length - 1), ints(0, 255), booleans())
            .checkAssert((at, value, cut) -> {
                final byte[] damaged = cut ? java.util.Arrays.copyOf(frame, at) : frame.clone();
                if (!cut) {
                    damaged[at] = (byte) (int) value;
                }
                assertSameOutcome(damaged);
            });
    }

    private static void assertSameOutcome(final byte[] payload) {
        Object bound;
        try {
            bound = ControlCodec.decodeResponseByMapper(payload);
        } catch (final CodecException e) {
            bound = e.getMessage();
        }
        Object streamed;
        try {
            streamed = ControlCodec.decodeResponse(payload);
        } catch (final CodecException e) {
            streamed = e.getMessage();
        }
        assertEquals(bound, streamed, () -> new String(payload, StandardCharsets.UTF_8));
    }

    @Test
    void anyBytesDecodeOrAreRefused() {
        qt().withExamples(2000)
            .forAll(byteArrays(120))
            .checkAssert(bytes -> {
                try {
                    ControlCodec.decodeRequest(bytes);
                } catch (final CodecException expected) {
                    // refused with a message
                }
                try {
                    ControlCodec.decodeResponse(bytes);
                } catch (final CodecException expected) {
                    // refused with a message
                }
            });
    }

    @Test
    void anyJsonLikeTextDecodesOrIsRefused() {
        qt().withExamples(1000)
            .forAll(jsonish())
            .checkAssert(text -> {
                try {
                    ControlCodec.decodeRequest(text.getBytes(StandardCharsets.UTF_8));
                } catch (final CodecException expected) {
                    // refused with a message
                }
            });
    }

    private static Gen<String> jsonish() {
        return Generators.strings("{}[]\":,0123456789abcdefghijklmnopqrstuvwxyz_ -.", 0, 80)
            .map(s -> "{\"type\":\"" + s);
    }

    private static Gen<String> texts() {
        return Generators.orNull(Generators.strings(0, 20), 10);
    }

    private static Gen<Long> ids() {
        return longs(1, Long.MAX_VALUE);
    }

    static Gen<RuleDocument> documents() {
        return RuleGenerators.rules().zip(Generators.orNull(pick("active", "waiting", "down"), 50), RuleDocument::of);
    }

    private static Gen<ControlRequest> requests() {
        final Gen<Long> ids = ids();
        final Gen<String> texts = texts();
        return Generators.oneOf(
            ints().zip(texts, ControlRequest.Hello::new),
            ids.zip(documents(), ControlRequest.Add::new),
            ids.zip(texts, ControlRequest.Remove::new),
            ids.map(ControlRequest.ListRules::new),
            ids.map(ControlRequest.Stats::new),
            ids.map(ControlRequest.Workers::new),
            ids.map(ControlRequest.Ping::new),
            ids.map(ControlRequest.Version::new),
            ids.map(ControlRequest.Sync::new),
            ids.zip(texts, ControlRequest.LogLevelGet::new),
            ids.zip(texts, texts, ControlRequest.LogLevelSet::new),
            ids.zip(texts, ControlRequest.TraceEnable::new),
            ids.zip(texts, ControlRequest.TraceDisable::new),
            ids.zip(texts, ControlRequest.TraceShow::new),
            ids.zip(texts, texts, ControlRequest.ConfigCheck::new),
            ids.zip(texts, texts, ControlRequest.ConfigLoad::new));
    }

    private static Gen<ControlResponse> responses() {
        final Gen<Long> ids = ids();
        final Gen<String> texts = texts();
        final Gen<Long> counts = longs(0, Long.MAX_VALUE);
        final Gen<ControlResponse.Drops> drops = in -> new ControlResponse.Drops(counts.generate(in),
            counts.generate(in), counts.generate(in), counts.generate(in), counts.generate(in), counts.generate(in),
            counts.generate(in), counts.generate(in));
        final Gen<Integer> ports = ints(1, 65535);
        final Gen<ControlResponse.OutputStats> outputStats = in -> new ControlResponse.OutputStats(
            texts.generate(in), ports.generate(in), texts.generate(in), counts.generate(in), counts.generate(in),
            counts.generate(in));
        final Gen<List<ControlResponse.OutputStats>> outputStatsLists = lists(outputStats, 0, 3);
        final Gen<ControlResponse.RuleStats> ruleStats = in -> new ControlResponse.RuleStats(texts.generate(in),
            counts.generate(in), counts.generate(in), counts.generate(in), counts.generate(in), drops.generate(in),
            outputStatsLists.generate(in));
        final Gen<Integer> anyInts = ints();
        final Gen<Long> pids = longs();
        final Gen<String> states = pick("starting", "ready", "syncing", "dead");
        final Gen<String> hashes = Generators.strings("0123456789abcdef", 16, 16);
        final Gen<String> reasons = pick(java.util.Arrays.stream(RestartReason.values()).map(RestartReason::word)
            .toArray(String[]::new));
        final Gen<ControlResponse.WorkerInfo> workers = in -> new ControlResponse.WorkerInfo(
            anyInts.generate(in), pids.generate(in), states.generate(in), counts.generate(in),
            counts.generate(in), hashes.generate(in), reasons.generate(in));
        final Gen<List<Integer>> lagging = lists(ints(0, 64), 0, 4);
        final Gen<ControlResponse.InputStats> inputStats = in -> new ControlResponse.InputStats(texts.generate(in),
            anyInts.generate(in), counts.generate(in), counts.generate(in), counts.generate(in));
        final Gen<ControlResponse.TraceEvent> traceEvents = ints().zip(counts, pick("received", "sent", "dropped"),
            ints(), texts, ControlResponse.TraceEvent::new);
        final Gen<ControlResponse> configLoaded = in -> new ControlResponse.ConfigLoaded(
            ids.generate(in), counts.generate(in), anyInts.generate(in), anyInts.generate(in),
            anyInts.generate(in), lagging.generate(in));
        return Generators.oneOf(
            ints().zip(texts, ControlResponse.Welcome::new),
            ids.zip(pick("invalid", "not_found", "exists"), texts,
                lists(texts.zip(texts, ControlResponse.FieldError::new), 0, 3), ControlResponse.Refused::new),
            ids.zip(texts, counts, ControlResponse.RuleAdded::new),
            ids.zip(texts, counts, ControlResponse.RuleRemoved::new),
            ids.zip(texts, counts, lagging, ControlResponse.NotAcked::new),
            ids.zip(counts, lists(documents(), 0, 4), ControlResponse.Rules::new),
            in -> new ControlResponse.StatsReport(ids.generate(in), lists(ruleStats, 0, 3).generate(in),
                counts.generate(in), new ControlResponse.RemovedRules(counts.generate(in), counts.generate(in)),
                drops.generate(in), lists(inputStats, 0, 3).generate(in),
                lists(workers, 0, 3).generate(in), journalStates().generate(in)),
            ids.zip(lists(workers, 0, 3), ControlResponse.WorkerList::new),
            ids.zip(journalStates(), ControlResponse.Pong::new),
            ids.zip(texts, ints(), ControlResponse.VersionInfo::new),
            ids.zip(counts, lagging, ControlResponse.Synced::new),
            ids.zip(lists(texts.zip(texts, ControlResponse.FacilityLevel::new), 0, 3), ControlResponse.LogLevels::new),
            ids.zip(texts, booleans(), ControlResponse.TraceState::new),
            ids.zip(texts, booleans(), lists(traceEvents, 0, 3), ControlResponse.TraceReport::new),
            in -> new ControlResponse.ConfigChecked(ids.generate(in), ints(0, 65536).generate(in), ints(0, 65536).generate(in),
                ints(0, 65536).generate(in), ints(0, 65536).generate(in)),
            configLoaded);
    }

    private static Gen<ControlResponse.JournalState> journalStates() {
        final Gen<String> reasons = Generators.strings(1, 40);
        final Gen<Integer> states = ints(0, 2);
        return in -> switch (states.generate(in)) {
            case 0 -> ControlResponse.JournalState.OK;
            case 1 -> new ControlResponse.JournalState("full", reasons.generate(in));
            default -> new ControlResponse.JournalState("failed", reasons.generate(in));
        };
    }
}
