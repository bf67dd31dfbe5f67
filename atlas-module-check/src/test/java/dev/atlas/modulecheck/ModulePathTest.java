package dev.atlas.modulecheck;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An application module that requires only {@code dev.atlas.core} compiles against the Atlas jars
 * and runs from the module path with no --add-opens/--add-reads flags: the implementation
 * (dev.atlas.jdbi) is found as a service, Flyway finds the SQL files in dev.atlas.migrations, and
 * nothing is printed as a warning.
 */
class ModulePathTest {

    private static final String MODULE_INFO = """
            module app {
                requires dev.atlas.core;
            }
            """;

    private static final String MAIN = """
            package app;

            import dev.atlas.Atlas;
            import dev.atlas.Owner;
            import dev.atlas.conversation.Conversation;
            import dev.atlas.conversation.Message;
            import dev.atlas.conversation.NewConversation;
            import dev.atlas.conversation.NewMessage;
            import java.nio.file.Path;

            public class Main {
                public static void main(String[] args) {
                    try (Atlas atlas = Atlas.sqlite(Path.of(args[0]))) {
                        Conversation c = atlas.conversations().create(NewConversation.of(Owner.user("42"), "support"));
                        atlas.conversations().append(c.id(), NewMessage.user("Where is order 1234?"));
                        for (Message m : atlas.conversations().history(c.id())) {
                            System.out.println(m.role().name() + ": " + m.content());
                        }
                        System.out.println("module " + Atlas.class.getModule().getName());
                    }
                }
            }
            """;

    @Test
    void anApplicationModuleRunsAtlasFromTheModulePath(@TempDir Path dir) throws Exception {
        String modulePath = atlasModulePath();

        Path src = dir.resolve("src/app");
        Files.createDirectories(src.resolve("app"));
        Files.writeString(src.resolve("module-info.java"), MODULE_INFO);
        Files.writeString(src.resolve("app/Main.java"), MAIN);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream compilerOut = new ByteArrayOutputStream();
        int compiled = javac.run(null, compilerOut, compilerOut,
                "--release", "17", "-Xlint:all", "-Werror",
                // Without an explicit class path javac would take this JVM's (java.class.path).
                "--class-path", classes.toString(),
                "--module-path", modulePath, "-d", classes.toString(),
                src.resolve("module-info.java").toString(), src.resolve("app/Main.java").toString());
        assertEquals(0, compiled, compilerOut.toString(StandardCharsets.UTF_8));

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Runtime.version().feature() >= 24) {
            // sqlite-jdbc loads a native library; JDK 24+ warns unless its module may (README).
            command.add("--enable-native-access=org.xerial.sqlitejdbc");
        }
        command.addAll(List.of("--module-path", classes + File.pathSeparator + modulePath,
                "-m", "app/app.Main", dir.resolve("agent.db").toString()));
        Process process = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(dir.resolve("stderr.txt").toFile())
                .start();
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "the application did not exit within 2 minutes");
        String out = Files.readString(dir.resolve("stdout.txt"));
        String err = Files.readString(dir.resolve("stderr.txt"));

        assertEquals(0, process.exitValue(), "stdout:\n" + out + "\nstderr:\n" + err);
        assertEquals("USER: Where is order 1234?\nmodule dev.atlas.core\n", out.replace(System.lineSeparator(), "\n"));
        List<String> warnings = err.lines().filter(l -> l.contains("WARN")).collect(Collectors.toList());
        assertEquals(List.of(), warnings, "stderr:\n" + err);
    }

    /** This test's class path without its own classes and JUnit: Atlas, its dependencies, the driver, slf4j-simple. */
    private static String atlasModulePath() throws IOException {
        Path testClasses = Path.of(ModulePathTest.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        List<String> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            String name = p.getFileName().toString();
            boolean testOnly = p.equals(testClasses) || p.startsWith(testClasses.getParent())
                    || name.startsWith("junit-") || name.startsWith("opentest4j-") || name.startsWith("apiguardian-");
            if (!testOnly && Files.exists(p)) {
                entries.add(entry);
            }
        }
        assertTrue(entries.stream().anyMatch(e -> e.contains("atlas-jdbi")), "atlas-jdbi not on the class path: " + entries);
        return String.join(File.pathSeparator, entries);
    }
}
