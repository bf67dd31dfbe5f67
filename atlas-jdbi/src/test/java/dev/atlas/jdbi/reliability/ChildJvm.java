package dev.atlas.jdbi.reliability;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The command line of a child JVM of the reliability tests: this JVM's java and class path. */
final class ChildJvm {
    private ChildJvm() {}

    /**
     * {@code java [jvmOptions] -cp <this class path> <main> [args]}. The children live a few seconds
     * and do little work each, so start-up dominates: the C1-only JIT and the serial collector start
     * them a good deal faster on a loaded machine (as atlas-cli's test processes); the code they run,
     * its threads and its database sessions are the same.
     */
    static List<String> command(List<String> jvmOptions, Class<?> main, List<String> args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        if (Runtime.version().feature() >= 24) {
            command.add("--enable-native-access=ALL-UNNAMED");
        }
        command.add(main.getName());
        command.addAll(args);
        return command;
    }
}
