package io.mcrelay.sim.check;

import java.util.List;
import java.util.function.Supplier;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.rules.Rule;

/**
 * Refused means nowhere: an add that must be refused (a rule clashing with a live one, an invalid rule) is refused
 * and leaves the rule table as it was; an add that is valid is not refused. A supervisor that commits a change it
 * refuses, or accepts one it should refuse, is what it exists to catch.
 */
public final class RefusedMeansNowhereChecker extends Checker {
    public static final String NAME = "refused means nowhere";

    public RefusedMeansNowhereChecker(final Failures failures) {
        super(NAME, failures);
    }

    /**
     * Judges the answer to the add of {@code rule}: {@code mustRefuse} says whether the request was one that must be
     * refused, {@code rulesBefore} is the table when it was sent and {@code rulesNow} reads it now (the rules
     * themselves: the ruleset hash also moves when an input interface comes or goes). Answers other than added, not
     * acked or refused are not this checker's to judge.
     */
    public void check(final RuleDocument rule, final boolean mustRefuse, final ControlResponse response,
                      final List<Rule> rulesBefore, final Supplier<List<Rule>> rulesNow) {
        switch (response) {
            case ControlResponse.RuleAdded added -> {
                if (mustRefuse) {
                    fail("a clashing or invalid rule was accepted: " + rule);
                }
            }
            case ControlResponse.NotAcked notAcked -> {
                if (mustRefuse) {
                    fail("a clashing or invalid rule was committed: " + rule);
                }
            }
            case ControlResponse.Refused refused -> {
                if (!mustRefuse) {
                    fail("a valid new rule was refused: " + refused.message());
                } else if (!rulesNow.get().equals(rulesBefore)) {
                    fail("the table changed although the request was refused: " + refused.message());
                }
            }
            default -> {
            }
        }
    }
}
