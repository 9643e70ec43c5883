package io.mcrelay.bench;

import java.util.ArrayList;
import java.util.List;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/**
 * Deterministic rulesets for benchmarks: the same {@code count} always gives the same rules, so runs compare. The
 * rules vary the way real ones do (with and without a name, a source, a TTL; one to three outputs), because each of
 * those changes the encoded size that hashing and the codec pay for. Every input is distinct, as a rule table
 * requires.
 */
final class BenchmarkRules {
    private static final int INPUT_GROUP_BASE = 0xEF01_0000;  // 239.1.0.0
    private static final int OUTPUT_GROUP_BASE = 0xEF02_0000; // 239.2.0.0
    private static final int SOURCE_BASE = 0x0A00_0001;       // 10.0.0.1
    private static final int INPUT_PORT = 5000;
    private static final int OUTPUT_PORT_BASE = 6000;
    private static final int OUTPUTS_MAX = 3;
    private static final int TTL = 16;

    private BenchmarkRules() {
    }

    /** Rules {@code rule(0)} to {@code rule(count - 1)}, in that order. */
    static List<Rule> rules(final int count) {
        if (count < 0 || count > Limits.RULES_MAX_CEILING) {
            throw new IllegalArgumentException("rule count out of range: " + count);
        }
        final List<Rule> rules = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            rules.add(rule(i));
        }
        return List.copyOf(rules);
    }

    /** Rule number {@code index}; rules with different indexes have different ids and inputs. */
    static Rule rule(final int index) {
        final IpAddress source = index % 4 == 0 ? IpAddress.ipv4(SOURCE_BASE + index) : null;
        final RuleInput input = new RuleInput("eth0", IpAddress.ipv4(INPUT_GROUP_BASE + index), INPUT_PORT, source);
        final int outputCount = 1 + index % OUTPUTS_MAX;
        final List<RuleOutput> outputs = new ArrayList<>(outputCount);
        for (int k = 0; k < outputCount; k++) {
            outputs.add(new RuleOutput(IpAddress.ipv4(OUTPUT_GROUP_BASE + index), OUTPUT_PORT_BASE + k,
                "eth" + (k + 1), k == 0 ? RuleOutput.TTL_UNSET : TTL));
        }
        final String name = index % 2 == 0 ? "feed-" + index : null;
        return new Rule(new RuleId("rule-" + index), name, input, outputs);
    }
}
