package io.mcrelay.fault;

import java.util.List;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.mcrelay.seam.LinkMonitor;

/**
 * A link monitor that loses every event after the start ({@link Break#LINKS}): the links as they were at the start
 * are given, and each later event is read from the kernel, logged as dropped ({@code fault injection: link event
 * ... dropped}, so that a test can wait for it) and never reaches the supervisor.
 */
public final class EventDroppingLinkMonitor implements LinkMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(EventDroppingLinkMonitor.class);

    private final LinkMonitor inner;
    private long dropped;

    public EventDroppingLinkMonitor(final LinkMonitor inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public List<LinkState> links() {
        return inner.links();
    }

    @Override
    public int poll(final Listener listener, final int limit) {
        return inner.poll(event -> {
            dropped++;
            LOG.info("fault injection: link event {} {} (index {}) dropped", event.kind(), event.name(),
                event.ifIndex());
        }, limit);
    }

    /** Events lost so far. */
    public long dropped() {
        return dropped;
    }

    @Override
    public void close() {
        inner.close();
    }
}
