package dev.atlas.internal;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Argument validation shared by every value type. Not public API: no compatibility promise.
 *
 * <p>Text is rejected when a database could not store it byte-exact: PostgreSQL refuses NUL in
 * text, and a lone UTF-16 surrogate cannot be encoded as UTF-8, so it would come back changed.
 */
public final class Check {
    private Check() {}

    /** The most digits an error message quotes of a number. */
    private static final int SHOWN_DIGITS = 40;

    /**
     * {@code value} for an error message: plain when its exponent is modest, else in E notation
     * (the plain form of 1e2147483647 cannot even be allocated, and 1e-999999's is a megabyte); a
     * number of more than 40 digits as its first 40 and its digit count (and scale), not a message
     * of a million digits.
     *
     * @param value the number
     * @return its text, in E notation when its scale is beyond ±100, cut after 40 digits
     */
    public static String shown(java.math.BigDecimal value) {
        int digits = value.precision();
        if (digits > SHOWN_DIGITS) {
            java.math.BigInteger first = value.round(new java.math.MathContext(SHOWN_DIGITS, java.math.RoundingMode.DOWN)).unscaledValue().abs();
            return (value.signum() < 0 ? "-" : "") + first + "\u2026 (" + digits + " digits" + (value.scale() == 0 ? "" : ", scale " + value.scale()) + ")";
        }
        return Math.abs((long) value.scale()) <= 100 ? value.toPlainString() : value.toString();
    }

    /**
     * Returns {@code value}, refusing one of more than {@link Limits#MAX_DECIMAL_DIGITS} digits, trailing
     * zeros included, with {@link InvalidInputException} naming {@code field}: stripping its zeros takes
     * time quadratic in them (100,000 took 10 s), so this comes first.
     *
     * @param field the input field to name in the exception
     * @param value the number, not {@code null}
     * @return {@code value}
     */
    public static java.math.BigDecimal digits(String field, java.math.BigDecimal value) {
        // The bit length first: precision() of a huge number computes a power of ten as large. 4 bits hold more than a digit.
        if (value.unscaledValue().bitLength() > 4 * Limits.MAX_DECIMAL_DIGITS || value.precision() > Limits.MAX_DECIMAL_DIGITS) {
            throw new InvalidInputException(field, "has more than " + Limits.MAX_DECIMAL_DIGITS + " digits (trailing zeros count)");
        }
        return value;
    }

    /**
     * Returns {@code written}, refusing text of more than {@link Limits#MAX_DECIMAL_DIGITS} characters with
     * {@link InvalidInputException} naming {@code field}, before it is parsed: {@code new BigDecimal(text)}
     * takes time quadratic in the digits.
     *
     * @param field the input field to name in the exception
     * @param written a decimal number as text, surrounding whitespace already stripped
     * @return {@code written}
     */
    public static String decimalText(String field, String written) {
        if (written.length() > Limits.MAX_DECIMAL_DIGITS) {
            throw new InvalidInputException(field, "is written in " + written.length() + " characters; a decimal number has at most "
                    + Limits.MAX_DECIMAL_DIGITS);
        }
        return written;
    }

    /**
     * Returns {@code value}, refusing {@code null} with {@link InvalidInputException} naming {@code field}.
     *
     * @param <T> the value's type
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @return the t
     */
    public static <T> T notNull(String field, @Nullable T value) {
        if (value == null) {
            throw new InvalidInputException(field, "is required");
        }
        return value;
    }

    /**
     * Required, non-blank, storable text of at most {@code max} characters.
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @param max the maximum length
     * @return the string
     */
    public static String required(String field, @Nullable String value, int max) {
        if (value == null) {
            throw new InvalidInputException(field, "is required");
        }
        if (value.isBlank()) {
            throw new InvalidInputException(field, "must not be blank");
        }
        return text(field, value, max);
    }

