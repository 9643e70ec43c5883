package io.mcrelay.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import io.mcrelay.protocol.CodecException;
import io.mcrelay.testing.RuleArbitraries;

/**
 * The control codec round-trips every request and response type, and any byte string either decodes or is refused
 * with a {@link CodecException}.
 */
class ControlCodecProperties {

    @Property(tries = 1000)
    void decodeInvertsEncodeForRequests(@ForAll("requests") final ControlRequest request) {
        assertEquals(request, ControlCodec.decodeRequest(ControlCodec.encode(request)));
    }

    @Property(tries = 1000)
    void decodeInvertsEncodeForResponses(@ForAll("responses") final ControlResponse response) {
        assertEquals(response, ControlCodec.decodeResponse(ControlCodec.encode(response)));
    }

    @Property(tries = 2000)
    void anyBytesDecodeOrAreRefused(@ForAll @Size(max = 120) final byte[] bytes) {
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
    }

    @Property(tries = 1000)
    void anyJsonLikeTextDecodesOrIsRefused(@ForAll("jsonish") final String text) {
        try {
            ControlCodec.decodeRequest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (final CodecException expected) {
            // refused with a message
        }
    }

    @Provide
    Arbitrary<String> jsonish() {
        return Arbitraries.strings().withChars("{}[]\":,0123456789abcdefghijklmnopqrstuvwxyz_ -.").ofMaxLength(80)
            .map(s -> "{\"type\":\"" + s);
    }

    private static Arbitrary<String> texts() {
        return Arbitraries.strings().ofMaxLength(20).injectNull(0.1);
    }

    private static Arbitrary<Long> ids() {
        return Arbitraries.longs().between(1, Long.MAX_VALUE);
    }

    static Arbitrary<RuleDocument> documents() {
        return Combinators.combine(RuleArbitraries.rules(), Arbitraries.of("active", "waiting", "down").injectNull(0.5))
            .as(RuleDocument::of);
    }

    @Provide
    Arbitrary<ControlRequest> requests() {
        return Arbitraries.oneOf(
            Combinators.combine(Arbitraries.integers(), texts()).as(ControlRequest.Hello::new),
            Combinators.combine(ids(), documents()).as(ControlRequest.Add::new),
            Combinators.combine(ids(), texts()).as(ControlRequest.Remove::new),
            ids().map(ControlRequest.ListRules::new),
            ids().map(ControlRequest.Stats::new),
            ids().map(ControlRequest.Workers::new),
            ids().map(ControlRequest.Ping::new),
            ids().map(ControlRequest.Version::new),
            ids().map(ControlRequest.Sync::new),
            Combinators.combine(ids(), texts()).as(ControlRequest.LogLevelGet::new),
            Combinators.combine(ids(), texts(), texts()).as(ControlRequest.LogLevelSet::new),
            Combinators.combine(ids(), texts()).as(ControlRequest.TraceEnable::new),
            Combinators.combine(ids(), texts()).as(ControlRequest.TraceDisable::new),
            Combinators.combine(ids(), texts()).as(ControlRequest.TraceShow::new),
            Combinators.combine(ids(), texts(), texts()).as(ControlRequest.ConfigCheck::new),
            Combinators.combine(ids(), texts(), texts()).as(ControlRequest.ConfigLoad::new));
    }

    @Provide
    Arbitrary<ControlResponse> responses() {
        final Arbitrary<Long> counts = Arbitraries.longs().between(0, Long.MAX_VALUE);
        final Arbitrary<ControlResponse.Drops> drops = Combinators.combine(counts, counts, counts, counts, counts)
            .as(ControlResponse.Drops::new);
        final Arbitrary<ControlResponse.OutputStats> outputStats = Combinators.combine(texts(),
                Arbitraries.integers().between(1, 65535), texts(), counts, counts, counts)
            .as(ControlResponse.OutputStats::new);
        final Arbitrary<ControlResponse.RuleStats> ruleStats = Combinators.combine(texts(), counts, counts, counts,
                counts, drops, outputStats.list().ofMaxSize(3))
            .as(ControlResponse.RuleStats::new);
        final Arbitrary<ControlResponse.WorkerInfo> workers = Combinators.combine(Arbitraries.integers(),
                Arbitraries.longs(), Arbitraries.of("starting", "ready", "syncing", "dead"), counts, counts,
                Arbitraries.strings().withChars("0123456789abcdef").ofLength(16))
            .as(ControlResponse.WorkerInfo::new);
        final Arbitrary<List<Integer>> lagging = Arbitraries.integers().between(0, 64).list().ofMaxSize(4);
        return Arbitraries.oneOf(
            Combinators.combine(Arbitraries.integers(), texts()).as(ControlResponse.Welcome::new),
            Combinators.combine(ids(), Arbitraries.of("invalid", "not_found", "exists"), texts(),
                    Combinators.combine(texts(), texts()).as(ControlResponse.FieldError::new).list().ofMaxSize(3))
                .as(ControlResponse.Refused::new),
            Combinators.combine(ids(), texts(), counts).as(ControlResponse.RuleAdded::new),
            Combinators.combine(ids(), texts(), counts).as(ControlResponse.RuleRemoved::new),
            Combinators.combine(ids(), texts(), counts, lagging).as(ControlResponse.NotAcked::new),
            Combinators.combine(ids(), counts, documents().list().ofMaxSize(4)).as(ControlResponse.Rules::new),
            Combinators.combine(ids(), ruleStats.list().ofMaxSize(3), counts, drops, workers.list().ofMaxSize(3))
                .as(ControlResponse.StatsReport::new),
            Combinators.combine(ids(), workers.list().ofMaxSize(3)).as(ControlResponse.WorkerList::new),
            ids().map(ControlResponse.Pong::new),
            Combinators.combine(ids(), texts(), Arbitraries.integers()).as(ControlResponse.VersionInfo::new),
            Combinators.combine(ids(), counts, lagging).as(ControlResponse.Synced::new),
            Combinators.combine(ids(), Combinators.combine(texts(), texts()).as(ControlResponse.FacilityLevel::new)
                .list().ofMaxSize(3)).as(ControlResponse.LogLevels::new),
            Combinators.combine(ids(), texts(), Arbitraries.of(true, false)).as(ControlResponse.TraceState::new),
            Combinators.combine(ids(), texts(), Arbitraries.of(true, false),
                    Combinators.combine(Arbitraries.integers(), counts, Arbitraries.of("received", "sent", "dropped"),
                        Arbitraries.integers(), texts()).as(ControlResponse.TraceEvent::new).list().ofMaxSize(3))
                .as(ControlResponse.TraceReport::new),
            Combinators.combine(ids(), Arbitraries.integers().between(0, 65536)).as(ControlResponse.ConfigChecked::new),
            Combinators.combine(ids(), counts, Arbitraries.integers(), Arbitraries.integers(), Arbitraries.integers(),
                lagging).as(ControlResponse.ConfigLoaded::new));
    }
}
