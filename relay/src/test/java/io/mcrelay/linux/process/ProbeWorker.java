package io.mcrelay.linux.process;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A worker main for tests, on the real start-up ({@link WorkerProcess}). Last argument {@code send}: writes
 * "from worker PID" to the first descriptor it was given, then serves until EOF. {@code liar}: presents a token
 * that differs from its own in one bit, and exits with {@link WorkerProcess#EXIT_REFUSED} when refused.
 * {@code deaf}: never reads its channel, so only the parent-death signal can end it.
 */
public final class ProbeWorker {
    private ProbeWorker() {
    }

    public static void main(final String[] args) throws InterruptedException {
        final String mode = args[3];
        final byte[] token = WorkerHandshake.fromHex(System.getenv(WorkerHandshake.TOKEN_ENV));
        if (mode.equals("liar")) {
            token[7] ^= 1;
        }
        final WorkerProcess.Started started;
        try {
            started = WorkerProcess.start(Path.of(args[0]), Integer.parseInt(args[1]), Long.parseLong(args[2]),
                token);
        } catch (final WorkerProcess.RefusedException e) {
            System.out.println("refused: " + e.getMessage());
            System.exit(WorkerProcess.EXIT_REFUSED);
            return;
        }
        if (mode.equals("send")) {
            final byte[] message = ("from worker " + ProcessHandle.current().pid())
                .getBytes(StandardCharsets.US_ASCII);
            // The passed descriptor is one end of a stream socketpair: the test reads our frame at the other end.
            final StreamWorkerChannel passed = new StreamWorkerChannel(started.descriptors()[0], 1 << 16, 256);
            System.out.println("sent: " + passed.send(new UnsafeBuffer(message), 0, message.length));
            passed.close();
        }
        if (mode.equals("deaf")) {
            System.out.println("deaf");
            while (true) {
                Thread.sleep(1000);
            }
        }
        WorkerProcess.serveUntilEof(started.channel());
        started.channel().close();
    }
}
