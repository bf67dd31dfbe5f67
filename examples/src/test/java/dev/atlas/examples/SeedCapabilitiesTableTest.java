package dev.atlas.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/seed-capabilities.md names, per row, the tests that prove it: {@code `Class#method`}, or
 * {@code `#method`} for another method of the class named last in that cell. Every such name must
 * be a test method ({@code @Test} on a {@code void method(}) of a class of that name in some
 * module's {@code src/test/java}, so the table cannot rot when a test is renamed or removed.
 */
class SeedCapabilitiesTableTest {
    private static final Pattern NAME = Pattern.compile("`([A-Z]\\w*)?#(\\w+)`");
    private static final Pattern TEST = Pattern.compile("@(Test|ParameterizedTest|RepeatedTest)\\b");

    @Test
    void everyNamedTestExists() throws IOException {
        Path root = repositoryRoot();
        List<String> problems = check(root.resolve("docs/seed-capabilities.md"), testSources(root));
        assertThat(problems).as("rows of docs/seed-capabilities.md naming tests that do not exist").isEmpty();
    }

    /** The checker itself: a renamed method, an unknown class and a row without a test are each reported. */
    @Test
    void aMissingTestIsNamedByRow(@TempDir Path dir) throws IOException {
        Path java = dir.resolve("m/src/test/java/x/FooContract.java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, String.join("\n", "class FooContract {", "    @Test", "    @DisplayName(\"a; b { c\")",
                "    void works() {}", "    void helper() {}", "}"));
        Path table = dir.resolve("table.md");
        Files.writeString(table, String.join("\n", "| seed | api | test |", "|---|---|---|",
                "| a | `x` | `FooContract#works` |",
                "| b | `y` | `FooContract#works`, `#helper` |",
                "| c | `z` | `BarContract#works` |",
                "| d | `w` | none yet |", ""));

        List<String> problems = check(table, testSources(dir));

        assertThat(problems).containsExactly("row 2 (b): FooContract#helper is not a test method",
                "row 3 (c): BarContract#works: no class BarContract in src/test/java", "row 4 (d): names no test");
    }

    static List<String> check(Path table, Map<String, List<Path>> sources) throws IOException {
        List<String> problems = new ArrayList<>();
        int row = 0;
        boolean header = true;
        for (String line : Files.readAllLines(table, StandardCharsets.UTF_8)) {
            if (!line.startsWith("|") || line.startsWith("|---")) {
                continue;
            }
            if (header) {
                header = false;
                continue;
            }
            row++;
            String[] cells = line.substring(1).split("\\|");
            String where = "row " + row + " (" + cells[0].trim() + ")";
            Matcher m = NAME.matcher(cells[cells.length - 1]);
            String cls = null;
            int named = 0;
            while (m.find()) {
                named++;
                cls = m.group(1) != null ? m.group(1) : cls;
                if (cls == null) {
                    problems.add(where + ": #" + m.group(2) + " names no class");
                } else if (!sources.containsKey(cls)) {
                    problems.add(where + ": " + cls + "#" + m.group(2) + ": no class " + cls + " in src/test/java");
                } else if (!isTest(sources.get(cls), m.group(2))) {
                    problems.add(where + ": " + cls + "#" + m.group(2) + " is not a test method");
                }
            }
            if (named == 0) {
                problems.add(where + ": names no test");
            }
        }
        return problems;
    }

    /**
     * {@code void method(} declared with a test annotation: on its line or among the lines right
     * above it (annotations, Javadoc), up to the end of the previous member.
     */
    private static boolean isTest(List<Path> files, String method) throws IOException {
        Pattern declaration = Pattern.compile("\\bvoid\\s+" + Pattern.quote(method) + "\\s*\\(");
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (!declaration.matcher(lines.get(i)).find()) {
                    continue;
                }
                for (int j = i; j >= 0; j--) {
                    String l = lines.get(j).trim();
                    if (j < i && (l.isEmpty() || l.endsWith("}") || l.endsWith(";") || l.endsWith("{"))) {
                        break;
                    }
                    if (TEST.matcher(l).find()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Every {@code src/test/java} source file below {@code root}, by simple class name. */
    static Map<String, List<Path>> testSources(Path root) throws IOException {
        Map<String, List<Path>> out = new HashMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(p -> p.toString().endsWith(".java") && p.toString().replace('\\', '/').contains("/src/test/java/")
                            && !p.toString().contains("/target/"))
                    .forEach(p -> out.computeIfAbsent(p.getFileName().toString().replace(".java", ""), k -> new ArrayList<>()).add(p));
        }
        return out;
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docs/seed-capabilities.md"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no docs/seed-capabilities.md above " + System.getProperty("user.dir"));
    }
}
