/**
 * What a command outside {@code cli} needs to join the CLI: the {@link io.mcrelay.cli.spi.CliCommandProvider}
 * service interface (found through {@code ServiceLoader}) and the contract's exit codes.
 */
package io.mcrelay.cli.spi;
