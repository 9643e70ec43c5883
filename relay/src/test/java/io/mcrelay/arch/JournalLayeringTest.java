package io.mcrelay.arch;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;

import io.mcrelay.entries.archfixture.UsesTheWirePrimitives;
import io.mcrelay.entries.archfixture.UsesTheWorkerProtocol;
import io.mcrelay.journal.archfixture.UsesTheCore;

/**
 * The journal's encoding sits below the core: {@code io.mcrelay.entries} uses the rule model, the seams and the wire
 * primitives, never a worker-channel message (a worker protocol change must not make a daemon refuse its journal)
 * nor anything above it; {@code io.mcrelay.journal} imports no core class. Each rule is shown failing on a fixture
 * that breaks it.
 */
class JournalLayeringTest {
    private static final JavaClasses CLASSES = ArchRules.productionClasses();
    /** The only classes of {@code protocol} the entries may use: the wire primitives. */
    private static final Set<String> WIRE_PRIMITIVES = Set.of("io.mcrelay.protocol.WireReader",
        "io.mcrelay.protocol.WireWriter", "io.mcrelay.protocol.CodecException");

    static final ArchRule JOURNAL_IMPORTS_NO_CORE = noClasses()
        .that().resideInAPackage("io.mcrelay.journal..")
        .should().dependOnClassesThat().resideInAPackage("io.mcrelay.core..")
        .because("the journal stores and checks entries; what the core's entries mean is io.mcrelay.entries'");

    static final ArchRule ENTRIES_STAY_BELOW_THE_CORE = noClasses()
        .that().resideInAPackage("io.mcrelay.entries..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mcrelay.core..", "io.mcrelay.journal..",
            "io.mcrelay.record..", "io.mcrelay.control..", "io.mcrelay.config..", "io.mcrelay.runtime..",
            "io.mcrelay.linux..", "io.mcrelay.daemon..", "io.mcrelay.cli..")
        .orShould().dependOnClassesThat(describe("worker-channel classes (protocol beyond the wire primitives)",
            (JavaClass c) -> c.getPackageName().equals("io.mcrelay.protocol")
                && !WIRE_PRIMITIVES.contains(c.getName())))
        .because("journal entries have their own versioned encoding, below the core and apart from the worker "
            + "protocol");

    @Test
    void theJournalImportsNoCoreClass() {
        JOURNAL_IMPORTS_NO_CORE.check(CLASSES);
    }

    @Test
    void theEntriesUseNoWorkerChannelMessageAndNothingAboveThem() {
        ENTRIES_STAY_BELOW_THE_CORE.check(CLASSES);
    }

    @Test
    void theImportSeesBothPackages() {
        // Guards the guard: a rule over an empty package passes vacuously.
        assertTrue(CLASSES.contain(io.mcrelay.journal.ChronicleJournal.class));
        assertTrue(CLASSES.contain(io.mcrelay.entries.SnapshotEntry.class));
    }

    @Test
    void eachRuleFailsOnAClassThatBreaksIt() {
        assertTrue(JOURNAL_IMPORTS_NO_CORE.evaluate(new ClassFileImporter().importClasses(UsesTheCore.class))
            .hasViolation());
        assertTrue(ENTRIES_STAY_BELOW_THE_CORE.evaluate(new ClassFileImporter()
            .importClasses(UsesTheWorkerProtocol.class)).hasViolation());
        assertFalse(ENTRIES_STAY_BELOW_THE_CORE.evaluate(new ClassFileImporter()
            .importClasses(UsesTheWirePrimitives.class)).hasViolation());
    }
}
