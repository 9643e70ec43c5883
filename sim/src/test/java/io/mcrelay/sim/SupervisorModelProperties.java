package io.mcrelay.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;
import net.jqwik.api.statistics.Statistics;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.rules.Rule;
import io.mcrelay.sim.seams.SimLauncher;

/**
 * A stateful model test of the real supervisor and workers (in a {@link Cluster}) against a plain model: a map of
 * the rules that must be in the table. Chains of 25 actions mix adds (valid, invalid and clashing), removes (of
 * known and unknown ids), forced syncs, worker crashes, heartbeat loss (a worker frozen for a while) and the passing
 * of time. After every action: the table equals the model; epochs never go back; a change acked to the client is
 * installed on every ready worker; a refused one changed nothing. After the chain, with the faults stopped, every
 * worker converges on the supervisor's epoch and hash within a bound. The seed is fixed in {@code mvn verify}
 * ({@code jqwik.seed}); a failure prints it with the shrunk chain.
 */
class SupervisorModelProperties {
    private static final long MS = 1_000_000L;
    private static final long CONVERGENCE_BOUND_NS = 20_000 * MS;
    private static final List<String> GROUPS = List.of("239.1.1.1", "239.1.1.2", "239.1.1.3", "239.1.1.4");
    private static final List<String> IDS = List.of("a", "b", "c", "d", "e");

    /** The system under test and the model it must agree with. */
    static final class World {
        final Cluster cluster;
        final TestClient client;
        final TreeMap<String, RuleDocument> model = new TreeMap<>();
        long lastEpoch;

        World() {
            cluster = new Cluster(Supervisor.Config.defaults(2));
            for (final String link : List.of("in0", "out0")) {
                cluster.network().createLinkUp(link);
            }
            cluster.start();
            if (!cluster.runUntil(cluster::converged, CONVERGENCE_BOUND_NS)) {
                throw new IllegalStateException("the cluster did not start");
            }
            client = cluster.client();
        }

        @Override
        public String toString() {
            return "World{epoch=" + cluster.supervisor().epoch() + ", model=" + model.keySet() + "}";
        }
    }

    @Property(tries = 1000)
    void theSupervisorAgreesWithTheModelAndConverges(@ForAll("chains") final ActionChain<World> chain) {
        final World world = chain
            .withInvariant("the table equals the model", SupervisorModelProperties::tableEqualsModel)
            .withInvariant("epochs never go back", world1 -> {
                assertTrue(world1.cluster.supervisor().epoch() >= world1.lastEpoch);
                world1.lastEpoch = world1.cluster.supervisor().epoch();
            })
            .run();
        Statistics.label("actions").collect(chain.transformations().size() >= 20 ? ">= 20" : "< 20");
        assertTrue(chain.transformations().size() >= 20, "chains have at least 20 actions");
        // Faults stop: thaw every worker; the cluster must converge within the bound.
        for (final SimLauncher.LiveWorker worker : world.cluster.launcher().liveWorkers()) {
            world.cluster.launcher().setHung(worker.handle(), false);
        }
        assertTrue(world.cluster.runUntil(world.cluster::converged, CONVERGENCE_BOUND_NS),
            () -> "no convergence within 20 s after the faults stopped: " + world.cluster.supervisor().workers());
        tableEqualsModel(world);
        for (final WorkerAgent agent : world.cluster.liveAgents()) {
            assertEquals(world.cluster.supervisor().rules(), agent.rules());
        }
    }

    @Provide
    Arbitrary<ActionChain<World>> chains() {
        return ActionChain.startWith(World::new)
            .withAction(4, new AddAction())
            .withAction(2, new RemoveAction())
            .withAction(1, new SyncAction())
            .withAction(1, new CrashAction())
            .withAction(1, new FreezeAction())
            .withAction(2, new AdvanceAction())
            .withMaxTransformations(25);
    }

    private static void tableEqualsModel(final World world) {
        final Map<String, RuleDocument> actual = new TreeMap<>();
        for (final Rule rule : world.cluster.supervisor().rules()) {
            actual.put(rule.id().value(), RuleDocument.of(rule, null));
        }
        assertEquals(world.model, actual);
    }

    /** Every ready worker holds {@code epoch} or later, with the rule present (or absent) as acked. */
    private static void ackedMeansInstalled(final World world, final long epoch, final String id,
                                            final boolean present) {
        final Supervisor supervisor = world.cluster.supervisor();
        for (final SimLauncher.LiveWorker worker : world.cluster.launcher().liveWorkers()) {
            if (!supervisor.isReady(worker.handle().workerIndex())) {
                continue;
            }
            final WorkerAgent agent = worker.agent();
            assertTrue(agent.epoch() >= epoch, () -> "worker " + worker.handle().workerIndex() + " acked at epoch "
                + agent.epoch() + " < " + epoch);
            final boolean has = agent.rules().stream().anyMatch(rule -> rule.id().value().equals(id));
            assertEquals(present, has, () -> "rule " + id + " on worker " + worker.handle().workerIndex());
        }
    }

