package dev.atlas.spring.boot;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.json.JsonParserFactory;

import java.beans.PropertyDescriptor;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The starter's configuration metadata, which IDE completion and the misspelt-property check both read. */
class AtlasPropertiesMetadataTest {
    @Test
    @DisplayName("spring-configuration-metadata.json lists exactly AtlasProperties' settings, with their types and defaults")
    void metadataMatchesTheProperties() throws Exception {
        Map<String, String> declared = new TreeMap<>();
        Map<String, Object> defaults = new TreeMap<>();
        AtlasProperties fresh = new AtlasProperties();
        for (PropertyDescriptor p : BeanUtils.getPropertyDescriptors(AtlasProperties.class)) {
            if (p.getWriteMethod() != null) {
                String name = "atlas." + p.getName().replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
                Class<?> type = p.getPropertyType();
                declared.put(name, type == boolean.class ? "java.lang.Boolean" : type == int.class ? "java.lang.Integer"
                        : type == Map.class ? "java.util.Map<java.lang.String,java.lang.String>" : type.getName());
                Object value = p.getReadMethod().invoke(fresh);
                if (value != null && !(value instanceof Map<?, ?> m && m.isEmpty())) {
                    defaults.put(name, value);
                }
            }
        }
        String json;
        try (InputStream in = AtlasAutoConfiguration.class.getClassLoader().getResourceAsStream("META-INF/spring-configuration-metadata.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, String> listed = new TreeMap<>();
        Map<String, Object> listedDefaults = new TreeMap<>();
        for (Object o : (List<?>) JsonParserFactory.getJsonParser().parseMap(json).get("properties")) {
            Map<?, ?> p = (Map<?, ?>) o;
            listed.put((String) p.get("name"), (String) p.get("type"));
            assertThat((String) p.get("description")).as(p.get("name") + " has a description").isNotBlank();
            if (p.get("defaultValue") != null) {
                listedDefaults.put((String) p.get("name"), p.get("defaultValue"));
            }
        }
        assertThat(listed).isEqualTo(declared);
        assertThat(listedDefaults.toString()).isEqualTo(defaults.toString());
    }
}
