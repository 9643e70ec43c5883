package io.mcrelay.rules;

import java.util.Objects;

/**
 * Where a rule sends: the UDP payload goes to {@code group}:{@code port} (a multicast group, or the destination
 * address of a unicast output) out of {@code interfaceName}.
 *
 * @param ttl the IP TTL of sent packets, 1 to 255, or {@link #TTL_UNSET} for the socket's default
 */
public record RuleOutput(IpAddress group, int port, String interfaceName, int ttl) {
    /** No TTL configured: the kernel's default for the socket (1 for multicast, 64 for unicast). */
    public static final int TTL_UNSET = 0;

    public RuleOutput {
        Objects.requireNonNull(group, "group");
        if (!InterfaceNames.isValid(interfaceName)) {
            throw new IllegalArgumentException(InterfaceNames.problem(interfaceName));
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (ttl < TTL_UNSET || ttl > 255) {
            throw new IllegalArgumentException("ttl out of range: " + ttl);
        }
    }

    /** True if a TTL was configured. */
    public boolean hasTtl() {
        return ttl != TTL_UNSET;
    }

    /** The CLI form {@code G:P:IF[:TTL]}. */
    @Override
    public String toString() {
        return group + ":" + port + ":" + interfaceName + (hasTtl() ? ":" + ttl : "");
    }
}
