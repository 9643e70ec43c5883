package io.mcrelay.entries.archfixture;

import io.mcrelay.control.ControlRequest;

/** Breaks the room rule of {@code entries} on purpose (entries refer to their sibling control): see ArchRulesTest. */
public final class UsesControlRequests {
    private UsesControlRequests() {
    }

    public static long use(final ControlRequest request) {
        return request.requestId();
    }
}
