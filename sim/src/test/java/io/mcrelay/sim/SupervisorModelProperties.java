package io.mcrelay.sim;

import static io.mcrelay.testing.Generators.ints;
import static io.mcrelay.testing.Generators.pick;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.core.supervisor.Supervisor;
import io.mcrelay.core.worker.WorkerAgent;
import io.mcrelay.rules.Rule;
import io.mcrelay.sim.seams.SimLauncher;
import io.mcrelay.testing.Generators;

/**
 * A stateful model test of the real supervisor and workers (in a {@link Cluster}) against a plain model: a map of
 * the rules that must be in the table. QuickTheories generates lists of up to 25 actions (four in five of exactly
 * 25) mixing adds (valid, invalid and clashing), removes (of known and unknown ids), forced syncs, worker crashes,
 * heartbeat loss (a worker frozen for a while) and the passing of time; each list runs against a fresh cluster.
 * After every action: the table equals the model; epochs never go back; a change acked to the client is installed on
 * every ready worker; a refused one changed nothing. After the list, with the faults stopped, every worker converges
 * on the supervisor's epoch and hash within a bound. A failing list is shrunk by QuickTheories: to fewer actions, and
 * each action toward the simplest one (advance 1 ms), which leaves the actions that matter; the failure names the
 * actions as they ran and the seed ({@code -DQT_SEED=...} reruns it; {@code mvn verify} fixes it).
 */
class SupervisorModelProperties {
    private static final long MS = 1_000_000L;
    private static final long CONVERGENCE_BOUND_NS = 20_000 * MS;
    private static final List<String> GROUPS = List.of("239.1.1.1", "239.1.1.2", "239.1.1.3", "239.1.1.4");
    private static final List<String> IDS = List.of("a", "b", "c", "d", "e");
    private static final int ACTIONS_MAX = 25;
    /** 1,200 lists of 22.5 actions on average: at least the 25,000 actions of 1,000 chains of 25. */
    private static final int LISTS = 1_200;

    /** The system under test, the model it must agree with, and the actions run so far (for a failure's message). */
    static final class World {
        final Cluster cluster;
        final TestClient client;
        final TreeMap<String, RuleDocument> model = new TreeMap<>();
        final List<String> actionsRun = new ArrayList<>();
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

    /**
     * One generated action: its description as generated, and its step, which acts on the world, checks the
     * action's own postconditions and returns what it did (a remove resolves its id against the model only then).
     */
    record Action(String description, Function<World, String> step) {
        @Override
        public String toString() {
            return description;
        }
    }

    @Test
    void theSupervisorAgreesWithTheModelAndConverges() {
        final int[] fullLists = new int[1];
        qt().withExamples(LISTS)
            .forAll(actionLists())
            .checkAssert(actions -> {
                if (actions.size() == ACTIONS_MAX) {
                    fullLists[0]++;
                }
                final World world = new World();
                try {
                    for (final Action action : actions) {
                        world.actionsRun.add(action.step().apply(world));
                        tableEqualsModel(world);
                        assertTrue(world.cluster.supervisor().epoch() >= world.lastEpoch, "epochs never go back");
                        world.lastEpoch = world.cluster.supervisor().epoch();
                    }
                    // Faults stop: thaw every worker; the cluster must converge within the bound.
                    for (final SimLauncher.LiveWorker worker : world.cluster.launcher().liveWorkers()) {
                        world.cluster.launcher().setHung(worker.handle(), false);
                    }
                    assertTrue(world.cluster.runUntil(world.cluster::converged, CONVERGENCE_BOUND_NS),
                        () -> "no convergence within 20 s after the faults stopped: "
                            + world.cluster.supervisor().workers());
                    tableEqualsModel(world);
                    for (final WorkerAgent agent : world.cluster.liveAgents()) {
                        assertEquals(world.cluster.supervisor().rules(), agent.rules());
                    }
                } catch (final AssertionError failure) {
                    throw new AssertionError("after the actions " + world.actionsRun + " in " + world + ": "
                        + failure.getMessage(), failure);
                }
            });
        // The generator's own check: most lists are full length, so the model sees long histories.
        assertTrue(fullLists[0] >= LISTS / 2, () -> fullLists[0] + " of " + LISTS + " lists had 25 actions");
    }

