package io.mcrelay.seam.support;

import java.util.Objects;

import io.mcrelay.seam.PassedDescriptor;

/**
 * A {@link PassedDescriptor} of an in-memory channel: a handle on a shared referent (a simulated socket), counted
 * as the kernel counts the references to an open file. {@link #duplicate()} makes another handle on the same
 * referent; the referent is released when its last handle closes ({@link #openHandles()} is then 0), so a test or a
 * checker can see that no handle leaked. Single-threaded.
 */
public final class SharedDescriptor implements PassedDescriptor {
    /** The open handles of one referent. */
    private static final class Count {
        int open;
    }

    private final Object referent;
    private final Count count;
    private boolean open = true;

    private SharedDescriptor(final Object referent, final Count count) {
        this.referent = referent;
        this.count = count;
        count.open++;
    }

    /** The first handle on {@code referent}. */
    public static SharedDescriptor of(final Object referent) {
        return new SharedDescriptor(Objects.requireNonNull(referent, "referent"), new Count());
    }

    /** What this handle refers to: the same object for every duplicate. */
    public Object referent() {
        return referent;
    }

    /** The handles on this referent still open, this one included if open. */
    public int openHandles() {
        return count.open;
    }

    @Override
    public SharedDescriptor duplicate() {
        if (!open) {
            throw new IllegalStateException("duplicate of a closed handle on " + referent);
        }
        return new SharedDescriptor(referent, count);
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (open) {
            open = false;
            count.open--;
            assert count.open >= 0 : "more closes than handles on " + referent;
        }
    }

    @Override
    public String toString() {
        return "SharedDescriptor{" + referent + (open ? "" : ", closed") + "}";
    }
}
