package io.mcrelay.sim;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.syntax.ArchRuleDefinition;

import io.mcrelay.arch.ArchRules;
import io.mcrelay.sim.seams.SimTimers;

/**
 * The simulator's classes keep the boundaries too: no native access outside relay's linux package, no subclass or
 * copy of a core class, and its rooms point down: the simulated seams depend on no other room, the checkers and the
 * fault schedule on neither the simulator that drives them nor the command line. Each rule is shown to bite on a
 * fixture that breaks it.
 */
class SimArchitectureTest {
    @Test
    void simUsesNoNativeAccess() {
        final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mcrelay.sim");
        org.junit.jupiter.api.Assertions.assertTrue(classes.contain(SimTimers.class));
        ArchRules.FFM_ONLY_IN_LINUX.check(classes);
    }

    /** The simulator runs the core's classes as they are: it never subclasses one (mutants are test-only). */
    static final com.tngtech.archunit.lang.ArchRule SIM_NEVER_SUBCLASSES_CORE =
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
            .that().resideInAPackage("io.mcrelay.sim..")
            .should().beAssignableTo(com.tngtech.archunit.base.DescribedPredicate.describe("a core class",
                (com.tngtech.archunit.core.domain.JavaClass c) -> c.getPackageName().startsWith("io.mcrelay.core")
                    && !c.isInterface()))
            .because("the simulator must drive the very classes production runs; mutants live in sim/src/test");

    @Test
    void simNeverSubclassesACoreClass() {
        final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mcrelay.sim");
        SIM_NEVER_SUBCLASSES_CORE.check(classes);
    }

    /**
     * Nor does it copy one: a class of the simulator named like a core class is almost surely a copy that would let
     * the simulator test something other than what production runs.
     */
    static com.tngtech.archunit.lang.ArchRule simCopiesNoCoreClass(final JavaClasses core) {
        final java.util.Set<String> coreNames = new java.util.TreeSet<>();
        core.stream().filter(c -> c.isTopLevelClass() && !c.getSimpleName().equals("package-info"))
            .forEach(c -> coreNames.add(c.getSimpleName()));
        return com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses()
            .that().resideInAPackage("io.mcrelay.sim..")
            .should(new com.tngtech.archunit.lang.ArchCondition<com.tngtech.archunit.core.domain.JavaClass>(
                "have the name of a core class") {
                @Override
                public void check(final com.tngtech.archunit.core.domain.JavaClass item,
                                  final com.tngtech.archunit.lang.ConditionEvents events) {
                    if (item.isTopLevelClass() && coreNames.contains(item.getSimpleName())) {
                        events.add(com.tngtech.archunit.lang.SimpleConditionEvent.satisfied(item,
                            item.getName() + " is named like a core class"));
                    }
                }
            });
    }

    @Test
    void simCopiesNoCoreClass() {
        final JavaClasses core = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mcrelay.core");
        org.junit.jupiter.api.Assertions.assertTrue(core.contain(io.mcrelay.core.supervisor.Supervisor.class));
        final JavaClasses sim = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mcrelay.sim");
        simCopiesNoCoreClass(core).check(sim);
        // and the rule bites: a simulator class named like a core class is reported
        final JavaClasses fixture = new ClassFileImporter().importClasses(
            io.mcrelay.sim.archfixture.WorkerAgent.class);
        org.junit.jupiter.api.Assertions.assertTrue(simCopiesNoCoreClass(core).evaluate(fixture).hasViolation());
    }

    @Test
    void theSubclassRuleCatchesASubclass() {
        final JavaClasses fixture = new ClassFileImporter().importClasses(
            io.mcrelay.sim.archfixture.SubclassesSupervisor.class);
        org.junit.jupiter.api.Assertions.assertTrue(SIM_NEVER_SUBCLASSES_CORE.evaluate(fixture).hasViolation());
    }

    private static JavaClasses simMain() {
        return new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.mcrelay.sim");
    }

    private static boolean violates(final ArchRule rule, final Class<?> fixture) {
        return rule.evaluate(new ClassFileImporter().importClasses(fixture)).hasViolation();
    }

    /**
     * A run is one thread's: outside the command line (which may run many seeds at once, each whole on its own
     * thread), no class of the simulator starts, sleeps or schedules a thread, or uses an executor.
     */
    static final ArchRule ONE_THREAD_PER_RUN = ArchRuleDefinition.noClasses()
        .that().resideInAPackage("io.mcrelay.sim..").and().resideOutsideOfPackage("io.mcrelay.sim.cli..")
        .should().callConstructorWhere(com.tngtech.archunit.base.DescribedPredicate.describe("a thread",
            (com.tngtech.archunit.core.domain.JavaCall<?> call) -> call.getTargetOwner().isAssignableTo(Thread.class)))
        .orShould().callMethodWhere(com.tngtech.archunit.base.DescribedPredicate.describe(
            "a thread's start, sleep or builder",
            (com.tngtech.archunit.core.domain.JavaCall<?> call) -> call.getTargetOwner().isAssignableTo(Thread.class)
                && java.util.Set.of("start", "sleep", "ofPlatform", "ofVirtual", "startVirtualThread")
                    .contains(call.getName())))
        .orShould().dependOnClassesThat().areAssignableTo(java.util.concurrent.Executor.class)
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.concurrent.Executors")
        .because("a seed's run must be reproducible from the seed alone; only the command line spreads seeds");

