package dev.atlas.jdbi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.jdbi.internal.portability.PortableSchema;
import dev.atlas.jdbi.kit.MutableClock;
import dev.atlas.jdbi.kit.PortabilityFixture;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.portability.ExportScope;
import dev.atlas.portability.ImportReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The export round trip across dialects: a tenant written on SQLite, exported, imported into an
 * empty PostgreSQL database, exported again, imported into an empty SQLite database and exported
 * a third time. The three files are byte-identical, and every column of every table holds the same
 * values in all three databases (read with plain JDBC, compared row by row; JSON documents as
 * values, since jsonb does not keep the order of object keys that SQLite's text does).
 */
class PortabilityRoundTripTest {
    private static final ObjectMapper SORTED = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    /** Tables that hold no tenant history of their own (derived indexes, blob bookkeeping, leases). */
    private static final Set<String> NOT_EXPORTED = Set.of("atlas_search_keys", "atlas_blob_intents", "atlas_leases", "atlas_vector_sets");

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:15:30.123456Z"));
    private final SqliteTestDatabase sqlite1 = new SqliteTestDatabase();
    private final PostgresTestDatabase postgres = new PostgresTestDatabase();
    private final SqliteTestDatabase sqlite2 = new SqliteTestDatabase();
    private final List<Atlas> open = new ArrayList<>();

    @TempDir
    Path blobs;

    @AfterEach
    void close() {
        open.forEach(Atlas::close);
        sqlite1.cleanup();
        postgres.cleanup();
        sqlite2.cleanup();
    }

    private Atlas open(dev.atlas.jdbi.kit.TestDatabase db, String dir) {
        UnaryOperator<AtlasBuilder> c = b -> b.clock(clock).blobStore(new LocalDirectoryBlobStore(blobs.resolve(dir)))
                .credentialKeys(CredentialKeys.of("k1", dev.atlas.jdbi.kit.TestKeys.key("k1")));
        Atlas a = db.open(c);
        open.add(a);
        return a;
    }

    private static byte[] export(Atlas a) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        a.tenant("acme").portability().exportTo(out, ExportScope.tenant());
        return out.toByteArray();
    }

    @Test
    @DisplayName("SQLite -> PostgreSQL -> SQLite: byte-identical exports and equal rows, every column of every table")
    void sqliteToPostgresToSqlite() {
        Atlas first = open(sqlite1, "s1");
        List<java.util.UUID> assets = populateEveryState(first.tenant("acme"));
        byte[] a = export(first);

        Atlas pg = open(postgres, "pg");
        ImportReport intoPg = pg.tenant("acme").portability().importFrom(new ByteArrayInputStream(a));
        byte[] b = export(pg);

        Atlas second = open(sqlite2, "s2");
        ImportReport intoSqlite = second.tenant("acme").portability().importFrom(new ByteArrayInputStream(b));
        byte[] c = export(second);

        assertThat(intoPg.totalImported()).isEqualTo(new String(a, StandardCharsets.UTF_8).lines().count() - 2); // but header and end record
        assertThat(intoSqlite.imported()).isEqualTo(intoPg.imported());
        assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(new String(a, StandardCharsets.UTF_8));
        assertThat(new String(c, StandardCharsets.UTF_8)).isEqualTo(new String(a, StandardCharsets.UTF_8));

        Set<String> tables = tablesWithTenant(sqlite1.dataSource());
        Set<String> portable = new TreeSet<>();
        PortableSchema.TABLES.forEach(t -> portable.add("atlas_" + t.table()));
        Set<String> expectedTables = new TreeSet<>(portable);
        expectedTables.addAll(NOT_EXPORTED);
        assertThat(tables).as("every table with tenant rows is exported or named as derived").isEqualTo(expectedTables);
        Map<String, Map<String, String>> pgTypes = columnTypes(postgres.dataSource());
        for (String table : portable) {
            List<String> s1 = rows(sqlite1.dataSource(), table, pgTypes.get(table));
            List<String> p = rows(postgres.dataSource(), table, pgTypes.get(table));
            List<String> s2 = rows(sqlite2.dataSource(), table, pgTypes.get(table));
            assertThat(s1).as(table).isNotEmpty();
            assertThat(p).as(table + " on PostgreSQL").containsExactlyElementsOf(s1);
            assertThat(s2).as(table + " back on SQLite").containsExactlyElementsOf(s1);
        }
        Map<String, Object> source = snapshot(first, assets);
        assertSameReads(snapshot(pg, assets), source, "PostgreSQL imported from SQLite");
        assertSameReads(snapshot(second, assets), source, "SQLite imported from PostgreSQL's export");
    }

    @Test
    @DisplayName("PostgreSQL (written through the API) -> empty SQLite: every read of the public API returns the same, field by field,"
            + " this session's states included (a queued tool call cancelled without duration, an asset detached from its only"
            + " message, a memory with revisions); the export back is byte-identical")
    void postgresToSqliteReadsTheSame() {
        Atlas source = open(postgres, "pg");
        List<java.util.UUID> assets = populateEveryState(source.tenant("acme"));
        byte[] a = export(source);
        Atlas copy = open(sqlite1, "s1");
        copy.tenant("acme").portability().importFrom(new ByteArrayInputStream(a));
        assertThat(new String(export(copy), StandardCharsets.UTF_8)).isEqualTo(new String(a, StandardCharsets.UTF_8));
        assertSameReads(snapshot(copy, assets), snapshot(source, assets), "SQLite imported from PostgreSQL");
        // The states compared are there: cancelled calls (queued ones without duration), the detached assets, the revisions.
        dev.atlas.Tenant t = copy.tenant("acme");
        assertThat(t.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all().status(dev.atlas.execution.ExecutionStatus.CANCELLED))
                .items()).extracting(dev.atlas.execution.ToolCall::providerCallId, dev.atlas.execution.ToolCall::durationMs)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("q-1", null), org.assertj.core.groups.Tuple.tuple("r-1", 40L),
                        org.assertj.core.groups.Tuple.tuple("q-2", null));
        java.util.UUID question = t.conversations().list(dev.atlas.conversation.ConversationQuery.forOwner(Owner.user("alice")).limit(10))
                .items().stream().filter(c -> c.title() != null && c.title().equals("Order a")).findFirst().orElseThrow().id();
        List<dev.atlas.conversation.Message> messages = t.conversations().messages(question, 0, 100);
        assertThat(t.assets().forMessage(messages.get(0).id())).extracting(x -> x.asset().filename())
                .containsExactly("receipt.pdf", "shared.png");
        assertThat(t.assets().forMessage(messages.get(messages.size() - 1).id())).isEmpty();
        assertThat(t.assets().get(assets.get(4))).get().extracting(dev.atlas.asset.Asset::filename).isEqualTo("wrong.pdf");
        assertThat(t.memories().list(dev.atlas.memory.MemoryQuery.forOwner(Owner.user("alice")).limit(10)).items())
                .anySatisfy(m -> assertThat(t.memories().revisions(m.id())).extracting(dev.atlas.memory.MemoryRevision::content)
                        .containsExactly("Prefers email a", "Prefers email over phone a"));
    }

    /**
     * {@link PortabilityFixture#populate} for two owners, then the states of session 25: a queued tool call
     * cancelled (no duration), a running one cancelled (its duration), an asset detached from its only message
     * and one detached from one of its two messages, a memory revised twice, a soft-deleted memory.
     * Returns the ids of every asset, for the reads by id.
     */
    private List<java.util.UUID> populateEveryState(dev.atlas.Tenant t) {
        Map<String, java.util.UUID> bob = PortabilityFixture.populate(t, Owner.user("bob"), "b", true, clock);
        Map<String, java.util.UUID> alice = PortabilityFixture.populate(t, Owner.user("alice"), "a", false, clock);
        java.util.UUID c = alice.get("conversation");
        dev.atlas.execution.ExecutionHandle e = t.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(c).agent("support"));
        dev.atlas.execution.StepHandle step = e.step();
        step.toolCall(dev.atlas.execution.NewToolCall.of("q-1", "lookup", "{}").queued()).cancel();
        clock.set(clock.instant().plusMillis(5));
        var running = step.toolCall("r-1", "lookup", "{\"n\": 2}");
        clock.set(clock.instant().plusMillis(40));
        running.cancel();
        e.toolCall(dev.atlas.execution.NewToolCall.of("q-2", "hang_up", "{}").queued()).cancel();
        step.finish("stopped", dev.atlas.execution.FinishReason.STOP);
        clock.set(clock.instant().plusMillis(10));
        e.complete();
        java.util.UUID question = alice.get("userMessage");
        dev.atlas.conversation.Message other = t.conversations().append(c, dev.atlas.conversation.NewMessage.user("and this file?"));
        dev.atlas.asset.Asset wrong = t.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "wrong.pdf",
                "application/pdf").owner(Owner.user("alice")), "wrong".getBytes(StandardCharsets.UTF_8));
        t.assets().attach(question, wrong.id(), Map.of());
        assertThat(t.assets().detach(question, wrong.id())).isTrue();
        dev.atlas.asset.Asset shared = t.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "shared.png",
                "image/png").owner(Owner.user("alice")), "shared".getBytes(StandardCharsets.UTF_8));
        t.assets().attach(question, shared.id(), Map.of("pos", 2));
        t.assets().attach(other.id(), shared.id(), Map.of());
        assertThat(t.assets().detach(other.id(), shared.id())).isTrue();
        java.util.UUID memory = alice.get("memory");
        clock.set(clock.instant().plusSeconds(1));
        t.memories().update(memory, dev.atlas.memory.MemoryPatch.content("Prefers email, never calls"));
        var gone = t.memories().create(dev.atlas.memory.NewMemory.fact(Owner.user("alice"), "forgotten fact"));
        t.memories().delete(gone.id());
        clock.set(clock.instant().plusSeconds(1));
        return List.of(bob.get("chart"), bob.get("upload"), alice.get("chart"), alice.get("upload"), wrong.id(), shared.id());
    }

    private static Map<String, Object> snapshot(Atlas a, List<java.util.UUID> assets) {
        return dev.atlas.jdbi.kit.ApiSnapshot.read(a.tenant("acme"), assets, List.of("order", "email", "shipped", "lookup"), "emb",
                List.of("node-a-b", "node-b-b"), List.<String[]>of(new String[] {"openai", "gpt-4o"}));
    }

    /** Read by read, then the whole: a difference names the read whose result differs, with both values. */
    private static void assertSameReads(Map<String, Object> actual, Map<String, Object> expected, String what) {
        for (Map.Entry<String, Object> read : expected.entrySet()) {
            assertThat(actual.get(read.getKey())).as(what + ": " + read.getKey()).isEqualTo(read.getValue());
        }
        assertThat(actual.keySet()).as(what).containsExactlyElementsOf(expected.keySet());
    }

    @Test
    @DisplayName("one owner's export that meets other owners' assistants, calls, conversations: SQLite -> empty PostgreSQL -> empty SQLite, byte-identical and equal rows; nothing of another tenant")
    void ownerExportAcrossDialects() {
        Atlas first = open(sqlite1, "s1");
        Map<String, java.util.UUID> globex = PortabilityFixture.crossOwnerReferences(first.tenant("globex"));
        PortabilityFixture.crossOwnerReferences(first.tenant("acme"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        first.tenant("acme").portability().exportTo(out, ExportScope.owner(Owner.user("alice")));
        byte[] a = out.toByteArray();

        Atlas pg = open(postgres, "pg");
        ImportReport intoPg = pg.tenant("acme").portability().importFrom(new ByteArrayInputStream(a));
        byte[] b = export(pg);
        Atlas second = open(sqlite2, "s2");
        ImportReport intoSqlite = second.tenant("acme").portability().importFrom(new ByteArrayInputStream(b));
        byte[] c = export(second);

        assertThat(intoPg.totalImported()).isEqualTo(new String(a, StandardCharsets.UTF_8).lines().count() - 2); // but header and end record
        assertThat(intoPg.imported()).containsEntry("assistant", 2L).containsEntry("voice_call", 2L);
        assertThat(intoSqlite.imported()).isEqualTo(intoPg.imported());
        assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(new String(a, StandardCharsets.UTF_8));
        assertThat(new String(c, StandardCharsets.UTF_8)).isEqualTo(new String(a, StandardCharsets.UTF_8));
        Map<String, Map<String, String>> pgTypes = columnTypes(postgres.dataSource());
        for (PortableSchema.Table t : PortableSchema.TABLES) {
            String table = "atlas_" + t.table();
            assertThat(rows(sqlite2.dataSource(), table, pgTypes.get(table))).as(table)
                    .containsExactlyElementsOf(rows(postgres.dataSource(), table, pgTypes.get(table)));
        }
        String file = new String(a, StandardCharsets.UTF_8);
        globex.values().forEach(id -> assertThat(file).as("globex's " + id).doesNotContain(id.toString()));
    }

    @Test
    @DisplayName("hostile text (astral, ZWJ, RTL overrides, U+2028/2029, lone-looking escapes), metadata with huge integers, tiny and"
            + " large fractions and deep nesting, times at microsecond precision and at year 1 and 9999, and asset bytes read back"
            + " through the API equal after SQLite -> PostgreSQL -> SQLite; a second import of the file changes nothing")
    void hostileValuesReadBackEqualAcrossDialects() throws Exception {
        Atlas first = open(sqlite1, "s1");
        dev.atlas.Tenant src = first.tenant("acme");
        String odd = "\uD834\uDD1E 👩‍👩‍👧 e\u0301 \u202Eevil\u202C \u200F\u061C \u2028\u2029 \\u0000 \uFFFD\uFEFF \u0085 ﷽";
        Object deep = Map.of("leaf", new java.math.BigInteger("12345678901234567890"));
        for (int i = 0; i < dev.atlas.Limits.MAX_JSON_DEPTH - 2; i++) {
            deep = Map.of("d", deep);
        }
        Map<String, Object> meta = new java.util.LinkedHashMap<>();
        meta.put("z", odd);
        meta.put("big", new java.math.BigInteger("-123456789012345678901234567890"));
        meta.put("max", Double.MAX_VALUE);
        meta.put("tiny", Double.MIN_VALUE);
        meta.put("fraction", 0.1);
        meta.put("whole", 1.0);
        meta.put("a", deep);
        List<java.util.UUID> conversations = new ArrayList<>();
        for (Instant at : List.of(Instant.parse("0001-01-01T00:00:00Z"), Instant.parse("9999-12-31T23:59:59.999999Z"),
                Instant.parse("1969-12-31T23:59:59.999999Z"), Instant.parse("2026-03-01T10:15:30.000001Z"))) {
            clock.set(at);
            dev.atlas.conversation.Conversation c = src.conversations().create(dev.atlas.conversation.NewConversation.of(Owner.user(odd))
                    .title(odd).metadata(meta));
            src.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user(odd).metadata(meta));
            conversations.add(c.id());
        }
        byte[] bytes = new byte[256];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        dev.atlas.asset.Asset asset = src.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT,
                odd.replace("\\", "") + ".bin", // a file's own name: no \ (NewAsset refuses paths)
                "application/octet-stream"), new ByteArrayInputStream(bytes));
        byte[] a = export(first);

        Atlas pg = open(postgres, "pg");
        pg.tenant("acme").portability().importFrom(new ByteArrayInputStream(a));
        byte[] b = export(pg);
        Atlas second = open(sqlite2, "s2");
        second.tenant("acme").portability().importFrom(new ByteArrayInputStream(b));
        ImportReport again = second.tenant("acme").portability().importFrom(new ByteArrayInputStream(b));

        assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(new String(a, StandardCharsets.UTF_8));
        assertThat(new String(export(second), StandardCharsets.UTF_8)).isEqualTo(new String(a, StandardCharsets.UTF_8));
        assertThat(again.imported()).isEmpty();
        assertThat(again.unchanged().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(new String(a, StandardCharsets.UTF_8).lines().count() - 2); // but header and end record
        for (Atlas copy : List.of(pg, second)) {
            dev.atlas.Tenant t = copy.tenant("acme");
            for (java.util.UUID id : conversations) {
                assertThat(t.conversations().require(id)).isEqualTo(src.conversations().require(id));
                assertThat(t.conversations().messages(id, 0, 10)).isEqualTo(src.conversations().messages(id, 0, 10));
                assertThat(t.conversations().require(id).metadata()).isEqualTo(src.conversations().require(id).metadata());
            }
            assertThat(t.assets().get(asset.id())).isEqualTo(src.assets().get(asset.id()));
        }
        // The asset's bytes travel with the blob store, copied alongside the file.
        try (var files = java.nio.file.Files.walk(blobs.resolve("s1"))) {
            for (Path f : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                Path to = blobs.resolve("pg").resolve(blobs.resolve("s1").relativize(f));
                java.nio.file.Files.createDirectories(to.getParent());
                java.nio.file.Files.copy(f, to);
            }
        }
        try (java.io.InputStream in = pg.tenant("acme").assets().open(asset.id())) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
    }

    private static Set<String> tablesWithTenant(DataSource ds) {
        Set<String> out = new TreeSet<>();
        try (Connection c = ds.getConnection(); ResultSet rs = c.getMetaData().getColumns(null, null, "atlas_%", "tenant_id")) {
            while (rs.next()) {
                String t = rs.getString("TABLE_NAME");
                if (!t.contains("search_fts")) {
                    out.add(t);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static Map<String, Map<String, String>> columnTypes(DataSource ds) {
        Map<String, Map<String, String>> out = new HashMap<>();
        try (Connection c = ds.getConnection(); ResultSet rs = c.getMetaData().getColumns(null, null, "atlas_%", null)) {
            while (rs.next()) {
                out.computeIfAbsent(rs.getString("TABLE_NAME"), k -> new HashMap<>()).put(rs.getString("COLUMN_NAME"), rs.getString("TYPE_NAME"));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Every row of {@code table}, each column read by its PostgreSQL type so both dialects compare as values. */
    private static List<String> rows(DataSource ds, String table, Map<String, String> types) {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
            ResultSetMetaData md = rs.getMetaData();
            boolean pg = c.getMetaData().getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
            while (rs.next()) {
                StringBuilder b = new StringBuilder();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    String col = md.getColumnName(i);
                    b.append(col).append('=').append(value(rs, i, types.get(col), pg)).append('|');
                }
                out.add(b.toString());
            }
        } catch (Exception e) {
            throw new IllegalStateException(table + ": " + e, e);
        }
        out.sort(null);
        return out;
    }

    private static String value(ResultSet rs, int i, String pgType, boolean pg) throws Exception {
        if (rs.getObject(i) == null) {
            return "NULL";
        }
        return switch (pgType) {
            case "timestamptz" -> {
                if (pg) {
                    Instant t = rs.getObject(i, OffsetDateTime.class).toInstant();
                    yield String.valueOf(t.getEpochSecond() * 1_000_000 + t.getNano() / 1_000);
                }
                yield String.valueOf(rs.getLong(i));
            }
            case "jsonb" -> SORTED.writeValueAsString(SORTED.readValue(rs.getString(i), Object.class));
            case "bool" -> pg ? (rs.getBoolean(i) ? "1" : "0") : String.valueOf(rs.getInt(i));
            case "bytea" -> HexFormat.of().formatHex(rs.getBytes(i));
            case "numeric" -> new BigDecimal(rs.getString(i)).stripTrailingZeros().toPlainString();
            case "float8" -> String.valueOf(rs.getDouble(i));
            case "int4", "int8", "int2" -> String.valueOf(rs.getLong(i));
            default -> rs.getString(i);
        };
    }
}
