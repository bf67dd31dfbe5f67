package dev.atlas.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.portability.ExportReport;
import dev.atlas.portability.ExportScope;
import dev.atlas.portability.ImportReport;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an operator does with export and import beyond a quiet copy: exporting while the application writes, piping one
 * atlas into another on PostgreSQL, and importing into a tenant that already holds data.
 */
class CliOperatorScenariosTest {
    static EmbeddedPostgres server;
    static final AtomicInteger DATABASES = new AtomicInteger();

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws IOException {
        server = SharedPostgres.server();
    }

    /** A new, empty PostgreSQL database of the embedded server: its JDBC URL. */
    private static String freshPostgres() throws Exception {
        String name = "atlas_ops_" + DATABASES.incrementAndGet();
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return "jdbc:postgresql://localhost:" + server.getPort() + "/" + name;
    }

    private static Atlas postgres(String url) {
        return Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").build();
    }

    /** Rows per type in an export (header and end record left out), and the end record's counts. */
    private record Counted(Map<String, Long> rows, Map<String, Long> end) {
    }

    private static Counted counted(byte[] file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<String, Long> rows = new TreeMap<>();
        Map<String, Long> end = null;
        for (String line : new String(file, StandardCharsets.UTF_8).split("\n")) {
            JsonNode record = json.readTree(line);
            String type = record.path("type").asText();
            if (type.equals("end")) {
                end = new TreeMap<>();
                for (var it = record.path("rows").fields(); it.hasNext(); ) {
                    var e = it.next();
                    end.put(e.getKey(), e.getValue().asLong());
                }
            } else if (!type.equals("atlas-export")) {
                rows.merge(type, 1L, Long::sum);
            }
        }
        return new Counted(rows, end);
    }

    /**
     * An output that, at its first write (the export's snapshot taken and its rows streaming), lets {@code writer} run and
     * waits until it has committed: the application's writes land exactly while the export is under way.
     */
    private static final class WritesDuringExport extends FilterOutputStream {
        private final Thread writer;
        private final CountDownLatch committed = new CountDownLatch(1);
        private final AtomicReference<Throwable> failed = new AtomicReference<>();
        private boolean started;

