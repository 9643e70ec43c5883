package io.mcrelay.journal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import io.mcrelay.rules.IpAddress;
import io.mcrelay.rules.Limits;
import io.mcrelay.rules.Rule;
import io.mcrelay.rules.RuleId;
import io.mcrelay.rules.RuleInput;
import io.mcrelay.rules.RuleOutput;

/**
 * The journal the daemon built at e908fe1 wrote (journal schema version 1), kept in
 * {@code src/test/resources/journal/e908fe1} (its README says how it was made), and what it holds. Shared through
 * relay's test-jar.
 */
public final class E908fe1Fixture {
    /** The epoch the old daemon had when it stopped. */
    public static final long EPOCH = 6;
    /** The limits its last config load set. */
    public static final Limits LIMITS = new Limits(1000, 16);
    /** The journal schema version it wrote. */
    public static final int SCHEMA_VERSION = 1;

    /** A stored file: its name, its length in the daemon's directory, and the SHA-256 of those bytes. */
    private record StoredFile(String name, long length, String sha256) {
    }

    private static final List<StoredFile> FILES = List.of(
        new StoredFile("20261206F.cq4", 83_886_080L,
            "17f4a43f92697b0286fc34960c746d5475c73b9828af3e8f80a13d76cc8f9475"),
        new StoredFile("metadata.cq4t", 131_072L, "5d50139c31ff2540acd2b592e341bf521a1f0870c85ba45772ccc3845ae07e02"));

    private E908fe1Fixture() {
    }

    /** The rules the old daemon listed before it stopped, sorted by id. */
    public static List<Rule> rules() {
        return List.of(
            new Rule(new RuleId("cam-1"), "Camera 1", new RuleInput("jfx-in", ip("239.1.1.1"), 5000, null), List.of(
                new RuleOutput(ip("239.10.0.1"), 5000, "jfx-out", 8),
                new RuleOutput(ip("239.10.0.2"), 5002, "jfx-out", 0))),
            new Rule(new RuleId("late-5"), "Late", new RuleInput("jfx-in", ip("239.1.1.5"), 5008, null), List.of(
                new RuleOutput(ip("239.10.0.5"), 5008, "jfx-out", 4),
                new RuleOutput(ip("239.10.0.6"), 5010, "lo", 0))),
            new Rule(new RuleId("r3"), null, new RuleInput("jfx-in", ip("239.1.1.3"), 5004, null), List.of(
                new RuleOutput(ip("239.10.0.3"), 5004, "jfx-out", 1))),
            new Rule(new RuleId("ssm-2"), null, new RuleInput("jfx-in", ip("232.1.2.3"), 6000, ip("10.9.8.7")),
                List.of(new RuleOutput(ip("10.20.30.40"), 7000, "jfx-out", 32))));
    }

    /**
     * Writes the journal's files into {@code dir} (created), extended with holes to the lengths the daemon left them
     * at, and checks that they are those bytes.
     */
    public static Path install(final Path dir) {
        try {
            Files.createDirectories(dir);
            for (final StoredFile stored : FILES) {
                final Path file = dir.resolve(stored.name());
                try (InputStream in = E908fe1Fixture.class.getResourceAsStream("/journal/e908fe1/" + stored.name())) {
                    if (in == null) {
                        throw new IllegalStateException("the fixture file " + stored.name() + " is not on the class "
                            + "path");
                    }
                    Files.copy(in, file);
                }
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    if (channel.size() < stored.length()) {
                        channel.write(ByteBuffer.allocate(1), stored.length() - 1); // the rest is a hole of zeros
                    }
                }
                final String sha256 = sha256(file);
                if (!sha256.equals(stored.sha256())) {
                    throw new IllegalStateException(file + " is not the daemon's file: SHA-256 " + sha256);
                }
            }
            return dir;
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(final Path file) throws IOException {
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            final ByteBuffer block = ByteBuffer.allocate(1 << 20);
            while (in.read(block) > 0) {
                block.flip();
                digest.update(block);
                block.clear();
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static IpAddress ip(final String text) {
        return IpAddress.parse(text);
    }
}
