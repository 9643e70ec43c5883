package io.mcrelay.daemon;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.mcrelay.config.ConfigFile;
import io.mcrelay.config.ConfigParser;
import io.mcrelay.control.ControlClient;
import io.mcrelay.journal.ChronicleJournal;
import io.mcrelay.linux.packetio.PacketBackend;
import io.mcrelay.linux.process.HostFacts;
import io.mcrelay.linux.process.ProcessCapabilities;
import io.mcrelay.linux.process.ProcessWorkerLauncher;
import io.mcrelay.linux.process.WorkerUser;
import io.mcrelay.rules.Limits;
import io.mcrelay.runtime.UnixControlServer;
import io.mcrelay.traffic.UdpFlows;

/**
 * {@code mcrelay supervisor --check}: whether the daemon would start with these options, found without starting it
 * (nothing is created, bound or launched): the capabilities, the packet backend, {@code setpriv}, the workers'
 * account, the journal's and the control socket's directories, the socket's group, the {@code --config} file and the
 * interfaces its rules name, the kernel's version. Each check is a
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
            if (configProblem == null) {
                outcomes.add(interfaces(config));
            }
        }
        outcomes.add(kernel());
        return outcomes;
    }

    /** The interfaces the {@code --config} file's rules name, each of which should exist in this namespace. */
    private static Outcome interfaces(final Path config) {
        final java.util.TreeSet<String> named = new java.util.TreeSet<>();
        try {
            final ConfigParser.Result parsed = ConfigParser.parse(config.toString(), Files.readString(config),
                Limits.DEFAULT);
            for (final ConfigFile.Entry entry : parsed.config().rules()) {
                named.add(entry.rule().input().interfaceName());
                entry.rule().outputs().forEach(output -> named.add(output.interfaceName()));
            }
        } catch (final java.io.IOException | RuntimeException e) {
            return new Outcome("interfaces", false, "cannot read " + config + ": " + e.getMessage());
        }
        final List<String> absent = named.stream().filter(name -> !UdpFlows.interfaceExists(name)).toList();
        if (named.isEmpty()) {
            return new Outcome("interfaces", true, "the rules name none");
        }
        return absent.isEmpty() ? new Outcome("interfaces", true, String.join(", ", named)
            + (named.size() == 1 ? " exists" : " exist"))
            : new Outcome("interfaces", false, String.join(", ", absent) + (absent.size() == 1 ? " does" : " do")
                + " not exist in this network namespace (its rules would wait for "
                + (absent.size() == 1 ? "it" : "them") + ")");
    }

    /** Linux 5.3 or later: the supervisor watches its workers with pidfd_open (io_uring is probed on its own). */
    private static Outcome kernel() {
        final String release;
        try {
            release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (final java.io.IOException e) {
            return new Outcome("kernel", false, "cannot read /proc/sys/kernel/osrelease: " + e.getMessage());
        }
        final java.util.regex.Matcher version = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
        if (!version.find()) {
            return new Outcome("kernel", false, "cannot read the version of Linux " + release);
        }
        final int major = Integer.parseInt(version.group(1));
        final int minor = Integer.parseInt(version.group(2));
        return major > 5 || major == 5 && minor >= 3 ? new Outcome("kernel", true, "Linux " + release)
            : new Outcome("kernel", false, "Linux " + release + " is older than 5.3, which the supervisor needs "
                + "(pidfd_open, to watch its workers)");
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
