package dev.atlas;

import java.time.Instant;

import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

/**
 * Size limits Atlas enforces before writing. They keep one row small enough to read back in a
 * single round trip on both databases; a value over a limit fails with
 * {@link InvalidInputException} naming the field. The {@code require...} methods apply Atlas's
 * own argument checks, for modules built on Atlas.
 */
public final class Limits {
    private Limits() {}

    /** Agent keys, owner types and ids, kinds, slugs, client ids, providers, models: 255 characters. */
    public static final int MAX_KEY_LENGTH = 255;
    /** Tenant ids: 128 characters. */
    public static final int MAX_TENANT_LENGTH = 128;
    /** Conversation titles: 500 characters. */
    public static final int MAX_TITLE_LENGTH = 500;
    /** Message content, summaries, tool results and similar large text: 1,048,576 characters. */
    public static final int MAX_CONTENT_LENGTH = 1 << 20;
    /** Short free text such as failure reasons and error messages: 65,536 characters. */
    public static final int MAX_REASON_LENGTH = 1 << 16;
    /**
     * Serialised metadata JSON: 262,144 characters. This and the other JSON limits here apply to
     * every JSON-compatible value the API takes (metadata, settings, payloads, results, event
     * details).
     *
     * <p>JSON-compatible means a JSON value in Java's plain types: a {@link java.util.Map} with
     * {@link String} keys, a {@link java.util.List}, a {@link String}, a {@link Boolean}, an
     * {@link Integer}, {@link Long}, {@link Short}, {@link Byte}, {@link java.math.BigInteger},
     * {@link Float}, {@link Double} or {@link java.math.BigDecimal}, or {@code null}, nested at
     * most {@link #MAX_JSON_DEPTH} levels. Any other value anywhere inside (an enum, a UUID, an
     * {@code Instant}, a record or bean, an array, a {@code Set}, a Jackson {@code JsonNode}, a
     * non-String key, a map or list that holds itself) is refused with {@link InvalidInputException} naming the field, with the
     * path to the value in the message ({@code metadata: the value at a[1].b is a java.util.UUID,
     * ...}; {@code metadata key} for a key), before anything is written: convert it first (an enum
     * with {@code name()}, a UUID or a time with {@code toString()}, a record to a map, a
     * {@code JsonNode} with Jackson's {@code convertValue(node, Object.class)}). What is
     * accepted reads back as the same JSON value, byte-exact on both databases: maps (keys in
     * jsonb's order: shortest first, then by UTF-8 bytes) and lists as given, an integer as an
     * {@code Integer}, {@code Long} or {@code BigInteger} by size, a fraction as the {@code Double}
     * of its decimal text ({@code 0.1f} as {@code 0.1}; {@code -0.0} as {@code 0.0}, as in jsonb),
     * {@code null} values kept. A value that takes such a map ({@code NewMessage.metadata(...)} and the like) copies it
     * whole, the maps and lists inside it too: a change made to any of them afterwards changes neither the value nor
     * what is written.
     */
    public static final int MAX_METADATA_LENGTH = 1 << 18;
    /** JSON nesting depth for metadata and JSON content. */
    public static final int MAX_JSON_DEPTH = 64;
    /**
     * Digits of one integer in JSON metadata: 1,000. Fractions are read back as 64-bit doubles, so
     * a fraction is accepted only when a double holds it exactly (finite, not rounded).
     */
    public static final int MAX_JSON_NUMBER_LENGTH = 1000;
    /** Largest page or history size one call may ask for, and most items one batch call may write. */
    public static final int MAX_PAGE_SIZE = 1000;
    /**
     * Characters one batch call may write: 33,554,432 (32 times {@link #MAX_CONTENT_LENGTH}).
     * {@code ConversationStore.appendAll} counts every message's content, failure reason and metadata
     * (as stored JSON) together, {@code TaskStore.createAll} every task's payload (as stored JSON); a
     * batch over it fails with {@link InvalidInputException} on {@code messages} or {@code tasks}
     * before anything is written, since the whole batch is one transaction that holds the write lock
     * (on SQLite, the whole database) while it runs: split it into smaller calls. One item at its
     * own limits always fits. {@code TaskStore.enqueueScheduled}, which takes no list, fires at most this
     * many characters of payload per call and leaves the due schedules past it to the next call.
     */
    public static final int MAX_BATCH_LENGTH = 1 << 25;
    /**
     * Rows one usage report may return: 100,000. A report with more groups (for example by
     * conversation over a long period) fails with {@link InvalidInputException} naming
     * {@code to} instead of being cut short; report shorter periods.
     */
    public static final int MAX_REPORT_ROWS = 100_000;
    /**
     * Days one daily usage report may cover: 3,660 (ten years and more). It runs an aggregate per change of
     * its zone's offset, two a year in a zone with daylight saving time; a longer period fails with
     * {@link InvalidInputException} naming {@code last}.
     */
    public static final int MAX_REPORT_DAYS = 3_660;
    /** Earliest timestamp accepted from callers. */
    public static final Instant MIN_INSTANT = Instant.parse("0001-01-01T00:00:00Z");
    /** Latest timestamp accepted from callers. */
    public static final Instant MAX_INSTANT = Instant.parse("9999-12-31T23:59:59.999999Z");

