package io.mcrelay.rules;

/**
 * An output as the user wrote it, every field still text so that a bad value can be quoted back.
 *
 * @param ttl the TTL text, or {@code null} when none was given
 */
public record OutputSpec(String group, String port, String interfaceName, String ttl) {

    /**
     * Splits the CLI form {@code G:P:IF[:TTL]} into its fields without judging them (the validator does).
     *
     * @throws IllegalArgumentException if the text does not have three or four ':'-separated parts
     */
    public static OutputSpec parseCli(final String text) {
        final String[] parts = text.split(":", -1);
        if (parts.length < 3 || parts.length > 4) {
            throw new IllegalArgumentException(
                "\"" + text + "\" is not an output: expected GROUP:PORT:INTERFACE[:TTL], e.g. 239.10.0.1:5000:eth1:8");
        }
        return new OutputSpec(parts[0], parts[1], parts[2], parts.length == 4 ? parts[3] : null);
    }

    /** The spec of an already valid output (the inverse of validation). */
    public static OutputSpec of(final RuleOutput output) {
        return new OutputSpec(output.group().toString(), Integer.toString(output.port()), output.interfaceName(),
            output.hasTtl() ? Integer.toString(output.ttl()) : null);
    }
}
