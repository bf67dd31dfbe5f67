package dev.atlas.cli;

import java.util.UUID;

/**
 * Finds the asset id of one line of an export as its bytes go by, in constant memory whatever the line's length or
 * nesting: buffering the line (as before, up to 1 MiB) left an asset whose line was longer unchecked, silently. A record
 * is an asset's when its {@code type} is {@code asset}, wherever that stands and however the record is spelled, as the
 * import reads it: a JSON tool may sort the keys ({@code row} before {@code type}), space them or escape any character,
 * and knowing only the bytes export writes left such a file's assets unchecked, silently. Only the record's own two
 * levels are followed ({"type":"asset","row":{"id":…}}); deeper values are counted through, and a line whose type is
 * read and is another is left at once. A line the import refuses yields whatever it yields: the refusal is what the user sees.
 */
final class AssetIds {
    /** Longer names than this are none of the three this looks for ("type", "row", "id"). */
    private static final int MAX_KEY = 4;
    /** "asset"; a longer type is another. */
    private static final int MAX_TYPE = 5;
    /** A UUID's characters at most, as the import parses it; a longer id is no UUID. */
    private static final int MAX_ID = 36;

    private enum Role { NONE, KEY, TYPE, ID }

    private long depth;
    private final boolean[] object = new boolean[3];
    private boolean expectKey;
    private boolean inString;
    /** 0: none; 1: after a backslash; 2 to 5: reading the hex digits of a \\u escape. */
    private int escape;
    private int code;
    private Role role;
    private final StringBuilder text = new StringBuilder();
    private boolean overflow;
    private String keyAt1;
    private String keyAt2;
    private String type;
    private String id;
    private boolean done;

    /** Starts a line. */
    void start() {
        depth = 0;
        expectKey = false;
        inString = false;
        escape = 0;
        keyAt1 = null;
        keyAt2 = null;
        type = null;
        id = null;
        done = false;
        text.setLength(0);
    }

    /** Whether the rest of the line can tell nothing more (no record, or one of another type): its bytes need not be seen. */
    boolean done() {
        return done;
    }

    void see(byte b) {
        if (inString) {
            string(b);
            return;
        }
        if (depth == 0) {
            if (b == '{') {
                depth = 1;
                object[1] = true;
                expectKey = true;
            } else if (b != ' ' && b != '\t' && b != '\r') {
                done = true; // no record (an array, a string, the end of one): the import refuses it
            }
            return;
        }
        switch (b) {
            case '"' -> {
                inString = true;
                role = roleOfString();
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
            case '}', ']' -> {
                depth--;
                expectKey = false;
                if (depth == 0) {
                    done = true; // the record ended
                }
            }
            case ',' -> {
                if (depth <= 2 && object[(int) depth]) {
                    expectKey = true;
                }
            }
            case ':' -> {
                if (depth <= 2) {
                    expectKey = false;
                }
            }
            default -> {
                // whitespace, numbers, literals: nothing to follow
            }
        }
    }

    private Role roleOfString() {
        if (depth == 1) {
            return expectKey ? Role.KEY : "type".equals(keyAt1) ? Role.TYPE : Role.NONE;
        }
        if (depth == 2 && object[2] && "row".equals(keyAt1)) {
            return expectKey ? Role.KEY : "id".equals(keyAt2) ? Role.ID : Role.NONE;
        }
        return Role.NONE;
    }

    private void string(byte b) {
        if (escape == 1) {
            escape = 0;
            switch (b) {
                case '"', '\\', '/' -> keep((char) b);
                case 'b' -> keep('\b');
                case 'f' -> keep('\f');
                case 'n' -> keep('\n');
                case 'r' -> keep('\r');
                case 't' -> keep('\t');
                case 'u' -> {
                    escape = 2;
                    code = 0;
                }
                default -> overflow = true; // no escape JSON knows: the import refuses the line
            }
        } else if (escape >= 2) {
            int digit = Character.digit(b, 16);
            if (digit < 0) {
                overflow = true;
                escape = 0;
                return;
            }
            code = code * 16 + digit;
            if (++escape == 6) {
                escape = 0;
                keep((char) code);
            }
        } else if (b == '\\') {
            escape = 1;
        } else if (b == '"') {
            inString = false;
            ended(overflow ? null : text.toString());
        } else {
            keep(b < 0 ? '\uFFFD' : (char) b); // a byte of a non-ASCII character: never part of the names or values sought
        }
    }

    private void keep(char c) {
        int max = switch (role) {
            case KEY -> MAX_KEY;
            case TYPE -> MAX_TYPE;
            case ID -> MAX_ID;
            case NONE -> 0;
        };
        if (text.length() < max) {
            text.append(c);
        } else {
            overflow = true;
        }
    }

    private void ended(String s) {
        switch (role) {
            case KEY -> {
                if (depth == 1) {
                    keyAt1 = s;
                } else {
                    keyAt2 = s;
                }
            }
            case TYPE -> {
                type = s;
                if (!"asset".equals(s)) {
                    done = true;
                }
            }
            case ID -> {
                if (id == null) {
                    id = s;
                }
            }
            case NONE -> {
                // a value this does not look for
            }
        }
    }

    /** The row's id, once the line ended, when it is an asset's: null when none was found or it is no UUID. */
    UUID id() {
        if (!"asset".equals(type) || id == null) {
            return null;
        }
        try {
            return UUID.fromString(id); // as the import parses it
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
