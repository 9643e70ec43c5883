package io.mcrelay.control.archfixture;

import io.mcrelay.config.ConfigParser;

/** Breaks the room rule of {@code control} on purpose (control refers to its sibling config): see ArchRulesTest. */
public final class UsesTheConfigParser {
    private UsesTheConfigParser() {
    }

    public static long use() {
        return ConfigParser.class.getName().length();
    }
}
