package io.mcrelay.arch;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;

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
        .orShould().dependOnClassesThat(describe("threads, executors, timers, JDK random generators or clocks",
            javaClass -> forbiddenType(javaClass.getName())))
        .orShould().dependOnClassesThat().resideInAnyPackage("io.mcrelay.runtime..", "io.mcrelay.linux..")
        .because("core runs in the simulator from a seed: time, randomness and threads come only through the seams "
            + "(io.mcrelay.seam), wired in by the runtime");

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

    /**
     * The Linux layer implements seams; it does not wire the core: only the composition root ({@code runtime}) puts
     * core objects, clocks and Linux objects together.
     */
    public static final ArchRule LINUX_DOES_NOT_WIRE_THE_CORE = noClasses()
        .that().resideInAPackage("io.mcrelay.linux..")
        .should().dependOnClassesThat().resideInAnyPackage("io.mcrelay.core..", "io.mcrelay.runtime..")
        .because("io.mcrelay.runtime is the composition root; the linux package stays a layer of seam "
            + "implementations that can be tested on its own");

    private static boolean forbiddenCall(final String owner, final String method) {
        return switch (owner) {
            case "java.lang.System" -> method.equals("nanoTime") || method.equals("currentTimeMillis");
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
            || name.equals("java.time.InstantSource") || name.equals("java.util.concurrent.locks.LockSupport");
    }
}
