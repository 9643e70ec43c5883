package io.mcrelay.core.supervisor;

import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleOutput;
import io.mcrelay.seam.InputSockets;
import io.mcrelay.seam.LinkMonitor;

/**
 * The inputs: which network interfaces exist (as the link monitor reports them) and which of them the rules receive
 * on. Keeps the {@link InputSockets} seam told which interfaces to hold packet sockets for, reopens the sockets of an
 * input interface that was re-created, and says when a link change concerns the rules (every worker must then
 * relearn its interface indices). Interfaces are kept in name order. Not thread-safe.
 */
final class Inputs {
    private final InputSockets sockets;
    private final TreeMap<String, LinkMonitor.LinkState> links = new TreeMap<>();

    Inputs(final InputSockets sockets) {
        this.sockets = Objects.requireNonNull(sockets, "sockets");
    }

    /** Takes the interfaces that exist at start and opens the sockets the rules want. */
    void start(final List<LinkMonitor.LinkState> existing, final List<Rule> rules) {
        for (final LinkMonitor.LinkState link : existing) {
            links.put(link.name(), link);
        }
        updateWanted(rules);
    }

    /**
     * Follows one link change.
     *
     * @return true if a rule names the interface, as input or output: every worker must then be resynced
     */
    boolean onLinkEvent(final LinkMonitor.LinkEvent event, final List<Rule> rules) {
        final LinkMonitor.LinkState before = links.get(event.name());
        switch (event.kind()) {
            case ADDED -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), false));
            case UP -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), true));
            case DOWN -> links.put(event.name(), new LinkMonitor.LinkState(event.name(), event.ifIndex(), false));
            case REMOVED -> links.remove(event.name());
            case ADDRESS_CHANGED -> {
                return false; // addresses do not change what the workers match
            }
        }
        final LinkMonitor.LinkState after = links.get(event.name());
        updateWanted(rules);
        if (before != null && after != null && before.ifIndex() != after.ifIndex() && isInput(event.name(), rules)) {
            sockets.reopen(event.name()); // re-created: the old sockets are bound to nothing
        }
        // The interface's sockets were reopened (or it appeared or went): every worker relearns its indices.
        return isNamedByARule(event.name(), rules);
    }

    /** Tells the sockets seam which input interfaces exist and are received on by some rule. */
    void updateWanted(final List<Rule> rules) {
        final TreeSet<String> wanted = new TreeSet<>();
        for (final Rule rule : rules) {
            if (links.containsKey(rule.input().interfaceName())) {
                wanted.add(rule.input().interfaceName());
            }
        }
        sockets.setWanted(wanted);
    }

    /** {@code active}, {@code waiting} (its input interface does not exist yet) or {@code down}. */
    String stateOf(final Rule rule) {
        final LinkMonitor.LinkState link = links.get(rule.input().interfaceName());
        if (link == null) {
            return "waiting";
        }
        return link.up() ? "active" : "down";
    }

    private static boolean isInput(final String interfaceName, final List<Rule> rules) {
        for (final Rule rule : rules) {
            if (rule.input().interfaceName().equals(interfaceName)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isNamedByARule(final String interfaceName, final List<Rule> rules) {
        for (final Rule rule : rules) {
            if (rule.input().interfaceName().equals(interfaceName)) {
                return true;
            }
            for (final RuleOutput output : rule.outputs()) {
                if (output.interfaceName().equals(interfaceName)) {
                    return true;
                }
            }
        }
        return false;
    }
}
