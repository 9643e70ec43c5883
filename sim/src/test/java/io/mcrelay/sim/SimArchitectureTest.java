package io.mcrelay.sim;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

import io.mcrelay.arch.ArchRules;

/** The simulator's classes keep the boundaries too: no native access outside relay's linux package. */
class SimArchitectureTest {
    @Test
    void simUsesNoNativeAccess() {
        final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mcrelay.sim");
        org.junit.jupiter.api.Assertions.assertTrue(classes.contain(SimTimers.class));
        ArchRules.FFM_ONLY_IN_LINUX.check(classes);
    }
}
