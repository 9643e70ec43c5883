package io.mcrelay.netns;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * The container path, for a runner that is not root but has Docker (GitHub's): the netns smoke subset run as root
 * inside a privileged container (Testcontainers), from a copy of this checkout, with the runner's Maven repository;
 * passes when that build passes, its output streamed here line by line. Runs only under {@code -Pnetns-container}
 * (tag {@code container}); inside the container that profile is off, so it does not run itself again. Without Docker
 * (these build machines) it is skipped, saying so.
 */
@Tag("container")
class PrivilegedContainerNetnsIT {
    /** A JDK 25 on Ubuntu; the build installs the tools the suites use. */
    private static final DockerImageName IMAGE = DockerImageName.parse("eclipse-temurin:25-jdk");
    private static final String BUILD = String.join(" && ",
        "set -e",
        "apt-get update -q >/dev/null",
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 nftables util-linux procps >/dev/null",
        "cp -a /src /build",
        "cd /build",
        "./mvnw -B --no-transfer-progress verify -pl netns-tests -am");

    @Test
    void theNetnsSuitesPassAsRootInAPrivilegedContainer() {
        final boolean docker = dockerAvailable();
        if (!docker) {
            System.out.println("SKIPPED theNetnsSuitesPassAsRootInAPrivilegedContainer: Docker is not available here "
                + "(no daemon answers on its socket); the container path runs on GitHub's runners, and these suites "
                + "run as root directly with ./mvnw verify");
        }
        Assumptions.assumeTrue(docker, "Docker is not available here: the container path runs on GitHub's runners");
        final Path checkout = Path.of("..").toAbsolutePath().normalize();
        final Path m2 = Path.of(System.getProperty("user.home"), ".m2");
        try (GenericContainer<?> build = new GenericContainer<>(IMAGE)) {
            build.withPrivilegedMode(true)
                .withFileSystemBind(checkout.toString(), "/src", BindMode.READ_ONLY)
                .withCommand("bash", "-c", BUILD)
                .withLogConsumer(frame -> System.out.print("[container] " + frame.getUtf8String()))
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofMinutes(60)));
            if (Files.isDirectory(m2)) {
                build.withFileSystemBind(m2.toString(), "/root/.m2", BindMode.READ_WRITE);
            }
            build.start(); // returns once the build exited 0; throws with its status otherwise
        }
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (final RuntimeException | Error e) {
            return false;
        }
    }
}
