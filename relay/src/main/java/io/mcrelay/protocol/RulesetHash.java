package io.mcrelay.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;

import io.mcrelay.rules.Rule;

/**
 * The ruleset hash that workers send in every {@code Ack} and heartbeat and the supervisor compares with its own.
 *
 * <p>Definition (stable across JVMs, versions and insertion order):
 * <pre>
 *   digest(rule)  = the first 8 bytes, read big-endian as a signed 64-bit integer, of
 *                   SHA-256(RuleEncoding.toBytes(rule))
 *   hash(ruleset) = the sum of digest(rule) over every rule of the set, modulo 2^64 (0 for the empty set)
 * </pre>
 * A sum is independent of order by construction, so it equals the same function evaluated over the rules sorted
 * by id, and it can be kept up to date in O(1) per added or removed rule ({@link #add}, {@link #subtract}) rather
 * than rehashing 65,536 rules on every change. Any change to any field of any rule changes that rule's digest.
 * Stateless and thread-safe.
 */
public final class RulesetHash {
    /** The hash of the empty ruleset. */
    public static final long EMPTY = 0L;

    private RulesetHash() {
    }

    /** The digest of one rule. */
    public static long digest(final Rule rule) {
        final byte[] sha = sha256().digest(RuleEncoding.toBytes(rule));
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = value << 8 | (sha[i] & 0xFF);
        }
        return value;
    }

    /** The hash of a whole ruleset. */
    public static long of(final Collection<Rule> rules) {
        long hash = EMPTY;
        for (final Rule rule : rules) {
            hash += digest(rule);
        }
        return hash;
    }

    /** The hash after adding a rule with digest {@code ruleDigest}. */
    public static long add(final long hash, final long ruleDigest) {
        return hash + ruleDigest;
    }

    /** The hash after removing a rule with digest {@code ruleDigest}. */
    public static long subtract(final long hash, final long ruleDigest) {
        return hash - ruleDigest;
    }

    /** The usual printed form: 16 lower-case hex digits. */
    public static String format(final long hash) {
        return String.format("%016x", hash);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
