package io.mcrelay.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.quicktheories.QuickTheory.qt;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.mcrelay.core.worker.RuleSet;
import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.testing.Generators;
import io.mcrelay.testing.RuleGenerators;

/**
 * The ruleset hash ignores insertion order, changes when any field of any rule changes, and the incremental form
 * kept by {@link RuleSet} always equals the hash recomputed from scratch.
 */
class RulesetHashProperties {

    @Test
    void hashIgnoresInsertionOrder() {
        qt().withExamples(300)
            .forAll(RuleGenerators.ruleSets(30), Generators.longs())
            .checkAssert((rules, shuffleSeed) -> {
                final List<Rule> shuffled = new ArrayList<>(rules);
                Collections.shuffle(shuffled, new Random(shuffleSeed));
                assertEquals(RulesetHash.of(rules), RulesetHash.of(shuffled));
                assertEquals(RuleSet.of(rules).hash(), RuleSet.of(shuffled).hash());
                assertEquals(RulesetHash.of(rules), RuleSet.of(shuffled).hash());
            });
    }

    @Test
    void hashChangesWithAnyField() {
        qt().withExamples(1000)
            .forAll(RuleGenerators.rules(), Generators.ints(0, 11))
            .checkAssert((rule, mutation) -> {
                final Rule changed = mutate(rule, mutation);
                if (changed.equals(rule)) {
                    return; // this mutation happens to be a no-op for this rule (e.g. ttl already that value)
                }
                assertNotEquals(RulesetHash.digest(rule), RulesetHash.digest(changed), () -> rule + " vs " + changed);
                assertNotEquals(RulesetHash.of(List.of(rule)), RulesetHash.of(List.of(changed)));
            });
    }

    @Test
    void incrementalHashEqualsFullHash() {
        qt().withExamples(200)
            .forAll(RuleGenerators.ruleSets(30), Generators.longs())
            .checkAssert((rules, seed) -> {
                final Random random = new Random(seed);
                final RuleSet set = new RuleSet();
                for (final Rule rule : rules) {
                    set.put(rule);
                    if (random.nextInt(3) == 0) {
                        set.remove(rules.get(random.nextInt(rules.size())).id());
                    }
                    assertEquals(RulesetHash.of(set.rules()), set.hash());
                }
                for (final Rule rule : rules) {
                    set.remove(rule.id());
                }
                assertEquals(RulesetHash.EMPTY, set.hash());
            });
    }

    /** One change to one field; every field of the rule and of its first output is covered. */
    private static Rule mutate(final Rule rule, final int mutation) {
        final RuleInput in = rule.input();
        final RuleOutput out = rule.outputs().getFirst();
        final List<RuleOutput> outputs = new ArrayList<>(rule.outputs());
        return switch (mutation) {
            case 0 -> new Rule(new RuleId(rule.id().value().length() < 64 ? rule.id().value() + "x" : "y"),
                rule.name(), in, outputs);
            case 1 -> new Rule(rule.id(), rule.name() == null ? "n" : null, in, outputs);
            case 2 -> new Rule(rule.id(), rule.name(),
                new RuleInput(in.interfaceName().equals("eth9") ? "eth8" : "eth9", in.group(), in.port(), in.source()),
                outputs);
            case 3 -> new Rule(rule.id(), rule.name(),
                new RuleInput(in.interfaceName(), next(in.group()), in.port(), in.group().isMulticast()
                    && next(in.group()).isMulticast() ? in.source() : null), outputs);
            case 4 -> new Rule(rule.id(), rule.name(),
                new RuleInput(in.interfaceName(), in.group(), in.port() % 65535 + 1, in.source()), outputs);
            case 5 -> new Rule(rule.id(), rule.name(), new RuleInput(in.interfaceName(), in.group(), in.port(),
                in.source() == null && in.group().isMulticast() ? IpAddress.parse("10.0.0.1") : null), outputs);
            case 6 -> withFirstOutput(rule, new RuleOutput(next(out.group()), out.port(), out.interfaceName(), out.ttl()));
            case 7 -> withFirstOutput(rule, new RuleOutput(out.group(), out.port() % 65535 + 1, out.interfaceName(),
                out.ttl()));
            case 8 -> withFirstOutput(rule, new RuleOutput(out.group(), out.port(),
                out.interfaceName().equals("out9") ? "out8" : "out9", out.ttl()));
            case 9 -> withFirstOutput(rule, new RuleOutput(out.group(), out.port(), out.interfaceName(),
                (out.ttl() + 1) % 256));
            case 10 -> {
                outputs.add(new RuleOutput(IpAddress.parse("239.255.0.1"), 1, "extra0", 0));
                yield new Rule(rule.id(), rule.name(), in, outputs);
            }
            default -> {
                Collections.reverse(outputs); // output order is part of the rule
                yield new Rule(rule.id(), rule.name(), in, outputs);
            }
        };
    }

    private static Rule withFirstOutput(final Rule rule, final RuleOutput output) {
        final List<RuleOutput> outputs = new ArrayList<>(rule.outputs());
        outputs.set(0, output);
        return new Rule(rule.id(), rule.name(), rule.input(), outputs);
    }

    private static IpAddress next(final IpAddress address) {
        return IpAddress.ipv4(address.ipv4Value() + 1);
    }
}
