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

    @Override
    public String toString() {
        return field + ": " + message;
    }
}