    /**
     * Lists of actions. Every action takes the same draws, a kind and four parameters, whatever its kind: so when
     * shrinking changes one action's kind, the actions after it stay as they were. A parameter draw is in
     * {@code [0, 60)} (divisible by every choice below) and shrinks to 0, which picks each choice's first option.
     */
    private static Gen<List<Action>> actionLists() {
        final Gen<Integer> lengths = Generators.weighted(Pair.of(1, ints(1, ACTIONS_MAX - 1)),
            Pair.of(4, pick(ACTIONS_MAX)));
        // The first kind is the simplest action, which shrinking turns the actions that do not matter into.
        final Gen<Kind> kinds = Generators.weighted(Pair.of(2, pick(Kind.ADVANCE)), Pair.of(4, pick(Kind.ADD)),
            Pair.of(2, pick(Kind.REMOVE)), Pair.of(1, pick(Kind.SYNC)), Pair.of(1, pick(Kind.CRASH)),
            Pair.of(1, pick(Kind.FREEZE)));
        final Gen<Integer> parameters = Generate.range(0, 59, 0);
        final Gen<Action> actions = in -> kinds.generate(in).action(parameters.generate(in),
            parameters.generate(in), parameters.generate(in), parameters.generate(in));
        return Generators.lists(actions, lengths);
    }

    /** The kinds of action, each reading the parameters it needs from the four drawn. */
    enum Kind {
        ADVANCE {
            @Override
            Action action(final int a, final int b, final int c, final int d) {
                final long ms = List.of(1L, 20L, 250L, 1200L).get(a % 4);
                return described("advance " + ms + " ms", world -> world.cluster.runFor(ms * MS));
            }
        },
        ADD {
            @Override
            Action action(final int a, final int b, final int c, final int d) {
                final String id = a < 30 ? null : IDS.get(a % IDS.size()); // null: the supervisor names it
                final String group = GROUPS.get(b % GROUPS.size());
                final int port = c < 30 ? 5000 + c % 2 : 70000; // 70000: refused
                final int outPort = 6000 + d % 4;
                return described("add " + id + " " + group + ":" + port + " -> 239.100.0.1:" + outPort,
                    world -> add(world, new RuleDocument(id, null, "in0", group, port, null,
                        List.of(new RuleDocument.OutputDocument("239.100.0.1", outPort, "out0", null)), null)));
            }
        },
        REMOVE {
            /**
             * A remove of one of the ids in the model, or of an unknown one: the ids in the model are known only
             * when the action runs, so what is drawn is a choice among them (the model's ids in order, then
             * "unknown").
             */
            @Override
            Action action(final int a, final int b, final int c, final int d) {
                final int choice = a % (IDS.size() + 1);
                return new Action("remove choice " + choice + " of the known ids", world -> {
                    final List<String> candidates = new ArrayList<>(world.model.keySet());
                    candidates.add("unknown");
                    final String id = candidates.get(choice % candidates.size());
                    remove(world, id);
                    return "remove " + id;
                });
            }
        },
        SYNC {
            @Override
            Action action(final int a, final int b, final int c, final int d) {
                return described("sync", world -> {
                    final ControlResponse response = world.client.sync();
                    assertTrue(response instanceof ControlResponse.Synced, () -> "sync answered " + response);
                });
            }
        },
        CRASH {
            @Override
            Action action(final int a, final int b, final int c, final int d) {
                final int index = a % 2;
                return described("crash worker " + index, world -> {
                    final SimLauncher.LiveWorker worker = world.cluster.launcher().liveWorker(index);
                    if (worker != null) {
                        world.cluster.launcher().crash(worker.handle());
                    }
                });
            }
        },
        /** Heartbeat loss: a worker stops for a while (short: no restart; long: killed and replaced). */
        FREEZE {
            @Override
            Action action(final int a, final int b, final int c, final int d) {
                final int index = a % 2;
                final long durationMs = List.of(300L, 800L, 1500L).get(b % 3);
                return described("freeze worker " + index + " for " + durationMs + " ms", world -> {
                    final SimLauncher.LiveWorker worker = world.cluster.launcher().liveWorker(index);
                    if (worker == null) {
                        return;
                    }
                    world.cluster.launcher().setHung(worker.handle(), true);
                    world.cluster.runFor(durationMs * MS);
                    world.cluster.launcher().setHung(worker.handle(), false);
                });
            }
        };

        abstract Action action(int a, int b, int c, int d);
    }

    /** An action whose description says all it does. */
    private static Action described(final String description, final Consumer<World> step) {
        return new Action(description, world -> {
            step.accept(world);
            return description;
        });
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

    private static void remove(final World world, final String id) {
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
    }
}
