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

    @Test
    void aRecordLongerThanTheCapIsRefusedNamingItsLine() throws Exception {
        Path file = dir.resolve("export.jsonl");
        Files.writeString(file, "{\"type\":\"atlas-export\",\"version\":1}\n" + line(90_000) + line(400_000) + line(10), StandardCharsets.UTF_8);
        try (JdbiPortability.Reader r = new JdbiPortability.Reader(file, 100_000)) {
            assertThat(r.next().get("type").textValue()).isEqualTo("atlas-export");
            assertThat(r.next().path("row").path("metadata").size()).isGreaterThan(10_000);
            assertThatThrownBy(r::next).isInstanceOfSatisfying(InvalidInputException.class, e -> {
                assertThat(e.field()).isEqualTo("line 3");
                assertThat(e.getMessage()).isEqualTo("line 3: is longer than 100000 bytes, which no record Atlas exports is;"
                        + " write one JSON object per line");
            });
        }
    }
}
