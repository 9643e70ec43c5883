package io.mcrelay.arch;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

/**
 * The boundaries of the code base as ArchUnit rules, shared through relay's test-jar so every module checks its own
 * classes with the same definitions. {@code ArchRulesTest} shows each rule failing on a class that breaks it.
 */
public final class ArchRules {
    /** Packages of test-only classes that break the rules on purpose. */
    public static final String FIXTURE_PACKAGE = "..archfixture..";

    private ArchRules() {
    }

    /** The production classes under {@code io.mcrelay} on the class path: no tests, no fixtures. */
    public static JavaClasses productionClasses() {
        return new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .withImportOption(location -> !location.contains("/archfixture/"))
            .importPackages("io.mcrelay");
    }

    /**
     * Core code stays deterministic: time only through the {@code Clock} seam, randomness only through
     * {@code RandomSource}, no threads, sleeps or executors, no production implementations of seams.
     */
    public static final ArchRule CORE_IS_DETERMINISTIC = noClasses()
        .that().resideInAPackage("io.mcrelay.core..")
        .should().callMethodWhere(describe("a wall or monotonic clock, a sleep or unseeded randomness",
            (JavaCall<?> call) -> forbiddenCall(call.getTargetOwner().getName(), call.getName())))
        .orShould().callConstructorWhere(describe("a thread or an unseeded random generator",
            (JavaCall<?> call) -> forbiddenConstructor(call.getTargetOwner().getName())))
        .orShould().dependOnClassesThat(describe("threads, executors, timers, JDK random generators, clocks or "
            + "identity-hashed collections",
            javaClass -> forbiddenType(javaClass.getName())))
        .orShould().dependOnClassesThat().resideInAnyPackage("io.mcrelay.runtime..", "io.mcrelay.linux..")
        .because("core runs in the simulator from a seed: time, randomness and threads come only through the seams "
            + "(io.mcrelay.seam), wired in by the daemon, and no hash order reaches an output");

    /** {@code relay} depends on no other module and, in main, on no test library. */
    public static final ArchRule RELAY_STANDS_ALONE = noClasses()
        .that().resideInAPackage("io.mcrelay..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.mcrelay.sim..", "io.mcrelay.fault..", "io.mcrelay.bench..", "io.mcrelay.netns..",
            "org.junit..", "org.quicktheories..", "com.tngtech.archunit..", "org.awaitility..", "org.testcontainers..",
            "org.openjdk.jmh..", "org.mockito..", "org.assertj..")
        .because("relay is the product: other modules depend on it, never the reverse, and tests stay out of main");

    /** Only the {@code linux} package touches native memory and calls. */
    public static final ArchRule FFM_ONLY_IN_LINUX = noClasses()
        .that().resideOutsideOfPackage("io.mcrelay.linux..")
        .should().dependOnClassesThat().resideInAPackage("java.lang.foreign..")
        .because("all FFM code lives in io.mcrelay.linux behind the seams, where it is tested against the kernel");

    /** Only {@code linux.sys} declares downcalls: the other linux packages call through its wrappers. */
    public static final ArchRule DOWNCALLS_ONLY_IN_LINUX_SYS = noClasses()
        .that().resideOutsideOfPackage("io.mcrelay.linux.sys..")
        .should().callMethodWhere(describe("Linker.downcallHandle", (JavaCall<?> call) ->
            call.getTargetOwner().getName().equals("java.lang.foreign.Linker")
                && call.getName().equals("downcallHandle")))
        .because("native calls are declared in one place, linux.sys, where each cites its header and maps errno");

    /**
     * The Linux layer implements seams; it does not wire the core: only the composition root ({@code daemon}) puts
     * core objects, clocks and Linux objects together.
     */
    public static final ArchRule LINUX_DOES_NOT_WIRE_THE_CORE = noClasses()
        .that().resideInAPackage("io.mcrelay.linux..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mcrelay.core..", "io.mcrelay.runtime..",
            "io.mcrelay.daemon..")
        .because("io.mcrelay.daemon is the composition root; the linux packages stay a layer of seam "
            + "implementations that can be tested on their own");

