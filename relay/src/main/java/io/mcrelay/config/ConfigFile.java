package io.mcrelay.config;

import java.util.List;

import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;

/**
 * A validated config file: its rules in file order and its optional limits.
 *
 * @param limits the file's {@code limits}, or {@code null} when it has none
 */
public record ConfigFile(List<Entry> rules, Limits limits) {
    public ConfigFile {
        rules = List.copyOf(rules);
    }

    /**
     * One rule of the file.
     *
     * @param idGiven false when the file named no id: {@code rule} then carries a placeholder id, and loading keeps
     *                the id of an identical rule already in the table or generates one
     */
    public record Entry(Rule rule, boolean idGiven) {
    }
}
