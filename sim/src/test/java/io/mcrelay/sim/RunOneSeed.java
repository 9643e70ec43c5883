package io.mcrelay.sim;

/** Runs one seed of the default workload in this JVM and prints its lines: the other JVM of the determinism test. */
public final class RunOneSeed {
    private RunOneSeed() {
    }

    public static void main(final String[] args) {
        final Simulator.Result result = Simulator.run(Simulator.Config.defaults(Long.parseLong(args[0])),
            System.out::println);
        System.exit(result.passed() ? 0 : 1);
    }
}
