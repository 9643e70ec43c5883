package io.mcrelay.testing;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Gives every jqwik property without an explicit seed the seed in the system property {@code jqwik.seed}, so that
 * {@code mvn verify} runs fixed seeds (the parent pom sets 42) and the nightly profile, which sets it empty, draws
 * fresh ones. Registered globally in {@code META-INF/services/net.jqwik.api.lifecycle.LifecycleHook}; shipped in
 * relay's test-jar so every module's properties get it.
 */
public final class FixedSeedHook implements AroundPropertyHook {
    /** The system property that holds the seed; empty or absent means random seeds. */
    public static final String SEED_PROPERTY = "jqwik.seed";

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(
        final PropertyLifecycleContext context, final PropertyExecutor property) {
        final String seed = System.getProperty(SEED_PROPERTY, "").trim();
        if (!seed.isEmpty() && context.attributes().seed().isEmpty()) {
            context.attributes().setSeed(seed);
        }
        return property.execute();
    }

    @Override
    public int aroundPropertyProximity() {
        // Outside every other hook, so the seed is in place before anything generates.
        return -100;
    }
}
