package io.mcrelay.linux.process;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * How a worker proves itself to the supervisor and receives its descriptors, before its channel carries
 * {@code WorkerMessageCodec} frames, on the {@code SOCK_STREAM} socket that then becomes the channel
 * ({@link StreamWorkerChannel}). The hello is a channel frame (length-prefixed), which the supervisor reads with a
 * frame limit of {@link #HELLO_BYTES} until the worker proved itself; the welcome and the descriptors are written
 * on the socket itself and read by the worker with {@code recvmsg}, each exactly, before its channel reads anything
 * (a channel read could otherwise take the byte a descriptor rides on):
 *
 * <pre>
 *  worker -> supervisor   hello:   u32 length | "MCRH" | token (32 bytes, from MCRELAY_WORKER_TOKEN, hex in the
 *                                  environment)
 *  supervisor checks SO_PEERCRED (pid and uid of the launched process) and the token (constant time); on any
 *  mismatch it closes the connection (the worker reads EOF) and logs why
 *  supervisor -> worker   welcome: "MCRW" | u32 count (big-endian)
 *  supervisor -> worker   count x  "F" with one descriptor attached (SCM_RIGHTS)
 * </pre>
 */
public final class WorkerHandshake {
    /** The environment variable that carries the one-time token (64 hex digits). */
    public static final String TOKEN_ENV = "MCRELAY_WORKER_TOKEN";
    static final int TOKEN_BYTES = 32;
    static final byte[] HELLO_MAGIC = "MCRH".getBytes(StandardCharsets.US_ASCII);
    static final byte[] WELCOME_MAGIC = "MCRW".getBytes(StandardCharsets.US_ASCII);
    static final int HELLO_BYTES = HELLO_MAGIC.length + TOKEN_BYTES;
    static final int WELCOME_BYTES = WELCOME_MAGIC.length + Integer.BYTES;
    /** The most descriptors one worker receives (a packet socket per input interface, a few more). */
    public static final int DESCRIPTORS_MAX = 1024;

    private static final SecureRandom RANDOM = new SecureRandom();

    private WorkerHandshake() {
    }

    /** A fresh one-time token. */
    static byte[] newToken() {
        final byte[] token = new byte[TOKEN_BYTES];
        RANDOM.nextBytes(token);
        return token;
    }

    static String toHex(final byte[] token) {
        return HexFormat.of().formatHex(token);
    }

    /** The token from its environment form; throws if it is not 64 hex digits. */
    static byte[] fromHex(final String hex) {
        if (hex == null || hex.length() != TOKEN_BYTES * 2) {
            throw new IllegalArgumentException(TOKEN_ENV + " must hold " + TOKEN_BYTES * 2 + " hex digits");
        }
        return HexFormat.of().parseHex(hex);
    }

    static byte[] hello(final byte[] token) {
        final byte[] hello = Arrays.copyOf(HELLO_MAGIC, HELLO_BYTES);
        System.arraycopy(token, 0, hello, HELLO_MAGIC.length, TOKEN_BYTES);
        return hello;
    }

    /** True if {@code hello} is a well-formed hello carrying {@code expected}; compares in constant time. */
    static boolean helloCarries(final byte[] hello, final int length, final byte[] expected) {
        final byte[] token = new byte[TOKEN_BYTES];
        final boolean shaped = length == HELLO_BYTES
            && Arrays.equals(hello, 0, HELLO_MAGIC.length, HELLO_MAGIC, 0, HELLO_MAGIC.length);
        if (shaped) {
            System.arraycopy(hello, HELLO_MAGIC.length, token, 0, TOKEN_BYTES);
        }
        // MessageDigest.isEqual takes the same time whatever the first differing byte is.
        return MessageDigest.isEqual(token, expected) && shaped;
    }

    static byte[] welcome(final int count) {
        final byte[] welcome = Arrays.copyOf(WELCOME_MAGIC, WELCOME_BYTES);
        welcome[4] = (byte) (count >>> 24);
        welcome[5] = (byte) (count >>> 16);
        welcome[6] = (byte) (count >>> 8);
        welcome[7] = (byte) count;
        return welcome;
    }

    /** The descriptor count of a welcome, or -1 if {@code welcome} is not one. */
    static int welcomeCount(final byte[] welcome, final int length) {
        if (length != WELCOME_BYTES || !Arrays.equals(welcome, 0, 4, WELCOME_MAGIC, 0, 4)) {
            return -1;
        }
        final int count = (welcome[4] & 0xff) << 24 | (welcome[5] & 0xff) << 16 | (welcome[6] & 0xff) << 8
            | welcome[7] & 0xff;
        return count >= 0 && count <= DESCRIPTORS_MAX ? count : -1;
    }
}
