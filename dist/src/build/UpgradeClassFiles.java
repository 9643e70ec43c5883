import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * A build step of {@code dist} (run with the JDK's source launcher at {@code package}, between the shade and the AOT
 * training): rewrites the classes under the given package prefixes in the shaded jar from a class-file version before
 * Java 6 (50) to Java 8's (52), with stack maps computed by the JDK's class-file API, and checks every class it wrote
 * with that API's verifier (the build fails on any error).
 *
 * <p>Why: the JDK's AOT cache keeps no class of a version before 50 ("Unlinked class not supported by
 * AOTClassLinking"), and picocli ships as Java 5 class files; so every client command loaded and verified picocli's
 * ~175 classes from the jar, with the old verifier, at every start. Nothing but the version and the stack maps
 * changes: the same instructions, constant values and attributes.
 *
 * <p>Usage: {@code java UpgradeClassFiles.java JAR PREFIX...} (the jar is replaced in place; entries keep their order
 * and times).
 */
public final class UpgradeClassFiles {
    private static final int TARGET_MAJOR = ClassFile.JAVA_8_VERSION;
    private static final int FIRST_WITH_STACK_MAPS = ClassFile.JAVA_6_VERSION;

    private UpgradeClassFiles() {
    }

    public static void main(final String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: java UpgradeClassFiles.java JAR PREFIX...");
            System.exit(2);
        }
        final Path jar = Path.of(args[0]);
        final List<String> prefixes = List.of(args).subList(1, args.length);
        final Path out = jar.resolveSibling(jar.getFileName() + ".upgrading");
        final List<String> errors = new ArrayList<>();
        int upgraded = 0;
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            final ClassFile classFile = ClassFile.of(ClassFile.StackMapsOption.GENERATE_STACK_MAPS,
                ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
                    .orElse(ClassHierarchyResolver.ofResourceParsing(loader))));
            // Rebuilding every method body (not passing it through) is what makes the stack maps be computed.
            final CodeTransform rebuild = (builder, element) -> builder.with(element);
            final ClassTransform toTarget = (builder, element) -> {
                if (element instanceof ClassFileVersion) {
                    builder.withVersion(TARGET_MAJOR, 0);
                } else {
                    builder.with(element);
                }
            };
            final ClassTransform transform = toTarget.andThen(ClassTransform.transformingMethodBodies(rebuild));
            try (JarFile in = new JarFile(jar.toFile());
                JarOutputStream written = new JarOutputStream(Files.newOutputStream(out))) {
                for (final JarEntry entry : in.stream().toList()) {
                    byte[] bytes = in.getInputStream(entry).readAllBytes();
                    if (entry.getName().endsWith(".class") && prefixes.stream().anyMatch(entry.getName()::startsWith)) {
                        final ClassModel model = classFile.parse(bytes);
                        if (model.majorVersion() < FIRST_WITH_STACK_MAPS) {
                            bytes = classFile.transformClass(model, transform);
                            classFile.verify(bytes).forEach(e -> errors.add(entry.getName() + ": " + e.getMessage()));
                            upgraded++;
                        }
                    }
                    final JarEntry copy = new JarEntry(entry.getName());
                    copy.setTime(entry.getTime());
                    written.putNextEntry(copy);
                    written.write(bytes);
                    written.closeEntry();
                }
            }
        }
        if (!errors.isEmpty()) {
            Files.deleteIfExists(out);
            errors.forEach(System.err::println);
            System.err.println("UpgradeClassFiles: " + errors.size() + " verification errors; " + jar + " unchanged");
            System.exit(1);
        }
        Files.move(out, jar, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("UpgradeClassFiles: " + upgraded + " classes under " + prefixes + " in " + jar
            + " now of class-file version " + TARGET_MAJOR);
    }
}
