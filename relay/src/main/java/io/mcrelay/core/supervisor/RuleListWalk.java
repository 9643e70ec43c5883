package io.mcrelay.core.supervisor;

import java.util.List;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

import io.mcrelay.rules.Rule;

/**
 * The difference between two rule lists in id order (as the rule table gives them), found by walking both at once:
 * what the supervisor's bookkeeping that follows each commit ({@link Inputs}' receive filters, {@link MembershipCounts})
 * uses instead of counting the whole table again. A rule only in the earlier list went, one only in the later came, and
 * one in both whose old and new versions differ in what the caller counts ({@code same} false) went and came. Costs a
 * walk of the two lists; allocates nothing.
 */
final class RuleListWalk {
    private RuleListWalk() {
    }

    /**
     * Calls {@code went} and {@code came} for the rules that differ between {@code before} and {@code now} (both in
     * id order), in id order; false, calling nothing, when {@code now} is not in id order (count again from nothing).
     */
    static boolean walk(final List<Rule> before, final List<Rule> now, final BiPredicate<Rule, Rule> same,
        final Consumer<Rule> went, final Consumer<Rule> came) {
        for (int i = 1; i < now.size(); i++) {
            if (now.get(i - 1).id().compareTo(now.get(i).id()) >= 0) {
                return false;
            }
        }
        int b = 0;
        int n = 0;
        while (b < before.size() || n < now.size()) {
            final Rule old = b < before.size() ? before.get(b) : null;
            final Rule rule = n < now.size() ? now.get(n) : null;
            final int order = old == null ? 1 : rule == null ? -1 : old.id().compareTo(rule.id());
            if (order < 0) {
                went.accept(old);
                b++;
            } else if (order > 0) {
                came.accept(rule);
                n++;
            } else {
                if (old != rule && !same.test(old, rule)) {
                    went.accept(old);
                    came.accept(rule);
                }
                b++;
                n++;
            }
        }
        return true;
    }
}