    /**
     * The rooms of relay's main code, bottom floor first, each with the rooms it may use besides itself (LAYOUT.md):
     * 1. {@code rules}, {@code seam}; 2. {@code protocol}, {@code control}, {@code config}, {@code entries};
     * 3. {@code core.worker}, {@code core.supervisor}; 4. {@code journal}, {@code record}, {@code runtime},
     * {@code linux.*}, {@code traffic}; 5. {@code cli}; 6. {@code daemon}. A room uses only lower floors, and of its
     * own floor only what is listed. The root package holds {@code BuildInfo}, which any room may read.
     */
    public static final Map<String, List<String>> ROOMS = rooms();

    private static Map<String, List<String>> rooms() {
        final List<String> floor1 = List.of("io.mcrelay", "io.mcrelay.rules", "io.mcrelay.seam");
        final List<String> floor2 = concat(floor1, "io.mcrelay.protocol", "io.mcrelay.control", "io.mcrelay.config",
            "io.mcrelay.entries");
        final List<String> floor3 = concat(floor2, "io.mcrelay.core.worker", "io.mcrelay.core.supervisor");
        final Map<String, List<String>> rooms = new LinkedHashMap<>();
        rooms.put("io.mcrelay", List.of());
        rooms.put("io.mcrelay.rules", List.of("io.mcrelay"));
        rooms.put("io.mcrelay.seam", List.of("io.mcrelay", "io.mcrelay.rules"));
        rooms.put("io.mcrelay.protocol", floor1);
        rooms.put("io.mcrelay.control", concat(floor1, "io.mcrelay.protocol"));
        rooms.put("io.mcrelay.config", concat(floor1, "io.mcrelay.protocol"));
        // The journal entries the core writes, in their own versioned encoding: the wire primitives of protocol,
        // never a worker-channel message (JournalLayeringTest narrows it to those classes).
        rooms.put("io.mcrelay.entries", concat(floor1, "io.mcrelay.protocol"));
        rooms.put("io.mcrelay.core.worker", floor2);
        rooms.put("io.mcrelay.core.supervisor", concat(floor2, "io.mcrelay.core.worker"));
        // Below the core: the journal stores what the core writes but never reads a core class.
        rooms.put("io.mcrelay.journal", floor2);
        rooms.put("io.mcrelay.record", concat(floor3, "io.mcrelay.journal"));
        // Seam implementations: they implement the seams' vocabulary, and wire no core object.
        rooms.put("io.mcrelay.runtime", floor2);
        rooms.put("io.mcrelay.linux.sys", floor2);
        rooms.put("io.mcrelay.linux.packet", concat(floor2, "io.mcrelay.linux.sys"));
        // The packet-I/O backends read the packet sockets' rings.
        rooms.put("io.mcrelay.linux.packetio", concat(floor2, "io.mcrelay.linux.sys", "io.mcrelay.linux.packet"));
        // A worker process is started with its packet-I/O options on its command line (WorkerIo.Config).
        rooms.put("io.mcrelay.linux.process", concat(floor2, "io.mcrelay.linux.sys", "io.mcrelay.linux.packetio"));
        rooms.put("io.mcrelay.linux.netlink", concat(floor2, "io.mcrelay.linux.sys"));
        // The traffic kit (gen, sink, the history checker) may send in batches through the bindings.
        rooms.put("io.mcrelay.traffic", concat(floor2, "io.mcrelay.linux.sys"));
        // Client commands reach the daemon only through its socket; they read journals (dump) themselves.
        rooms.put("io.mcrelay.cli", concat(floor2, "io.mcrelay.journal", "io.mcrelay.record", "io.mcrelay.traffic"));
        final List<String> below = new ArrayList<>(rooms.keySet());
        rooms.put("io.mcrelay.daemon", below);
        // The demo is a composition root too: it starts the daemon as a child process and speaks to its socket.
        rooms.put("io.mcrelay.demo", below);
        return Collections.unmodifiableMap(rooms);
    }

    private static List<String> concat(final List<String> base, final String... more) {
        final List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return List.copyOf(all);
    }

    /** True if {@code packageName} lies in {@code room}: the root room is its own package only, others nest. */
    static boolean inRoom(final String packageName, final String room) {
        return room.equals("io.mcrelay") ? packageName.equals(room)
            : packageName.equals(room) || packageName.startsWith(room + ".");
    }

