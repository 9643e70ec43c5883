package io.mcrelay.protocol;

/**
 * Bytes from outside (a frame, a journal entry) that do not decode. The message says what was expected where,
 * so that it can be shown to a person as it is. Decoding never throws anything else on bad input.
 */
public final class CodecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CodecException(final String message) {
        super(message);
    }

    public CodecException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
