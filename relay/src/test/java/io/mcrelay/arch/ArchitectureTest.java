package io.mcrelay.arch;

import java.util.stream.Stream;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import com.tngtech.archunit.core.domain.JavaClasses;

/** relay's production classes keep the boundaries of {@link ArchRules}. */
class ArchitectureTest {
    private static final JavaClasses CLASSES = ArchRules.productionClasses();

    @Test
    void coreIsDeterministic() {
        ArchRules.CORE_IS_DETERMINISTIC.check(CLASSES);
    }

    @Test
    void relayStandsAlone() {
        ArchRules.RELAY_STANDS_ALONE.check(CLASSES);
    }

    @Test
    void ffmOnlyInLinux() {
        ArchRules.FFM_ONLY_IN_LINUX.check(CLASSES);
    }

    @Test
    void linuxDoesNotWireTheCore() {
        ArchRules.LINUX_DOES_NOT_WIRE_THE_CORE.check(CLASSES);
    }

    @Test
    void downcallsOnlyInLinuxSys() {
        ArchRules.DOWNCALLS_ONLY_IN_LINUX_SYS.check(CLASSES);
    }

    @Test
    void everyClassHasARoom() {
        ArchRules.EVERY_CLASS_HAS_A_ROOM.check(CLASSES);
    }

    /** Each room of LAYOUT.md keeps its dependency rule. */
    @TestFactory
    Stream<DynamicTest> eachRoomUsesOnlyTheRoomsItMay() {
        return ArchRules.ROOMS.keySet().stream().map(room ->
            DynamicTest.dynamicTest(room, () -> ArchRules.roomRule(room).check(CLASSES)));
    }

    @Test
    void theImportSeesTheCoreAndNoFixture() {
        // Guards the guard: a rule over an empty import passes vacuously.
        org.junit.jupiter.api.Assertions.assertTrue(CLASSES.contain(io.mcrelay.core.worker.RuleSet.class));
        org.junit.jupiter.api.Assertions.assertTrue(CLASSES.stream()
            .noneMatch(c -> c.getPackageName().contains("archfixture") || c.getSimpleName().endsWith("Test")));
    }
}
