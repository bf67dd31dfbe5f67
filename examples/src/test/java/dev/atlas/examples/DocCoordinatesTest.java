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
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Maven dependency a newcomer copies from README.md or docs/*.md resolves as written: an
 * Atlas artifact names a module of this build and carries this build's version (there is no BOM
 * to supply it), and a third-party artifact with a version carries the one this build uses.
 */
class DocCoordinatesTest {

    private static final Pattern XML_BLOCK = Pattern.compile("(?ms)^\\s*```xml\\s*$(.*?)^\\s*```\\s*$");
    private static final Pattern DEPENDENCY = Pattern.compile("(?s)<dependency>(.*?)</dependency>");
    private static final Pattern PROPERTY = Pattern.compile("<([\\w.-]+)>([^<$]+)</\\1>");

    @Test
    void everyDependencyInTheDocsResolvesAsWritten() throws IOException {
        Path root = repositoryRoot();
        String rootPom = Files.readString(root.resolve("pom.xml"), StandardCharsets.UTF_8);
        String projectVersion = tag(rootPom.substring(rootPom.indexOf("</parent>") < 0 ? 0 : rootPom.indexOf("</parent>")), "version");
        Set<String> modules = atlasArtifacts(root);
        Map<String, String> managed = managedVersions(rootPom);

        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Path doc : docs(root)) {
            String text = Files.readString(doc, StandardCharsets.UTF_8);
            Matcher block = XML_BLOCK.matcher(text);
            while (block.find()) {
                Matcher dep = DEPENDENCY.matcher(block.group(1).replaceAll("(?s)<!--.*?-->", ""));
                while (dep.find()) {
                    checked++;
                    String group = tag(dep.group(1), "groupId");
                    String artifact = tag(dep.group(1), "artifactId");
                    String version = tag(dep.group(1), "version");
                    String where = root.relativize(doc) + ": " + group + ":" + artifact;
                    if ("dev.atlas".equals(group)) {
                        if (!modules.contains(artifact)) {
                            problems.add(where + " is not a module of this build " + modules);
                        }
                        if (!projectVersion.equals(version)) {
                            problems.add(where + " has version " + version + ", needs " + projectVersion);
                        }
                    } else if (version != null && managed.containsKey(artifact) && !managed.get(artifact).equals(version)) {
                        problems.add(where + " has version " + version + ", this build uses " + managed.get(artifact));
                    }
                }
            }
        }
        assertThat(checked).as("dependencies found in the docs").isGreaterThanOrEqualTo(5);
        assertThat(problems).isEmpty();
    }

    @Test
    void readmeNamesEveryAutomaticModuleAsItsJarDeclaresIt() throws IOException {
        Path root = repositoryRoot();
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        Pattern name = Pattern.compile("<Automatic-Module-Name>([\\w.]+)</Automatic-Module-Name>");
        Map<String, String> declared = new HashMap<>();   // artifactId -> module name
        try (Stream<Path> poms = Files.walk(root, 2)) {
            for (Path pom : poms.filter(p -> p.getFileName().toString().equals("pom.xml")).toList()) {
                String text = Files.readString(pom, StandardCharsets.UTF_8);
                Matcher m = name.matcher(text);
                if (m.find()) {
                    declared.put(tag(text.substring(text.indexOf("</parent>")), "artifactId"), m.group(1));
                }
            }
        }
        assertThat(declared).hasSizeGreaterThanOrEqualTo(4);
        String sentence = readme.substring(readme.indexOf("The\nintegration modules"), readme.indexOf("their frameworks declare"));
        declared.forEach((artifact, module) -> assertThat(sentence).as(artifact).contains("`" + artifact + "`").contains("`" + module + "`"));
    }

    private static List<Path> docs(Path root) throws IOException {
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    /** The artifactId of every pom.xml under the root (its own, after any parent block). */
    private static Set<String> atlasArtifacts(Path root) throws IOException {
        Set<String> artifacts = new TreeSet<>();
        try (Stream<Path> poms = Files.walk(root, 3)) {
            for (Path pom : poms.filter(p -> p.getFileName().toString().equals("pom.xml") && !p.toString().contains("target")).toList()) {
                String text = Files.readString(pom, StandardCharsets.UTF_8);
                int parent = text.indexOf("</parent>");
                artifacts.add(tag(text.substring(parent < 0 ? 0 : parent), "artifactId"));
            }
        }
        return artifacts;
    }

    /** artifactId -> version of the root pom's dependencyManagement, properties resolved. */
    private static Map<String, String> managedVersions(String rootPom) {
        Map<String, String> properties = new HashMap<>();
        String props = rootPom.substring(rootPom.indexOf("<properties>"), rootPom.indexOf("</properties>"));
        Matcher p = PROPERTY.matcher(props);
        while (p.find()) {
            properties.put(p.group(1), p.group(2).strip());
        }
        Map<String, String> managed = new HashMap<>();
        String management = rootPom.substring(rootPom.indexOf("<dependencyManagement>"), rootPom.indexOf("</dependencyManagement>"));
        Matcher dep = DEPENDENCY.matcher(management);
        while (dep.find()) {
            String version = tag(dep.group(1), "version");
            if (version != null && version.startsWith("${")) {
                version = properties.get(version.substring(2, version.length() - 1));
            }
            managed.put(tag(dep.group(1), "artifactId"), version);
        }
        return managed;
    }

    private static String tag(String xml, String name) {
        Matcher m = Pattern.compile("<" + name + ">\\s*([^<]*?)\\s*</" + name + ">").matcher(xml);
        return m.find() ? m.group(1) : null;
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
