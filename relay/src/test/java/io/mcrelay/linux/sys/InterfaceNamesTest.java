package io.mcrelay.linux.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * A worker names its inputs from the interface indices its sockets are bound to ({@code if_indextoname}): the
 * loopback's index names it back, and an index with no interface is refused naming the call and the cause.
 */
class InterfaceNamesTest {
    @Test
    void anIndexNamesItsInterface() {
        assertEquals("lo", Syscalls.ifName(Syscalls.ifIndex("lo")));
    }

    @Test
    void anIndexWithoutAnInterfaceIsRefusedByName() {
        assertEquals("if_indextoname(2147483647) failed: ENXIO (no such device or address)",
            assertThrows(LinuxException.class, () -> Syscalls.ifName(Integer.MAX_VALUE)).getMessage());
    }
}
