package io.mcrelay.arch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;

import io.mcrelay.cli.archfixture.UsesForeignMemory;
import io.mcrelay.cli.archfixture.UsesJUnit;
import io.mcrelay.cli.archfixture.UsesSimulator;
import io.mcrelay.core.archfixture.IteratesAHashSet;
import io.mcrelay.core.archfixture.ReadsSystemClock;
import io.mcrelay.core.archfixture.SleepsInCore;
import io.mcrelay.core.archfixture.StartsThread;
import io.mcrelay.core.archfixture.UsesIdentityHashCode;
import io.mcrelay.core.archfixture.UsesInstantNow;
import io.mcrelay.core.archfixture.UsesRandomUuid;
import io.mcrelay.core.archfixture.UsesSystemClockImplementation;
import io.mcrelay.core.archfixture.UsesTheClockSeam;
import io.mcrelay.core.archfixture.UsesThreadLocalRandom;
import io.mcrelay.core.archfixture.UsesUnseededRandom;
import io.mcrelay.linux.archfixture.UsesTheSeams;
import io.mcrelay.linux.archfixture.WiresTheCore;
import io.mcrelay.linux.packet.archfixture.DeclaresADowncall;

/** Each rule of {@link ArchRules} fails on a class that breaks it, and passes on one that keeps it. */
class ArchRulesTest {
    private static EvaluationResult evaluate(final ArchRule rule, final Class<?>... classes) {
        final JavaClasses imported = new ClassFileImporter().importClasses(classes);
        return rule.evaluate(imported);
    }

    private static void assertViolates(final ArchRule rule, final Class<?> fixture) {
        final EvaluationResult result = evaluate(rule, fixture);
        assertTrue(result.hasViolation(), () -> fixture.getSimpleName() + " should break: " + rule.getDescription());
    }

    @Test
    void coreRuleCatchesClocksSleepsThreadsAndRandomness() {
        for (final Class<?> fixture : new Class<?>[] {ReadsSystemClock.class, SleepsInCore.class, StartsThread.class,
            UsesInstantNow.class, UsesRandomUuid.class, UsesThreadLocalRandom.class, UsesUnseededRandom.class,
            UsesSystemClockImplementation.class}) {
            assertViolates(ArchRules.CORE_IS_DETERMINISTIC, fixture);
        }
    }

    @Test
    void coreRuleAllowsTheSeams() {
        assertFalse(evaluate(ArchRules.CORE_IS_DETERMINISTIC, UsesTheClockSeam.class).hasViolation());
    }

    @Test
    void relayRuleCatchesOtherModulesAndTestLibraries() {
        assertViolates(ArchRules.RELAY_STANDS_ALONE, UsesSimulator.class);
        assertViolates(ArchRules.RELAY_STANDS_ALONE, UsesJUnit.class);
        assertFalse(evaluate(ArchRules.RELAY_STANDS_ALONE, UsesTheClockSeam.class).hasViolation());
    }

    @Test
    void ffmRuleCatchesForeignMemoryOutsideLinux() {
        assertViolates(ArchRules.FFM_ONLY_IN_LINUX, UsesForeignMemory.class);
        assertFalse(evaluate(ArchRules.FFM_ONLY_IN_LINUX, UsesTheClockSeam.class).hasViolation());
    }

    @Test
    void coreRuleCatchesHashOrderAndIdentityHashes() {
        assertViolates(ArchRules.CORE_IS_DETERMINISTIC, IteratesAHashSet.class);
        assertViolates(ArchRules.CORE_IS_DETERMINISTIC, UsesIdentityHashCode.class);
    }

    @Test
    void downcallRuleCatchesADowncallOutsideLinuxSys() {
        assertViolates(ArchRules.DOWNCALLS_ONLY_IN_LINUX_SYS, DeclaresADowncall.class);
        assertFalse(evaluate(ArchRules.DOWNCALLS_ONLY_IN_LINUX_SYS, UsesTheSeams.class).hasViolation());
    }

