package io.mcrelay.core.supervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import io.mcrelay.BuildInfo;
import io.mcrelay.config.ConfigFile;
import io.mcrelay.control.ControlCodec;
import io.mcrelay.control.ControlRequest;
import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.protocol.WorkerMessage;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.seam.LogLevels;

/**
 * The control front end driven directly: frames in through its listener methods, answers out through a recording
 * control server, and a {@link ControlFrontEnd.Requests} that records what reached the rest of the supervisor. Proves
 * the hello handshake, that malformed or invalid requests are refused with the field named and hand nothing on, and
 * that answers go only to open connections.
 */
class ControlFrontEndTest {
    private static final long CLIENT = 3;

    private final TestKit.FakeControlServer server = new TestKit.FakeControlServer();
    private final RuleTable table = new RuleTable(Limits.DEFAULT);
    private final TraceLog traces = new TraceLog();
    private final List<String> handedOn = new ArrayList<>();
    private final TreeMap<String, String> levels = new TreeMap<>(java.util.Map.of(LogLevels.ROOT, "INFO"));
    private final LogLevels logLevels = new LogLevels() {
        @Override
        public SortedMap<String, String> levels() {
            return new TreeMap<>(levels);
        }

        @Override
        public String set(final String facility, final String level) {
            if (!level.equals("DEBUG")) {
                return "\"" + level + "\" is not a log level";
            }
            levels.put(facility == null ? ROOT : facility, level);
            return null;
        }
    };
    private final ControlFrontEnd front = new ControlFrontEnd(server, logLevels, table, traces,
        new ControlFrontEnd.Requests() {
            @Override
            public void add(final long connectionId, final long requestId, final Rule rule) {
                handedOn.add("add " + rule.id());
            }

            @Override
            public void remove(final long connectionId, final long requestId, final RuleId id) {
                handedOn.add("remove " + id);
            }

            @Override
            public void sync(final long connectionId, final long requestId) {
                handedOn.add("sync");
            }

            @Override
            public void loadConfig(final long connectionId, final long requestId, final ConfigFile file) {
                handedOn.add("load " + file.rules().size());
            }

            @Override
            public void trace(final RuleId id, final boolean enable) {
                handedOn.add("trace " + id + " " + enable);
            }

            @Override
            public RuleDocument documentOf(final Rule rule) {
                return RuleDocument.of(rule, "active");
            }

            @Override
            public List<ControlResponse.WorkerInfo> workers() {
                return List.of();
            }

            @Override
            public ControlResponse.StatsReport stats(final long requestId) {
                throw new AssertionError("not asked in these tests");
            }

            @Override
            public ControlResponse.JournalState journalState() {
                return ControlResponse.JournalState.OK;
            }

            @Override
            public void logLevelSet(final String facility, final String level) {
                handedOn.add("log level " + facility + " " + level);
            }
        });

    private void send(final ControlRequest request) {
        front.onFrame(CLIENT, ControlCodec.encode(request));
    }

