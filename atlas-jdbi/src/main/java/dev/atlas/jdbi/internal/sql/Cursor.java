package dev.atlas.jdbi.internal.sql;

import dev.atlas.InvalidInputException;
import dev.atlas.Page;
import dev.atlas.internal.Check;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * The one keyset cursor of every listing: the listing's {@link Listing} (its name bound to the
 * tenant and the filter) and the sort key of the last row seen, as opaque, versioned text
 * ({@code v3}, the listing and the parts, separated by a unit separator, base64url). The name and
 * each part are escaped (a backslash as two, the separator as {@code \s}), so any text, a key
 * holding the separator included, round-trips. A cursor that was not returned by a page of the
 * same listing, for the same tenant and filter, is refused with an {@link InvalidInputException}
 * naming {@code cursor}, rather than quietly read as a position in another order or another
 * tenant's rows; so is one that is not UTF-8 or holds NUL, which no stored key does. Cursors
 * handed out before every listing was bound to its tenant ({@code v1}, {@code v2}, and {@code v3}
 * without the tenant) are refused the same way, once.
 */
public final class Cursor {
    private static final String VERSION = "v3";
    private static final char SEPARATOR = '\u001f';
    private static final char ESCAPE = '\\';
    private static final String SCOPE = "#";
    /**
     * Cursors Atlas hands out stay below this: the longest is a 255-character key of 3-byte
     * characters (765 bytes, about 1,050 in base64); a longer one was not ours.
     */
    public static final int MAX_LENGTH = 2_000;

    private final List<String> parts;

    private Cursor(List<String> parts) {
        this.parts = parts;
    }

