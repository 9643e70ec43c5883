package io.mcrelay.sim.cli;

import io.mcrelay.cli.spi.CliCommandProvider;

/**
 * Contributes {@code mcrelay sim} to the CLI; registered in {@code META-INF/services} so that {@code relay} finds it
 * without depending on {@code sim}.
 */
public final class SimCommandProvider implements CliCommandProvider {
    @Override
    public String name() {
        return "sim";
    }

    @Override
    public Object newCommand() {
        return new SimCommand();
    }
}