        WritesDuringExport(OutputStream out, Runnable writes) {
            super(out);
            writer = new Thread(() -> {
                try {
                    writes.run();
                } catch (Throwable t) {
                    failed.set(t);
                } finally {
                    committed.countDown();
                }
            }, "application writing");
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (!started) {
                started = true;
                writer.start();
                try {
                    if (!committed.await(60, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the application's writes did not commit while the export was open");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            out.write(b, off, len);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }
    }

    /**
     * 300 messages, each with its event (more than the export's write buffer holds, so rows stream out while its snapshot is open); while it
     * writes, 50 more messages and a new conversation are committed. The file holds the snapshot, whole: its end record
     * counts exactly its rows, and it imports into a fresh PostgreSQL whole.
     */
    private void exportWhileTheApplicationAppends(Atlas source) throws Exception {
        Tenant acme = source.tenant("acme");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        List<NewMessage> batch = new ArrayList<>();
        for (int i = 1; i <= 300; i++) {
            batch.add(NewMessage.user("message " + i + " " + "x".repeat(200)));
        }
        acme.conversations().appendAll(convo.id(), batch);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        WritesDuringExport out = new WritesDuringExport(bytes, () -> {
            for (int i = 301; i <= 350; i++) {
                acme.conversations().append(convo.id(), NewMessage.user("late " + i));
            }
            Conversation later = acme.conversations().create(NewConversation.of(Owner.user("43"), "later"));
            acme.conversations().append(later.id(), NewMessage.user("after the snapshot"));
        });
        ExportReport report = acme.portability().exportTo(out, ExportScope.tenant());
        assertThat(out.started).as("the export wrote while its snapshot was open").isTrue();
        assertThat(out.failed.get()).as("the application's writes").isNull();
        assertThat(acme.conversations().messages(convo.id(), 0, 1000)).hasSize(350);

        Counted file = counted(bytes.toByteArray());
        assertThat(file.rows()).isEqualTo(Map.of("conversation", 1L, "message", 300L, "message_event", 300L));
        assertThat(file.end()).isEqualTo(file.rows());
        assertThat(new TreeMap<>(report.exported())).isEqualTo(file.rows());

        try (Atlas restored = postgres(freshPostgres())) {
            Tenant into = restored.tenant("acme");
            ImportReport imported = into.portability().importFrom(new java.io.ByteArrayInputStream(bytes.toByteArray()));
            assertThat(new TreeMap<>(imported.imported())).isEqualTo(file.rows());
            List<dev.atlas.conversation.Message> history = into.conversations().messages(convo.id(), 0, 1000);
            assertThat(history).hasSize(300);
            assertThat(history.get(299).content()).isEqualTo("message 300 " + "x".repeat(200));
        }
    }

    @Test
    void anSqliteExportWhileTheApplicationAppendsHoldsItsSnapshotWholeAndImportsIntoPostgres() throws Exception {
        try (Atlas source = Atlas.sqlite(dir.resolve("app.db"))) {
            exportWhileTheApplicationAppends(source);
        }
    }

    @Test
    void aPostgresExportWhileTheApplicationAppendsHoldsItsSnapshotWholeAndImportsIntoPostgres() throws Exception {
        try (Atlas source = postgres(freshPostgres())) {
            exportWhileTheApplicationAppends(source);
        }
    }
    /** The CLI in this JVM on PostgreSQL {@code url}, the password from ATLAS_DB_PASSWORD as an operator gives it. */
    private static Cli.Result atlas(String url, String... args) {
        List<String> all = new ArrayList<>(List.of("--db", url, "--user", "postgres"));
        all.addAll(List.of(args));
        return Cli.run(Map.of("ATLAS_DB_PASSWORD", "postgres"), all.toArray(String[]::new));
    }

    /**
     * atlas export --output - | atlas import --input -, two processes on two PostgreSQL databases: the import reads the
     * export as it streams, and the copy then exports byte for byte as the original does.
     */
    @Test
    void anExportToStandardOutputPipedIntoAnImportCopiesATenantByteForByte() throws Exception {
        String from = freshPostgres();
        String to = freshPostgres();
        new Fixture(java.time.Instant.parse("2026-03-02T09:00:00Z")).populate(b -> b.jdbcUrl(from).credentials("postgres", "postgres"));
        Path exportOut = dir.resolve("export.err");
        Path importOut = dir.resolve("import.out");
        Path importErr = dir.resolve("import.err");
        ProcessBuilder export = new ProcessBuilder(Cli.command("--db", from, "--user", "postgres", "--tenant", "acme", "export", "--output", "-"))
                .redirectError(exportOut.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        ProcessBuilder into = new ProcessBuilder(Cli.command("--db", to, "--user", "postgres", "--tenant", "acme", "import", "--input", "-"))
                .redirectOutput(importOut.toFile()).redirectError(importErr.toFile());
        export.environment().put("ATLAS_DB_PASSWORD", "postgres");
        into.environment().put("ATLAS_DB_PASSWORD", "postgres");
        List<Process> pipeline = ProcessBuilder.startPipeline(List.of(export, into));
        for (Process p : pipeline) {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                pipeline.forEach(Process::destroyForcibly);
                throw new IllegalStateException("the pipeline did not finish within 120 s");
            }
        }
        assertThat(pipeline.get(0).exitValue()).as(Files.readString(exportOut)).isZero();
        assertThat(pipeline.get(1).exitValue()).as(Files.readString(importErr)).isZero();
        Path original = dir.resolve("original.jsonl");
        Path copy = dir.resolve("copy.jsonl");
        Cli.Result a = atlas(from, "--tenant", "acme", "export", "--output", original.toString());
        Cli.Result b = atlas(to, "--tenant", "acme", "export", "--output", copy.toString());
        assertThat(a.exitCode()).as(a.err()).isZero();
        assertThat(b.exitCode()).as(b.err()).isZero();
        Counted rows = counted(Files.readAllBytes(original));
        assertThat(Files.readString(importOut)).startsWith(String.format(java.util.Locale.ROOT, "Imported %,d rows (0 already stored, unchanged)\n",
                rows.rows().values().stream().mapToLong(Long::longValue).sum()));
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(original));
        assertThat(b.out().replace(copy.toString(), "<file>")).isEqualTo(a.out().replace(original.toString(), "<file>"));
    }

    /**
     * A later export imported into a tenant whose copy the application has changed since: refused naming the line and
     * the column that differs, before any write: the rows the file adds (a newer message) are not imported either.
     */
    @Test
    void anImportIntoATenantThatChangedARowIsRefusedNamingItAndWritesNothing() throws Exception {
        Path source = dir.resolve("source.db");
        String target = freshPostgres();
        UUID convo;
        try (Atlas atlas = Atlas.sqlite(source)) {
            convo = atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            atlas.tenant("acme").conversations().appendAll(convo, List.of(NewMessage.user("one"), NewMessage.user("two"), NewMessage.user("three")));
        }
        Path first = dir.resolve("first.jsonl");
        assertThat(Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", first.toString()).exitCode()).isZero();
        Cli.Result restored = atlas(target, "-t", "acme", "import", "-i", first.toString());
        assertThat(restored.exitCode()).as(restored.err()).isZero();
        try (Atlas atlas = Atlas.sqlite(source)) {
            atlas.tenant("acme").conversations().append(convo, NewMessage.user("four"));
        }
        Path second = dir.resolve("second.jsonl");
        assertThat(Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", second.toString()).exitCode()).isZero();
        try (Atlas atlas = postgres(target)) {
            atlas.tenant("acme").conversations().updateTitle(convo, "renamed by the app");
        }
        Cli.Result refused = atlas(target, "-t", "acme", "import", "-i", second.toString());
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err()).isEqualTo("importing into tenant acme ...\natlas: line 2: conversation.title: conversation " + convo
                + " already exists in this tenant with a different title\n");
        assertThat(refused.exitCode()).isEqualTo(1);
        try (Atlas atlas = postgres(target)) {
            assertThat(atlas.tenant("acme").conversations().messages(convo, 0, 100)).extracting(dev.atlas.conversation.Message::content)
                    .containsExactly("one", "two", "three");
            assertThat(atlas.tenant("acme").conversations().require(convo).title()).isEqualTo("renamed by the app");
        }
    }

    /**
     * The same file imported into a second tenant of the database: the first tenant's rows hold the same ids, and are
     * neither touched nor named (their values are none of the second tenant's business).
     */
    @Test
    void anImportIntoAnotherTenantOfTheSameDatabaseNeitherTouchesNorShowsTheFirst() throws Exception {
        String target = freshPostgres();
        UUID convo;
        Path file = dir.resolve("acme.jsonl");
        try (Atlas atlas = postgres(target)) {
            convo = atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("42"), "support").title("acme's secret title")).id();
            atlas.tenant("acme").conversations().append(convo, NewMessage.user("acme's secret"));
        }
        assertThat(atlas(target, "-t", "acme", "export", "-o", file.toString()).exitCode()).isZero();
        Cli.Result copied = atlas(target, "-t", "globex", "import", "-i", file.toString());
        assertThat(copied.err()).doesNotContain("secret");
        assertThat(copied.exitCode()).as(copied.err()).isZero();
        assertThat(copied.out()).startsWith("Imported 3 rows (0 already stored, unchanged)\n");
        try (Atlas atlas = postgres(target)) {
            atlas.tenant("globex").conversations().updateTitle(convo, "globex's title");
            assertThat(atlas.tenant("acme").conversations().require(convo).title()).isEqualTo("acme's secret title");
            Cli.Result again = atlas(target, "-t", "globex", "import", "-i", file.toString());
            assertThat(again.err()).isEqualTo("importing into tenant globex ...\natlas: line 2: conversation.title: conversation " + convo
                    + " already exists in this tenant with a different title\n");
            assertThat(atlas.tenant("acme").conversations().require(convo).title()).isEqualTo("acme's secret title");
        }
    }
    /**
     * An export passed through a JSON tool (keys sorted, a space after ':' and ',', a name escaped) imports as it was; its
     * asset's bytes, not copied, are warned of as they are for the file as written. The warning was missing, silently.
     */
    @Test
    void anExportRewrittenByAJsonToolStillWarnsOfAssetBytesNotCopied() throws Exception {
        Path source = dir.resolve("source.db");
        try (Atlas atlas = Atlas.sqlite(source)) {
            atlas.tenant("acme").assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "a.bin", "application/octet-stream"),
                    new byte[] {1, 2, 3});
        }
        Path file = dir.resolve("acme.jsonl");
        assertThat(Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", file.toString()).exitCode()).isZero();
        ObjectMapper json = new ObjectMapper();
        StringBuilder rewritten = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            JsonNode record = json.readTree(line);
            if (record.path("type").asText().equals("asset")) {
                String row = json.writeValueAsString(record.path("row")).replace(",\"", ", \"").replace("\":", "\": ")
                        .replaceFirst("\"id\": ", "\"\\\\u0069d\": ");
                line = "{\"row\": " + row + ", \"type\": \"asset\"}";
            }
            rewritten.append(line).append('\n');
        }
        Path tool = dir.resolve("tool.jsonl");
        Files.writeString(tool, rewritten);
        assertThat(Files.readString(tool)).contains("{\"row\": {\"\\u0069d\": \"");
        Path restored = Files.createDirectory(dir.resolve("restored")).toRealPath().resolve("copy.db");
        Cli.Result imported = Cli.run("--db", restored.toString(), "-t", "acme", "import", "-i", tool.toString());
        assertThat(imported.exitCode()).as(imported.err()).isZero();
        assertThat(imported.out()).isEqualTo("Imported 1 rows (0 already stored, unchanged)\n  asset                            1\n");
        assertThat(imported.err()).isEqualTo("importing into tenant acme ...\natlas: warning: 1 of the file's assets has no bytes in "
                + restored.resolveSibling("copy.db-assets") + ": copy them there from the asset directory of the database it was exported"
                + " from (the same blob keys), or their downloads fail\n");
    }
}
