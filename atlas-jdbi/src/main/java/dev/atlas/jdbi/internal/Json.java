package dev.atlas.jdbi.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.internal.Check;

import java.io.IOException;
import java.util.Map;

/**
 * The one place JSON is written, parsed and validated. Documents are checked for nesting depth,
 * size and storable text before any write, so a bad document fails with the field's name instead
 * of a database error.
 */
public final class Json {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Limits.MAX_JSON_DEPTH).build())
                    .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(Limits.MAX_JSON_DEPTH).build())
                    .build())
            // java.time values in metadata are written as ISO-8601 strings (read back as strings).
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {}

    /** Serialises a metadata map, or fails naming {@code field}. */
    public static JsonDoc write(String field, Object value) {
        String text;
        try {
            text = MAPPER.writeValueAsString(value == null ? Map.of() : value);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new InvalidInputException(field, "is not JSON-serialisable: " + getOriginalMessage(e));
        }
        return checked(field, text, Limits.MAX_METADATA_LENGTH);
    }

    /** Serialises a document Atlas builds itself (audit details), with no size limit. */
    public static JsonDoc internal(Object value) {
        try {
            return new JsonDoc(MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not serialise " + value.getClass().getName(), e);
        }
    }

    /** Validates JSON text given by the caller (kept exactly as given), or fails naming {@code field}. */
    public static String validate(String field, String text) {
        try (JsonParser p = MAPPER.getFactory().createParser(text)) {
            if (p.nextToken() == null) {
                throw new InvalidInputException(field, "is empty; a JSON document is required");
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                throw new InvalidInputException(field, "has content after the JSON document");
            }
        } catch (IOException e) {
            throw new InvalidInputException(field, "is not valid JSON: " + firstLine(e.getMessage()));
        }
        checkNoNulEscape(field, text);
        return text;
    }

    static JsonDoc checked(String field, String text, int max) {
        Check.text(field, text, max);
        checkNoNulEscape(field, text);
        return new JsonDoc(text);
    }

    /** PostgreSQL jsonb rejects the escape {@code \u0000}; refuse it on both databases alike. */
    private static void checkNoNulEscape(String field, String text) {
        for (int i = text.indexOf("\\u0000"); i >= 0; i = text.indexOf("\\u0000", i + 1)) {
            int backslashes = 0;
            for (int j = i; j >= 0 && text.charAt(j) == '\\'; j--) {
                backslashes++;
            }
            // An odd run of backslashes means the last one starts a real escape; an even run is
            // an escaped backslash followed by the literal text "u0000".
            if (backslashes % 2 == 1) {
                throw new InvalidInputException(field, "contains the escape \\u0000 (NUL), which jsonb cannot store");
            }
        }
    }

    public static Map<String, Object> readMap(String text) {
        // Most rows carry no metadata; skip the parser on every write and read of those.
        if (text == null || text.equals("{}")) {
            return Map.of();
        }
        try {
            return MAPPER.readValue(text, MAP);
        } catch (IOException e) {
            throw new IllegalStateException("stored JSON could not be read: " + e.getMessage(), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static String getOriginalMessage(Exception e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    }
}
