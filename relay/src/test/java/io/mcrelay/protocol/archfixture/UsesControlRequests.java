package io.mcrelay.protocol.archfixture;

import io.mcrelay.control.ControlRequest;

/** Breaks the room rule of {@code protocol} on purpose (protocol refers to its sibling control): see ArchRulesTest. */
public final class UsesControlRequests {
    private UsesControlRequests() {
    }

    public static long use(final ControlRequest request) {
        return request.requestId();
    }
}
