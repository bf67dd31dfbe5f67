package dev.atlas.jdbi.packaging;

import dev.atlas.Atlas;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The drivers are optional dependencies of atlas-jdbi. An application that forgot the one it
 * needs gets a ConfigurationException naming the artifact to add, not a pool error. Runs a child
 * JVM whose class path really lacks the driver's jar.
 */
class MissingDriverTest {

    @Test
    @DisplayName("opening SQLite without sqlite-jdbc on the class path names org.xerial:sqlite-jdbc")
    void missingSqliteDriver(@TempDir Path dir) throws Exception {
        String out = runWithout("sqlite-jdbc", "sqlite", dir.resolve("a.db").toString());
        assertThat(out).isEqualTo("dev.atlas.ConfigurationException: the sqlite JDBC driver (org.sqlite.JDBC) is not on the"
                + " class path: add the dependency org.xerial:sqlite-jdbc to your build (atlas-jdbi declares it optional)");
        assertThat(dir.resolve("a.db")).doesNotExist();
    }

    @Test
    @DisplayName("opening PostgreSQL without the driver names org.postgresql:postgresql")
    void missingPostgresDriver(@TempDir Path dir) throws Exception {
        String out = runWithout("postgresql-", "jdbc", "jdbc:postgresql://127.0.0.1:1/nowhere");
        assertThat(out).isEqualTo("dev.atlas.ConfigurationException: the postgresql JDBC driver (org.postgresql.Driver) is not"
                + " on the class path: add the dependency org.postgresql:postgresql to your build (atlas-jdbi declares it optional)");
    }

    private static String runWithout(String jarMarker, String mode, String target) throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !Path.of(e).getFileName().toString().startsWith(jarMarker))
                .collect(Collectors.joining(File.pathSeparator));
        assertThat(classPath).doesNotContain(File.separator + jarMarker);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", classPath, OpenChild.class.getName(), mode, target))
                .redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        return out;
    }

    /** The child: opens Atlas and prints the exception it got (type and message) on one line. */
    public static final class OpenChild {
        public static void main(String[] args) {
            try {
                Atlas atlas = args[0].equals("sqlite") ? Atlas.sqlite(Path.of(args[1])) : Atlas.builder().jdbcUrl(args[1]).build();
                atlas.close();
                System.out.println("opened");
            } catch (RuntimeException e) {
                System.out.println(e.getClass().getName() + ": " + e.getMessage());
            }
        }
    }
}
