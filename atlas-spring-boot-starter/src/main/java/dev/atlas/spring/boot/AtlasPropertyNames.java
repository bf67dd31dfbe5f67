package dev.atlas.spring.boot;

import dev.atlas.ConfigurationException;
import dev.atlas.internal.EditDistance;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.json.JsonParserFactory;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Refuses {@code atlas.*} names no Atlas module declares but that are near one: Boot ignores an
 * unknown name, so a misspelt {@code atlas.sqlite-path} would put the data in the default file,
 * where nobody looks. A name near none is only logged (WARN): it is likely another library's.
 * A name directly under {@code atlas.} sharing a word with a setting ({@code atlas.jdbc-url}), or naming a
 * module's setting without its segment ({@code atlas.agent} for {@code atlas.spring-ai.agent}), is a guess at that
 * setting and refused too. The names known are those of every {@code spring-configuration-metadata.json} on the class
 * path (the starter's, {@code atlas-spring-ai}'s), so the IDE's completion and this check agree.
 * Environment variables and system properties are not checked: other software's {@code ATLAS_*}
 * variables read as {@code atlas.*} names too, and Atlas's own switches outside Spring
 * ({@code -Datlas.vectors.exact}) and its benchmarks' ({@code -Datlas.bench.*}) are system properties.
 */
final class AtlasPropertyNames {
    private static final ConfigurationPropertyName ATLAS = ConfigurationPropertyName.of("atlas");
    private static final String METADATA = "META-INF/spring-configuration-metadata.json";

    private AtlasPropertyNames() {
    }

