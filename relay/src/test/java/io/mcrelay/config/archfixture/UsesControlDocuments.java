package io.mcrelay.config.archfixture;

import io.mcrelay.control.RuleDocument;

/** Breaks the room rule of {@code config} on purpose (config refers to its sibling control): see ArchRulesTest. */
public final class UsesControlDocuments {
    private UsesControlDocuments() {
    }

    public static long use(final RuleDocument document) {
        return document.id().length();
    }
}
