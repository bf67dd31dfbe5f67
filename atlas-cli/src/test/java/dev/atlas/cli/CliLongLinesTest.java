package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lines an import must bound: an asset line longer than 1 MiB (a writer that pads or indents) is still checked for its
 * bytes; a 100 MB line, a line of 10 million nested arrays and a number of 10,000 digits are refused naming the line and
 * the field, with exit 1, by a JVM of 96 MiB heap, and leave no database behind.
 */
class CliLongLinesTest {
    @TempDir
    static Path dir;
    static Path export;
    static String header;

    @BeforeAll
    static void write() throws Exception {
        Path source = dir.resolve("source.db");
        try (Atlas atlas = Atlas.sqlite(source)) {
            atlas.tenant("acme").assets().create(NewAsset.of(AssetType.FILE, "a.bin", "application/octet-stream"), new byte[] {1, 2, 3});
        }
        export = dir.resolve("acme.jsonl");
        assertThat(Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", export.toString()).exitCode()).isZero();
        header = Files.readAllLines(export).get(0);
    }

    @Test
    void anAssetLineOverOneMebibyteIsStillCheckedForItsBytes() throws Exception {
        String file = Files.readString(export);
        assertThat(file).contains("{\"type\":\"asset\",\"row\":{\"id\":");
        Path padded = dir.resolve("padded.jsonl");
        // JSON whitespace before the id: the line is 2 MiB, the row the same.
        Files.writeString(padded, file.replace("{\"type\":\"asset\",\"row\":{\"id\":", "{\"type\":\"asset\",\"row\":{" + " ".repeat(2 << 20) + "\"id\":"));
        Path restored = Files.createDirectory(dir.resolve("restored")).toRealPath();
        Path copy = restored.resolve("copy.db");
        Cli.Result r = Cli.run("--db", copy.toString(), "-t", "acme", "import", "-i", padded.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).isEqualTo("importing into tenant acme ...\n" + CliAssetBytesTest.missingIn(restored.resolve("copy.db-assets"), 1));
    }

    /** Writes the header, then {@code parts} as one line, then nothing else. */
    private static Path file(String name, String... parts) throws Exception {
        Path f = dir.resolve(name);
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
            w.write(header);
            w.write('\n');
            for (String p : parts) {
                w.write(p);
            }
            w.write('\n');
        }
        return f;
    }

    private static Cli.Result importInSmallHeap(Path file, Path db) {
        return Cli.runWith(List.of("-Xmx96m"), "--db", db.toString(), "-t", "acme", "import", "-i", file.toString());
    }

    @Test
    void aHundredMegabyteLineIsRefusedNamingItsField() throws Exception {
        String mib = "x".repeat(1 << 20);
        String[] parts = new String[102];
        parts[0] = "{\"type\":\"conversation\",\"row\":{\"title\":\"";
        for (int i = 1; i <= 100; i++) {
            parts[i] = mib;
        }
        parts[101] = "\"}}";
        Path db = dir.resolve("huge.db");
        Cli.Result r = importInSmallHeap(file("huge.jsonl", parts), db);
        assertThat(r.exitCode()).as(r.err()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("importing into tenant acme ...\natlas: line 2: conversation.title: is beyond the import's limits:"
                + " String value length (").endsWith(" exceeds the maximum allowed (20000000)\n");
        assertThat(db).doesNotExist();
    }

    @Test
    void tenMillionNestedArraysAreRefusedNamingTheirField() throws Exception {
        Path db = dir.resolve("deep.db");
        Cli.Result r = importInSmallHeap(file("deep.jsonl", "{\"type\":\"conversation\",\"row\":{\"metadata\":", "[".repeat(10_000_000),
                "]".repeat(10_000_000), "}}"), db);
        assertThat(r).isEqualTo(new Cli.Result(1, "", "importing into tenant acme ...\natlas: line 2: conversation.metadata: is beyond the"
                + " import's limits: Document nesting depth (68) exceeds the maximum allowed (67)\n"));
        assertThat(db).doesNotExist();
    }

    @Test
    void aNumberOfTenThousandDigitsIsRefusedNamingItsField() throws Exception {
        Path db = dir.resolve("digits.db");
        Cli.Result r = importInSmallHeap(file("digits.jsonl", "{\"type\":\"message\",\"row\":{\"sequence\":", "9".repeat(10_000), "}}"), db);
        assertThat(r).isEqualTo(new Cli.Result(1, "", "importing into tenant acme ...\natlas: line 2: message.sequence: is beyond the"
                + " import's limits: Number value length (10000) exceeds the maximum allowed (1000)\n"));
        assertThat(db).doesNotExist();
    }
}
