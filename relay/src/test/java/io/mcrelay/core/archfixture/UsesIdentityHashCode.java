package io.mcrelay.core.archfixture;

/** Breaks the core rule on purpose: an identity hash differs between runs. See ArchRulesTest. */
public final class UsesIdentityHashCode {
    private UsesIdentityHashCode() {
    }

    public static int order(final Object agent) {
        return System.identityHashCode(agent);
    }
}