    static final class AddAction implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            final Arbitrary<String> ids = Arbitraries.oneOf(Arbitraries.of(IDS), Arbitraries.just(null));
            final Arbitrary<Integer> ports = Arbitraries.oneOf(Arbitraries.of(5000, 5001),
                Arbitraries.just(70000)); // 70000: refused
            return Combinators.combine(ids, Arbitraries.of(GROUPS), ports, Arbitraries.integers().between(6000, 6003))
                .as((id, group, port, outPort) -> Transformer.mutate("add " + id + " " + group + ":" + port,
                    world -> add(world, new RuleDocument(id, null, "in0", group, port, null,
                        List.of(new RuleDocument.OutputDocument("239.100.0.1", outPort, "out0", null)), null))));
        }

        private static void add(final World world, final RuleDocument rule) {
            final long epochBefore = world.cluster.supervisor().epoch();
            final ControlResponse response = world.client.add(rule);
            switch (response) {
                case ControlResponse.RuleAdded added -> {
                    world.model.put(added.id(), withId(rule, added.id()));
                    ackedMeansInstalled(world, added.epoch(), added.id(), true);
                }
                case ControlResponse.NotAcked notAcked -> {
                    assertFalse(notAcked.laggingWorkers().isEmpty());
                    world.model.put(notAcked.id(), withId(rule, notAcked.id()));
                }
                case ControlResponse.Refused refused -> {
                    assertEquals(epochBefore, world.cluster.supervisor().epoch(), "a refusal commits nothing");
                    final boolean clash = world.model.values().stream().anyMatch(r -> r.id().equals(rule.id())
                        || (r.inputGroup().equals(rule.inputGroup()) && r.inputPort().equals(rule.inputPort())));
                    assertTrue(rule.inputPort() == 70000 || clash, () -> "refused a valid, new rule: " + refused);
                }
                default -> throw new AssertionError("unexpected response " + response);
            }
        }

        private static RuleDocument withId(final RuleDocument rule, final String id) {
            return new RuleDocument(id, rule.name(), rule.inputInterface(), rule.inputGroup(), rule.inputPort(),
                rule.inputSource(), rule.outputs(), null);
        }
    }

    static final class RemoveAction implements Action.Dependent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer(final World state) {
            final List<String> candidates = new ArrayList<>(state.model.keySet());
            candidates.add("unknown");
            return Arbitraries.of(candidates).map(id -> Transformer.mutate("remove " + id, world -> {
                final long epochBefore = world.cluster.supervisor().epoch();
                final ControlResponse response = world.client.remove(id);
                switch (response) {
                    case ControlResponse.RuleRemoved removed -> {
                        assertTrue(world.model.remove(id) != null);
                        ackedMeansInstalled(world, removed.epoch(), id, false);
                    }
                    case ControlResponse.NotAcked notAcked -> assertTrue(world.model.remove(id) != null);
                    case ControlResponse.Refused refused -> {
                        assertEquals("not_found", refused.code());
                        assertFalse(world.model.containsKey(id));
                        assertEquals(epochBefore, world.cluster.supervisor().epoch());
                    }
                    default -> throw new AssertionError("unexpected response " + response);
                }
            }));
        }
    }

    static final class SyncAction implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.just(Transformer.mutate("sync", world -> {
                final ControlResponse response = world.client.sync();
                assertTrue(response instanceof ControlResponse.Synced, () -> "sync answered " + response);
            }));
        }
    }

    static final class CrashAction implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.integers().between(0, 1).map(index -> Transformer.mutate("crash worker " + index,
                world -> {
                    final SimLauncher.LiveWorker worker = world.cluster.launcher().liveWorker(index);
                    if (worker != null) {
                        world.cluster.launcher().crash(worker.handle());
                    }
                }));
        }
    }

    /** Heartbeat loss: a worker stops for a while (short: no restart; long: killed and replaced). */
    static final class FreezeAction implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Combinators.combine(Arbitraries.integers().between(0, 1), Arbitraries.of(300L, 800L, 1500L))
                .as((index, durationMs) -> Transformer.mutate("freeze worker " + index + " for " + durationMs + " ms",
                    world -> {
                        final SimLauncher.LiveWorker worker = world.cluster.launcher().liveWorker(index);
                        if (worker == null) {
                            return;
                        }
                        world.cluster.launcher().setHung(worker.handle(), true);
                        world.cluster.runFor(durationMs * MS);
                        world.cluster.launcher().setHung(worker.handle(), false);
                    }));
        }
    }

    static final class AdvanceAction implements Action.Independent<World> {
        @Override
        public Arbitrary<Transformer<World>> transformer() {
            return Arbitraries.of(1L, 20L, 250L, 1200L).map(ms -> Transformer.mutate("advance " + ms + " ms",
                world -> world.cluster.runFor(ms * MS)));
        }
    }
}