    /**
     * A tenant id: required storable text of 1 to {@link Limits#MAX_TENANT_LENGTH} characters, with
     * no control character and no white space at either end. Every row and statement carries it, so
     * {@code "acme "} would be a second tenant beside {@code "acme"} that no one meant to create.
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @return the tenant id
     */
    public static String tenantId(String field, @Nullable String value) {
        required(field, value, Limits.MAX_TENANT_LENGTH);
        if (edgeSpace(value.codePointAt(0)) || edgeSpace(value.codePointBefore(value.length()))) {
            throw new InvalidInputException(field, "must not start or end with white space");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new InvalidInputException(field, "contains a control character (U+" + String.format("%04X", (int) value.charAt(i))
                        + ") at index " + i);
            }
        }
        return value;
    }

    private static boolean edgeSpace(int codePoint) {
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
    }

    /**
     * Optional storable text; {@code null} passes, blank is kept as given.
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @param max the maximum length
     * @return the string, or {@code null}
     */
    public static @Nullable String optional(String field, @Nullable String value, int max) {
        return value == null ? null : text(field, value, max);
    }

    /**
     * Optional text where blank means "not given".
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @param max the maximum length
     * @return the string, or {@code null}
     */
    public static @Nullable String optionalNonBlank(String field, @Nullable String value, int max) {
        if (value != null && value.isBlank()) {
            throw new InvalidInputException(field, "must not be blank when given");
        }
        return optional(field, value, max);
    }

    /**
     * {@code text} as a failure's error is stored whatever it holds: NUL and unpaired surrogates replaced by U+FFFD,
     * cut after {@code max} characters (never between the two halves of a surrogate pair, so an astral character at the
     * cut leaves the text one shorter). For the text of a failure, which must be recorded rather than refused.
     *
     * @param text the text, or {@code null}
     * @param max the most characters kept
     * @return the storable text, or {@code null} for {@code null}
     */
    public static @Nullable String storable(@Nullable String text, int max) {
        if (text == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(Math.min(text.length(), max));
        for (int i = 0, n = text.length(); i < n && sb.length() < max; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                if (sb.length() + 2 > max) {
                    break;
                }
                sb.append(c).append(text.charAt(++i));
            } else if (c == 0 || Character.isSurrogate(c)) {
                sb.append('\uFFFD');
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * Returns {@code value} when it is storable text of at most {@code max} characters.
     *
     * @param field the input field to name in the exception
     * @param value the value
     * @param max the maximum length
     * @return the text
     */
    public static String text(String field, String value, int max) {
        if (value.length() > max) {
            throw new InvalidInputException(field, "is " + value.length() + " characters; at most " + max + " are allowed");
        }
        for (int i = 0, n = value.length(); i < n; i++) {
            char c = value.charAt(i);
            if (c == 0) {
                throw new InvalidInputException(field, "contains a NUL character (U+0000) at index " + i + ", which databases cannot store");
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(value.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw new InvalidInputException(field, "contains an unpaired UTF-16 surrogate at index " + i + "; text must be valid Unicode");
            }
            if (Character.isLowSurrogate(c)) {
                throw new InvalidInputException(field, "contains an unpaired UTF-16 surrogate at index " + i + "; text must be valid Unicode");
            }
        }
        return value;
    }

    /**
     * Identifier-like keys: agent keys, owner types, kinds, slugs.
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @return the key
     */
    public static String key(String field, @Nullable String value) {
        return required(field, value, Limits.MAX_KEY_LENGTH);
    }

    /**
     * The optional key.
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @return the string, or {@code null}
     */
    public static @Nullable String optionalKey(String field, @Nullable String value) {
        return optionalNonBlank(field, value, Limits.MAX_KEY_LENGTH);
    }

    /**
     * Checks that {@code value} is 1 to {@code max}.
     *
     * @param field the input field to name in the exception
     * @param value the value
     * @param max the maximum length
     * @return {@code value}
     */
    public static int positive(String field, int value, int max) {
        if (value < 1 || value > max) {
            throw new InvalidInputException(field, "must be between 1 and " + max + ", was " + value);
        }
        return value;
    }

    /**
     * Checks that {@code value} is not negative.
     *
     * @param field the input field to name in the exception
     * @param value the value
     * @return {@code value}
     */
    public static long nonNegative(String field, long value) {
        if (value < 0) {
            throw new InvalidInputException(field, "must not be negative, was " + value);
        }
        return value;
    }

    /**
     * Returns {@code value} when it is {@code null} or within the instants both databases store.
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @return the instant, or {@code null}
     */
    public static @Nullable Instant instant(String field, @Nullable Instant value) {
        if (value != null && (value.isBefore(Limits.MIN_INSTANT) || value.isAfter(Limits.MAX_INSTANT))) {
            throw new InvalidInputException(field, "must be between " + Limits.MIN_INSTANT + " and " + Limits.MAX_INSTANT + ", was " + value);
        }
        return value;
    }

    /**
     * {@code value} at the microsecond precision both databases store, or {@code null}; stores
     * apply it on the way in so the record a write returns equals what a later read returns.
     *
     * @param value the value, or {@code null}
     * @return micro-units of currency, or {@code null}
     */
    public static @Nullable Instant micros(@Nullable Instant value) {
        return value == null ? null : value.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
    }

    /**
     * {@code value} rounded up to the next whole microsecond: for microsecond-precision rows,
     * {@code t >= value} and {@code t < value} hold exactly when they hold for this bound, where
     * the truncated bound the databases would use is off for a value finer than that.
     *
     * @param value the value
     * @return the bound
     */
    public static Instant ceilMicros(Instant value) {
        Instant down = value.truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        return down.equals(value) ? value : down.plusNanos(1000);
    }

    /**
     * {@code now - age}, or {@link Limits#MIN_INSTANT} when the age reaches back further: an age
     * beyond the representable range means "older than anything" instead of overflowing.
     *
     * @param now the current time
     * @param age the age
     * @return the instant
     */
    public static Instant cutoff(Instant now, java.time.Duration age) {
        if (age.compareTo(java.time.Duration.between(Limits.MIN_INSTANT, now)) >= 0) {
            return Limits.MIN_INSTANT;
        }
        return now.minus(age);
    }

    /**
     * Copies a JSON-like metadata map whole, rejecting null keys and keys that are not storable text: the map and every
     * map and list inside it are copied (unmodifiable, in their order), so a change the caller makes to any of them
     * afterwards changes neither the copy nor what is written. A map or list that holds itself is copied holding itself,
     * for the write to refuse where it holds itself; one nested deeper than {@link Limits#MAX_JSON_DEPTH} levels is kept
     * as given below that depth, for the write to refuse. Values are checked where they are written (atlas-jdbi's
     * {@code Json.write}): JSON values in Java's plain types only, as {@link dev.atlas.Limits#MAX_METADATA_LENGTH} lists.
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @return JSON-compatible application data
     */
    public static Map<String, Object> metadata(String field, @Nullable Map<String, ?> value) {
        if (value == null) {
            return Map.of();
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        Map<String, Object> frozen = Collections.unmodifiableMap(copy);
        // The copies made of the caller's maps and lists, by identity, so that a map or list held twice (or holding
        // itself) is copied once: created at the first nested map or list, which flat metadata never has.
        java.util.IdentityHashMap<Object, Object> copies = null;
        try {
            // Read as Map<?, ?>: raw types, Groovy or Kotlin can hand over other keys under this type.
            for (Map.Entry<?, ?> e : value.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw notStringKey(field, "the map", e.getKey());
                }
                text(field + " key", key, Limits.MAX_KEY_LENGTH);
                Object v = e.getValue();
                if (v instanceof Map<?, ?> || v instanceof List<?>) {
                    if (copies == null) {
                        copies = new java.util.IdentityHashMap<>();
                        copies.put(value, frozen);
                    }
                    v = frozen(v, 1, Limits.MAX_JSON_DEPTH, copies);
                }
                copy.put(key, v);
            }
        } catch (InvalidInputException e) {
            throw e;
        } catch (RuntimeException e) {
            // An application's map or list whose iteration fails: its own text, bounded.
            throw new InvalidInputException(field, "is not JSON-serialisable: " + bounded(String.valueOf(e.getMessage())));
        }
        return frozen;
    }

    /**
     * {@code value} as the value classes' canonical constructors take it, not copied: for a wither or factory that
     * hands the caller's map to the constructor, which copies it with {@link #metadata} (once, not twice).
     *
     * @param value the caller's map, or {@code null}
     * @return {@code value}, typed as the constructors take it
     */
    @SuppressWarnings("unchecked")
    public static @Nullable Map<String, Object> given(@Nullable Map<String, ?> value) {
        return (Map<String, Object>) value;
    }

    /**
     * An unmodifiable copy of a JSON map a read model holds (an assistant's metadata, a revision's settings), every
     * map and list inside it copied alike, in their order, {@code null} values kept, at every depth: the copy
     * {@link #metadata} makes, without its key checks and without its depth limit (a read model holds what a store read
     * back or what its caller built). A map or list held twice, or holding itself, is copied once, holding its copy.
     *
     * A map {@link #frozenFresh} made is frozen already, at every depth: it is handed on as it is, not copied.
     *
     * @param value the map, or {@code null}
     * @return the copy; an empty map for {@code null}
     */
    public static Map<String, Object> frozenJson(@Nullable Map<String, ?> value) {
        if (value == null || value.isEmpty()) {
            return Map.of();
        }
        if (value instanceof FrozenJson frozen) {
            return frozen;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> copy = (Map<String, Object>) frozen(value, 0, Integer.MAX_VALUE, new java.util.IdentityHashMap<>());
        return copy;
    }

    /**
     * The refusal of a JSON map's key that is {@code null} or not a {@link String}, on {@code <field> key}, in the same
     * words at every level of the document.
     *
     * @param field the input field
     * @param map the map as the message names it: {@code the map} (the one given), or {@code the map at a[1].b}
     * @param key the key
     * @return the exception to throw
     */
    public static InvalidInputException notStringKey(String field, String map, @Nullable Object key) {
        return new InvalidInputException(field + " key", key == null ? map + " has a null key; keys must be Strings"
                : map + " has a key of type " + typeName(key.getClass()) + "; keys must be Strings");
    }

    /**
     * A class as a reader knows it, for an error message: {@code byte[]} rather than {@code [B}.
     *
     * @param type the class
     * @return its name, escaped where needed
     */
    public static String typeName(Class<?> type) {
        return escaped(type.isArray() ? type.getComponentType().getTypeName() + "[]" : type.getName());
    }

    /**
     * {@code value}, at {@code level} of a JSON map (the map being level 0), copied as {@link #metadata} and
     * {@link #frozenJson} copy it: maps and lists at levels below {@code depth}, deeper ones kept as given.
     */
    private static Object frozen(Object value, int level, int depth, java.util.IdentityHashMap<Object, Object> copies) {
        boolean map = value instanceof Map<?, ?>;
        if (!map && !(value instanceof List<?>) || value instanceof FrozenJson) {
            return value;
        }
        Object done = copies.get(value);
        if (done != null || level >= depth) {
            return done != null ? done : value;
        }
        if (map) {
            Map<Object, Object> copy = new LinkedHashMap<>();
            Map<Object, Object> frozen = Collections.unmodifiableMap(copy);
            copies.put(value, frozen);
            for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                copy.put(e.getKey(), frozen(e.getValue(), level + 1, depth, copies));
            }
            return frozen;
        }
        List<Object> copy = new ArrayList<>();
        List<Object> frozen = Collections.unmodifiableList(copy);
        copies.put(value, frozen);
        for (Object element : (List<?>) value) {
            copy.add(frozen(element, level + 1, depth, copies));
        }
        return frozen;
    }

    /**
     * Freezes, in place, a JSON object a store has just parsed and holds the only reference to: its maps become
     * unmodifiable views and its lists unmodifiable lists, at every depth, and {@link #frozenJson} hands the result on
     * as it is. A read model's constructor then copies nothing it is given by a read (that second copy was about 7% of
     * a history of 50 messages with 11 metadata entries each).
     *
     * @param fresh a map no one else holds, nor any map or list inside it
     * @return the frozen map; an empty map for an empty one
     */
    public static Map<String, Object> frozenFresh(Map<String, Object> fresh) {
        return fresh.isEmpty() ? Map.of() : new FrozenJson(freezeInPlace(fresh));
    }

    private static Map<String, Object> freezeInPlace(Map<String, Object> map) {
        map.replaceAll((k, v) -> freezeInPlace(v));
        return map;
    }

    @SuppressWarnings("unchecked")
    private static Object freezeInPlace(Object value) {
        if (value instanceof Map<?, ?> m) {
            return new FrozenJson(freezeInPlace((Map<String, Object>) m));
        }
        if (value instanceof List<?> l) {
            ((List<Object>) l).replaceAll(Check::freezeInPlace);
            return Collections.unmodifiableList(l);
        }
        return value;
    }

    /** A JSON object frozen by {@link #frozenFresh}: only this class's instances are known to be frozen at every depth. */
    private static final class FrozenJson extends java.util.AbstractMap<String, Object> {
        private final Map<String, Object> map;
        private final Map<String, Object> view;

        FrozenJson(Map<String, Object> map) {
            this.map = map;
            this.view = Collections.unmodifiableMap(map);
        }

        @Override
        public int size() {
            return map.size();
        }

        @Override
        public boolean containsKey(Object key) {
            return map.containsKey(key);
        }

        @Override
        public Object get(Object key) {
            return map.get(key);
        }

        @Override
        public java.util.Set<Map.Entry<String, Object>> entrySet() {
            return view.entrySet();
        }
    }

    /**
     * An unmodifiable copy of a required list, rejecting {@code null} and null elements: a value's list component.
     *
     * @param field the component to name in the exception
     * @param value the list
     * @param <T> the element type
     * @return the copy
     */
    public static <T> List<T> copy(String field, @Nullable List<? extends T> value) {
        for (T t : notNull(field, value)) {
            if (t == null) {
                throw new InvalidInputException(field, "must not contain null elements");
            }
        }
        return List.copyOf(value);
    }

    /**
     * Copies a list, rejecting null elements.
     *
     * @param field the input field to name in the exception
     * @param value the value, or {@code null}
     * @param <T> the value's type
     * @return the matching items, in order
     */
    public static <T> List<T> list(String field, @Nullable List<? extends T> value) {
        if (value == null) {
            return List.of();
        }
        List<T> copy = new ArrayList<>(value.size());
        for (T t : value) {
            if (t == null) {
                throw new InvalidInputException(field, "must not contain null elements");
            }
            copy.add(t);
        }
        return Collections.unmodifiableList(copy);
    }

    /**
     * Parses a stored or given name into a constant of {@code type}, naming the allowed values when it is unknown.
     *
     * @param <E> the value's type
     * @param field the input field to name in the exception
     * @param type the type
     * @param wire the stored text, or {@code null}
     * @return the enum value
     */
    public static <E extends Enum<E>> E enumValue(String field, Class<E> type, @Nullable String wire) {
        Objects.requireNonNull(type);
        if (wire != null) {
            for (E e : type.getEnumConstants()) {
                if (e.toString().equals(wire) || e.name().equalsIgnoreCase(wire)) {
                    return e;
                }
            }
        }
        List<String> allowed = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            allowed.add(e.toString());
        }
        throw new InvalidInputException(field, quoted(wire) + " is not one of " + allowed);
    }

    /** The most code points an error message quotes of a text value. */
    private static final int SHOWN_CODE_POINTS = 40;

    /**
     * {@code value} quoted for an error message: in single quotes, its first 40 code points (a
     * surrogate pair is never cut apart) and {@code …} when it is longer, with every control,
     * format, line or paragraph separator character and every unpaired surrogate shown as a
     * backslash-u escape ({@code \u005Cu000a} for a line feed). A message goes to logs, JSON and terminals: it never holds a lone
     * surrogate, a NUL, a forged line break or a megabyte of the caller's input.
     *
     * @param value the value as the caller gave it, or {@code null} (quoted as {@code 'null'})
     * @return the quoted value
     */
    public static String quoted(@Nullable String value) {
        if (value == null) {
            return "'null'";
        }
        StringBuilder b = new StringBuilder(Math.min(value.length(), 2 * SHOWN_CODE_POINTS) + 3).append('\'');
        return appendCut(b, value, SHOWN_CODE_POINTS).append('\'').toString();
    }

    /** The most code points {@link #bounded} shows of a text. */
    private static final int BOUNDED_CODE_POINTS = 300;

    /**
     * {@code value} for an error message or a log line, escaped as by {@link #escaped} and cut
     * after its first 300 code points with {@code …} (a surrogate pair or an escape is never cut
     * apart): for text that is not a validated key, such as another component's exception text
     * or a value read back from a stored row, which may be a megabyte. A key of at most
     * {@link Limits#MAX_KEY_LENGTH} characters is shown whole.
     *
     * @param value the text, or {@code null} (shown as {@code null})
     * @return the text, escaped where needed and at most 300 code points (each escape counted as one) and {@code …}
     */
    public static String bounded(@Nullable String value) {
        if (value == null) {
            return "null";
        }
        return appendCut(new StringBuilder(Math.min(value.length(), 2 * BOUNDED_CODE_POINTS) + 1), value, BOUNDED_CODE_POINTS).toString();
    }

    /** Appends the first {@code max} code points of {@code value}, escaped, and {@code …} when it is longer. */
    private static StringBuilder appendCut(StringBuilder b, String value, int max) {
        int shown = 0;
        int i = 0;
        while (i < value.length() && shown < max) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                b.append(c).append(value.charAt(i + 1));
                i += 2;
            } else {
                appendShown(b, c);
                i++;
            }
            shown++;
        }
        if (i < value.length()) {
            b.append('\u2026');
        }
        return b;
    }

    /**
     * {@code value} whole for an error message, with the escapes of {@link #quoted}: for keys,
     * which are bounded ({@link Limits#MAX_KEY_LENGTH}) and identify a row, so they are shown in
     * full, but may hold line breaks and controls that would forge a log line.
     *
     * @param value the value as the caller gave it
     * @return the value, escaped where needed
     */
    public static String escaped(String value) {
        StringBuilder b = null;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1));
            if (b == null && !pair && needsEscape(c)) {
                b = new StringBuilder(value.length() + 16).append(value, 0, i);
            }
            if (b != null) {
                if (pair) {
                    b.append(c).append(value.charAt(i + 1));
                } else {
                    appendShown(b, c);
                }
            }
            if (pair) {
                i++;
            }
        }
        return b == null ? value : b.toString();
    }

    private static boolean needsEscape(char c) {
        int type = Character.getType(c);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE;
    }

    private static void appendShown(StringBuilder b, char c) {
        if (needsEscape(c)) {
            b.append(String.format("\\u%04x", (int) c));
        } else {
            b.append(c);
        }
    }
}
