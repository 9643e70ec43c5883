package io.mcrelay.core.archfixture;

import java.util.HashSet;
import java.util.List;

/** Breaks the core rule on purpose: it lets a hash set's order reach its output. See ArchRulesTest. */
public final class IteratesAHashSet {
    private IteratesAHashSet() {
    }

    public static List<String> inHashOrder(final HashSet<String> names) {
        return names.stream().toList();
    }
}