    @Test
    void noRunStartsAThreadOutsideTheCommandLine() {
        final JavaClasses classes = simMain();
        org.junit.jupiter.api.Assertions.assertTrue(classes.contain(io.mcrelay.sim.cli.SeedFarm.class));
        ONE_THREAD_PER_RUN.check(classes);
        org.junit.jupiter.api.Assertions.assertTrue(violates(ONE_THREAD_PER_RUN,
            io.mcrelay.sim.check.archfixture.StartsAThread.class));
        org.junit.jupiter.api.Assertions.assertFalse(violates(ONE_THREAD_PER_RUN,
            io.mcrelay.sim.check.archfixture.WatchesTheSeams.class));
    }

    /** The checkers and the fault schedule are used by the command line, never the other way round. */
    static final ArchRule CHECK_AND_FAULT_STAY_OUT_OF_CLI = ArchRuleDefinition.noClasses()
        .that().resideInAnyPackage("io.mcrelay.sim.check..", "io.mcrelay.sim.fault..")
        .should().dependOnClassesThat().resideInAPackage("io.mcrelay.sim.cli..")
        .because("the command line drives the simulator, whose checkers and faults know nothing of it");

    /** Nor do they reach up into the simulator that drives them: they watch and act on the cluster's seams. */
    static final ArchRule CHECK_AND_FAULT_STAY_BELOW_THE_SIMULATOR = ArchRuleDefinition.noClasses()
        .that().resideInAnyPackage("io.mcrelay.sim.check..", "io.mcrelay.sim.fault..")
        .should().dependOnClassesThat().resideInAPackage("io.mcrelay.sim")
        .because("the simulator uses its checkers and fault schedule: dependencies point down");

    /** The simulated seams are the bottom room: they depend on no other room of the simulator. */
    static final ArchRule SEAMS_STAND_ALONE = ArchRuleDefinition.noClasses()
        .that().resideInAPackage("io.mcrelay.sim.seams..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mcrelay.sim", "io.mcrelay.sim.check..",
            "io.mcrelay.sim.fault..", "io.mcrelay.sim.replay..", "io.mcrelay.sim.cli..")
        .because("each simulated seam stands beside its production twin and passes the same contract test");

    @Test
    void checkersAndFaultsDoNotDependOnTheCommandLine() {
        final JavaClasses classes = simMain();
        org.junit.jupiter.api.Assertions.assertTrue(classes.contain(io.mcrelay.sim.check.DeliveryChecker.class)
            && classes.contain(io.mcrelay.sim.fault.FaultSchedule.class));
        CHECK_AND_FAULT_STAY_OUT_OF_CLI.check(classes);
        org.junit.jupiter.api.Assertions.assertTrue(violates(CHECK_AND_FAULT_STAY_OUT_OF_CLI,
            io.mcrelay.sim.check.archfixture.ReadsTheCommandLine.class));
        org.junit.jupiter.api.Assertions.assertTrue(violates(CHECK_AND_FAULT_STAY_OUT_OF_CLI,
            io.mcrelay.sim.fault.archfixture.ReadsTheCommandLine.class));
        org.junit.jupiter.api.Assertions.assertFalse(violates(CHECK_AND_FAULT_STAY_OUT_OF_CLI,
            io.mcrelay.sim.check.archfixture.WatchesTheSeams.class));
    }

    @Test
    void checkersAndFaultsDoNotDependOnTheSimulator() {
        CHECK_AND_FAULT_STAY_BELOW_THE_SIMULATOR.check(simMain());
        org.junit.jupiter.api.Assertions.assertTrue(violates(CHECK_AND_FAULT_STAY_BELOW_THE_SIMULATOR,
            io.mcrelay.sim.check.archfixture.DrivesTheSimulator.class));
        org.junit.jupiter.api.Assertions.assertFalse(violates(CHECK_AND_FAULT_STAY_BELOW_THE_SIMULATOR,
            io.mcrelay.sim.check.archfixture.WatchesTheSeams.class));
    }

    @Test
    void theSimulatedSeamsDependOnNoOtherRoom() {
        final JavaClasses classes = simMain();
        org.junit.jupiter.api.Assertions.assertTrue(classes.contain(SimTimers.class));
        SEAMS_STAND_ALONE.check(classes);
        org.junit.jupiter.api.Assertions.assertTrue(violates(SEAMS_STAND_ALONE,
            io.mcrelay.sim.seams.archfixture.LogsEvents.class));
    }
}
