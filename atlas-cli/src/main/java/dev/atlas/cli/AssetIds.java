package dev.atlas.cli;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Finds {@code row.id} in one asset line of an export as its bytes go by, in constant memory whatever the line's length
 * or nesting: buffering the line (as before, up to 1 MiB) left an asset whose line was longer unchecked, silently. Only
 * the record's own two levels are followed ({"type":"asset","row":{"id":…}}); deeper values are counted through.
 * A line the import refuses yields whatever it yields: the import's refusal is what the user sees.
 */
final class AssetIds {
    /** Longer keys than this are none of the two this looks for ("row", "id"). */
    private static final int MAX_KEY = 4;
    /** A canonical UUID's characters; a longer id is no UUID. */
    private static final int MAX_ID = 36;

    private long depth;
    private final boolean[] object = new boolean[3];
    private boolean expectKey;
    private boolean inString;
    private boolean escape;
    private boolean stringIsKey;
    private boolean capturing;
    private final StringBuilder text = new StringBuilder();
    private boolean overflow;
    private String keyAt1;
    private String keyAt2;
    private String id;

    /** Starts a line whose first bytes, the record's opening brace and {@code "type":"asset",}, are already read. */
    void start() {
        depth = 1;
        object[1] = true;
        expectKey = true;
        inString = false;
        escape = false;
        keyAt1 = null;
        keyAt2 = null;
        id = null;
        text.setLength(0);
    }

    void see(byte b) {
        if (inString) {
            if (escape) {
                escape = false;
                keep(b);
            } else if (b == '\\') {
                escape = true;
                keep(b);
            } else if (b == '"') {
                inString = false;
                String s = overflow ? null : text.toString();
                if (stringIsKey) {
                    if (depth == 1) {
                        keyAt1 = s;
                    } else {
                        keyAt2 = s;
                    }
                } else if (capturing && s != null && id == null) {
                    id = s;
                }
            } else {
                keep(b);
            }
            return;
        }
        switch (b) {
            case '"' -> {
                inString = true;
                stringIsKey = depth <= 2 && object[(int) depth] && expectKey;
                capturing = !stringIsKey && depth == 2 && "row".equals(keyAt1) && "id".equals(keyAt2);
                text.setLength(0);
                overflow = false;
            }
            case '{', '[' -> {
                depth++;
                if (depth <= 2) {
                    object[(int) depth] = b == '{';
                    expectKey = b == '{';
                    keyAt2 = null;
                }
            }
            case '}', ']' -> depth--;
            case ',' -> {
                if (depth >= 1 && depth <= 2 && object[(int) depth]) {
                    expectKey = true;
                }
            }
            case ':' -> expectKey = false;
            default -> {
                // whitespace, numbers, literals: nothing to follow
            }
        }
    }

    private void keep(byte b) {
        int max = stringIsKey ? MAX_KEY : capturing ? MAX_ID : 0;
        if (text.length() < max) {
            text.append((char) (b & 0xff));
        } else if (stringIsKey || capturing) {
            overflow = true;
        }
    }

    /** The row's id, once the line ended; null when none was found or it is no canonical UUID. */
    UUID id() {
        return id == null ? null : AtlasCli.id(new String(id.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
    }
}
