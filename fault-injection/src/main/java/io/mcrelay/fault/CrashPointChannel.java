package io.mcrelay.fault;

import org.agrona.DirectBuffer;

import io.mcrelay.protocol.WorkerMessageCodec;
import io.mcrelay.seam.PassedDescriptor;
import io.mcrelay.seam.WorkerChannel;

/**
 * Kills a worker at the points of the sync protocol where a crash is most telling, as the plan rolls: on the
 * supervisor's end, a command ({@code Apply}/{@code Sync}) is swallowed and the worker dies before it can apply it;
 * on the worker's end, an {@code Ack} is swallowed and the worker dies after applying but before acking, or the ack
 * goes out and the worker dies right after. The crash itself is the caller's ({@code crash}), run once per fault.
 * A swallowed frame's descriptor is not passed (its sender's handle stays the sender's); a frame that goes, goes with
 * its descriptor. Single-threaded.
 */
public final class CrashPointChannel extends OfferingWorkerChannel {
    private final FaultPlan plan;
    private final boolean workerEnd;
    private final Runnable crash;
    private boolean crashed;

    /**
     * @param workerEnd true to decorate the worker's end (acks), false for the supervisor's end (commands)
     * @param crash     kills the worker; called at most once
     */
    public CrashPointChannel(final WorkerChannel inner, final FaultPlan plan, final boolean workerEnd,
                             final Runnable crash) {
        super(inner);
        this.plan = plan;
        this.workerEnd = workerEnd;
        this.crash = crash;
    }

    /** One send, or a crash point; {@code descriptor} (the caller's, never closed here) or {@code null}. */
    @Override
    SendResult offer(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        if (crashed) {
            return SendResult.CLOSED;
        }
        final int type = length > 0 ? buffer.getByte(offset) & 0xFF : -1;
        if (!workerEnd && (type == WorkerMessageCodec.TYPE_APPLY || type == WorkerMessageCodec.TYPE_SYNC)
            && plan.roll(FaultKind.WORKER_CRASH_BEFORE_APPLY)) {
            crashNow(FaultKind.WORKER_CRASH_BEFORE_APPLY);
            return SendResult.SENT; // the supervisor believes it went; the worker never sees it
        }
        if (workerEnd && type == WorkerMessageCodec.TYPE_ACK) {
            if (plan.roll(FaultKind.WORKER_CRASH_AFTER_APPLY)) {
                crashNow(FaultKind.WORKER_CRASH_AFTER_APPLY);
                return SendResult.SENT; // applied, but the ack dies with the worker
            }
            if (plan.roll(FaultKind.WORKER_CRASH_AFTER_ACK)) {
                final SendResult result = pass(buffer, offset, length, descriptor);
                crashNow(FaultKind.WORKER_CRASH_AFTER_ACK);
                return result;
            }
        }
        return pass(buffer, offset, length, descriptor);
    }

    private SendResult pass(final DirectBuffer buffer, final int offset, final int length,
        final PassedDescriptor descriptor) {
        return descriptor == null ? inner.send(buffer, offset, length)
            : inner.send(buffer, offset, length, descriptor);
    }

    private void crashNow(final FaultKind kind) {
        crashed = true;
        plan.fired(kind);
        crash.run();
    }
}
