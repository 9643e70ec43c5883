package io.mcrelay.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;

import io.mcrelay.rules.Rule;

/**
 * The ruleset hash that workers send in every {@code Ack} and heartbeat and the supervisor compares with its own.
 *
 * <p>Definition (stable across JVMs, versions and insertion order):
 * <pre>
 *   digest(rule)           = the first 8 bytes, read big-endian as a signed 64-bit integer, of
 *                            SHA-256(RuleEncoding.toBytes(rule))
 *   digest(input)          = the same of SHA-256("mcrelay-input" 0x00, the interface name in UTF-8, 0x00,
 *                            the interface index as 4 bytes big-endian)
 *   hash(rules, inputs)    = the sum of digest(rule) over every rule and of digest(input) over every input held
 *                            (interface name and index), modulo 2^64 (0 when both are empty)
 * </pre>
 * The inputs are the ones a worker receives on; the supervisor's expected hash uses the inputs it handed over, so a
 * worker that lacks an input (or holds one of a deleted interface) reports another hash. A fanout member's position
 * never enters it: every converged worker reports the same hash.
 * A sum is independent of order by construction, so it equals the same function evaluated over the rules sorted
 * by id, and it can be kept up to date in O(1) per added or removed rule ({@link #add}, {@link #subtract}) rather
 * than rehashing 65,536 rules on every change. Any change to any field of any rule changes that rule's digest.
 * Stateless and thread-safe.
 */
public final class RulesetHash {
    /** The hash of the empty ruleset. */
    public static final long EMPTY = 0L;
    /** What an input's digest starts with ("mcrelay-input" and a 0 byte), so it is never a rule's encoding. */
    private static final byte[] INPUT_TAG = "mcrelay-input\0".getBytes(StandardCharsets.US_ASCII);
    /** One SHA-256 digest per thread: see {@link #sha256()}. */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    });

    private RulesetHash() {
    }

    /** The digest of one rule. */
    public static long digest(final Rule rule) {
        return first8(sha256().digest(RuleEncoding.toBytes(rule)));
    }

    private static long first8(final byte[] sha) {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = value << 8 | (sha[i] & 0xFF);
        }
        return value;
    }

    /**
     * The digest of one input held: interface {@code interfaceName} with index {@code ifIndex}.
     */
    public static long inputDigest(final String interfaceName, final int ifIndex) {
        final byte[] name = interfaceName.getBytes(StandardCharsets.UTF_8);
        final MessageDigest sha = sha256();
        sha.update(INPUT_TAG);
        sha.update(name);
        sha.update(new byte[] {0, (byte) (ifIndex >>> 24), (byte) (ifIndex >>> 16), (byte) (ifIndex >>> 8),
            (byte) ifIndex});
        return first8(sha.digest());
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

    /**
     * A SHA-256 digest for this thread, reset: looking one up per rule ({@code MessageDigest.getInstance}, a provider
     * search) cost as much as hashing the rule when a table of 10,000 rules was committed or taken in.
     */
    private static MessageDigest sha256() {
        final MessageDigest sha = SHA256.get();
        sha.reset();
        return sha;
    }
}