    static void refuseUnknown(Environment environment, ClassLoader loader) {
        Map<ConfigurationPropertyName, Boolean> known = known(loader);
        if (known.isEmpty()) {
            return; // metadata stripped from the jars (a shaded build): nothing to check against
        }
        Set<String> unknown = new TreeSet<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            if (source instanceof IterableConfigurationPropertySource names
                    && !(source.getUnderlyingSource() instanceof SystemEnvironmentPropertySource)
                    && !(source.getUnderlyingSource() instanceof PropertySource<?> p
                            && StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME.equals(p.getName()))) {
                names.stream().filter(ATLAS::isAncestorOf).filter(name -> !isKnown(name, known)).forEach(name -> unknown.add(name.toString()));
            }
        }
        List<String> slips = new ArrayList<>();
        for (String name : unknown) {
            String module = missingModule(ConfigurationPropertyName.of(name), known);
            if (module != null) {
                // Ignored, it would leave the application wondering why nothing is recorded.
                slips.add(name + " is a setting of " + module + ", which is not on the class path: add the dependency dev.atlas:"
                        + module + ", or remove the setting");
                continue;
            }
            String meant = closest(ConfigurationPropertyName.of(name), known.keySet());
            if (meant != null) {
                slips.add(name + " is not an Atlas setting (did you mean " + meant + "?)");
            } else {
                // Far from every Atlas name: more likely another library's key under the same
                // prefix (Apache Atlas clients use atlas.rest.address) than a slip; refusing it
                // would stop an application that worked before it added Atlas.
                LoggerFactory.getLogger(AtlasPropertyNames.class).warn("{} is not an Atlas setting; Atlas ignores it", name);
            }
        }
        if (!slips.isEmpty()) {
            throw new ConfigurationException(String.join("; ", slips));
        }
    }

    /** The settings segments of Atlas's optional modules, and the artifact that brings each one's metadata. */
    private static final Map<ConfigurationPropertyName, String> MODULES = Map.of(ConfigurationPropertyName.of("atlas.spring-ai"), "atlas-spring-ai");

    /** The module whose settings segment {@code name} is under ({@code atlas.spring-ai.agent}) when none of its settings is known. */
    private static String missingModule(ConfigurationPropertyName name, Map<ConfigurationPropertyName, Boolean> known) {
        for (Map.Entry<ConfigurationPropertyName, String> m : MODULES.entrySet()) {
            // Relaxed forms (atlas.springAi.agent) compare equal, as for every other setting.
            if (m.getKey().isAncestorOf(name) && known.keySet().stream().noneMatch(m.getKey()::isAncestorOf)) {
                return m.getValue();
            }
        }
        return null;
    }

    /** A name equal to a known one (in any relaxed form), or under a known map ({@code atlas.credential-keys.<id>}). */
    private static boolean isKnown(ConfigurationPropertyName name, Map<ConfigurationPropertyName, Boolean> known) {
        for (Map.Entry<ConfigurationPropertyName, Boolean> k : known.entrySet()) {
            if (k.getKey().equals(name) || (k.getValue() && k.getKey().isAncestorOf(name))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The known name under which {@code name} sits; else, for a name directly under {@code atlas.}, a module's
     * setting ending in the same element ({@code atlas.spring-ai.agent} for {@code atlas.agent}), or the nearest
     * top-level setting it shares a word with ({@code atlas.jdbc-url}, {@code atlas.sqlite}, {@code atlas.user}: guesses,
     * not typos); else the nearest by edit distance, if near enough to be a slip. Deeper names (another library's
     * {@code atlas.authentication.method.ldap.url}) are matched by edit distance only.
     */
    private static String closest(ConfigurationPropertyName name, Set<ConfigurationPropertyName> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        String guessed = null;
        int guessedDistance = Integer.MAX_VALUE;
        for (ConfigurationPropertyName k : known) {
            if (k.isAncestorOf(name)) {
                return k.toString();
            }
            if (name.getNumberOfElements() == 2 && k.getNumberOfElements() > 2
                    && k.getLastElement(ConfigurationPropertyName.Form.UNIFORM).equals(name.getLastElement(ConfigurationPropertyName.Form.UNIFORM))) {
                return k.toString(); // a module's setting without its segment: atlas.agent for atlas.spring-ai.agent
            }
            int d = EditDistance.between(name.toString(), k.toString());
            if (d < bestDistance) {
                best = k.toString();
                bestDistance = d;
            }
            if (name.getNumberOfElements() == 2 && k.getNumberOfElements() == 2 && sharesAWord(name, k) && d < guessedDistance) {
                guessed = k.toString();
                guessedDistance = d;
            }
        }
        return guessed != null ? guessed : bestDistance <= 3 ? best : null;
    }

    /**
     * Whether the last element of {@code name} is the start of {@code known}'s ({@code user}), or has one of its words
     * (3+ letters): as a dash- or underscore-separated word ({@code jdbc-url}), or, in an element without separators
     * (relaxed binding lowercases {@code jdbcUrl} to {@code jdbcurl}), at its start or end.
     */
    private static boolean sharesAWord(ConfigurationPropertyName name, ConfigurationPropertyName known) {
        String element = name.getLastElement(ConfigurationPropertyName.Form.DASHED).toLowerCase(java.util.Locale.ROOT);
        String knownElement = known.getLastElement(ConfigurationPropertyName.Form.DASHED);
        if (element.length() >= 3 && knownElement.replace("-", "").startsWith(element.replaceAll("[-_]", ""))) {
            return true;
        }
        List<String> words = List.of(element.split("[-_]"));
        for (String word : knownElement.split("-")) {
            if (word.length() >= 3 && (words.size() > 1 ? words.contains(word) : element.startsWith(word) || element.endsWith(word))) {
                return true;
            }
        }
        return false;
    }

    /** The {@code atlas.*} names the metadata declares, each with whether it is a map (whose keys are the application's). */
    private static Map<ConfigurationPropertyName, Boolean> known(ClassLoader loader) {
        Map<ConfigurationPropertyName, Boolean> known = new LinkedHashMap<>();
        try {
            Enumeration<URL> files = loader.getResources(METADATA);
            while (files.hasMoreElements()) {
                String json;
                try (InputStream in = files.nextElement().openStream()) {
                    json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                Object properties = JsonParserFactory.getJsonParser().parseMap(json).get("properties");
                if (properties instanceof List<?> list) {
                    for (Object p : list) {
                        if (p instanceof Map<?, ?> property && property.get("name") instanceof String name && name.startsWith("atlas.")) {
                            known.put(ConfigurationPropertyName.of(name),
                                    String.valueOf(property.get("type")).startsWith("java.util.Map<"));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + METADATA, e);
        }
        return known;
    }
}
