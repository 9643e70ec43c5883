package io.mcrelay.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * {@code mcrelay demo} from the shipped jar, as a user runs it: as root it builds its topology, starts the daemon,
 * forwards through both rules, prints its report and exits 0, leaving no namespace, process or file; interrupted
 * with SIGINT halfway through its traffic, it removes everything all the same and exits 130; without root it says
 * what it needs and exits 1.
 */
class DemoNetnsIT {
    private static final Pattern DIRECTORY = Pattern.compile("log: (/tmp/mcrelay-demo-[0-9]+)/daemon.log");

    @Test
    void asRootItForwardsThroughBothRulesReportsAndLeavesNothingBehind() throws Exception {
        Netns.requireRoot();
        final Demo demo = Demo.start(List.of(), "--seconds", "3", "--rate", "1000");
        assertTrue(demo.process.waitFor(180, TimeUnit.SECONDS), demo::output);
        final String output = demo.output();
        System.out.println("[demo]\n" + output);
        assertEquals(0, demo.process.exitValue(), output);
        for (final String expected : List.of("rule translate: in0 239.1.1.1:5000 -> 239.2.2.2:6000 on out0",
            "translate sent 3,000; the relay took in 3,000",
            "239.2.2.2:6000  received 3,000  lost 0  duplicates 0  reordered 0  corrupt 0",
            "239.3.3.1:7001  received 3,000  lost 0", "239.3.3.2:7002  received 3,000  lost 0",
            "239.3.3.3:7003  received 3,000  lost 0", "loss: 0 of 12,000 copies (0.000 %)", "relay CPU per packet in: ",
            "every packet arrived at every output once, intact and in order",
            "cleaned up: the daemon stopped, the namespaces and links deleted, its files removed")) {
            assertTrue(output.contains(expected), () -> "'" + expected + "' in:\n" + output);
        }
        demo.assertNothingLeft();
    }

    @Test
    void interruptedHalfwayItStillRemovesEverything() throws Exception {
        Netns.requireRoot();
        // env resets SIGINT to its default: a JVM that inherits it ignored (a background job) cannot catch it.
        final Demo demo = Demo.start(List.of("env", "--default-signal=INT"), "--seconds", "60");
        Waits.until("the demo's live view", demo::output, text -> text.contains("] ") && text.contains(" s  in "),
            demo::output);
        final Process kill = new ProcessBuilder("kill", "-INT", Long.toString(demo.process.pid())).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0);
        assertTrue(demo.process.waitFor(120, TimeUnit.SECONDS), demo::output);
        final String output = demo.output();
        System.out.println("[demo, SIGINT]\n" + output);
        assertEquals(130, demo.process.exitValue(), output);
        assertTrue(output.contains("interrupted: stopping the traffic and removing everything"), output);
        assertTrue(output.contains("cleaned up: the daemon stopped, the namespaces and links deleted, its files "
            + "removed"), output);
        assertFalse(output.contains("report"), output);
        demo.assertNothingLeft();
    }

    @Test
    void withoutRootItSaysWhatItNeedsAndExitsOne() throws Exception {
        Netns.requireRoot(); // to become another user
        final Path dir = Files.createTempDirectory("mcrelay-demo-test-");
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            final Path jar = Files.copy(Demo.jar(), dir.resolve("mcrelay.jar"));
            Files.setPosixFilePermissions(jar, PosixFilePermissions.fromString("rw-r--r--"));
            final Process process = new ProcessBuilder("setpriv", "--reuid=nobody", "--regid=nogroup",
                "--clear-groups", "--inh-caps=-all", ProcessHandle.current().info().command().orElseThrow(),
                "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString(), "demo").redirectErrorStream(true)
                .start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
            System.out.println("[demo, as nobody]\n" + output);
            assertEquals(1, process.exitValue(), output);
            assertTrue(output.contains("mcrelay demo: needs root: it creates network namespaces and veth pairs and "
                + "runs the daemon in them; run it as: sudo ./mcrelay demo"), output);
            assertTrue(output.contains("./mcrelay sim --seeds 20"), output);
        } finally {
            WorkerForwardingNetnsIT.deleteTree(dir);
        }
    }

    /** A demo process of the shipped jar and what it printed so far (read on a thread of its own). */
    private static final class Demo {
        final Process process;
        private final StringBuffer printed = new StringBuffer();

        private Demo(final Process process) {
            this.process = process;
            Thread.ofPlatform().daemon().name("demo output").start(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                    for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                        printed.append(line).append('\n');
                    }
                } catch (final IOException e) {
                    printed.append("(reading the output failed: ").append(e.getMessage()).append(")\n");
                }
            });
        }

        static Path jar() {
            return Path.of(System.getProperty("mcrelay.dist", "../dist/target")).toAbsolutePath().normalize()
                .resolve("mcrelay.jar");
        }

        static Demo start(final List<String> prefix, final String... options) throws IOException {
            final Path options1 = jar().resolveSibling("jvm.options");
            final List<String> command = new ArrayList<>(prefix);
            command.addAll(List.of(ProcessHandle.current().info().command().orElseThrow(), "@" + options1, "-jar",
                jar().toString(), "demo"));
            command.addAll(List.of(options));
            return new Demo(new ProcessBuilder(command).redirectErrorStream(true).start());
        }

        String output() {
            return printed.toString();
        }

        /** No namespace named after the demo's pid, no directory it named, no process running from it. */
        void assertNothingLeft() throws Exception {
            final String tag = "mcdemo" + process.pid();
            final Process list = new ProcessBuilder(WorkerForwardingNetnsIT.ip(), "netns", "list").start();
            final String namespaces = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(list.waitFor(30, TimeUnit.SECONDS));
            assertFalse(namespaces.contains(tag), () -> "namespaces left: " + namespaces);
            final Matcher matcher = DIRECTORY.matcher(output());
            assertTrue(matcher.find(), this::output);
            final Path dir = Path.of(matcher.group(1));
            assertFalse(Files.exists(dir), () -> dir + " is left");
            assertEquals(List.of(), DaemonKit.processesMentioning(dir), "processes left running from " + dir);
        }
    }
}
