package io.mcrelay.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.mcrelay.control.ControlClient;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.linux.packetio.PacketBackend;
import io.mcrelay.linux.process.HostFacts;
import io.mcrelay.linux.process.ProcessCapabilities;
import io.mcrelay.linux.process.ProcessWorkerLauncher;
import io.mcrelay.linux.process.WorkerUser;
import io.mcrelay.runtime.UnixControlServer;

/**
 * {@code mcrelay supervisor --check}: whether the daemon would start with these options, found without starting it
 * (nothing is created, bound or launched): the privileges, io_uring, {@code setpriv}, the workers' account, the
 * journal's and the control socket's directories, the socket's group, the {@code --config} file. Each check is a
 * line {@code ok NAME: DETAIL} or {@code missing NAME: WHAT AND WHY}.
 */
final class SupervisorCheck {
    /** One check's outcome. */
    record Outcome(String name, boolean ok, String detail) {
        String line() {
            return (ok ? "ok       " : "missing  ") + name + ": " + detail;
        }
    }

    private SupervisorCheck() {
    }

    /** Every check, in a fixed order; {@code configProblem} is the {@code --config} file's, or {@code null}. */
    static List<Outcome> run(final SupervisorDaemon.Config options, final Path config, final String configProblem) {
        final List<Outcome> outcomes = new ArrayList<>();
        final long uid = io.mcrelay.linux.sys.Processes.effectiveUid();
        final String lacking = SupervisorDaemon.missingCapabilities(options.user());
        outcomes.add(lacking == null ? new Outcome("capabilities", true, uid == 0 ? "root"
            : "uid " + uid + " holds " + String.join(", ", SupervisorDaemon.neededCapabilities(options.user()).stream()
                .map(ProcessCapabilities.Capability::capName).toList()))
            : new Outcome("capabilities", false, lacking));
        outcomes.add(backend(options));
        final String searchPath = ProcessWorkerLauncher.Config.defaults(options.runtimeParent(), List.of())
            .searchPath();
        outcomes.add(check("setpriv", () -> HostFacts.find("setpriv", searchPath, "to start the workers unprivileged")
            .toString()));
        outcomes.add(check("worker user", () -> {
            final WorkerUser user = ProcessWorkerLauncher.workerAccount(options.user());
            return user == null ? "the supervisor's own (uid " + uid + "), through setpriv without capabilities"
                : user.name() + " (uid " + user.uid() + ", gid " + user.gid() + ")";
        }));
        final String journal = ChronicleJournal.openProblem(options.journal());
        outcomes.add(new Outcome("journal", journal == null, journal == null ? options.journal() + " can be opened"
            : journal));
        final Path socketDir = options.socket().getParent();
        outcomes.add(Files.isDirectory(socketDir) && Files.isWritable(socketDir)
            ? new Outcome("control socket directory", true, socketDir + " is writable")
            : new Outcome("control socket directory", false, socketDir + " is not a writable directory (the socket "
                + "and the workers' runtime directory are made there)"));
        outcomes.add(socketInUse(options.socket()));
        if (options.socketGroup() != null) {
            outcomes.add(check("socket group", () -> {
                UnixControlServer.lookUpGroup(options.socketGroup());
                return options.socketGroup() + " exists";
            }));
        }
        if (config != null) {
            outcomes.add(configProblem == null ? new Outcome("config", true, config + " is valid")
                : new Outcome("config", false, configProblem));
        }
        return outcomes;
    }

    /** The backend the workers would run, and why; missing only when io_uring is forced and cannot run. */
    private static Outcome backend(final SupervisorDaemon.Config options) {
        final long workerGid = SupervisorDaemon.workerGid(options.user());
        try {
            final PacketBackend.Choice choice = PacketBackend.decide(options.backend(),
                () -> PacketBackend.probeIoUringForWorkers(workerGid));
            return new Outcome("packet backend", true, choice.kind().text() + " (" + choice.reason() + ")");
        } catch (final IllegalStateException e) {
            return new Outcome("packet backend", false, e.getMessage());
        }
    }

    private static Outcome socketInUse(final Path socket) {
        if (!Files.exists(socket)) {
            return new Outcome("control socket", true, socket + " is free");
        }
        try (ControlClient client = ControlClient.connect(socket, 2_000)) {
            return new Outcome("control socket", false, "a daemon answers at " + socket + " (version "
                + client.welcome().daemonVersion() + "): stop it, or give this one another --socket");
        } catch (final ControlClient.UnreachableException e) {
            return new Outcome("control socket", true, socket + " is left over from a daemon that is gone: it "
                + "will be replaced");
        }
    }

    private interface Probe {
        String detail();
    }

    private static Outcome check(final String name, final Probe probe) {
        try {
            return new Outcome(name, true, probe.detail());
        } catch (final RuntimeException e) {
            return new Outcome(name, false, e.getMessage());
        }
    }
}
