package io.mcrelay.seam.support;

import java.util.Objects;

import io.mcrelay.seam.Journal;

/**
 * A {@link Journal} that forwards every call to another: the base of decorators (recording, tests' damaged
 * journals) that change one or two calls and must pass the rest through untouched. Threading as the journal it wraps.
 */
public abstract class ForwardingJournal implements Journal {
    protected final Journal inner;

    protected ForwardingJournal(final Journal inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public long append(final Entry entry) {
        return inner.append(entry);
    }

    @Override
    public Health health() {
        return inner.health();
    }

    @Override
    public long gapsMarked() {
        return inner.gapsMarked();
    }

    @Override
    public long firstIndex() {
        return inner.firstIndex();
    }

    @Override
    public long nextIndex() {
        return inner.nextIndex();
    }

    @Override
    public Reader reader(final long fromIndex) {
        return inner.reader(fromIndex);
    }

    @Override
    public long lastIndexOf(final int kind) {
        return inner.lastIndexOf(kind);
    }

    @Override
    public void close() {
        inner.close();
    }
}
