package dev.atlas.jdbi.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.atlas.UnreadableRowException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.internal.Check;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place JSON is written, parsed and validated.
 *
 * <p>What is written must read back equal on both databases. PostgreSQL's jsonb stores numbers
 * as {@code numeric} and prints them in plain notation (so {@code 1.0E7} comes back as the
 * integer {@code 10000000}, and {@code 1E+1200} as 1,201 digits), while SQLite keeps the text;
 * Jackson reads fractions as 64-bit doubles. So {@link #write} rewrites every fraction in the
 * plain form of the double it reads back as (which jsonb keeps verbatim), refuses numbers a
 * double cannot hold exactly and integers longer than the read limit, and finally parses the
 * result with the very limits {@link #readMap} uses. Anything it accepts therefore reads back
 * equal, on both dialects, to the value the write returned.
 */
public final class Json {
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    /**
     * Built on first use, not when the class loads: building the mapper loads several hundred
     * Jackson classes, and most calls (empty metadata, plain text) never need it. Opening Atlas
     * and appending a first plain message stays free of that cost.
     */
    private static final class Mappers {
        static final ObjectMapper MAPPER = mapper(Limits.MAX_JSON_DEPTH);

        static ObjectMapper mapper(int depth) {
            return JsonMapper.builder(factory(depth))
                    // java.time values in documents Atlas builds (never in a caller's: checkPlain) as ISO-8601 strings.
                    .addModule(new JavaTimeModule())
                    .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                    .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                    .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                    .build();
        }

        private static JsonFactory factory(int depth) {
            return JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(depth)
                            .maxNumberLength(Limits.MAX_JSON_NUMBER_LENGTH).build())
                    .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(depth).build())
                    // NaN and infinities are not JSON: written bare they are refused below instead of
                    // silently turning into the strings "NaN" and "Infinity".
                    .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                    .build();
        }

        /**
         * Reads what {@link #MAPPER} wrote, token by token, to rewrite its numbers. Numbers of any
         * length are tokenised here so the refusal can say what was wrong with them. Duplicate
         * keys are refused: a nested map keyed by both {@code 1} and {@code "1"} writes one key
         * twice, and every reader (jsonb, Jackson) would keep only one of the two values.
         */
        static final JsonFactory CANONICAL = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Limits.MAX_JSON_DEPTH)
                        .maxNumberLength(Limits.MAX_METADATA_LENGTH).build())
                .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();

        /**
         * Parses JSON text kept as given in a column PostgreSQL checks as jsonb (tool call
         * arguments): numbers of any length as written, which {@link Json#validateJsonb} holds to
         * numeric's limits instead of Jackson's default 1,000 digits.
         */
        static final JsonFactory JSONB_TEXT = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(Limits.MAX_JSON_DEPTH)
                        .maxNumberLength(Integer.MAX_VALUE).build())
                .build();

        /** {@link #CANONICAL} for audit details, {@link #MAX_DETAILS_DEPTH} levels deep. */
        static final JsonFactory DETAILS_CANONICAL = CANONICAL.rebuild()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DETAILS_DEPTH)
                        .maxNumberLength(Limits.MAX_METADATA_LENGTH).build())
                .build();
    }

    /**
     * {@link Mappers#MAPPER} one level deeper: an audit event's details hold a message's previous
     * metadata, which may be as deep as metadata goes, one level down ({@code {"previousMetadata": …}}).
     * Reads and writes audit details, and reads any stored document for export. Built on first use
     * of those, apart from {@link Mappers}.
     */
    private static final class Deep {
        static final ObjectMapper MAPPER = Mappers.mapper(MAX_DETAILS_DEPTH);
    }

    /** How deep an audit event's details go: a metadata document ({@link Limits#MAX_JSON_DEPTH}) one level down. */
    public static final int MAX_DETAILS_DEPTH = Limits.MAX_JSON_DEPTH + 1;

    /** The configured mapper (see the class comment for what it guarantees). */
    public static ObjectMapper mapper() {
        return Mappers.MAPPER;
    }

    private Json() {}

    /**
     * Serialises a metadata map (or another JSON value given by the caller) in the form both
     * databases read back equal, or fails naming {@code field}. The value must be a JSON value in
     * Java's plain types ({@link #checkPlain}): what Jackson would write of another class (a bean's
     * getters, an enum's name, a byte[] as base64) is not what the caller gave, and never reads back as it.
     */
    public static JsonDoc write(String field, Object value) {
        if (value == null || value instanceof Map<?, ?> m && m.isEmpty()) {
            return new JsonDoc("{}", Map.of());
        }
        checkPlain(field, value);
        return serialised(field, value);
    }

    /** {@link #write} of a document parsed from a file (an import): a JSON tree already, no caller's classes in it. */
    public static JsonDoc writeParsed(String field, com.fasterxml.jackson.databind.JsonNode value) {
        return serialised(field, value);
    }

    /**
     * One serialisation and one parse in the common case: the generator notes whether {@link #canonical} would change
     * or refuse any number, and only then is the text rewritten as before; otherwise the rewrite would copy the text
     * unchanged. The parse that proves the text reads back is kept in the {@link JsonDoc}, so a store that returns
     * what it wrote ({@link #readMap(JsonDoc)}) parses nothing again (createAll and append serialised a payload twice
     * and parsed it three times).
     */
    private static JsonDoc serialised(String field, Object value) {
        StringWriter out = new StringWriter();
        boolean rewrites;
        // Closed, not only flushed: closing hands the generator's buffers back for the next write.
        try (Canonical g = new Canonical(field, Mappers.MAPPER.createGenerator(out))) {
            Mappers.MAPPER.writeValue(g, value);
            rewrites = g.rewrites;
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(field, "is not JSON-serialisable: " + shown(e));
        }
        String text = out.toString();
        Check.text(field, text, Limits.MAX_METADATA_LENGTH);
        if (rewrites) {
            text = canonical(field, text);
            Check.text(field, text, Limits.MAX_METADATA_LENGTH);
        }
        checkNoNulEscape(field, text);
        Object read;
        try (JsonParser p = Mappers.MAPPER.getFactory().createParser(text)) {
            // Duplicate keys are refused as canonical() refuses them: every reader would keep only one of the two values.
            p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            read = Mappers.MAPPER.readValue(p, Object.class);
        } catch (IOException e) {
            throw new InvalidInputException(field, "cannot be stored as JSON: " + shown(e));
        }
        return new JsonDoc(text, read instanceof Map<?, ?> ? Check.frozenFresh(object(castMap(read))) : null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object map) {
        return (Map<String, Object>) map;
    }

    /**
     * The generator {@link #serialised} writes with: it writes every number as the mapper would and notes whether
     * {@link #canonical} would rewrite or refuse one (a fraction not in its plain read-back form, an integer longer than
     * the limit, a NaN), so that text with none needs no second pass.
     */
    private static final class Canonical extends com.fasterxml.jackson.core.util.JsonGeneratorDelegate {
        private final String field;
        boolean rewrites;

        Canonical(String field, JsonGenerator d) {
            super(d, false);
            this.field = field;
        }

        private void fraction(String given) {
            if (!rewrites) {
                try {
                    rewrites = !canonicalFraction(field, given).equals(given);
                } catch (InvalidInputException | NumberFormatException e) {
                    rewrites = true; // canonical() refuses it, with its message
                }
            }
        }

        private void integer(String digits) {
            if (!rewrites) {
                rewrites = (digits.startsWith("-") ? digits.length() - 1 : digits.length()) > Limits.MAX_JSON_NUMBER_LENGTH;
            }
        }

        private void number(String text) {
            if (text.indexOf('.') >= 0 || text.indexOf('e') >= 0 || text.indexOf('E') >= 0 || !text.matches("-?[0-9]+")) {
                fraction(text);
            } else {
                integer(text);
            }
        }

        @Override
        public void writeNumber(double v) throws IOException {
            super.writeNumber(v);
            fraction(Double.toString(v));
        }

        @Override
        public void writeNumber(float v) throws IOException {
            super.writeNumber(v);
            fraction(Float.toString(v));
        }

        @Override
        public void writeNumber(BigDecimal v) throws IOException {
            super.writeNumber(v);
            if (v != null) {
                number(v.toString());
            }
        }

        @Override
        public void writeNumber(java.math.BigInteger v) throws IOException {
            super.writeNumber(v);
            if (v != null) {
                integer(v.toString());
            }
        }

        @Override
        public void writeNumber(String encoded) throws IOException {
            super.writeNumber(encoded);
            if (encoded != null) {
                number(encoded);
            }
        }

        @Override
        public void writeNumber(char[] encoded, int offset, int length) throws IOException {
            super.writeNumber(encoded, offset, length);
            number(new String(encoded, offset, length));
        }
    }
    /**
     * Refuses, naming {@code field} and the path to it, any part of {@code value} that is not a
     * JSON value in Java's plain types: a {@link Map} with {@link String} keys, a {@link List}, a
     * {@link String}, a {@link Boolean}, an {@link Integer}, {@link Long}, {@link Short},
     * {@link Byte}, {@link java.math.BigInteger}, {@link Float}, {@link Double} or
     * {@link BigDecimal}, or {@code null}. A map or list that holds itself is refused, and so is
     * one nested deeper than {@link Limits#MAX_JSON_DEPTH} levels (the outermost value is level 1).
     * The one rule for every JSON input of the API; the numbers' own limits are {@link #canonical}'s.
     */
    static void checkPlain(String field, Object value) {
        if (value == null || PLAIN.contains(value.getClass())) {
            return;
        }
        try {
            // The path is kept as the steps taken (a key, or a list's index where the key is null), formatted only for a
            // refusal: the walk of a value that passes allocates these three arrays and nothing else.
            int max = Limits.MAX_JSON_DEPTH;
            checkPlain(field, value, 0, new Object[max], new String[max], new int[max]);
        } catch (InvalidInputException e) {
            throw e;
        } catch (RuntimeException e) {
            // An application's map or list whose iteration fails: its own text, bounded.
            throw new InvalidInputException(field, "is not JSON-serialisable: " + shown(e));
        }
    }

    private static final java.util.Set<Class<?>> PLAIN = java.util.Set.of(String.class, Boolean.class, Integer.class, Long.class,
            Short.class, Byte.class, java.math.BigInteger.class, Float.class, Double.class, BigDecimal.class);

    /**
     * Checks {@code value}, reached by the {@code level} steps in {@code keys} and {@code indices} through the
     * containers in {@code open} (level 0: the value given, at depth 1).
     */
    private static void checkPlain(String field, Object value, int level, Object[] open, String[] keys, int[] indices) {
        if (value == null || PLAIN.contains(value.getClass())) {
            return;
        }
        boolean map = value instanceof Map<?, ?>;
        if (!map && !(value instanceof List<?>)) {
            throw new InvalidInputException(field, (level == 0 ? "is a " : "the value at " + path(keys, indices, level) + " is a ")
                    + Check.typeName(value.getClass()) + ", which is not a JSON value; give a Map with String keys, a List, a String, a Boolean,"
                    + " a number (Integer, Long, Short, Byte, BigInteger, Float, Double or BigDecimal) or null (an enum, a UUID or a time"
                    + " as text, a record or a bean as a Map)");
        }
        for (int k = 0; k < level; k++) {
            if (open[k] == value) {
                throw new InvalidInputException(field, "the value at " + path(keys, indices, level)
                        + " is a map or list that holds itself, which JSON cannot hold");
            }
        }
        if (level >= Limits.MAX_JSON_DEPTH) {
            throw new InvalidInputException(field, "is nested deeper than " + Limits.MAX_JSON_DEPTH + " levels (at "
                    + path(keys, indices, level) + ")");
        }
        open[level] = value;
        if (map) {
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw Check.notStringKey(field, level == 0 ? "the map" : "the map at " + path(keys, indices, level), e.getKey());
                }
                keys[level] = key;
                checkPlain(field, e.getValue(), level + 1, open, keys, indices);
            }
        } else {
            keys[level] = null;
            int i = 0;
            for (Object element : (List<?>) value) {
                indices[level] = i++;
                checkPlain(field, element, level + 1, open, keys, indices);
            }
        }
        open[level] = null;
    }

    /** The path of the first {@code level} steps as a message shows it: {@code a[1]['b c'].d}, cut as {@link Check#bounded} cuts. */
    private static String path(String[] keys, int[] indices, int level) {
        StringBuilder path = new StringBuilder();
        for (int k = 0; k < level; k++) {
            String key = keys[k];
            if (key == null) {
                path.append('[').append(indices[k]).append(']');
            } else if (identifier(key)) {
                path.append(path.length() == 0 ? "" : ".").append(key);
            } else {
                path.append('[').append(Check.quoted(key)).append(']');
            }
        }
        return Check.bounded(path.toString());
    }

    /** Whether {@code key} is shown bare in a path: a Java identifier, without characters an identifier ignores. */
    private static boolean identifier(String key) {
        if (key.isEmpty() || !Character.isJavaIdentifierStart(key.charAt(0))) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!Character.isJavaIdentifierPart(c) || Character.isIdentifierIgnorable(c)) {
                return false;
            }
        }
        return true;
    }

    private static String canonical(String field, String text) {
        return canonical(field, text, Mappers.CANONICAL, Mappers.MAPPER.getFactory());
    }

    private static String canonical(String field, String text, JsonFactory in, JsonFactory to) {
        StringWriter out = new StringWriter(text.length() + 16);
        try (JsonParser p = in.createParser(text); JsonGenerator g = to.createGenerator(out)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                    g.writeNumber(canonicalFraction(field, p));
                } else if (t == JsonToken.VALUE_NUMBER_INT) {
                    String digits = p.getText();
                    int length = digits.startsWith("-") ? digits.length() - 1 : digits.length();
                    if (length > Limits.MAX_JSON_NUMBER_LENGTH) {
                        throw new InvalidInputException(field, "contains an integer of " + length + " digits; at most "
                                + Limits.MAX_JSON_NUMBER_LENGTH + " are allowed");
                    }
                    g.copyCurrentEvent(p);
                } else {
                    g.copyCurrentEvent(p);
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException(field, "cannot be stored as JSON: " + shown(e));
        }
        return out.toString();
    }

    /**
     * The plain decimal form of the double a fraction reads back as, with at least one digit
     * after the point so jsonb keeps it a fraction; or a refusal when that double is not the
     * number given (too large, too small, or more digits than a double holds).
     */
    private static String canonicalFraction(String field, JsonParser p) throws IOException {
        if (p.isNaN()) {
            throw new InvalidInputException(field, "contains " + p.getText() + ", which JSON cannot hold; use a finite number or a string");
        }
        return canonicalFraction(field, p.getText(), p.getDecimalValue());
    }

    /** {@link #canonicalFraction(String, JsonParser)} of a number's text as the mapper writes it. */
    private static String canonicalFraction(String field, String given) {
        if (given.equals("NaN") || given.endsWith("Infinity")) {
            throw new InvalidInputException(field, "contains " + given + ", which JSON cannot hold; use a finite number or a string");
        }
        return canonicalFraction(field, given, new BigDecimal(given));
    }

    private static String canonicalFraction(String field, String given, BigDecimal exact) {
        double d = exact.doubleValue();
        if (Double.isInfinite(d)) {
            throw new InvalidInputException(field, "contains the number " + abbreviate(given)
                    + ", beyond the range of a 64-bit floating-point number (about 1.8E308), which is how fractions are read back");
        }
        BigDecimal readBack = BigDecimal.valueOf(d);
        if (readBack.compareTo(exact) != 0) {
            throw new InvalidInputException(field, "contains the number " + abbreviate(given) + ", which would read back as " + d
                    + ": fractions are read back as 64-bit floating-point numbers; store it as a string to keep it exact");
        }
        String plain = readBack.toPlainString();
        return plain.indexOf('.') < 0 ? plain + ".0" : plain;
    }

    private static String abbreviate(String number) {
        return number.length() <= 40 ? number : number.substring(0, 20) + "…(" + number.length() + " characters)";
    }

    /**
     * Serialises a document Atlas builds itself (audit details, transcripts), with no size limit
     * and up to {@link #MAX_DETAILS_DEPTH} levels (details wrap a metadata document).
     */
    public static JsonDoc internal(Object value) {
        try {
            return new JsonDoc(Deep.MAPPER.writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new InvalidInputException("value", "could not be serialised as JSON: " + shown(e));
        }
    }

    /**
     * {@link #write} for an audit event's details as Atlas writes them: up to {@link #MAX_DETAILS_DEPTH}
     * levels and {@code maxLength} characters (an edit's details hold the message's previous content).
     */
    public static JsonDoc writeDetails(String field, Object value, int maxLength) {
        String text = internal(value).text();
        return checked(field, canonical(field, text, Mappers.DETAILS_CANONICAL, Deep.MAPPER.getFactory()), maxLength);
    }

    /** Parses stored audit details: {@link #readMap} up to {@link #MAX_DETAILS_DEPTH} levels. */
    public static Map<String, Object> readDetails(String text) {
        if (text == null || text.equals("{}")) {
            return Map.of();
        }
        try {
            return object(Deep.MAPPER.readValue(text, MAP));
        } catch (IOException e) {
            throw new UnreadableRowException(null, null, "stored JSON could not be read: " + shown(e), ShownFailures.scrubbed(e));
        }
    }

    /** A stored JSON value of any column, parsed up to {@link #MAX_DETAILS_DEPTH} levels (for export, which reads every column). */
    public static Object readStored(String text) throws IOException {
        return Deep.MAPPER.readValue(text, Object.class);
    }

    /** The mapper of {@link #readStored} and {@link #internal}, for a copy writing another form (export's sorted keys). */
    public static ObjectMapper deepMapper() {
        return Deep.MAPPER;
    }

    /** Validates JSON text given by the caller (kept exactly as given), or fails naming {@code field}. */
    public static String validate(String field, String text) {
        return validate(field, text, Mappers.MAPPER.getFactory());
    }

    private static String validate(String field, String text, JsonFactory factory) {
        try (JsonParser p = factory.createParser(text)) {
            if (p.nextToken() == null) {
                throw new InvalidInputException(field, "is empty; a JSON document is required");
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                throw new InvalidInputException(field, "has content after the JSON document");
            }
        } catch (IOException e) {
            throw new InvalidInputException(field, "is not valid JSON: " + shown(e));
        }
        checkNoNulEscape(field, text);
        return text;
    }

    /**
     * {@link #validate}, for JSON text stored in a column PostgreSQL checks as jsonb (tool call
     * arguments): also refuses what jsonb cannot hold, so both databases take the same documents.
     * jsonb refuses an escaped unpaired surrogate, and a number with more than 131,072 digits
     * before the decimal point or more than 16,383 after it as written ({@code 1.5e-16383}: numeric's limits).
     */
    public static String validateJsonb(String field, String text) {
        validate(field, text, Mappers.JSONB_TEXT);
        if (!mayExceedJsonb(text)) {
            return text; // the common case on the recording path: no second parse
        }
        try (JsonParser p = Mappers.JSONB_TEXT.createParser(text)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME || t == JsonToken.VALUE_STRING) {
                    if (unpairedSurrogate(p.getText())) {
                        throw new InvalidInputException(field, "contains an escaped unpaired surrogate ("
                                + (t == JsonToken.FIELD_NAME ? "a key" : "a string") + "), which jsonb cannot store");
                    }
                } else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    checkNumeric(field, p.getText());
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException(field, "is not valid JSON: " + shown(e));
        }
        return text;
    }

    /**
     * Whether {@code text} may hold what jsonb refuses: a {@code \\u} escape (perhaps of a surrogate),
     * an exponent after a digit, or a run of more than 16,383 digits. Without them a number is
     * within numeric's range (at most 16,383 digits on either side of the point).
     */
    private static boolean mayExceedJsonb(String text) {
        if (text.contains("\\u")) {
            return true;
        }
        for (int i = 1, n = text.length(), run = 0; i < n; i++) {
            char c = text.charAt(i);
            if ((c == 'e' || c == 'E') && text.charAt(i - 1) >= '0' && text.charAt(i - 1) <= '9') {
                return true;
            }
            run = c >= '0' && c <= '9' ? run + 1 : 0;
            if (run > 16_383) {
                return true;
            }
        }
        return false;
    }

    private static boolean unpairedSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** Refuses, naming {@code field}, a number jsonb cannot hold; reads its text only through {@link #fitsNumeric}. */
    static void checkNumeric(String field, CharSequence number) {
        if (!fitsNumeric(number)) {
            throw new InvalidInputException(field, "has the number " + (number.length() > 40 ? number.subSequence(0, 40) + "…" : number.toString())
                    + ", outside what jsonb can store (at most 131072 digits before the decimal point and 16383 after it)");
        }
    }

    /**
     * Whether jsonb holds the JSON number {@code number} (as the parser read it): at most 16,383 digits
     * after the decimal point and, unless it is zero, 131,072 before it, as written, counted as
     * {@code new BigDecimal(number)} counts its scale and precision (an exponent or a scale past an
     * {@code int}, which it cannot read, is no number). Counted in one pass over the text without making
     * the BigDecimal, which reads n digits in time quadratic in n: a number of a million digits, which a
     * model can be prompted into sending as tool arguments, took over 30 s of CPU to refuse
     * ({@code JsonNumericTest} holds the two rules equal).
     */
    static boolean fitsNumeric(CharSequence number) {
        int n = number.length();
        char first = n > 0 ? number.charAt(0) : '0';
        int i = first == '-' || first == '+' ? 1 : 0;
        long digits = 0;
        long fraction = 0;
        long firstSignificant = -1;
        boolean afterPoint = false;
        for (; i < n; i++) {
            char c = number.charAt(i);
            if (c == '.') {
                afterPoint = true;
            } else if (c == 'e' || c == 'E') {
                break;
            } else {
                if (firstSignificant < 0 && c != '0') {
                    firstSignificant = digits;
                }
                digits++;
                if (afterPoint) {
                    fraction++;
                }
            }
        }
        long exponent = 0;
        if (i < n) {
            i++;
            char sign = number.charAt(i);
            boolean negative = sign == '-';
            if (negative || sign == '+') {
                i++;
            }
            while (i < n - 1 && number.charAt(i) == '0') {
                i++;
            }
            if (n - i > 10) {
                return false; // BigDecimal: too many nonzero exponent digits
            }
            exponent = Long.parseLong(number, i, n, 10);
            if (negative) {
                exponent = -exponent;
            }
            if ((int) exponent != exponent) {
                return false; // BigDecimal: exponent overflow
            }
        }
        long scale = fraction - exponent;
        if (scale > Integer.MAX_VALUE || scale < Integer.MIN_VALUE) {
            return false; // BigDecimal: scale out of range
        }
        return scale <= 16_383 && (firstSignificant < 0 || digits - firstSignificant - scale <= 131_072);
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

    /**
     * Whether two read JSON values are the same JSON value: objects with the same keys and values,
     * arrays element by element, numbers by value ({@code 1}, {@code 1.0} and {@code 1e0} are one
     * number, as in jsonb), anything else by {@code equals}.
     */
    public static boolean sameValue(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            try {
                return new BigDecimal(x.toString()).compareTo(new BigDecimal(y.toString())) == 0;
            } catch (NumberFormatException notFinite) {
                return x.equals(y);
            }
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !sameValue(e.getValue(), y.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int k = 0; k < x.size(); k++) {
                if (!sameValue(x.get(k), y.get(k))) {
                    return false;
                }
            }
            return true;
        }
        return java.util.Objects.equals(a, b);
    }

    /**
     * {@link #readMap(String)} of a document {@link #write} made: the map its parse read back, parsed once only.
     *
     * @param doc a document {@link #write} or another method of this class returned, or one built of text
     */
    public static Map<String, Object> readMap(JsonDoc doc) {
        return doc.read() != null ? doc.read() : readMap(doc.text());
    }

    /**
     * Parses a stored JSON object. A document that does not parse within the limits fails with
     * {@link UnreadableRowException}; row mappers wrapped by {@link Rows#guard} add the table and row.
     */
    public static Map<String, Object> readMap(String text) {
        // Most rows carry no metadata; skip the parser on every write and read of those.
        if (text == null || text.equals("{}")) {
            return Map.of();
        }
        Map<String, Object> map;
        try {
            map = Mappers.MAPPER.readValue(text, MAP);
        } catch (IOException e) {
            throw new UnreadableRowException(null, null, "stored JSON could not be read: " + shown(e), ShownFailures.scrubbed(e));
        }
        // Parsed here and held by nothing else: frozen in place, so the value built of it does not copy it again.
        return Check.frozenFresh(object(map));
    }

    /**
     * Parses a stored JSON array of strings (an aggregate of a text column: a memory's tags),
     * empty for {@code null}. Anything else (text that does not parse, a value that is no array, an
     * element that is no string) fails with {@link UnreadableRowException}, as {@link #readMap}
     * does; row mappers wrapped by {@link Rows#guard} add the table and row.
     */
    public static List<String> readStrings(@org.jspecify.annotations.Nullable String text) {
        // Most memories have no tags (SQLite's aggregate of none is []): skip the parser for those.
        if (text == null || text.equals("[]")) {
            return List.of();
        }
        List<String> strings = new java.util.ArrayList<>();
        try (JsonParser p = Mappers.MAPPER.getFactory().createParser(text)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new UnreadableRowException(null, null, "stored JSON is not an array of strings", null);
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                if (t != JsonToken.VALUE_STRING) {
                    throw new UnreadableRowException(null, null, "stored JSON array holds " + (t == null ? "no end" : t.name())
                            + " where a string is required", null);
                }
                strings.add(p.getText());
            }
            if (p.nextToken() != null) {
                throw new UnreadableRowException(null, null, "stored JSON has text after its array", null);
            }
        } catch (IOException e) {
            throw new UnreadableRowException(null, null, "stored JSON could not be read: " + shown(e), ShownFailures.scrubbed(e));
        }
        return strings;
    }

    private static Map<String, Object> object(Map<String, Object> map) {
        if (map == null) {
            throw new UnreadableRowException(null, null, "stored JSON is null where an object is required", null);
        }
        return inJsonbOrder(map);
    }

    /**
     * PostgreSQL's jsonb keeps an object's keys shortest first (in UTF-8 bytes), then by those
     * bytes; SQLite keeps the text as written. Every read, and so what a write returns, puts each
     * object's keys in jsonb's order, so a document iterates alike on both databases.
     */
    private static final Comparator<String> JSONB_ORDER = Comparator.comparingInt(Json::utf8Length).thenComparing(Json::codePointOrder);

    /** Code-point order (UTF-8 byte order), which {@link String#compareTo}'s UTF-16 order is not past U+FFFF; allocates nothing. */
    static int codePointOrder(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    @SuppressWarnings("unchecked")
    private static <T> T inJsonbOrder(T value) {
        if (value instanceof Map<?, ?> m) {
            if (inOrder(m.keySet())) {
                // Rows written in this order (every PostgreSQL read, most SQLite ones) keep their map.
                ((Map<String, Object>) m).replaceAll((k, v) -> inJsonbOrder(v));
                return value;
            }
            Map<String, Object> sorted = new LinkedHashMap<>();
            m.keySet().stream().map(String.class::cast).sorted(JSONB_ORDER).forEach(k -> sorted.put(k, inJsonbOrder(m.get(k))));
            return (T) sorted;
        }
        if (value instanceof List<?> l) {
            List<Object> list = (List<Object>) l;
            list.replaceAll(Json::inJsonbOrder);
        }
        return value;
    }

    private static boolean inOrder(java.util.Set<?> keys) {
        String previous = null;
        for (Object key : keys) {
            if (previous != null && JSONB_ORDER.compare(previous, (String) key) > 0) {
                return false;
            }
            previous = (String) key;
        }
        return true;
    }

    /** UTF-8 length of valid text (callers checked it has no unpaired surrogate), without encoding it. */
    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3;
        }
        return n;
    }

    /**
     * The reader's or the application's exception text as shown in a message: escaped (it quotes the
     * token it stopped at, which may hold controls) and cut (an application's getter may throw text
     * of any size).
     */
    private static String shown(Exception e) {
        return Check.bounded(originalMessage(e));
    }

    /** The reader's own text, without the location Jackson appends on another line. */
    private static String originalMessage(Exception e) {
        return String.valueOf(e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage());
    }
}