    /** The room of {@code packageName}: the most specific room it lies in, or {@code null} if none. */
    static String roomOf(final String packageName) {
        String best = null;
        for (final String room : ROOMS.keySet()) {
            if (inRoom(packageName, room) && (best == null || room.length() > best.length())) {
                best = room;
            }
        }
        return best;
    }

    /** The rule of one room: its classes use only its own room, the rooms it may use, and code outside ours. */
    public static ArchRule roomRule(final String room) {
        final List<String> allowed = ROOMS.get(room);
        if (allowed == null) {
            throw new IllegalArgumentException("no such room: " + room);
        }
        return classes()
            .that(describe("reside in room " + room, (JavaClass c) -> room.equals(roomOf(c.getPackageName()))))
            .should().onlyDependOnClassesThat(describe("are outside io.mcrelay, or in " + room + " or " + allowed,
                (JavaClass target) -> !target.getPackageName().equals("io.mcrelay")
                    && !target.getPackageName().startsWith("io.mcrelay.")
                    || room.equals(roomOf(target.getPackageName()))
                    || allowed.contains(roomOf(target.getPackageName()))))
            .because("dependencies point down (LAYOUT.md): a room uses lower floors only, and of its own floor only "
                + "what LAYOUT.md lists")
            .allowEmptyShould(true);
    }

    /** Every production class lives in one of the {@link #ROOMS}: a new package is placed on a floor first. */
    public static final ArchRule EVERY_CLASS_HAS_A_ROOM = classes()
        .that().resideInAPackage("io.mcrelay..")
        .should(new ArchCondition<JavaClass>("reside in one of the rooms of LAYOUT.md") {
            @Override
            public void check(final JavaClass item, final ConditionEvents events) {
                if (roomOf(item.getPackageName()) == null) {
                    events.add(SimpleConditionEvent.violated(item, item.getName() + " is in no room: add its "
                        + "package to ArchRules.ROOMS and LAYOUT.md"));
                }
            }
        });

    /** The methods that expose a hash-ordered collection's order. */
    private static final List<String> HASH_ORDER_METHODS = List.of("keySet", "values", "entrySet", "forEach",
        "iterator", "stream", "spliterator", "toArray");

    private static boolean forbiddenCall(final String owner, final String method) {
        return switch (owner) {
            case "java.lang.System" -> method.equals("nanoTime") || method.equals("currentTimeMillis")
                || method.equals("identityHashCode");
            // Hash order must not reach an output: no iteration over a hash-ordered collection typed as such.
            case "java.util.HashMap", "java.util.HashSet", "java.util.IdentityHashMap" -> HASH_ORDER_METHODS.contains(
                method);
            case "java.lang.Thread" -> method.equals("sleep") || method.equals("start") || method.equals("ofPlatform")
                || method.equals("ofVirtual") || method.equals("startVirtualThread") || method.equals("onSpinWait");
            case "java.lang.Math", "java.lang.StrictMath" -> method.equals("random");
            case "java.util.UUID" -> method.equals("randomUUID");
            case "java.lang.Object" -> method.equals("wait");
            default -> owner.startsWith("java.time.") && method.equals("now");
        };
    }

    private static boolean forbiddenConstructor(final String owner) {
        return owner.equals("java.lang.Thread") || owner.equals("java.util.Random")
            || owner.equals("java.security.SecureRandom") || owner.equals("java.util.SplittableRandom")
            || owner.equals("java.util.Timer");
    }

    private static boolean forbiddenType(final String name) {
        return name.equals("java.util.concurrent.Executors") || name.equals("java.util.concurrent.ThreadLocalRandom")
            || name.equals("java.util.concurrent.ExecutorService") || name.equals("java.util.concurrent.ForkJoinPool")
            || name.equals("java.util.concurrent.ScheduledExecutorService") || name.equals("java.util.Timer")
            || name.equals("java.util.Random") || name.equals("java.security.SecureRandom")
            || name.equals("java.util.SplittableRandom") || name.equals("java.time.Clock")
            || name.equals("java.util.IdentityHashMap")
            || name.equals("java.time.InstantSource") || name.equals("java.util.concurrent.locks.LockSupport");
    }
}
