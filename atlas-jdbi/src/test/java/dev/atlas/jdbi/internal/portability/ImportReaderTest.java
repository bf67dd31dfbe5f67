package dev.atlas.jdbi.internal.portability;

import dev.atlas.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The import's reader bounds what one record may span ({@link JdbiPortability.Reader#MAX_RECORD_BYTES}, 64 MiB): a
 * line past it is refused naming its line once the reader has read that far, instead of being read into memory whole
 * (a 100 MB line of small arrays was read whole, 4 s, then refused for its missing id). Here with a cap of 100,000 bytes.
 */
class ImportReaderTest {
    @TempDir
    Path dir;

    private static String line(int bytes) {
        StringBuilder b = new StringBuilder("{\"type\":\"conversation\",\"row\":{\"metadata\":[");
        while (b.length() < bytes - 10) {
            b.append("[0,1],");
        }
        return b.append("0]}}\n").toString();
    }

    /** A record of exactly {@code bytes} bytes of UTF-8 (two-byte characters in its title), then a line break. */
    private static String exactly(int bytes) {
        String head = "{\"type\":\"conversation\",\"row\":{\"title\":\"";
        String tail = "\"}}";
        int room = bytes - head.length() - tail.length();
        String title = "\u00e9".repeat(room / 2) + "x".repeat(room % 2);
        String record = head + title + tail;
        assertThat(record.getBytes(StandardCharsets.UTF_8)).hasSize(bytes);
        return record + "\n";
    }

    @Test
    void aRecordLongerThanTheCapIsRefusedNamingItsLine() throws Exception {
        Path file = dir.resolve("export.jsonl");
        Files.writeString(file, "{\"type\":\"atlas-export\",\"version\":1}\n" + line(90_000) + exactly(100_000) + line(400_000)
                + line(10), StandardCharsets.UTF_8);
        try (JdbiPortability.Reader r = new JdbiPortability.Reader(file, 100_000)) {
            assertThat(r.next().get("type").textValue()).isEqualTo("atlas-export");
            assertThat(r.next().path("row").path("metadata").size()).isGreaterThan(10_000);
            // A record of exactly the cap, in bytes (49,979 characters), reads.
            assertThat(r.next().path("row").path("title").textValue()).hasSize(49_979);
            assertThatThrownBy(r::next).isInstanceOfSatisfying(InvalidInputException.class, e -> {
                assertThat(e.field()).isEqualTo("line 4");
                assertThat(e.getMessage()).isEqualTo("line 4: is longer than 100000 bytes, which no record Atlas exports is;"
                        + " write one JSON object per line");
            });
        }
    }

    @Test
    void whitespaceBetweenRecordsIsNoPartOfOne() throws Exception {
        // Blank lines and spaces cost the reader no memory: a run of them longer than the cap is skipped, as a short one is
        // (it was refused as 'line 2: is longer than 100000 bytes', naming the record before the run).
        Path file = dir.resolve("export.jsonl");
        Files.writeString(file, "{\"type\":\"atlas-export\",\"version\":1}\n" + line(90_000) + " \n".repeat(100_000) + line(10),
                StandardCharsets.UTF_8);
        try (JdbiPortability.Reader r = new JdbiPortability.Reader(file, 100_000)) {
            assertThat(r.next().get("type").textValue()).isEqualTo("atlas-export");
            assertThat(r.next().path("row").path("metadata").size()).isGreaterThan(10_000);
            assertThat(r.next().path("row").path("metadata").size()).isEqualTo(1);
            assertThat(r.line).isEqualTo(100_003);
            assertThat(r.next()).isNull();
        }
    }
}
