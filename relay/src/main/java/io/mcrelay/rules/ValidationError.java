package io.mcrelay.rules;

import java.util.Objects;

/**
 * One problem with user input, naming the field it is in ({@code input.port}, {@code outputs[2].interface},
 * {@code id}) in the same spelling as the JSON of {@code list --json} and config files.
 */
public record ValidationError(String field, String message) {
    public ValidationError {
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(message, "message");
    }

    /** Several errors as one message, one per line. */
    public static String describe(final java.util.List<ValidationError> errors) {
        final StringBuilder sb = new StringBuilder();
        for (final ValidationError error : errors) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            sb.append(error);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
