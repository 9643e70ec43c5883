package io.mcrelay.linux.sys;

import java.util.Arrays;

/**
 * A set of descriptors to wait on with one {@code poll(2)} for readability (or hang-up, or error), rebuilt by its
 * owner before each wait ({@link #clear}, {@link #add}); the arrays grow as needed and are reused. Not thread-safe.
 */
public final class PollSet {
    private int[] fds = new int[16];
    private short[] revents = new short[16];
    private int count;

    /** Empties the set. */
    public void clear() {
        count = 0;
    }

    /** Adds {@code fd} (negative ones are ignored by {@code poll(2)}). */
    public void add(final int fd) {
        if (count == fds.length) {
            fds = Arrays.copyOf(fds, count * 2);
            revents = new short[count * 2];
        }
        fds[count++] = fd;
    }

    /** How many descriptors the set holds. */
    public int size() {
        return count;
    }

    /**
     * Waits up to {@code timeoutMs} (0: just looks, -1: forever) until one is readable, hung up or in error; returns
     * how many are.
     */
    public int await(final int timeoutMs) {
        return Processes.poll(fds, count, revents, timeoutMs);
    }
}
