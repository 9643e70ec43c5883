package io.mcrelay.arch;

import org.junit.jupiter.api.Test;

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
    void theImportSeesTheCoreAndNoFixture() {
        // Guards the guard: a rule over an empty import passes vacuously.
        org.junit.jupiter.api.Assertions.assertTrue(CLASSES.contain(io.mcrelay.core.worker.RuleSet.class));
        org.junit.jupiter.api.Assertions.assertTrue(CLASSES.stream()
            .noneMatch(c -> c.getPackageName().contains("archfixture") || c.getSimpleName().endsWith("Test")));
    }
}
