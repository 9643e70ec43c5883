package io.mcrelay.cli.spi;

/**
 * A CLI command that lives in another module ({@code sim}, {@code journal replay}...), found with
 * {@link java.util.ServiceLoader} so that {@code relay} never depends on that module. Register an implementation in
 * {@code META-INF/services/io.mcrelay.cli.spi.CliCommandProvider}.
 */
public interface CliCommandProvider {
    /** The subcommand's name, e.g. {@code sim}, or a path under an existing command, e.g. {@code journal replay}. */
    String name();

    /** A new picocli command object (annotated with {@code @Command}) for one invocation. */
    Object newCommand();
}