    private void open() {
        front.onConnected(CLIENT);
        send(new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION, "test"));
        assertInstanceOf(ControlResponse.Welcome.class, last());
    }

    private ControlResponse last() {
        return server.to(CLIENT).getLast();
    }

    private ControlResponse.Refused lastRefusal(final String code) {
        final ControlResponse.Refused refused = assertInstanceOf(ControlResponse.Refused.class, last());
        assertEquals(code, refused.code(), refused::message);
        return refused;
    }

    private static RuleDocument document(final String id, final String group) {
        return new RuleDocument(id, null, "eth0", group, 5000, null,
            List.of(new RuleDocument.OutputDocument("239.10.0.1", 5000, "eth1", null)), null);
    }

    @Test
    void aHelloOfAnotherProtocolVersionIsRefusedNamingBothVersions() {
        front.onConnected(CLIENT);
        final int clientVersion = BuildInfo.CONTROL_PROTOCOL_VERSION + 41;
        send(new ControlRequest.Hello(clientVersion, "test"));
        final ControlResponse.Refused refused = lastRefusal("version_mismatch");
        assertEquals("the client speaks control protocol " + clientVersion + ", the daemon speaks "
            + BuildInfo.CONTROL_PROTOCOL_VERSION, refused.message());
        assertEquals(List.of(CLIENT), server.disconnected);

        send(new ControlRequest.Ping(1)); // until the server closes the connection, it still wants a hello
        assertEquals("the first request must be hello", lastRefusal("bad_request").message());
    }

    @Test
    void theFirstRequestMustBeAHelloAndOnlyTheFirst() {
        front.onConnected(CLIENT);
        send(new ControlRequest.Ping(9));
        assertEquals(9, lastRefusal("bad_request").requestId());
        assertEquals(List.of(CLIENT), server.disconnected);

        front.onConnected(CLIENT + 1);
        front.onFrame(CLIENT + 1, ControlCodec.encode(new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION,
            "x")));
        front.onFrame(CLIENT + 1, ControlCodec.encode(new ControlRequest.Hello(BuildInfo.CONTROL_PROTOCOL_VERSION,
            "x")));
        assertEquals("hello was already said on this connection",
            ((ControlResponse.Refused) server.to(CLIENT + 1).getLast()).message());
    }

    @Test
    void anUndecodableFrameIsRefusedAsABadRequest() {
        open();
        front.onFrame(CLIENT, "{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        lastRefusal("bad_request");
        assertTrue(server.disconnected.isEmpty(), "the connection stays open");
    }

    @Test
    void anInvalidRuleIsRefusedNamingTheFieldAndIsNotHandedOn() {
        open();
        send(new ControlRequest.Add(5, document("cam-1", "300.1.1.1")));
        final ControlResponse.Refused refused = lastRefusal("invalid");
        assertEquals(5, refused.requestId());
        assertEquals(List.of("input_group"), refused.errors().stream().map(ControlResponse.FieldError::field)
            .toList());
        assertTrue(handedOn.isEmpty());
    }

    @Test
    void aValidRuleWithoutAnIdIsHandedOnWithAGeneratedOne() {
        open();
        send(new ControlRequest.Add(5, document(null, "239.1.1.1")));
        assertEquals(List.of("add r1"), handedOn);
        assertEquals(1, server.to(CLIENT).size(), "the answer waits for the acks");
    }

    @Test
    void aRuleWhoseIdIsTakenIsRefusedAsExisting() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        open();
        send(new ControlRequest.Add(5, document("cam-1", "239.1.1.2")));
        lastRefusal("exists");
        assertTrue(handedOn.isEmpty());
    }

    @Test
    void removingNeedsAValidIdOfAnExistingRule() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        open();
        send(new ControlRequest.Remove(6, "no such"));
        assertEquals("id", lastRefusal("invalid").errors().getFirst().field());
        send(new ControlRequest.Remove(7, "cam-2"));
        assertEquals("no rule has id \"cam-2\"", lastRefusal("not_found").message());
        send(new ControlRequest.Remove(8, "cam-1"));
        assertEquals(List.of("remove cam-1"), handedOn);
    }

    @Test
    void answersToAClosedConnectionAreDropped() {
        open();
        front.onDisconnected(CLIENT, "gone");
        front.respond(CLIENT, new ControlResponse.RuleAdded(5, "cam-1", 1));
        assertEquals(1, server.to(CLIENT).size(), "only the welcome");
    }

    @Test
    void tracingNeedsAnExistingRuleToStartButNotToStop() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        open();
        send(new ControlRequest.TraceEnable(1, "cam-2"));
        lastRefusal("not_found");
        send(new ControlRequest.TraceEnable(2, "cam-1"));
        assertEquals(new ControlResponse.TraceState(2, "cam-1", true), last());
        send(new ControlRequest.TraceDisable(3, "cam-2"));
        assertEquals(new ControlResponse.TraceState(3, "cam-2", false), last());
        assertEquals(List.of("trace cam-1 true", "trace cam-2 false"), handedOn);
    }

    @Test
    void traceShowReportsTheLoggedEventsOfAKnownRule() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        open();
        send(new ControlRequest.TraceShow(1, "cam-2"));
        lastRefusal("not_found");
        traces.set(new RuleId("cam-1"), true);
        traces.record(1, List.of(new WorkerMessage.TraceEvent(new RuleId("cam-1"), 4,
            WorkerMessage.TraceEvent.MATCHED, -1, 60)));
        send(new ControlRequest.TraceShow(2, "cam-1"));
        assertEquals(new ControlResponse.TraceReport(2, "cam-1", true, List.of(
            new ControlResponse.TraceEvent(1, 4, "matched", -1, "payload of 60 bytes"))), last());
    }

    @Test
    void aLogLevelThatIsNotOneIsRefusedAndAGoodOneIsShown() {
        open();
        send(new ControlRequest.LogLevelSet(1, "io.mcrelay", "LOUD"));
        assertEquals("level", lastRefusal("invalid").errors().getFirst().field());
        assertTrue(handedOn.isEmpty(), "a refused level goes to no worker");
        send(new ControlRequest.LogLevelSet(2, "io.mcrelay", "DEBUG"));
        assertEquals(new ControlResponse.LogLevels(2, List.of(new ControlResponse.FacilityLevel("io.mcrelay",
            "DEBUG"))), last());
        assertEquals(List.of("log level io.mcrelay DEBUG"), handedOn, "the workers take it too");
    }

    @Test
    void aConfigIsCheckedWithoutBeingLoadedAndLoadedOnlyWhenValid() {
        open();
        final String config = """
            {"rules": [{"id": "cam-1", "input_interface": "eth0", "input_group": "239.1.1.1", "input_port": 5000,
                        "outputs": [{"group": "239.10.0.1", "port": 5000, "interface": "eth1"}]}]}
            """;
        send(new ControlRequest.ConfigCheck(1, "a.json", config));
        assertEquals(new ControlResponse.ConfigChecked(1, 1, 1, 0, 0), last());
        send(new ControlRequest.ConfigLoad(2, "a.json", "{\"rules\": [{\"id\": 5}]}"));
        lastRefusal("invalid");
        assertTrue(handedOn.isEmpty());
        send(new ControlRequest.ConfigLoad(3, "a.json", config));
        assertEquals(List.of("load 1"), handedOn);
    }

    @Test
    void answersAreCountedByTheirRequestsKindAndOutcome() {
        open();
        send(new ControlRequest.Ping(1));
        send(new ControlRequest.Ping(2));
        send(new ControlRequest.Remove(3, "nothing-here"));
        assertEquals(new java.util.TreeMap<>(java.util.Map.of("hello ok", 1L, "ping ok", 2L, "remove not_found", 1L)),
            new java.util.TreeMap<>(front.answered()));
    }

    @Test
    void pingVersionAndListAreAnsweredAtOnce() {
        table.commit(List.of(), List.of(TestKit.rule("cam-1", "eth0", "eth1")));
        open();
        send(new ControlRequest.Ping(1));
        assertEquals(new ControlResponse.Pong(1, ControlResponse.JournalState.OK), last());
        send(new ControlRequest.Version(2));
        assertEquals(new ControlResponse.VersionInfo(2, BuildInfo.version(), BuildInfo.CONTROL_PROTOCOL_VERSION),
            last());
        send(new ControlRequest.ListRules(3));
        final ControlResponse.Rules rules = assertInstanceOf(ControlResponse.Rules.class, last());
        assertEquals(1, rules.epoch());
        assertEquals("active", rules.rules().getFirst().state());
        send(new ControlRequest.Sync(4));
        assertEquals(List.of("sync"), handedOn);
    }
}
