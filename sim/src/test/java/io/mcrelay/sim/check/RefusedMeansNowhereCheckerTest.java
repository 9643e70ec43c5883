package io.mcrelay.sim.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.mcrelay.control.ControlResponse;
import io.mcrelay.control.RuleDocument;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleValidator;
import io.mcrelay.sim.seams.ManualClock;

/**
 * "Refused means nowhere" judges each answer to an add: no core mutant exists for it, so these cases show it the
 * answers a broken supervisor would give (a clash accepted or committed, a valid rule refused, a refusal that changed
 * the table) and the answers a sound one gives.
 */
class RefusedMeansNowhereCheckerTest {
    private static final RuleDocument RULE = new RuleDocument("clash-7", null, "in0", "239.1.0.1", 5000, null,
        List.of(new RuleDocument.OutputDocument("239.2.0.1", 6000, "out0", null)), null);

    private static final List<Rule> BEFORE = List.of();
    private static final List<Rule> AFTER = List.of(RuleValidator.validate(RULE.toSpec(), null, Limits.DEFAULT).rule());

    private final ManualClock clock = new ManualClock(3_000_000L, 0);
    private final Failures failures = new Failures(clock);
    private final RefusedMeansNowhereChecker checker = new RefusedMeansNowhereChecker(failures);

    @Test
    void anAcceptedClashIsCaught() {
        checker.check(RULE, true, new ControlResponse.RuleAdded(7, "clash-7", 4), BEFORE, () -> AFTER);
        assertEquals(List.of("refused means nowhere at 3 ms: a clashing or invalid rule was accepted: " + RULE),
            failures.list());
    }

    @Test
    void aCommittedClashIsCaught() {
        checker.check(RULE, true, new ControlResponse.NotAcked(7, "clash-7", 4, List.of(1)), BEFORE, () -> AFTER);
        assertEquals(1, failures.list().size());
        assertTrue(failures.list().getFirst().startsWith(RefusedMeansNowhereChecker.NAME + " at 3 ms: a clashing"));
    }

    @Test
    void aRefusalThatChangedTheTableIsCaught() {
        checker.check(RULE, true, new ControlResponse.Refused(7, "exists", "input in use", null), BEFORE, () -> AFTER);
        assertEquals(List.of("refused means nowhere at 3 ms: the table changed although the request was refused: "
            + "input in use"), failures.list());
    }

    @Test
    void aValidRuleRefusedIsCaught() {
        checker.check(RULE, false, new ControlResponse.Refused(7, "invalid", "no", null), BEFORE, () -> BEFORE);
        assertEquals(List.of("refused means nowhere at 3 ms: a valid new rule was refused: no"), failures.list());
    }

    @Test
    void soundAnswersPass() {
        checker.check(RULE, true, new ControlResponse.Refused(7, "exists", "input in use", null), BEFORE, () -> BEFORE);
        checker.check(RULE, false, new ControlResponse.RuleAdded(8, "t1", 5), BEFORE, () -> AFTER);
        checker.check(RULE, false, new ControlResponse.NotAcked(9, "t1", 5, List.of(1)), BEFORE, () -> AFTER);
        assertTrue(failures.isEmpty(), failures.list()::toString);
    }
}
