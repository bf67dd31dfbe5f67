package dev.atlas.jdbi.internal;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The one tokeniser of full-text search, for stored text and queries alike, on every database.
 *
 * <p>A word is a run of letters, digits and other numeric characters (with the combining marks that follow
 * them); everything else separates words, so {@code ada@example.com} is the words {@code ada},
 * {@code example}, {@code com} and {@code user_id} is {@code user}, {@code id}. Characters of
 * scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar) and
 * pictographic symbols such as emoji are one word each, so any run of them can be found as a
 * phrase; so is a code point the running JVM's Unicode tables leave unassigned (an emoji newer
 * than them), which a newer JVM knows as a symbol. A flag (two regional indicators) is one word. Format characters (soft hyphen, zero-width joiners, variation selectors) are ignored.
 * Each word is normalised with NFKC and lower-cased (no accent folding: {@code café} is not
 * {@code cafe}) and cut to {@link #MAX_TERM} code points.
 *
 * <p>The stored form ({@link #index}) is the words' terms joined by single spaces, each term
 * written with {@code [a-z0-9]} only, so SQLite's FTS5 and PostgreSQL's text-search parser both
 * see exactly one token per word whatever the script: a term that is not already lower-case
 * ASCII letters and digits (or starts with {@code x}) becomes {@code x} followed by the hex of
 * its UTF-8 bytes. The databases' indexes only preselect candidate rows; {@link #count} over the
 * stored terms decides what matches.
 */
public final class SearchText {
    /** Longest term, in code points after normalisation; longer words are indexed and queried by their start. */
    static final int MAX_TERM = 64;

    private SearchText() {}

    /** One word of a text: where it is ({@code [start, end)} in UTF-16 units) and its stored term. */
    record Word(int start, int end, String term) {}

    /** The search column's value for {@code text}: its terms, space-separated (empty when it has no words). */
    public static String index(String text) {
        StringBuilder out = new StringBuilder(text.length() + 8);
        Terms terms = new Terms();
        scan(text, Integer.MAX_VALUE, (start, end, ascii) -> {
            if (out.length() > 0) {
                out.append(' ');
            }
            char first = text.charAt(start);
            if (ascii && end - start <= MAX_TERM && first != 'x' && first != 'X') {
                // The common case, without a substring: lower-case ASCII letters and digits are their own term.
                for (int i = start; i < end; i++) {
                    char c = text.charAt(i);
                    out.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
                }
            } else {
                out.append(terms.of(text, start, end, ascii));
            }
        });
        return out.toString();
    }

    /** The words of {@code text} with their positions, at most {@code max}. */
    static List<Word> words(String text, int max) {
        return words(text, max, new Terms());
    }

    /** {@link #words(String, int)}, making the terms with {@code terms}. */
    static List<Word> words(String text, int max, Terms terms) {
        List<Word> words = new ArrayList<>();
        scan(text, max, (start, end, ascii) -> words.add(new Word(start, end, terms.of(text, start, end, ascii))));
        return words;
    }

    /**
     * Makes the terms of one text's words: a word that is not plain ASCII is normalised ({@link #term}), which costs
     * about a microsecond, once per different word of the text (a CJK text is mostly a few thousand characters, each a
     * word, over and over); a plain ASCII word is lower-cased. A word of one code point (a CJK character, an emoji) is
     * looked up by its code point, without a substring. At most {@link #KEPT} terms are kept, so the memory a text's
     * terms take is bounded whatever the text (a megabyte of different accented words): a word met after that is
     * normalised each time, as before. {@link #normalised()} counts the normalisations.
     */
    static final class Terms {
        /** Most terms kept per text. */
        static final int KEPT = 4096;

        private final java.util.HashMap<String, String> made = new java.util.HashMap<>();
        // Words of one code point: an open-addressing table keyed by the code point (0: empty; 0 is never a word).
        private int[] points = new int[64];
        private String[] pointTerms = new String[64];
        private int pointCount;
        private int normalised;

        /** The term of {@code text[start, end)}, a word. */
        String of(String text, int start, int end, boolean ascii) {
            if (ascii) {
                return term(text.substring(start, end), true);
            }
            int cp = text.codePointAt(start);
            if (start + Character.charCount(cp) == end) {
                return single(cp);
            }
            String raw = text.substring(start, end);
            String term = made.get(raw);
            if (term == null) {
                normalised++;
                term = term(raw, false);
                if (kept() < KEPT) {
                    made.put(raw, term);
                }
            }
            return term;
        }

        private String single(int cp) {
            int mask = points.length - 1;
            int i = slot(cp, mask);
            for (; points[i] != 0; i = (i + 1) & mask) {
                if (points[i] == cp) {
                    return pointTerms[i];
                }
            }
            normalised++;
            String term = term(new String(Character.toChars(cp)), false);
            if (kept() < KEPT) {
                points[i] = cp;
                pointTerms[i] = term;
                if (++pointCount * 2 > points.length) {
                    grow();
                }
            }
            return term;
        }

        private static int slot(int cp, int mask) {
            int h = cp * 0x9E3779B9;
            return (h ^ (h >>> 16)) & mask;
        }

        private void grow() {
            int[] oldPoints = points;
            String[] oldTerms = pointTerms;
            points = new int[oldPoints.length * 2];
            pointTerms = new String[oldPoints.length * 2];
            int mask = points.length - 1;
            for (int k = 0; k < oldPoints.length; k++) {
                if (oldPoints[k] != 0) {
                    int i = slot(oldPoints[k], mask);
                    while (points[i] != 0) {
                        i = (i + 1) & mask;
                    }
                    points[i] = oldPoints[k];
                    pointTerms[i] = oldTerms[k];
                }
            }
        }

        /** How many words' terms were normalised. */
        int normalised() {
            return normalised;
        }

        /** How many terms are kept. */
        int kept() {
            return made.size() + pointCount;
        }
    }

    /**
     * Characters that keep the words on both sides in one phrase of a query: the punctuation of
     * addresses, numbers and identifiers ({@code ada@example.com}, {@code 2.5.1}, {@code 3,14},
     * {@code user_id}, {@code e-mail}, {@code don't}). Every other non-word character ends a
     * phrase, so query syntax of any engine ({@code NEAR(a b)}, {@code col:word}, {@code "a b"})
     * is plain words.
     */
    private static final String JOINERS = ".,@/_-'\u2019";

    /**
     * A query: whitespace and punctuation other than {@link #JOINERS} separate its phrases; a
     * phrase is the terms of its words, which must follow each other in a match. At most
     * {@code maxTerms} terms in all; phrases without words are dropped, and so is a phrase equal to
     * an earlier one (its terms count once, in the score and in {@code maxTerms}: "cat cat" is "cat").
     */
    static List<List<String>> phrases(String query, int maxTerms) {
        java.util.LinkedHashSet<List<String>> phrases = new java.util.LinkedHashSet<>();
        int left = maxTerms;
        int start = 0;
        for (int i = 0; i <= query.length() && left > 0; ) {
            int cp = i < query.length() ? query.codePointAt(i) : ' ';
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)
                    || (kind(cp) == Kind.SEPARATOR && JOINERS.indexOf(cp) < 0 && !skinTone(cp))) {
                if (i > start) {
                    List<String> terms = words(query.substring(start, i), left).stream().map(Word::term).toList();
                    if (!terms.isEmpty() && phrases.add(terms)) {
                        left -= terms.size();
                    }
                }
                start = i + Character.charCount(cp);
            }
            i += Character.charCount(cp);
        }
        return List.copyOf(phrases);
    }

    /**
     * Emoji skin-tone modifiers (U+1F3FB..U+1F3FF): symbols, so they separate words and are
     * dropped from stored text, but inside a query they keep an emoji run one phrase, as stored
     * text has it ("👍🏽👍" is the words 👍 👍, next to each other).
     */
    private static boolean skinTone(int cp) {
        return cp >= 0x1F3FB && cp <= 0x1F3FF;
    }

    /** How many terms a search column value holds. */
    static int length(String index) {
        if (index.isEmpty()) {
            return 0;
        }
        int n = 1;
        for (int i = index.indexOf(' '); i >= 0; i = index.indexOf(' ', i + 1)) {
            n++;
        }
        return n;
    }

    /**
     * How many times {@code phrase} (its terms joined by single spaces, as {@link #index} joins
     * them) occurs as consecutive whole terms in the search column value {@code index}.
     */
    static int count(String index, String phrase) {
        int n = 0;
        int len = phrase.length();
        for (int i = index.indexOf(phrase); i >= 0; i = index.indexOf(phrase, i + 1)) {
            if ((i == 0 || index.charAt(i - 1) == ' ') && (i + len == index.length() || index.charAt(i + len) == ' ')) {
                n++;
            }
        }
        return n;
    }

    // ---- scanning ----------------------------------------------------------------------------

    private enum Kind { WORD, SINGLE, MARK, IGNORED, SEPARATOR }

    private static Kind kind(int cp) {
        if (cp < 0x80) {
            return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ? Kind.WORD : Kind.SEPARATOR;
        }
        return switch (Character.getType(cp)) {
            // Variation selectors only pick a glyph: "👍️" is "👍".
            case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK, Character.ENCLOSING_MARK ->
                    (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0xE0100 && cp <= 0xE01EF) ? Kind.IGNORED : Kind.MARK;
            case Character.FORMAT -> Kind.IGNORED;
            // A code point this JVM's Unicode tables do not know yet (Java 17 knows Unicode 13: the emoji
            // 🥹 and 🫠 of Unicode 14 are unassigned there) is a word of its own, as a symbol is: newer
            // emoji are found, and a newer JVM, which knows them as symbols, indexes them alike.
            case Character.OTHER_SYMBOL, Character.UNASSIGNED -> Kind.SINGLE;
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER, Character.MODIFIER_LETTER,
                    Character.OTHER_LETTER, Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER ->
                    unspaced(cp) ? Kind.SINGLE : Kind.WORD;
            default -> Kind.SEPARATOR;
        };
    }

    /** Scripts written without spaces between words: each character is a word. */
    private static boolean unspaced(int cp) {
        if (Character.isIdeographic(cp)) {
            return true;
        }
        Character.UnicodeScript s = Character.UnicodeScript.of(cp);
        return s == Character.UnicodeScript.HAN || s == Character.UnicodeScript.HIRAGANA || s == Character.UnicodeScript.KATAKANA
                || s == Character.UnicodeScript.THAI || s == Character.UnicodeScript.LAO || s == Character.UnicodeScript.KHMER
                || s == Character.UnicodeScript.MYANMAR;
    }

    /** U+1F1E6..U+1F1FF: a flag emoji is two of them, paired from the start of a run as Unicode's grapheme rules pair them. */
    private static boolean regionalIndicator(int cp) {
        return cp >= 0x1F1E6 && cp <= 0x1F1FF;
    }

    /** Takes each word a scan finds: {@code text[start, end)}, plain ASCII or not. */
    interface Sink {
        void word(int start, int end, boolean ascii);
    }

    /** Hands {@code sink} the words of {@code text} in order, at most {@code max}. */
    static void scan(String text, int max, Sink sink) {
        scan(text, 0, max, sink);
    }

    /**
     * Hands {@code sink} the words of {@code text} from index {@code from} on, in order, at most {@code max}: {@code from}
     * is 0 or a word's start, where the words are those of the whole text.
     */
    static void scan(String text, int from, int max, Sink sink) {
        int count = 0;
        int start = -1;        // start of the word in progress, or -1
        boolean single = false; // the word in progress is one character of an unspaced script or a symbol
        boolean ascii = true;   // the word in progress is plain ASCII, so needs no normalisation
        boolean halfFlag = false; // the word in progress is one regional indicator, waiting for its pair
        for (int i = from; i < text.length() && count < max; ) {
            int cp = text.codePointAt(i);
            Kind k = kind(cp);
            if (k == Kind.MARK || k == Kind.IGNORED) {
                // Part of the word in progress (or dropped from it when its term is made); alone, nothing.
                ascii = false;
            } else if (k == Kind.WORD && start >= 0 && !single) {
                ascii &= cp < 0x80;
            } else if (halfFlag && start >= 0 && regionalIndicator(cp)) {
                halfFlag = false; // a flag is one word: 🇧🇪🇷🇺 is 🇧🇪 and 🇷🇺, never 🇪🇷 (Eritrea) across the two
            } else {
                if (start >= 0) {
                    sink.word(start, i, ascii);
                    count++;
                    start = -1;
                }
                if (k != Kind.SEPARATOR && count < max) {
                    start = i;
                    single = k == Kind.SINGLE;
                    ascii = cp < 0x80;
                    halfFlag = regionalIndicator(cp);
                }
            }
            i += Character.charCount(cp);
        }
        if (start >= 0 && count < max) {
            sink.word(start, text.length(), ascii);
        }
    }

    /** The stored term of one word's raw text. */
    static String term(String raw, boolean ascii) {
        String t;
        if (ascii) {
            t = raw.toLowerCase(Locale.ROOT);
        } else {
            StringBuilder kept = new StringBuilder(raw.length());
            raw.codePoints().filter(cp -> kind(cp) != Kind.IGNORED).forEach(kept::appendCodePoint);
            t = Normalizer.normalize(kept, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
            if (!Normalizer.isNormalized(t, Normalizer.Form.NFKC)) {
                t = Normalizer.normalize(t, Normalizer.Form.NFKC);
            }
        }
        if (t.codePointCount(0, t.length()) > MAX_TERM) {
            t = t.substring(0, t.offsetByCodePoints(0, MAX_TERM));
        }
        return encode(t);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** {@code t} itself when it is lower-case ASCII letters and digits not starting with x, else x and its UTF-8 in hex: one-to-one. */
    static String encode(String t) {
        boolean plain = !t.isEmpty() && t.charAt(0) != 'x';
        for (int i = 0; plain && i < t.length(); i++) {
            char c = t.charAt(i);
            plain = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        }
        if (plain) {
            return t;
        }
        byte[] bytes = t.getBytes(StandardCharsets.UTF_8);
        char[] out = new char[1 + 2 * bytes.length];
        out[0] = 'x';
        for (int i = 0; i < bytes.length; i++) {
            out[1 + 2 * i] = HEX[(bytes[i] >> 4) & 0xF];
            out[2 + 2 * i] = HEX[bytes[i] & 0xF];
        }
        return new String(out);
    }
}
