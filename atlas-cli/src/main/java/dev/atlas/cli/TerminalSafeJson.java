package dev.atlas.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * UTF-8 JSON passed through with the characters JSON allows raw but a terminal acts on (DEL, the
 * C1 controls, the bidirectional embeddings, overrides, isolates and marks, the line and paragraph
 * separators) written as {@code \\uXXXX} escapes, as {@link Text#jsonSafe} does for a string.
 * JSON's own structure is ASCII, so these only occur inside strings, where the escape is the
 * same character: the output reads back as the same JSON.
 */
final class TerminalSafeJson extends FilterOutputStream {
    /** Bytes of a multi-byte sequence that may still turn out to be one of those characters. */
    private final byte[] held = new byte[3];
    private int count;

    TerminalSafeJson(OutputStream out) {
        super(out);
    }

    @Override
    public void write(int b) throws IOException {
        b &= 0xff;
        if (count == 0) {
            if (b == 0x7f) {
                escape(0x7f);
            } else if (b == 0xc2 || b == 0xd8 || b == 0xe2) {
                held[count++] = (byte) b;
            } else {
                out.write(b);
            }
            return;
        }
        held[count++] = (byte) b;
        int lead = held[0] & 0xff;
        if (lead == 0xc2) {
            if (b >= 0x80 && b <= 0x9f) {
                count = 0;
                escape(b);
            } else {
                release();
            }
        } else if (lead == 0xd8) {
            // U+061C, the Arabic letter mark: D8 9C.
            if (b == 0x9c) {
                count = 0;
                escape(0x061c);
            } else {
                release();
            }
        } else if (count == 2) {
            if (b != 0x80 && b != 0x81) {
                release();
            }
        } else {
            int ch = ((lead & 0x0f) << 12) | ((held[1] & 0x3f) << 6) | (b & 0x3f);
            count = 0;
            if ((ch >= 0x2028 && ch <= 0x202e) || (ch >= 0x2066 && ch <= 0x2069) || ch == 0x200e || ch == 0x200f) {
                escape(ch);
            } else {
                out.write(held, 0, 3);
            }
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        for (int i = off; i < off + len; i++) {
            write(b[i]);
        }
    }

    /** Writes what is held back and flushes; the stream stays open (it is usually stdout). */
    void finish() throws IOException {
        release();
        out.flush();
    }

    @Override
    public void close() throws IOException {
        finish();
        super.close();
    }

    private void release() throws IOException {
        // The input is valid UTF-8 (the exporter writes it), so the byte that ended a candidate is
        // a continuation byte and cannot start another one.
        out.write(held, 0, count);
        count = 0;
    }

    private void escape(int ch) throws IOException {
        out.write(String.format(Locale.ROOT, "\\u%04x", ch).getBytes(StandardCharsets.US_ASCII));
    }
}