    /** One fixture per room, each using a room its floor may not: its room's rule fails on it. */
    static final Map<String, Class<?>> ROOM_FIXTURES = Map.ofEntries(
        Map.entry("io.mcrelay.rules", io.mcrelay.rules.archfixture.UsesTheSeams.class),
        Map.entry("io.mcrelay.seam", io.mcrelay.seam.archfixture.UsesTheWireFormat.class),
        Map.entry("io.mcrelay.protocol", io.mcrelay.protocol.archfixture.UsesControlRequests.class),
        Map.entry("io.mcrelay.control", io.mcrelay.control.archfixture.UsesTheConfigParser.class),
        Map.entry("io.mcrelay.config", io.mcrelay.config.archfixture.UsesControlDocuments.class),
        Map.entry("io.mcrelay.entries", io.mcrelay.entries.archfixture.UsesControlRequests.class),
        Map.entry("io.mcrelay.core.worker", io.mcrelay.core.worker.archfixture.UsesTheSupervisor.class),
        Map.entry("io.mcrelay.core.supervisor", io.mcrelay.core.supervisor.archfixture.UsesTheChronicleJournal.class),
        Map.entry("io.mcrelay.journal", io.mcrelay.journal.archfixture.UsesTheSupervisor.class),
        Map.entry("io.mcrelay.record", io.mcrelay.record.archfixture.UsesTheSystemClock.class),
        Map.entry("io.mcrelay.runtime", io.mcrelay.runtime.archfixture.UsesTheWorker.class),
        Map.entry("io.mcrelay.linux.sys", io.mcrelay.linux.sys.archfixture.UsesTheRings.class),
        Map.entry("io.mcrelay.linux.packet", io.mcrelay.linux.packet.archfixture.UsesWorkerUsers.class),
        Map.entry("io.mcrelay.linux.packetio", io.mcrelay.linux.packetio.archfixture.UsesTheLinkMonitor.class),
        Map.entry("io.mcrelay.linux.process", io.mcrelay.linux.process.archfixture.UsesTheLinkMonitor.class),
        Map.entry("io.mcrelay.linux.netlink", io.mcrelay.linux.netlink.archfixture.UsesPacketFilters.class),
        Map.entry("io.mcrelay.traffic", io.mcrelay.traffic.archfixture.UsesTheRings.class),
        Map.entry("io.mcrelay.cli", io.mcrelay.cli.archfixture.UsesTheDaemon.class),
        Map.entry("io.mcrelay.daemon", io.mcrelay.daemon.archfixture.UsesTheSimulator.class),
        Map.entry("io.mcrelay.demo", io.mcrelay.demo.archfixture.UsesTheSimulator.class));

    @TestFactory
    Stream<DynamicTest> eachRoomRuleFailsOnAFixtureThatReachesAForbiddenRoom() {
        return ArchRules.ROOMS.keySet().stream().filter(room -> !room.equals("io.mcrelay")).map(room ->
            DynamicTest.dynamicTest(room, () -> {
                final Class<?> fixture = ROOM_FIXTURES.get(room);
                assertTrue(fixture != null, "no fixture for room " + room);
                assertViolates(ArchRules.roomRule(room), fixture);
            }));
    }

    @Test
    void aRoomRuleAllowsItsLowerFloorsAndOutsideCode() {
        // The worker fixture of runtime uses core.worker, which the daemon may use.
        assertFalse(evaluate(ArchRules.roomRule("io.mcrelay.daemon"),
            io.mcrelay.runtime.archfixture.UsesTheWorker.class).hasViolation(),
            "the rule applies to its own room's classes only");
        assertFalse(evaluate(ArchRules.roomRule("io.mcrelay.core.worker"), UsesTheClockSeam.class).hasViolation());
    }

    @Test
    void aClassOutsideEveryRoomIsCaught() {
        assertViolates(ArchRules.EVERY_CLASS_HAS_A_ROOM, io.mcrelay.core.archfixture.UsesTheClockSeam.class);
        assertFalse(evaluate(ArchRules.EVERY_CLASS_HAS_A_ROOM,
            io.mcrelay.rules.archfixture.UsesTheSeams.class).hasViolation());
    }

    @Test
    void linuxRuleCatchesTheCoreInTheLinuxLayer() {
        assertViolates(ArchRules.LINUX_DOES_NOT_WIRE_THE_CORE, WiresTheCore.class);
        assertFalse(evaluate(ArchRules.LINUX_DOES_NOT_WIRE_THE_CORE, UsesTheSeams.class).hasViolation());
    }
}
