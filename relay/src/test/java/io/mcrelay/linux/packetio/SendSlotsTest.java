package io.mcrelay.linux.packetio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The send slots both production backends share: a slot is taken by a send and free again only when its completion
 * is polled, payloads are copied (a too-long one is marked, not copied), queued sends leave in order, and
 * completions are delivered in the order they completed with their own user data.
 */
class SendSlotsTest {
    @Test
    void aSlotIsHeldFromSendUntilItsCompletionIsPolled() {
        try (Arena arena = Arena.ofConfined()) {
            final SendSlots slots = new SendSlots(arena, 2, 64);
            assertEquals(2, slots.free());
            final int first = slots.take(7, new UnsafeBuffer(new byte[] {1, 2, 3}), 1, 2, 70L);
            final int second = slots.take(8, new UnsafeBuffer(new byte[100]), 0, 100, 80L);
            assertEquals(0, slots.free());
            assertEquals(2, slots.queuedCount());
            assertEquals(first, slots.nextQueued(), "queued sends leave in order");
            assertEquals(second, slots.nextQueued());
            assertArrayEquals(new byte[] {2, 3}, slots.segment(first).asSlice(0, 2).toArray(ValueLayout.JAVA_BYTE));
            assertEquals(2, slots.length(first));
            assertEquals(-1, slots.length(second), "longer than a slot: not copied, marked for -EMSGSIZE");
            assertEquals(7, slots.destination(first));
            slots.complete(second, -90);
            slots.complete(first, 2);
            assertEquals(0, slots.free(), "completed but not polled: still held");
            final List<long[]> seen = new ArrayList<>();
            final int[] freeDuringCall = new int[2];
            assertEquals(1, slots.pollCompletions((userData, result) -> {
                freeDuringCall[seen.size()] = slots.free();
                seen.add(new long[] {userData, result});
            }, 1));
            assertEquals(1, slots.pollCompletions((userData, result) -> {
                freeDuringCall[seen.size()] = slots.free();
                seen.add(new long[] {userData, result});
            }, 5));
            assertArrayEquals(new long[] {80L, -90}, seen.get(0), "in completion order");
            assertArrayEquals(new long[] {70L, 2}, seen.get(1));
            assertArrayEquals(new int[] {1, 2}, freeDuringCall, "a slot is free before its handler runs");
            assertEquals(2, slots.free());
        }
    }

    @Test
    void badSizesAreRefusedByName() {
        try (Arena arena = Arena.ofConfined()) {
            assertEquals("send slots must be 1 to 65536, not 0",
                assertThrows(IllegalArgumentException.class, () -> new SendSlots(arena, 0, 64)).getMessage());
            assertEquals("send slot size must be 64 to 65536 bytes, not 8",
                assertThrows(IllegalArgumentException.class, () -> new SendSlots(arena, 1, 8)).getMessage());
        }
    }
}
