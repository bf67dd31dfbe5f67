package dev.atlas.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Every {@code atlas.*} setting of the starter and of this module (their
 * spring-configuration-metadata.json, what the IDE completes and the starter accepts) is described
 * in README.md (the starter's) or docs/integrations.md (the {@code atlas.spring-ai.*} ones).
 */
class DocumentedPropertiesTest {

    @Test
    @DisplayName("README.md describes every atlas.* setting, docs/integrations.md every atlas.spring-ai.* one")
    void everySettingIsDescribed() throws Exception {
        Set<String> names = new TreeSet<>();
        for (URL url : Collections.list(getClass().getClassLoader().getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                for (JsonNode property : new ObjectMapper().readTree(in).path("properties")) {
                    if (property.path("name").asText().startsWith("atlas.")) {
                        names.add(property.path("name").asText());
                    }
                }
            }
        }
        assertThat(names).as("settings in the metadata").contains("atlas.url", "atlas.spring-ai.advisors");
        Path root = repositoryRoot();
        String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
        String integrations = Files.readString(root.resolve("docs/integrations.md"), StandardCharsets.UTF_8);
        List<String> undescribed = new ArrayList<>();
        for (String name : names) {
            boolean described = name.startsWith("atlas.spring-ai.")
                    ? integrations.contains("`" + name.substring("atlas.spring-ai.".length()) + "`") || integrations.contains("`" + name)
                    : readme.contains("`" + name + "`") || readme.contains("`" + name + "=") || readme.contains("`" + name + ".");
            if (!described) {
                undescribed.add(name);
            }
        }
        assertThat(undescribed).isEmpty();
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
