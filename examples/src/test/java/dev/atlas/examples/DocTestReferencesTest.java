package dev.atlas.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
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

/**
 * The docs prove their claims by naming tests ({@code AtlasOpenTest#wrongPostgresPassword},
 * {@code `SpringAiChatMemoryContract`}): every class and method so named exists in a test source
 * of this build, so a renamed or deleted test cannot leave a claim pointing at nothing.
 */
class DocTestReferencesTest {

    private static final Pattern REFERENCE = Pattern.compile("\\b([A-Z][A-Za-z0-9]*(?:Test|Contract|Check))(?:#([a-z][A-Za-z0-9_]*))?\\b");

    @Test
    void everyTestTheDocsNameExists() throws IOException {
        Path root = repositoryRoot();
        Map<String, String> tests = new HashMap<>();   // simple class name -> source
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/test/") && !p.toString().contains("/target/"))
                    .forEach(p -> tests.merge(p.getFileName().toString().replace(".java", ""), read(p), String::concat));
        }
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (Path doc : docs) {
            Matcher m = REFERENCE.matcher(read(doc));
            while (m.find()) {
                String source = tests.get(m.group(1));
                if (source == null) {
                    if (!m.group(1).endsWith("Check")) {   // "Check" also ends main classes' names (TenantPredicateCheck is a test's)
                        missing.add(root.relativize(doc) + ": " + m.group());
                    }
                    continue;
                }
                checked++;
                if (m.group(2) != null && !Pattern.compile("\\b" + m.group(2) + "\\s*\\(").matcher(source).find()) {
                    missing.add(root.relativize(doc) + ": " + m.group());
                }
            }
        }
        assertThat(checked).as("test references found in the docs").isGreaterThan(50);
        assertThat(missing).as("tests the docs name that do not exist").isEmpty();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs"))) {
                return dir;
            }
        }
        throw new AssertionError("no README.md with docs/ above " + System.getProperty("user.dir"));
    }
}
