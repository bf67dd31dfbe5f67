package dev.atlas.cli;

import dev.atlas.execution.Usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** Formatting shared by the commands. Stored text is hostile: nothing reaches the terminal unescaped. */
final class Text {
    private Text() {}

    /**
     * The text with every control character except newline and tab shown as {@code \\uXXXX}, so
     * stored content cannot move the cursor, recolour or retitle the user's terminal, nor (with
     * the bidirectional embeddings, overrides and isolates) reorder what follows it on the line.
     * A lone surrogate (half of a pair, which UTF-8 cannot carry: the output encoder would print
     * an indistinguishable {@code ?}) is shown the same way, as {@code \\udXXX}.
     */
    static String safe(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (isControl(ch) || ch == '\u2028' || ch == '\u2029' || lone(s, i)) {
                if (b == null) {
                    b = new StringBuilder(s.length() + 16).append(s, 0, i);
                }
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            } else if (b != null) {
                b.append(ch);
            }
        }
        return b == null ? s : b.toString();
    }

    /**
     * C0 and C1 controls, DEL, and the bidirectional controls: embeddings, overrides and isolates
     * (U+202A..U+202E, U+2066..U+2069) and the invisible marks (LRM U+200E, RLM U+200F, ALM U+061C),
     * which reorder the neutral characters beside them.
     */
    private static boolean isControl(char ch) {
        return (ch < 0x20 && ch != '\n' && ch != '\t') || (ch >= 0x7f && ch <= 0x9f) || (ch >= '\u202a' && ch <= '\u202e')
                || (ch >= '\u2066' && ch <= '\u2069') || ch == '\u200e' || ch == '\u200f' || ch == '\u061c';
    }

    /** Whether {@code s.charAt(i)} is half of a surrogate pair without its other half. */
    static boolean lone(String s, int i) {
        char ch = s.charAt(i);
        if (Character.isHighSurrogate(ch)) {
            return i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1));
        }
        return Character.isLowSurrogate(ch) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1)));
    }

    /**
     * JSON text with the controls JSON leaves raw (DEL, C1, bidirectional, line and paragraph
     * separators) and lone surrogates (which UTF-8 cannot carry) written as {@code \\uXXXX}
     * escapes: the same JSON value, safe on a terminal and well-formed UTF-8.
     * JSON's own structure is ASCII, so such characters only occur inside strings.
     */
    static String jsonSafe(String json) {
        StringBuilder b = new StringBuilder(json.length());
        for (int i = 0; i < json.length(); i++) {
            char ch = json.charAt(i);
            if (ch >= 0x7f && (isControl(ch) || ch == '\u2028' || ch == '\u2029' || lone(json, i))) {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    /**
     * {@code s} as one word of a command line to copy: as it is when it holds only characters no
     * shell reads specially, else in single quotes ({@code '} written {@code '\''}); a value with
     * a control character (a line break, a bidirectional override, see {@link #safe}) in bash's
     * {@code $'...'} with each such character as its UTF-8 bytes, {@code \\xHH} each, so it stays one
     * line on the terminal ({@code \\xHH} reads the same in every locale, {@code \\uXXXX} does not).
     * A lone surrogate, which no argument can carry, is written as U+FFFD's bytes.
     */
    static String shellWord(String s) {
        if (!s.isEmpty() && s.chars().allMatch(ch -> (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                || "_@%+=:,./-".indexOf(ch) >= 0)) {
            return s;
        }
        boolean anyLone = java.util.stream.IntStream.range(0, s.length()).anyMatch(i -> lone(s, i));
        if (!anyLone && s.chars().noneMatch(ch -> isControl((char) ch) || ch == '\n' || ch == '\t' || ch == '\u2028' || ch == '\u2029')) {
            return "'" + s.replace("'", "'\\''") + "'";
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append("$'");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' || ch == '\'') {
                b.append('\\').append(ch);
            } else if (isControl(ch) || ch == '\n' || ch == '\t' || ch == '\u2028' || ch == '\u2029' || lone(s, i)) {
                for (byte x : String.valueOf(lone(s, i) ? '\ufffd' : ch).getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
                    b.append(String.format(Locale.ROOT, "\\x%02x", x & 0xff));
                }
            } else {
                b.append(ch);
            }
        }
        return b.append('\'').toString();
    }

    /** {@link #safe} on one line: newlines and tabs shown as {@code \n} and {@code \t}. */
    static String oneLine(String s) {
        return safe(s).replace("\n", "\\n").replace("\t", "\\t");
    }

    /** At most {@code max} characters, with an ellipsis when cut; never between the halves of a surrogate pair. */
    static String cut(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int end = Math.max(0, max - 1);
        if (end > 0 && Character.isLowSurrogate(s.charAt(end)) && Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "…";
    }

    /**
     * {@link #oneLine} of {@code s} in at most {@code max} characters, with an ellipsis when cut. Cut
     * between the characters of {@code s}, never inside the escape one of them is shown as (half of
     * {@code \\u001b} reads as another text) nor between the halves of a surrogate pair.
     */
    static String cutOneLine(String s, int max) {
        String whole = oneLine(s);
        if (whole.length() <= max) {
            return whole;
        }
        StringBuilder b = new StringBuilder(max);
        for (int i = 0; i < s.length(); ) {
            int n = Character.charCount(s.codePointAt(i));
            String shown = oneLine(s.substring(i, i + n));
            if (b.length() + shown.length() > max - 1) {
                break;
            }
            b.append(shown);
            i += n;
        }
        return b.append('…').toString();
    }

    static String time(Instant t) {
        return t == null ? "-" : t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static String ms(Long ms) {
        return ms == null ? "-" : String.format(Locale.ROOT, "%,d ms", ms);
    }

    /** A cost as a plain decimal: prices carry no currency (a tenant's are in one of its choosing), so no sign is shown. */
    static String money(BigDecimal cost) {
        return cost == null ? "-" : cost.toPlainString();
    }

    static String tokens(Usage u) {
        if (u == null || u.isEmpty()) {
            return "no usage";
        }
        // Grouped as every number the CLI prints (docs/cli.md), whatever the locale.
        StringBuilder b = new StringBuilder().append(n(u.inputTokens())).append(" in / ").append(n(u.outputTokens())).append(" out");
        if (u.reasoningTokens() != null) {
            b.append(" / ").append(n(u.reasoningTokens())).append(" reasoning");
        }
        if (u.cachedTokens() != null) {
            b.append(" / ").append(n(u.cachedTokens())).append(" cached");
        }
        return b.append(" tokens").toString();
    }

    private static String n(Long v) {
        return String.format(Locale.ROOT, "%,d", v == null ? 0 : v);
    }

    /** Left-aligned columns, each as wide as its widest cell, separated by two spaces. */
    static String table(java.util.List<String[]> rows, boolean[] rightAligned) {
        int cols = rows.get(0).length;
        int[] width = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                String cell = r[i];
                String pad = " ".repeat(width[i] - cell.length());
                line.append(rightAligned[i] ? pad + cell : (i == cols - 1 ? cell : cell + pad));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }
}
