package io.mcrelay.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd packaging in {@code dist/src/main/packaging}, checked by systemd's own tools where they are installed:
 * {@code systemd-analyze verify} on both units (the template as the instance {@code mcrelay@blue.service}), staged
 * under a temporary {@code --root} with stand-ins for the programs they run, so that paths missing on this machine
 * do not fail it and paths missing from the staging do; {@code systemd-sysusers} and {@code systemd-tmpfiles} on
 * their files, each under its own temporary root. A missing tool skips its test with the reason printed. And
 * without any tool: the units name exactly the capabilities docs/packaging.md explains, never
 * {@code MemoryDenyWriteExecute}, and only options that {@code mcrelay supervisor} has.
 *
 * <p>The pom sets {@code mcrelay.packaging} (the packaging sources) and {@code mcrelay.jar} (the shipped jar, for
 * the CLI's own answers).
 */
class SystemdUnitsIT {
    private static final long TIMEOUT_SECONDS = 60;
    private static final List<String> UNITS = List.of("mcrelay.service", "mcrelay@.service");
    private static final Set<String> CAPABILITIES = Set.of("CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_SETUID",
        "CAP_SETGID", "CAP_SETPCAP", "CAP_KILL");
    /** The targets a service's default dependencies name: verify needs them to exist under its root. */
    private static final List<String> STUB_TARGETS = List.of("sysinit.target", "basic.target", "shutdown.target",
        "network.target", "multi-user.target");

    @TempDir
    private Path tempDir;

    private Path packaging;

    @BeforeEach
    void locate() {
        packaging = Path.of(requiredProperty("mcrelay.packaging"));
        for (final String unit : UNITS) {
            assertTrue(Files.isRegularFile(packaging.resolve("systemd").resolve(unit)), "missing unit " + unit);
        }
    }

    @Test
    void systemdAnalyzeVerifiesBothUnitsWithoutAWarning() throws IOException {
        final Path tool = requireTool("systemd-analyze");
        final Path root = stagedRoot(Map.of());

        final ProcessRun run = run(List.of(tool.toString(), "verify", "--root=" + root, "--man=no", "--generators=no",
            "mcrelay.service", "mcrelay@blue.service"));
        System.out.println("systemd-analyze verify mcrelay.service mcrelay@blue.service:\n" + run.describe());

        assertEquals(0, run.exitCode(), run::describe);
        final List<String> aboutUs = run.output().lines().filter(l -> l.contains("mcrelay")).toList();
        assertEquals(List.of(), aboutUs, run::describe);
    }

    @Test
    void systemdAnalyzeReportsAMistakeInAStagedUnit() throws IOException {
        // The check above is only worth something if verify reads the staged units: a mistake must show.
        final Path tool = requireTool("systemd-analyze");
        final String unit = Files.readString(packaging.resolve("systemd/mcrelay.service"));
        final Path root = stagedRoot(Map.of("mcrelay.service",
            unit.replace("ProtectSystem=strict", "ProtectSystem=strictly"), "mcrelay@.service", unit));
        Files.delete(root.resolve("bin/kill"));

        final ProcessRun run = run(List.of(tool.toString(), "verify", "--root=" + root, "--man=no", "--generators=no",
            "mcrelay.service"));

        assertTrue(run.output().contains("strictly"), run::describe);
        assertTrue(run.output().contains("/bin/kill"), run::describe);
        assertTrue(run.exitCode() != 0, run::describe);
    }

    @Test
    void bothUnitsHoldExactlyTheSixCapabilitiesAndNeverMemoryDenyWriteExecute() throws IOException {
        for (final String unit : UNITS) {
            final Map<String, List<String>> settings = settings(packaging.resolve("systemd").resolve(unit));
            for (final String key : List.of("CapabilityBoundingSet", "AmbientCapabilities")) {
                final List<String> values = settings.getOrDefault(key, List.of());
                assertEquals(1, values.size(), unit + ": one " + key + " line");
                assertEquals(new TreeSet<>(CAPABILITIES), new TreeSet<>(Arrays.asList(values.getFirst().split("\\s+"))),
                    unit + ": " + key);
            }
            assertFalse(settings.containsKey("MemoryDenyWriteExecute"), unit + ": the JIT cannot run under it");
            assertEquals(List.of("mcrelay"), settings.get("User"), unit);
            assertEquals(List.of("mcrelay"), settings.get("Group"), unit);
            assertEquals(List.of("/bin/kill -HUP $MAINPID"), settings.get("ExecReload"), unit);
            assertEquals(List.of("yes"), settings.get("NoNewPrivileges"), unit);
            assertEquals(List.of("AF_UNIX AF_INET AF_INET6 AF_PACKET AF_NETLINK"),
                settings.get("RestrictAddressFamilies"), unit);
        }
    }

    @Test
    void theTemplateGivesEachNamespaceItsOwnSocketJournalConfigAndDirectories() throws IOException {
        final Map<String, List<String>> settings = settings(packaging.resolve("systemd/mcrelay@.service"));
        assertEquals(List.of("/run/netns/%i"), settings.get("NetworkNamespacePath"));
        assertEquals(List.of("mcrelay/%i"), settings.get("RuntimeDirectory"));
        assertEquals(List.of("mcrelay/%i"), settings.get("StateDirectory"));
        final Map<String, String> options = supervisorOptions(settings.get("ExecStart").getFirst());
        assertEquals("/run/mcrelay/%i/control.sock", options.get("--socket"));
        assertEquals("/var/lib/mcrelay/%i/journal", options.get("--journal"));
        assertEquals("/etc/mcrelay/%i.conf", options.get("--config"));
        assertEquals("mcrelay-worker", options.get("--user"));
    }

    @Test
    void theUnitsPassOnlyOptionsThatTheSupervisorHas() throws IOException {
        final Path jar = Path.of(requiredProperty("mcrelay.jar"));
        final ProcessRun help = run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "@" + jar.resolveSibling("jvm.options"), "-jar", jar.toString(), "supervisor", "--help"));
        assertEquals(0, help.exitCode(), help::describe);
        for (final String unit : UNITS) {
            final String execStart = settings(packaging.resolve("systemd").resolve(unit)).get("ExecStart").getFirst();
            assertTrue(execStart.startsWith("/usr/bin/mcrelay supervisor "), execStart);
            for (final String option : supervisorOptions(execStart).keySet()) {
                assertTrue(help.stdout().contains(option + "="), () -> unit + ": 'mcrelay supervisor' has no "
                    + option + "\n" + help.describe());
            }
        }
    }

    @Test
    void sysusersCreatesExactlyTheTwoSystemAccounts() throws IOException {
        final Path tool = requireTool("systemd-sysusers");
        final Path root = Files.createDirectories(tempDir.resolve("sysusers-root/etc")).getParent();

        final ProcessRun run = run(List.of(tool.toString(), "--root=" + root,
            packaging.resolve("sysusers.d/mcrelay.conf").toString()));
        System.out.println("systemd-sysusers:\n" + run.describe());

        assertEquals(0, run.exitCode(), run::describe);
        final List<String[]> users = Files.readAllLines(root.resolve("etc/passwd")).stream()
            .map(l -> l.split(":", -1)).toList();
        assertEquals(List.of("mcrelay", "mcrelay-worker"), users.stream().map(u -> u[0]).toList());
        for (final String[] user : users) {
            assertTrue(Integer.parseInt(user[2]) > 0, () -> String.join(":", user));
            assertEquals("/", user[5], () -> "no home: " + String.join(":", user));
            assertTrue(user[6].endsWith("/nologin"), () -> "no login shell: " + String.join(":", user));
        }
        assertEquals(List.of("mcrelay", "mcrelay-worker"), Files.readAllLines(root.resolve("etc/group")).stream()
            .map(l -> l.split(":", -1)[0]).toList());
        // The supervisor gives the workers' socket to their group, which it must be a member of.
        assertEquals(List.of("mcrelay-worker:mcrelay"), Files.readAllLines(root.resolve("etc/group")).stream()
            .filter(l -> l.startsWith("mcrelay-worker:")).map(l -> l.split(":", -1)[0] + ":" + l.split(":", -1)[3])
            .toList());
    }

    @Test
    void tmpfilesMakesTheDirectoriesAndAValidEmptyRulesFile() throws IOException {
        final Path sysusers = requireTool("systemd-sysusers");
        final Path tmpfiles = requireTool("systemd-tmpfiles");
        if (!"root".equals(System.getProperty("user.name"))) {
            System.out.println("SKIPPED tmpfilesMakesTheDirectoriesAndAValidEmptyRulesFile: systemd-tmpfiles gives "
                + "the directories to mcrelay, which needs root (this test runs as " + System.getProperty("user.name")
                + ")");
            Assumptions.abort("systemd-tmpfiles --create changes owners: needs root");
        }
        // The accounts first, as at install: tmpfiles looks the owners up in the root's /etc/passwd.
        final Path root = Files.createDirectories(tempDir.resolve("tmpfiles-root/etc")).getParent();
        final ProcessRun users = run(List.of(sysusers.toString(), "--root=" + root,
            packaging.resolve("sysusers.d/mcrelay.conf").toString()));
        assertEquals(0, users.exitCode(), users::describe);

        final ProcessRun run = run(List.of(tmpfiles.toString(), "--root=" + root, "--create",
            packaging.resolve("tmpfiles.d/mcrelay.conf").toString()));
        System.out.println("systemd-tmpfiles --create:\n" + run.describe());

        assertEquals(0, run.exitCode(), run::describe);
        assertEquals("", run.output(), run::describe);
        final int mcrelayUid = Files.readAllLines(root.resolve("etc/passwd")).stream()
            .filter(l -> l.startsWith("mcrelay:")).map(l -> Integer.parseInt(l.split(":")[2])).findFirst()
            .orElseThrow();
        assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(
            "run/mcrelay"))));
        assertEquals(mcrelayUid, Files.getAttribute(root.resolve("run/mcrelay"), "unix:uid"));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve(
            "var/lib/mcrelay"))));
        assertEquals(mcrelayUid, Files.getAttribute(root.resolve("var/lib/mcrelay"), "unix:uid"));
        final Path rules = root.resolve("etc/mcrelay/rules.conf");
        assertEquals(0, Files.getAttribute(rules, "unix:uid"));

        // What mcrelay.service loads at its first start must be a valid config, or the daemon would not start.
        final Path jar = Path.of(requiredProperty("mcrelay.jar"));
        final ProcessRun check = run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "@" + jar.resolveSibling("jvm.options"), "-jar", jar.toString(), "config", "check", "--socket",
            tempDir.resolve("no-daemon.sock").toString(), rules.toString()));
        assertEquals(0, check.exitCode(), check::describe);
        assertTrue(check.stdout().startsWith(rules + ": valid, 0 rules"), check::describe);

        // Made only when absent: a second run leaves an edited file alone.
        Files.writeString(rules, "{\"rules\": []} // edited\n");
        final ProcessRun again = run(List.of(tmpfiles.toString(), "--root=" + root, "--create",
            packaging.resolve("tmpfiles.d/mcrelay.conf").toString()));
        assertEquals(0, again.exitCode(), again::describe);
        assertEquals("{\"rules\": []} // edited\n", Files.readString(rules));
    }

    /** The root verify runs under: the units (as given, else the sources), stub targets, and the programs run. */
    private Path stagedRoot(final Map<String, String> unitTexts) throws IOException {
        final Path root = tempDir.resolve("verify-root");
        final Path units = Files.createDirectories(root.resolve("etc/systemd/system"));
        for (final String unit : UNITS) {
            final String text = unitTexts.get(unit);
            if (text == null) {
                Files.copy(packaging.resolve("systemd").resolve(unit), units.resolve(unit));
            } else {
                Files.writeString(units.resolve(unit), text);
            }
        }
        for (final String target : STUB_TARGETS) {
            Files.writeString(units.resolve(target), "[Unit]\nDescription=stand-in for " + target + "\n");
        }
        for (final String program : List.of("usr/bin/mcrelay", "bin/kill", "bin/sh")) {
            final Path file = root.resolve(program);
            Files.createDirectories(file.getParent());
            Files.writeString(file, "#!/bin/sh\nexit 0\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return root;
    }

    /** Each setting of a unit file (comments and section headers left out), by key, values in file order. */
    private static Map<String, List<String>> settings(final Path unit) throws IOException {
        final Map<String, List<String>> settings = new LinkedHashMap<>();
        for (final String line : Files.readAllLines(unit)) {
            final String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";") || trimmed.startsWith("[")) {
                continue;
            }
            final int equals = trimmed.indexOf('=');
            assertTrue(equals > 0, () -> unit + ": not a setting: " + line);
            settings.computeIfAbsent(trimmed.substring(0, equals), k -> new ArrayList<>())
                .add(trimmed.substring(equals + 1));
        }
        return settings;
    }

    /** The {@code --name value} pairs of an ExecStart line, in order. */
    private static Map<String, String> supervisorOptions(final String execStart) {
        final Map<String, String> options = new LinkedHashMap<>();
        final Matcher matcher = Pattern.compile("(--[a-z-]+)(?:[ =]([^\\s-][^\\s]*))?").matcher(execStart);
        while (matcher.find()) {
            options.put(matcher.group(1), matcher.group(2));
        }
        return options;
    }

    /** The tool on PATH; else this test is skipped, the reason printed. */
    private static Path requireTool(final String name) {
        for (final String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            final Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        final String reason = name + " is not installed (not on PATH " + System.getenv("PATH") + ")";
        System.out.println("SKIPPED: " + reason);
        Assumptions.abort(reason);
        return null;
    }

    private ProcessRun run(final List<String> command) {
        return ProcessRun.run(tempDir, command, env -> {
            env.put("SYSTEMD_LOG_COLOR", "0");
            env.put("SYSTEMD_PAGER", "");
        }, TIMEOUT_SECONDS);
    }

    private static String requiredProperty(final String name) {
        return ProcessRun.requiredProperty(name);
    }
}
