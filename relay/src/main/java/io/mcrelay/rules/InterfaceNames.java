package io.mcrelay.rules;

/**
 * Linux network interface names, as the kernel's {@code dev_valid_name()} accepts them: 1 to 15 bytes
 * ({@code IFNAMSIZ} - 1, {@code include/uapi/linux/if.h}), not "." or "..", no '/', ':' or whitespace.
 * An interface named by a rule need not exist yet.
 */
public final class InterfaceNames {
    /** {@code IFNAMSIZ} - 1: the longest name the kernel accepts. */
    public static final int LENGTH_MAX = 15;

    private InterfaceNames() {
    }

    /** Why {@code name} is not a valid interface name, or {@code null} when it is valid. */
    public static String problem(final String name) {
        if (name == null || name.isEmpty()) {
            return "an interface name must not be empty";
        }
        if (name.length() > LENGTH_MAX) {
            return "interface names have at most " + LENGTH_MAX + " characters, \"" + RuleId.abbreviate(name)
                + "\" has " + name.length();
        }
        if (name.equals(".") || name.equals("..")) {
            return "\"" + name + "\" is not a valid interface name";
        }
        for (int i = 0; i < name.length(); i++) {
            final char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x21 || c > 0x7E) {
                return "\"" + name + "\" is not a valid interface name (no '/', ':', spaces or non-ASCII characters)";
            }
        }
        return null;
    }

    /** True if {@code name} is a valid interface name. */
    public static boolean isValid(final String name) {
        return problem(name) == null;
    }
}
