package io.mcrelay.arch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;

import io.mcrelay.cli.archfixture.UsesForeignMemory;
import io.mcrelay.cli.archfixture.UsesJUnit;
import io.mcrelay.cli.archfixture.UsesSimulator;
import io.mcrelay.core.archfixture.ReadsSystemClock;
import io.mcrelay.core.archfixture.SleepsInCore;
import io.mcrelay.core.archfixture.StartsThread;
import io.mcrelay.core.archfixture.UsesInstantNow;
import io.mcrelay.core.archfixture.UsesRandomUuid;
import io.mcrelay.core.archfixture.UsesSystemClockImplementation;
import io.mcrelay.core.archfixture.UsesTheClockSeam;
import io.mcrelay.core.archfixture.UsesThreadLocalRandom;
import io.mcrelay.core.archfixture.UsesUnseededRandom;
import io.mcrelay.linux.archfixture.UsesTheSeams;
import io.mcrelay.linux.archfixture.WiresTheCore;

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
    void linuxRuleCatchesTheCoreInTheLinuxLayer() {
        assertViolates(ArchRules.LINUX_DOES_NOT_WIRE_THE_CORE, WiresTheCore.class);
        assertFalse(evaluate(ArchRules.LINUX_DOES_NOT_WIRE_THE_CORE, UsesTheSeams.class).hasViolation());
    }
}
