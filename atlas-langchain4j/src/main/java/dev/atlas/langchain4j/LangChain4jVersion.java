package dev.atlas.langchain4j;

import dev.atlas.ConfigurationException;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The LangChain4j the adapters need, checked when one is created: an older {@code langchain4j-core}
 * on the class path would otherwise fail only when a memory is first read or written, with a
 * {@code NoSuchMethodError} from a class initializer that names no version.
 */
final class LangChain4jVersion {
    /** The oldest LangChain4j with every API the adapters use (the newest: {@code JacksonChatMessageJsonCodec.chatMessageJsonMapperBuilder()}). */
    static final String MINIMUM = "1.19.0";

    private static final String CODEC = "dev.langchain4j.data.message.JacksonChatMessageJsonCodec";
    // Checked once: the class path does not change.
    private static final String MISSING = missing(CODEC, LangChain4jVersion.class.getClassLoader());

    private LangChain4jVersion() {}

    /** Fails with {@link ConfigurationException} naming {@link #MINIMUM} when the LangChain4j on the class path is older. */
    static void require() {
        if (MISSING != null) {
            throw new ConfigurationException(MISSING);
        }
    }

    /** Why the LangChain4j {@code loader} sees is too old (its codec class {@code codec} lacks the mapper builder); null when it is not. */
    static String missing(String codec, ClassLoader loader) {
        try {
            Class.forName(codec, false, loader).getMethod("chatMessageJsonMapperBuilder");
            return null;
        } catch (ReflectiveOperationException | LinkageError e) {
            return "atlas-langchain4j needs LangChain4j " + MINIMUM + " or later (dev.langchain4j:langchain4j-core), found "
                    + found(loader) + ": " + codec + ".chatMessageJsonMapperBuilder() is missing; use one LangChain4j version"
                    + " for all its modules (dev.langchain4j:langchain4j-bom)";
        }
    }

    /** The version of langchain4j-core {@code loader} sees, from its Maven properties. */
    private static String found(ClassLoader loader) {
        try (InputStream in = loader.getResourceAsStream("META-INF/maven/dev.langchain4j/langchain4j-core/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String version = p.getProperty("version");
                if (version != null && !version.isBlank()) {
                    return version;
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            // an unknown version, below
        }
        return "an unknown version";
    }
}