    /** Largest token count one usage field accepts: 10^12. */
    public static final long MAX_TOKEN_COUNT = 1_000_000_000_000L;
    /** Largest model price per million tokens: 1,000,000 currency units. */
    public static final java.math.BigDecimal MAX_PRICE_PER_MILLION = java.math.BigDecimal.valueOf(1_000_000);
    /** Decimal places a model price per million tokens may have: 6. */
    public static final int MAX_PRICE_SCALE = 6;
    /**
     * Digits of a decimal an application gives (a model price, an assistant's temperature or topP):
     * 1,000, trailing zeros included, and as many characters for one written as text. A longer one is
     * refused before it is read: reading it takes time quadratic in its digits.
     */
    public static final int MAX_DECIMAL_DIGITS = 1000;
    /** Tags per memory. */
    public static final int MAX_TAGS = 64;
    /** Characters per memory tag. */
    public static final int MAX_TAG_LENGTH = 100;
    /** Characters of a full-text query. */
    public static final int MAX_QUERY_LENGTH = 1000;
    /** Dimensions of an embedding vector. */
    public static final int MAX_VECTOR_DIMENSION = 16_384;
    /** Depth of a memory graph traversal. */
    public static final int MAX_GRAPH_DEPTH = 10;

    /**
     * Returns {@code value}, refusing {@code null}: the check Atlas's own types apply, for modules
     * built on Atlas that validate their arguments the same way.
     *
     * @param <T> the value's type
     * @param field the name of the argument, as the exception names it
     * @param value the value
     * @return {@code value}
     * @throws InvalidInputException naming {@code field} when {@code value} is {@code null}
     */
    public static <T> T requireNonNull(String field, @Nullable T value) {
        return Check.notNull(field, value);
    }

    /**
     * Returns {@code value} when it is a valid key (provider, model, agent, ...): not blank, at most
     * {@link #MAX_KEY_LENGTH} characters, storable text (no NUL, no unpaired surrogate).
     *
     * @param field the name of the argument, as the exception names it
     * @param value the key
     * @return {@code value}
     * @throws InvalidInputException naming {@code field} when {@code value} is {@code null} or not a valid key
     */
    public static String requireKey(String field, @Nullable String value) {
        return Check.key(field, value);
    }

    /**
     * Returns {@code value} when {@link Atlas#tenant(String)} accepts it as a tenant id: 1 to
     * {@link #MAX_TENANT_LENGTH} characters of storable text, no control character, no white space
     * at either end. For configuration that names a tenant, checked before anything opens.
     *
     * @param field the name of the argument, as the exception names it
     * @param value the tenant id
     * @return {@code value}
     * @throws InvalidInputException naming {@code field} when {@code value} is {@code null} or not a valid tenant id
     */
    public static String requireTenantId(String field, @Nullable String value) {
        return Check.tenantId(field, value);
    }

    /**
     * Returns {@code value} when it is 1 to {@code max}.
     *
     * @param field the name of the argument, as the exception names it
     * @param value the value
     * @param max the largest value allowed
     * @return {@code value}
     * @throws InvalidInputException naming {@code field} when {@code value} is outside 1 to {@code max}
     */
    public static int requirePositive(String field, int value, int max) {
        return Check.positive(field, value, max);
    }

    /**
     * {@code text} as a content field can hold it: {@code text} itself when it can, otherwise a
     * copy with each NUL and unpaired surrogate replaced by U+FFFD and cut at
     * {@link #MAX_CONTENT_LENGTH}. For modules that record what a provider sent, which must be
     * kept rather than refused.
     *
     * @param text the text
     * @return the text, or its storable copy
     */
    public static String storable(String text) {
        int n = Math.min(Check.notNull("text", text).length(), MAX_CONTENT_LENGTH);
        StringBuilder out = null;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1));
            boolean bad = !pair && (c == 0 || Character.isSurrogate(c));
            if (bad && out == null) {
                out = new StringBuilder(n).append(text, 0, i);
            }
            if (out != null) {
                out.append(bad ? '\uFFFD' : c);
                if (pair) {
                    out.append(text.charAt(i + 1));
                }
            }
            if (pair) {
                i++;
            }
        }
        if (out != null) {
            return out.toString();
        }
        return n == text.length() ? text : text.substring(0, n);
    }

    /**
     * {@code raw} as a key field can hold it: cut to {@link #MAX_KEY_LENGTH}, then
     * {@linkplain #storable(String) made storable} (so a surrogate pair the cut splits is mended),
     * or {@code null} when it is blank. For ids and names a provider sends, which must be kept
     * rather than refused.
     *
     * @param raw the key as sent, or {@code null}
     * @return the storable key, or {@code null} when {@code raw} is null or blank
     */
    public static @Nullable String storableKey(@Nullable String raw) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        String cut = storable(raw.length() > MAX_KEY_LENGTH ? raw.substring(0, MAX_KEY_LENGTH) : raw);
        return cut.isBlank() ? null : cut;
    }
}
