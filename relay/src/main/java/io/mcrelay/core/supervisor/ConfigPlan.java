package io.mcrelay.core.supervisor;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.mcrelay.config.ConfigFile;
import io.mcrelay.core.worker.RuleSet;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;

/**
 * What a {@code config load} changes, as one epoch: rules no longer wanted or changed are removed, new and changed
 * rules are (re)inserted, unchanged rules are not touched, so their flows never drop a packet. A file rule without
 * an id takes the id of an identical rule already in the table, else a generated one.
 *
 * @param removals ids removed, including those of changed rules (they come back in {@code upserts})
 * @param upserts  new and changed rules, with their final ids
 * @param replaced how many of the removals come back changed under the same id
 */
record ConfigPlan(List<RuleId> removals, List<Rule> upserts, int added, int replaced, int kept) {

    static ConfigPlan of(final RuleSet current, final List<ConfigFile.Entry> entries, final long epoch) {
        final List<Rule> wanted = new ArrayList<>(entries.size());
        final Set<RuleId> takenIds = new HashSet<>();
        for (final ConfigFile.Entry entry : entries) {
            if (entry.idGiven()) {
                takenIds.add(entry.rule().id());
            }
        }
        int generated = 0;
        for (final ConfigFile.Entry entry : entries) {
            Rule rule = entry.rule();
            if (!entry.idGiven()) {
                final Rule same = current.findByInput(rule.input());
                if (same != null && !takenIds.contains(same.id()) && sameExceptId(same, rule)) {
                    rule = withId(rule, same.id());
                } else {
                    RuleId id;
                    do {
                        id = new RuleId("r" + (epoch + 1) + "-" + ++generated);
                    } while (takenIds.contains(id) || current.contains(id));
                    rule = withId(rule, id);
                }
                takenIds.add(rule.id());
            }
            wanted.add(rule);
        }

        final Set<RuleId> wantedIds = new HashSet<>();
        for (final Rule rule : wanted) {
            wantedIds.add(rule.id());
        }
        final List<RuleId> removals = new ArrayList<>();
        final List<Rule> upserts = new ArrayList<>();
        int replaced = 0;
        int kept = 0;
        int added = 0;
        for (final Rule rule : current.rules()) { // id order: deterministic
            if (!wantedIds.contains(rule.id())) {
                removals.add(rule.id());
            }
        }
        for (final Rule rule : wanted) {
            final Rule existing = current.get(rule.id());
            if (existing == null) {
                upserts.add(rule);
                added++;
            } else if (existing.equals(rule)) {
                kept++;
            } else {
                removals.add(rule.id());
                upserts.add(rule);
                replaced++;
                added++;
            }
        }
        return new ConfigPlan(removals, upserts, added, replaced, kept);
    }

    private static boolean sameExceptId(final Rule a, final Rule b) {
        return a.input().equals(b.input()) && a.outputs().equals(b.outputs())
            && java.util.Objects.equals(a.name(), b.name());
    }

    private static Rule withId(final Rule rule, final RuleId id) {
        return new Rule(id, rule.name(), rule.input(), rule.outputs());
    }
}
