package io.mcrelay.linux.packetio;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.agrona.concurrent.UnsafeBuffer;

import io.mcrelay.linux.sys.Syscalls;
import io.mcrelay.seam.PacketIo;

/**
 * The staging area of {@link IoUringPacketIo}: frames read from a ring beyond a poll's limit (the rest of the one
 * block it started), copied into preallocated native memory and delivered first, in order, by the next polls. A
 * frame that does not fit is refused, and the I/O counts it for its input. Single-threaded; allocates nothing after
 * construction.
 */
final class FrameStaging {
    /** Staged frames at least; more for a larger staging area (a minimal frame takes 144 bytes of a ring). */
    private static final int STAGED_FRAMES_MIN = 4096;

    private final MemorySegment staging;
    private final long stagingAddress;
    private final int stagedFramesMax;
    private final int[] stagedIfIndex;
    private final int[] stagedOffset;
    private final int[] stagedLength;
    private int stagedHead;
    private int stagedCount;
    private int stagingUsedBytes;
    private final UnsafeBuffer lent;

    /** {@code stagingBytes} of {@code arena}'s memory; frames are lent through {@code lent}. */
    FrameStaging(final Arena arena, final int stagingBytes, final UnsafeBuffer lent) {
        stagedFramesMax = Math.max(STAGED_FRAMES_MIN, stagingBytes / 128);
        stagedIfIndex = new int[stagedFramesMax];
        stagedOffset = new int[stagedFramesMax];
        stagedLength = new int[stagedFramesMax];
        staging = Syscalls.mmapAnonymous(stagingBytes, arena, "frame staging area"); // resident only where used
        stagingAddress = staging.address();
        this.lent = lent;
    }

    /** Frames staged and not yet delivered. */
    int count() {
        return stagedCount;
    }

    /** Delivers up to {@code limit} staged frames, oldest first; returns how many. */
    int deliver(final PacketIo.FrameHandler handler, final int limit) {
        int delivered = 0;
        while (delivered < limit && stagedCount > 0) {
            final int entry = stagedHead;
            stagedHead = (stagedHead + 1) % stagedFramesMax;
            stagedCount--;
            lent.wrap(stagingAddress + stagedOffset[entry], stagedLength[entry]);
            delivered++;
            handler.onFrame(stagedIfIndex[entry], lent, 0, stagedLength[entry]);
        }
        if (stagedCount == 0) {
            stagedHead = 0;
            stagingUsedBytes = 0;
        }
        return delivered;
    }

    /** Copies a frame of interface {@code ifIndex} in; false (nothing copied) when it does not fit. */
    boolean stage(final int ifIndex, final MemorySegment frame, final long offset, final int length) {
        if (stagedCount == stagedFramesMax || stagingUsedBytes + length > staging.byteSize()) {
            return false;
        }
        final int entry = (stagedHead + stagedCount) % stagedFramesMax;
        MemorySegment.copy(frame, offset, staging, stagingUsedBytes, length);
        stagedIfIndex[entry] = ifIndex;
        stagedOffset[entry] = stagingUsedBytes;
        stagedLength[entry] = length;
        stagingUsedBytes += length;
        stagedCount++;
        return true;
    }
}