    /** A cursor of {@code listing} for the given sort-key parts (strings, numbers, UUIDs, instants as microseconds). */
    public static String encode(Listing listing, Object... parts) {
        StringBuilder raw = new StringBuilder(VERSION).append(SEPARATOR);
        escape(raw, listing.name);
        for (Object part : parts) {
            String text = part instanceof Instant t ? Long.toString(Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L),
                    t.getNano() / 1_000)) : String.valueOf(part);
            escape(raw.append(SEPARATOR), text);
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A listing's name bound to its tenant and filter values: the only thing a cursor is encoded
     * for and decoded against, so no listing can hand out or read a cursor that is not its tenant's.
     * Made by {@link #listing} (or {@link Sql#listing}), which require the tenant.
     */
    public static final class Listing {
        private final String name;

        private Listing(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * The listing {@code name} of {@code tenant} under {@code filter} ({@code null}s, strings,
     * numbers, UUIDs, collections in any order): a cursor of it is refused by another tenant's
     * listing, another listing, and the same listing under another filter, whose rows differ,
     * instead of being read as a position among them. It reads as the name, then {@code #} and a
     * short digest of the tenant and the values (a check, not a secret: it names neither).
     */
    public static Listing listing(TenantId tenant, String name, Object... filter) {
        java.util.Objects.requireNonNull(tenant, "a listing's cursors are bound to its tenant");
        // The tenant as the first filter value: memory, neighbour and text cursors, which bound it
        // so before, keep their digest and still read.
        StringBuilder raw = new StringBuilder().append(SEPARATOR);
        escape(raw, tenant.value());
        for (Object value : filter) {
            raw.append(SEPARATOR);
            if (value == null) {
                raw.append(ESCAPE).append('0'); // no escaped text reads so
            } else if (value instanceof java.util.Collection<?> values) {
                // Sorted: a Set's iteration order differs between JVMs, the cursor must not. The
                // markers \c and \e (like \0) are never part of escaped text, so no two filters read alike.
                raw.append(ESCAPE).append('c');
                values.stream().map(String::valueOf).sorted().forEach(v -> escape(raw.append(ESCAPE).append('e'), v));
            } else {
                escape(raw, String.valueOf(value));
            }
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(raw.toString().getBytes(StandardCharsets.UTF_8));
            return new Listing(name + SCOPE + Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 9)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Decodes {@code cursor} of {@code listing}, whose keys have {@code size} parts. */
    public static Cursor decode(String cursor, Listing listing, int size) {
        Check.text("cursor", cursor, MAX_LENGTH);
        try {
            // Strict: malformed UTF-8 is refused, not read as U+FFFD and compared with stored keys.
            String raw = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Base64.getUrlDecoder().decode(cursor))).toString();
            // No stored key holds NUL (PostgreSQL cannot store it), so a cursor with one was edited.
            if (raw.indexOf('\u0000') >= 0) {
                throw refused();
            }
            List<String> parts = new ArrayList<>(List.of(raw.split(String.valueOf(SEPARATOR), -1)));
            if (!parts.remove(0).equals(VERSION) || parts.isEmpty()) {
                throw refused();
            }
            parts.replaceAll(Cursor::unescape);
            if (!parts.remove(0).equals(listing.name) || parts.size() != size) {
                throw refused();
            }
            return new Cursor(parts);
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw refused();
        }
    }

    private static void escape(StringBuilder out, String text) {
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c == ESCAPE) {
                out.append(ESCAPE).append(ESCAPE);
            } else if (c == SEPARATOR) {
                out.append(ESCAPE).append('s');
            } else {
                out.append(c);
            }
        }
    }

    private static String unescape(String text) {
        if (text.indexOf(ESCAPE) < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            if (c != ESCAPE) {
                out.append(c);
            } else if (i + 1 < n && text.charAt(i + 1) == ESCAPE) {
                out.append(ESCAPE);
                i++;
            } else if (i + 1 < n && text.charAt(i + 1) == 's') {
                out.append(SEPARATOR);
                i++;
            } else {
                throw refused();
            }
        }
        return out.toString();
    }

    public String string(int i) {
        return parts.get(i);
    }

    /**
     * Part {@code i} as a number, written as a page writes it ({@link Long#toString}: ASCII digits,
     * a minus sign only when negative, no leading zero): Long.parseLong also reads {@code +12},
     * {@code 012} and other scripts' digits, so an edited cursor would be read instead of refused.
     */
    public long number(int i) {
        String text = parts.get(i);
        try {
            long n = Long.parseLong(text);
            if (!Long.toString(n).equals(text)) {
                throw refused();
            }
            return n;
        } catch (NumberFormatException e) {
            throw refused();
        }
    }

    /**
     * Part {@code i} as a number from {@code min} to {@code max}, the numbers a row of the listing
     * can have (a revision's: 1 to {@code Integer.MAX_VALUE}): any other was not handed out by a
     * page, and is refused on {@code cursor} rather than read as a position before or past every row.
     */
    public long number(int i, long min, long max) {
        long n = number(i);
        if (n < min || n > max) {
            throw refused();
        }
        return n;
    }

    /**
     * Part {@code i} as an id, written as a page writes it (36 characters, lower case): UUID.fromString
     * also reads a group cut short or padded ({@code 1-2-3-4-5}), so an edited cursor would be read as
     * another position instead of being refused.
     */
    public UUID uuid(int i) {
        try {
            UUID id = UUID.fromString(parts.get(i));
            if (!id.toString().equals(parts.get(i))) {
                throw refused();
            }
            return id;
        } catch (IllegalArgumentException e) {
            throw refused();
        }
    }

    public Instant instant(int i) {
        long micros = number(i);
        Instant t = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        // Every stored time is within these bounds, so an edited cursor outside them is refused here
        // rather than failing as an overflow when SQLite binds it or as a range error on PostgreSQL.
        if (t.isBefore(dev.atlas.Limits.MIN_INSTANT) || t.isAfter(dev.atlas.Limits.MAX_INSTANT)) {
            throw refused();
        }
        return t;
    }

    /**
     * The page of {@code rows}, fetched with a limit of {@code limit + 1}: the extra row only says
     * another page follows, and the cursor is {@code key} of the last row kept.
     */
    public static <T> Page<T> page(List<T> rows, int limit, Function<T, String> key) {
        if (rows.size() <= limit) {
            return new Page<>(rows, java.util.Optional.empty());
        }
        List<T> page = rows.subList(0, limit);
        return new Page<>(page, java.util.Optional.of(key.apply(page.get(page.size() - 1))));
    }

    private static InvalidInputException refused() {
        return new InvalidInputException("cursor", "is not a cursor returned by a previous page of this listing");
    }
}
