package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.portability.EraseReport;
import dev.atlas.portability.ExportReport;
import dev.atlas.portability.ExportScope;
import dev.atlas.portability.ImportOptions;
import dev.atlas.portability.ImportReport;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

/** Import, export and erase ({@link dev.atlas.portability.Portability}) on every database. */
public abstract class PortabilityContract extends AtlasContract {
    static final Owner ALICE = Owner.user("alice");
    static final Owner BOB = Owner.user("bob");
    static final String PREFIX = "atlas_";

    @TempDir
    Path blobDir;

    protected PortabilityContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).blobStore(new LocalDirectoryBlobStore(blobDir)).credentialKeys(CredentialKeys.of("k1", TestKeys.key("k1")));
    }

    static byte[] export(Tenant t, ExportScope scope) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.portability().exportTo(out, scope);
        return out.toByteArray();
    }

    static ImportReport importBytes(Tenant t, byte[] file) {
        return t.portability().importFrom(new ByteArrayInputStream(file));
    }

    /** Imports {@code file}, exported from tenant {@code from}, into {@code t}: its credentials resealed for {@code t}. */
    static ImportReport importBytes(Tenant t, byte[] file, String from) {
        return t.portability().importFrom(new ByteArrayInputStream(file), ImportOptions.defaults().resealCredentialsFrom(from));
    }

    /** An export without its credential lines, whose seals differ once resealed for another tenant. */
    static String unsealed(byte[] file) {
        return unsealed(text(file));
    }

    static String unsealed(String file) {
        return file.lines().filter(l -> !l.startsWith("{\"type\":\"credential\",")).map(l -> l + "\n").collect(java.util.stream.Collectors.joining());
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Every row of every Atlas table of {@code tenant}, as text, per table (sorted): an exact picture of what it holds. */
    static Map<String, List<String>> rows(DataSource ds, String tenant) {
        Map<String, List<String>> out = new TreeMap<>();
        try (Connection c = ds.getConnection()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = c.getMetaData().getColumns(null, null, PREFIX + "%", "tenant_id")) {
                while (rs.next()) {
                    tables.add(rs.getString("TABLE_NAME"));
                }
            }
            for (String t : tables) {
                if (t.contains("search_fts")) {
                    continue; // SQLite's contentless index: its rows are checked through search_keys
                }
                if (t.contains("vector_sets")) {
                    continue; // SQLite's change counters of the vectors table: they count writes, not content
                }
                List<String> rows = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT * FROM " + t + " WHERE tenant_id = ?")) {
                    ps.setString(1, tenant);
                    try (ResultSet rs = ps.executeQuery()) {
                        int n = rs.getMetaData().getColumnCount();
                        while (rs.next()) {
                            StringBuilder b = new StringBuilder();
                            for (int i = 1; i <= n; i++) {
                                b.append(rs.getMetaData().getColumnName(i)).append('=').append(rs.getString(i)).append('|');
                            }
                            rows.add(b.toString());
                        }
                    }
                }
                rows.sort(null);
                out.put(t, rows);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    long count(String sql, Object... args) {
        try (Connection c = pooledDatabase().getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    List<Path> blobFiles() {
        try (Stream<Path> s = Files.walk(blobDir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Tenant populated() {
        Tenant acme = atlas.tenant("acme");
        PortabilityFixture.populate(acme, BOB, "b", true, clock);
        PortabilityFixture.populate(acme, ALICE, "a", false, clock);
        return acme;
    }

    // ---- export and import ---------------------------------------------------------------------

    @Test
    @DisplayName("a tenant's export imports into an empty tenant (whose ids collide with the first's) and exports back byte-identical"
            + " but for its credentials, resealed for the new tenant")
    void roundTripIntoAnotherTenant() {
        Tenant acme = populated();
        byte[] file = export(acme, ExportScope.tenant());
        assertThat(text(file)).startsWith("{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + schemaVersion() + "}\n").endsWith("}\n");
        ExportReport counts = acme.portability().exportTo(new ByteArrayOutputStream(), ExportScope.tenant());
        assertThat(text(file).lines().count()).isEqualTo(2 + counts.total()); // header and end record
        assertThat(counts.exported()).contains(entry("conversation", 4L), entry("message", 12L), entry("execution", 3L),
                entry("execution_step", 2L), entry("tool_call", 3L), entry("asset", 4L), entry("message_asset", 2L),
                entry("memory", 2L), entry("memory_tag", 4L), entry("memory_revision", 2L), entry("vector", 6L),
                entry("vector_model", 1L), entry("assistant", 2L), entry("assistant_revision", 6L), entry("credential", 2L),
                entry("task", 4L), entry("voice_call", 2L), entry("model_price", 1L), entry("graph_node", 2L), entry("graph_edge", 1L),
                entry("settings", 3L), entry("settings_revision", 7L));
        Map<String, List<String>> acmeBefore = rows(database.dataSource(), "acme");

        Tenant beta = atlas.tenant("beta");
        ImportReport report = importBytes(beta, file, "acme");

        assertThat(report.imported()).isEqualTo(counts.exported());
        assertThat(report.unchanged()).isEmpty();
        assertThat(text(export(beta, ExportScope.tenant())).lines().filter(l -> !l.startsWith("{\"type\":\"credential\",")))
                .containsExactlyElementsOf(text(file).lines().filter(l -> !l.startsWith("{\"type\":\"credential\",")).toList());
        assertThat(beta.credentials().require(BOB, "github").reveal()).isEqualTo("secret of b");
        assertThat(rows(database.dataSource(), "acme")).isEqualTo(acmeBefore);
        // What Atlas derives on write is derived on import too: the imported text is searchable.
        assertThat(beta.search().text(dev.atlas.search.TextQuery.messages("shipped").limit(50))).hasSize(
                acme.search().text(dev.atlas.search.TextQuery.messages("shipped").limit(50)).size());
    }

    @Test
    @DisplayName("an export carries an assistant's definition version and an asset's client key; an export written before either existed"
            + " imports at version 1 and with no key")
    void exportCarriesVersionsAndClientKeys() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.assistant.Assistant bot = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Bot"));
        acme.assistants().update(bot.id(), dev.atlas.assistant.AssistantSpec.of("bot", "Bot 2"), 1);
        dev.atlas.asset.Asset a = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "a.txt", "text/plain")
                .clientKey("k-1"), new byte[] {1});
        String file = text(export(acme, ExportScope.tenant()));
        Tenant beta = atlas.tenant("beta");
        importBytes(beta, file.getBytes(StandardCharsets.UTF_8));
        assertThat(beta.assistants().require(bot.id()).version()).isEqualTo(2);
        assertThat(beta.assets().require(a.id()).clientKey()).isEqualTo("k-1");

        String header = file.lines().findFirst().orElseThrow();
        String older = header + file.substring(header.length()).replace(",\"version\":2", "").replace(",\"client_key\":\"k-1\"", "");
        assertThat(older.substring(header.length())).doesNotContain("\"client_key\":\"k-1\"").doesNotContain(",\"version\":2");
        Tenant gamma = atlas.tenant("gamma");
        importBytes(gamma, older.getBytes(StandardCharsets.UTF_8));
        assertThat(gamma.assistants().require(bot.id()).version()).isEqualTo(1);
        assertThat(gamma.assets().require(a.id()).clientKey()).isNull();
    }


    @Test
    @DisplayName("parallel tool results without an execution (all of them shown, V35) export and import: into an empty tenant, and"
            + " again over itself (every row unchanged), and the history reads the same there")
    void parallelToolResultsRoundTrip() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore store = acme.conversations();
        var c = store.create(NewConversation.of(BOB));
        var q = store.append(c.id(), NewMessage.user("q"));
        var call = store.append(c.id(), NewMessage.assistant("calls three tools").parent(q.id()));
        store.append(c.id(), NewMessage.tool("t1").parent(call.id()));
        byte[] first = export(acme, ExportScope.tenant());
        store.append(c.id(), NewMessage.tool("t2").parent(call.id()));
        store.append(c.id(), NewMessage.tool("t3").parent(call.id()));
        byte[] all = export(acme, ExportScope.tenant());
        List<String> history = store.history(c.id()).stream().map(dev.atlas.conversation.Message::content).toList();
        assertThat(history).containsExactly("q", "calls three tools", "t1", "t2", "t3");

        Tenant beta = atlas.tenant("beta");
        assertThat(importBytes(beta, all, "acme").imported()).contains(entry("message", 5L));
        assertThat(beta.conversations().history(c.id())).extracting(dev.atlas.conversation.Message::content).isEqualTo(history);

        // Imported again, every row is found unchanged (the tenant's stored results hold no key against the file's).
        ImportReport again = importBytes(beta, all, "acme");
        assertThat(again.imported()).isEmpty();
        assertThat(again.unchanged()).contains(entry("message", 5L));
        // A conversation that has grown since an earlier import is refused whole, as for any conversation (its counter
        // differs), not on its tool results.
        Tenant gamma = atlas.tenant("gamma");
        importBytes(gamma, first, "acme");
        assertThatThrownBy(() -> importBytes(gamma, all, "acme")).isInstanceOf(dev.atlas.ConflictException.class)
                .hasMessageContaining("conversation.last_sequence");
    }

    @Test
    @DisplayName("memory tags older versions stored (an import before the text rules: blank, empty, over Limits.MAX_TAG_LENGTH, more"
            + " than Limits.MAX_TAGS on one memory), written here by plain SQL, export and import into another tenant as they are: the"
            + " backup restores, reads back the same tags and exports back line for line (before: the import refused the tags)")
    void tagsOlderVersionsStoredRoundTrip() {
        Tenant acme = atlas.tenant("acme");
        String[] tags = new String[Limits.MAX_TAGS];
        for (int i = 0; i < tags.length; i++) {
            tags[i] = "t" + (100 + i);
        }
        dev.atlas.memory.Memory m = acme.memories().create(dev.atlas.memory.NewMemory.fact(Owner.user("ada"), "Lives in Lyon").tags(tags));
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        // The longest an import takes: 600 characters, here of three bytes each in UTF-8 (1,800 bytes).
        for (String old : List.of(" ", "", "t".repeat(Limits.MAX_TAG_LENGTH + 1), "t999", "\u20ac".repeat(600))) {
            int inserted = db.write(h -> AdHoc.on(db, h, "INSERT INTO <p>memory_tags (tenant_id, memory_id, tag) VALUES ('acme', :m, :tag)")
                    .bind("m", m.id()).bind("tag", old).update());
            assertThat(inserted).isEqualTo(1);
        }
        List<String> stored = acme.memories().require(m.id()).tags();
        assertThat(stored).hasSize(Limits.MAX_TAGS + 5).contains(" ", "", "t".repeat(Limits.MAX_TAG_LENGTH + 1));
        String file = text(export(acme, ExportScope.tenant()));
        Tenant beta = atlas.tenant("beta");
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("memory_tag", (long) Limits.MAX_TAGS + 5);
        assertThat(beta.memories().require(m.id()).tags()).isEqualTo(stored);
        assertThat(text(export(beta, ExportScope.tenant()))).isEqualTo(file);

        // A tag of 601 characters (3,000 here, that do not compress) is refused before any write on both databases: PostgreSQL's
        // indexes of tags cannot store one of about 2,700 bytes, so no version stored one there, and the insert failed mid-import
        // with a StorageException after the memory's batch (on SQLite it imported, and would not restore on PostgreSQL).
        StringBuilder noise = new StringBuilder();
        for (int i = 0; noise.length() < 3_000; i++) {
            noise.append(UUID.nameUUIDFromBytes(new byte[] {(byte) i, (byte) (i >> 8)}).toString().replace("-", ""));
        }
        String longTag = noise.substring(0, 3_000);
        String edited = file.replace("\"" + "t999" + "\"", "\"" + longTag + "\"");
        int tagLine = edited.lines().toList().indexOf(edited.lines().filter(l -> l.contains(longTag)).findFirst().orElseThrow()) + 1;
        Tenant gamma = atlas.tenant("gamma");
        assertThatThrownBy(() -> importBytes(gamma, edited.getBytes(StandardCharsets.UTF_8))).isInstanceOfSatisfying(
                InvalidInputException.class, x -> assertThat(x).hasMessage("line " + tagLine + ": memory_tag.tag: is 3000 characters;"
                        + " at most 600 are allowed"));
        assertThat(gamma.memories().get(m.id())).isEmpty();
    }

    @Test
    @DisplayName("a stored row the file names, deleted by another writer (a purge, an erase) after the import checked it and before"
            + " its write, is a ConflictException on input naming the first line of the batch and saying how to resume, nothing of"
            + " the batch written (before: a StorageException 'database call failed: ... FOREIGN KEY constraint failed')")
    void storedRowDeletedBetweenTheChecksAndTheWriteIsAConflict() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("ada"))).id();
        acme.conversations().append(c, NewMessage.user("hi"));
        String file = text(export(acme, ExportScope.tenant()));
        try (Connection k = database.dataSource().getConnection()) {
            k.createStatement().executeUpdate("DELETE FROM atlas_message_events");
            k.createStatement().executeUpdate("DELETE FROM atlas_messages");
        }
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicBoolean purged = new java.util.concurrent.atomic.AtomicBoolean();
        // Another writer deletes the stored conversation the file's message names once the import's checks are done.
        db.statementListener((name, sql) -> {
            if (name.equals("portability.existing.message_events") && purged.compareAndSet(false, true)) {
                Thread other = new Thread(() -> {
                    try (Connection k = database.dataSource().getConnection()) {
                        k.createStatement().executeUpdate("DELETE FROM atlas_conversations");
                    } catch (java.sql.SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                other.start();
                try {
                    other.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        int messageLine = file.lines().toList().indexOf(file.lines().filter(l -> l.startsWith("{\"type\":\"message\",")).findFirst().orElseThrow()) + 1;
        try {
            assertThatThrownBy(() -> importBytes(acme, file.getBytes(StandardCharsets.UTF_8))).isInstanceOfSatisfying(ConflictException.class,
                    x -> assertThat(x).hasMessage("input: a row from line " + messageLine + " on names a stored row deleted after the import"
                            + " checked it (by another writer: a purge or an erase), and rows before line " + messageLine + " are imported:"
                            + " import the same file again to resume (rows already imported are skipped as unchanged, a deleted row"
                            + " the file holds is imported again, and a row naming a deleted row the file does not hold is refused as"
                            + " naming a row that exists nowhere)"));
        } finally {
            db.statementListener(null);
        }
        assertThat(purged).isTrue();
        assertThat(count("SELECT COUNT(*) FROM atlas_messages")).isZero();
        // The deleted conversation is a row of the file: the same file imported again brings it back with its message.
        ImportReport resumed = importBytes(acme, file.getBytes(StandardCharsets.UTF_8));
        assertThat(resumed.imported()).containsEntry("conversation", 1L).containsEntry("message", 1L);
        assertThat(acme.conversations().messages(c, 0, 10)).extracting(dev.atlas.conversation.Message::content).containsExactly("hi");
    }

    @Test
    @DisplayName("an eraseTenant of the tenant run to its end between the import's checks and its writes: the erase counts what was"
            + " stored, the import is a ConflictException saying how to resume, the tenant exports empty (nothing of the import"
            + " half-written), and the same file imported again restores it, exported back byte-identical")
    void eraseTenantBetweenTheChecksAndTheWritesLeavesAResumableImport() throws Exception {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(NewConversation.of(Owner.user("ada"))).id();
        acme.conversations().append(c, NewMessage.user("hi"));
        String file = text(export(acme, ExportScope.tenant()));
        try (Connection k = database.dataSource().getConnection()) {
            k.createStatement().executeUpdate("DELETE FROM atlas_message_events");
            k.createStatement().executeUpdate("DELETE FROM atlas_messages");
        }
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<Object> erased = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, sql) -> {
            if (name.equals("portability.existing.message_events") && erased.compareAndSet(null, "running")) {
                Thread other = new Thread(() -> {
                    try {
                        erased.set(acme.portability().eraseTenant(false).counts());
                    } catch (RuntimeException e) {
                        erased.set(e);
                    }
                });
                other.start();
                try {
                    other.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        int messageLine = lineOf(file, "{\"type\":\"message\",");
        try {
            assertThatThrownBy(() -> importBytes(acme, file.getBytes(StandardCharsets.UTF_8))).isInstanceOfSatisfying(ConflictException.class,
                    x -> assertThat(x.getMessage()).startsWith("input: a row from line " + messageLine + " on names a stored row deleted"
                            + " after the import checked it (by another writer: a purge or an erase), and rows before line " + messageLine
                            + " are imported: import the same file again to resume"));
        } finally {
            db.statementListener(null);
        }
        assertThat(erased.get()).isEqualTo(Map.of("conversations", 1L));
        assertThat(text(export(acme, ExportScope.tenant())).lines()).hasSize(2); // the header and an end record counting nothing
        ImportReport resumed = importBytes(acme, file.getBytes(StandardCharsets.UTF_8));
        assertThat(resumed.imported()).containsEntry("conversation", 1L).containsEntry("message", 1L);
        assertThat(text(export(acme, ExportScope.tenant()))).isEqualTo(file);
    }

    @Test
    @DisplayName("an imported memory takes a client key an expired memory still held, as a create does; a live holder is a conflict")
    void importedMemoryTakesTheKeyOfAnExpiredOne() {
        Tenant acme = atlas.tenant("acme");
        Owner ada = Owner.user("ada");
        dev.atlas.memory.Memory m = acme.memories().create(dev.atlas.memory.NewMemory.fact(ada, "Lives in Lyon").clientKey("k-1"));
        byte[] file = export(acme, ExportScope.tenant());

        Tenant beta = atlas.tenant("beta");
        dev.atlas.memory.Memory hidden = beta.memories().create(dev.atlas.memory.NewMemory.fact(ada, "Lives in Paris").clientKey("k-1")
                .expiresAt(clock.instant().plusSeconds(5)));
        assertThatThrownBy(() -> importBytes(beta, file)).isInstanceOfSatisfying(ConflictException.class,
                x -> assertThat(x.field()).contains("line 2: memory.client_key"));

        clock.set(clock.instant().plusSeconds(10));   // the holder expired: invisible, its key free for a create
        ImportReport report = importBytes(beta, file);
        assertThat(report.imported()).containsEntry("memory", 1L);
        assertThat(beta.memories().require(m.id()).content()).isEqualTo("Lives in Lyon");
        assertThat(beta.memories().get(hidden.id())).isEmpty();
        // The key is the imported memory's now: a retried create answers with it.
        assertThat(beta.memories().create(dev.atlas.memory.NewMemory.fact(ada, "Lives in Lyon").clientKey("k-1")).id()).isEqualTo(m.id());
        assertThat(importBytes(beta, file).unchanged()).containsEntry("memory", 1L);
    }
    @Test
    @DisplayName("importing the same file again changes nothing and reports every row unchanged")
    void reimportIsNoOp() {
        Tenant acme = populated();
        byte[] file = export(acme, ExportScope.tenant());
        Tenant beta = atlas.tenant("beta");
        ImportReport first = importBytes(beta, file, "acme");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        ImportReport again = importBytes(beta, file, "acme");

        assertThat(again.imported()).isEmpty();
        assertThat(again.unchanged()).isEqualTo(first.imported());
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("conversations a migration file gives an activity_at other than their last message's time page in activity"
            + " order, each exactly once")
    void importedActivityOrderPagesWhole() {
        Tenant src = atlas.tenant("src");
        List<UUID> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            clock.advanceMicros(1_000_000);
            created.add(src.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id());
        }
        String file = withEnd(text(export(src, ExportScope.conversation(created.get(0))))
                + text(export(src, ExportScope.conversation(created.get(1)))).lines().skip(1).map(l -> l + "\n").collect(java.util.stream.Collectors.joining())
                + text(export(src, ExportScope.conversation(created.get(2)))).lines().skip(1).map(l -> l + "\n").collect(java.util.stream.Collectors.joining()));
        // The oldest conversation was active last: activity order is the reverse of creation order.
        for (int i = 0; i < 3; i++) {
            file = file.replaceFirst("(\"id\":\"" + created.get(i) + "\".*?\"activity_at\":\")[^\"]+", "$1" + "2027-01-0" + (3 - i) + "T00:00:00Z");
        }
        Tenant dst = atlas.tenant("dst");
        assertThat(importBytes(dst, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("conversation", 3L);

        List<UUID> paged = new ArrayList<>();
        String cursor = null;
        do {
            dev.atlas.Page<dev.atlas.conversation.Conversation> page = dst.conversations()
                    .list(dev.atlas.conversation.ConversationQuery.all().limit(1).after(cursor));
            page.items().forEach(c -> paged.add(c.id()));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null && paged.size() < 10);
        assertThat(paged).containsExactly(created.get(0), created.get(1), created.get(2));
    }

    /** The field an import names for the first credential of {@code file}: its line's ciphertext. */
    private static String firstCredentialField(String file) {
        List<String> lines = file.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("{\"type\":\"credential\",")) {
                return "line " + (i + 1) + ": credential.ciphertext";
            }
        }
        throw new AssertionError("no credential line");
    }

    @Test
    @DisplayName("credentials exported from another tenant are refused naming line N: credential.ciphertext, nothing written;"
            + " resealed on request they read back with the same secrets, and a second import changes nothing")
    void credentialsOfAnotherTenantAreResealedOnlyOnRequest() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        assertThatThrownBy(() -> importBytes(beta, file.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(firstCredentialField(file)))
                .hasMessageContaining("ImportOptions.resealCredentialsFrom");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);

        ImportOptions fromAcme = ImportOptions.defaults().resealCredentialsFrom("acme");
        ImportReport first = beta.portability().importFrom(new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8)), fromAcme);
        assertThat(first.imported()).containsEntry("credential", 2L);
        assertThat(beta.credentials().require(ALICE, "github").reveal()).isEqualTo("secret of a");
        assertThat(beta.credentials().require(BOB, "github").reveal()).isEqualTo("secret of b");
        // Every other line exports back as it was; the credentials' seals are new (this tenant's, a new nonce).
        String back = text(export(beta, ExportScope.tenant()));
        assertThat(back.lines().filter(l -> !l.contains("\"type\":\"credential\"")).toList())
                .isEqualTo(file.lines().filter(l -> !l.contains("\"type\":\"credential\"")).toList());
        assertThat(back.lines().filter(l -> l.contains("\"type\":\"credential\"")).toList())
                .hasSize(2).doesNotContainAnyElementsOf(file.lines().toList());

        String afterFirst = DatabaseDigest.of(database.dataSource(), PREFIX);
        ImportReport again = beta.portability().importFrom(new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8)), fromAcme);
        assertThat(again.imported()).isEmpty();
        assertThat(again.unchanged()).isEqualTo(first.imported());
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(afterFirst);
    }

    @Test
    @DisplayName("a credential that does not open (changed ciphertext, unknown key id, resealed from the wrong tenant) is refused"
            + " naming its line, nothing written")
    void credentialThatDoesNotOpenIsRefused() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        String field = firstCredentialField(file);
        Tenant beta = atlas.tenant("beta");
        ImportOptions fromAcme = ImportOptions.defaults().resealCredentialsFrom("acme");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String> actual = new TreeMap<>();
        Map<String, String> expected = new TreeMap<>();
        Map<String, String> files = new TreeMap<>();
        files.put("unknown key id", replaceLine(file, "\"type\":\"credential\"", "\"key_id\":\"k1\"", "\"key_id\":\"k9\""));
        files.put("changed ciphertext", replaceLine(file, "\"type\":\"credential\"", "\"ciphertext\":\"", "\"ciphertext\":\"AAAA"));
        files.put("another owner", replaceLine(file, "\"type\":\"credential\"", "\"owner_id\":\"", "\"owner_id\":\"x"));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> beta.portability()
                    .importFrom(new ByteArrayInputStream(f.getValue().getBytes(StandardCharsets.UTF_8)), fromAcme));
            actual.put(f.getKey(), x instanceof InvalidInputException e ? e.field() : String.valueOf(x));
            expected.put(f.getKey(), field);
        }
        Throwable wrongTenant = org.assertj.core.api.Assertions.catchThrowable(() -> beta.portability()
                .importFrom(new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8)), ImportOptions.defaults().resealCredentialsFrom("globex")));
        actual.put("resealed from the wrong tenant", wrongTenant instanceof InvalidInputException e ? e.field() : String.valueOf(wrongTenant));
        expected.put("resealed from the wrong tenant", field);
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("an export taken before a key rotation imports again unchanged: its credentials hold the secrets the re-encrypted rows hold")
    void exportFromBeforeAKeyRotationImportsUnchanged() {
        Tenant acme = populated();
        byte[] file = export(acme, ExportScope.tenant());
        byte[] k2 = TestKeys.key("k2");
        Atlas rotated = reopen(b -> b.blobStore(new LocalDirectoryBlobStore(blobDir))
                .credentialKeys(CredentialKeys.of("k2", k2).with("k1", TestKeys.key("k1"))));
        assertThat(rotated.tenant("acme").credentials().reEncrypt()).isEqualTo(2);
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        ImportReport again = importBytes(rotated.tenant("acme"), file);

        assertThat(again.imported()).isEmpty();
        assertThat(again.unchanged()).containsEntry("credential", 2L);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("without credential keys an import takes credentials as written (it cannot open them), and resealing is a"
            + " ConfigurationException before anything is read")
    void credentialsWithoutKeys() {
        Tenant acme = populated();
        byte[] file = export(acme, ExportScope.tenant());
        Atlas keyless = reopen(b -> b.blobStore(new LocalDirectoryBlobStore(blobDir)));
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        assertThatThrownBy(() -> keyless.tenant("beta").portability().importFrom(new ByteArrayInputStream(file),
                ImportOptions.defaults().resealCredentialsFrom("acme"))).isInstanceOf(dev.atlas.ConfigurationException.class);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);

        assertThat(importBytes(keyless.tenant("acme"), file).unchanged()).containsEntry("credential", 2L);
        assertThat(importBytes(keyless.tenant("beta"), file).imported()).containsEntry("credential", 2L);
        assertThat(text(export(keyless.tenant("beta"), ExportScope.tenant()))).isEqualTo(text(file));
    }

    private static String replaceLine(String file, String contains, String from, String to) {
        List<String> lines = new ArrayList<>(file.lines().toList());
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(contains)) {
                lines.set(i, lines.get(i).replace(from, to));
                return String.join("\n", lines) + "\n";
            }
        }
        throw new AssertionError("no line contains " + contains);
    }

    /**
     * {@code file} (a header and rows, end records dropped) closed with the end record counting its rows, as an export ends: for files
     * a test puts together from parts of exports.
     */
    static String withEnd(String file) {
        Map<String, Long> counts = new java.util.LinkedHashMap<>();
        StringBuilder out = new StringBuilder();
        List<String> lines = file.lines().filter(l -> !l.startsWith("{\"type\":\"end\",")).toList();
        for (int i = 0; i < lines.size(); i++) {
            out.append(lines.get(i)).append('\n');
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"type\":\"([a-z_]+)\"").matcher(lines.get(i));
            if (i > 0 && m.find()) {
                counts.merge(m.group(1), 1L, Long::sum);
            }
        }
        StringBuilder rows = new StringBuilder();
        counts.forEach((type, n) -> rows.append(rows.length() == 0 ? "" : ",").append('"').append(type).append("\":").append(n));
        return out.append("{\"type\":\"end\",\"rows\":{").append(rows).append("}}\n").toString();
    }

    private static int lineOf(String file, String contains) {
        List<String> lines = file.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(contains)) {
                return i + 1;
            }
        }
        throw new AssertionError("no line contains " + contains);
    }

    @Test
    @DisplayName("an archived conversation without archived_at (which retention's purgeArchivedAfter goes by: it was never purged),"
            + " a closed one without closed_at, a message that is not failed but has a failure_reason, and a completed or cancelled task"
            + " without finished_at (which purgeFinishedTasksAfter goes by: it was never purged) are refused naming the line and that"
            + " column, before any write: states no version of the API stored. A finished voice call last written (updated_at) before"
            + " its end, which versions before updated_at took the later of now and its stamp stored (a summary from an instance whose"
            + " clock ran behind), is restored with its last write at its end (purgeDetachedVoiceCallsAfter goes by it)")
    void statusTimesAndReasonsGoWithTheirStatus() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore conversations = acme.conversations();
        UUID archived = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        conversations.archive(archived);
        UUID closed = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        conversations.close(closed);
        UUID open = conversations.create(dev.atlas.conversation.NewConversation.of(BOB)).id();
        UUID failed = conversations.append(open, dev.atlas.conversation.NewMessage.user("failed").failed("boom")).id();
        UUID delivered = conversations.append(open, dev.atlas.conversation.NewMessage.user("delivered")).id();
        // A finished task: purgeFinishedTasksAfter goes by finished_at, which every way of finishing one records.
        UUID done = acme.tasks().create(dev.atlas.task.NewTask.of("done", Map.of())).id();
        acme.tasks().complete(acme.tasks().claim(java.time.Duration.ofMinutes(1), java.util.Set.of("done")).orElseThrow(), Map.of());
        UUID cancelled = acme.tasks().create(dev.atlas.task.NewTask.of("dropped", Map.of())).id();
        acme.tasks().cancel(cancelled);
        // A finished call: purgeDetachedVoiceCallsAfter goes by its last write, updated_at, never before its end.
        UUID call = acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("s-1", "openai", "gpt-realtime")).id();
        acme.voiceCalls().complete(call, List.of());
        String file = text(export(acme, ExportScope.tenant()));
        String stamp = "\"2026-03-01T10:15:30.123456Z\"";
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("line " + lineOf(file, archived.toString()) + ": conversation.archived_at",
                replaceLine(file, archived.toString(), ",\"archived_at\":" + stamp, ""));
        cases.put("line " + lineOf(file, closed.toString()) + ": conversation.closed_at",
                replaceLine(file, closed.toString(), ",\"closed_at\":" + stamp, ""));
        // An enum value in any case is read as its stored form, so the rule sees it too.
        cases.put("line " + lineOf(file, archived.toString()) + ": conversation.archived_at (upper case)",
                replaceLine(replaceLine(file, archived.toString(), ",\"archived_at\":" + stamp, ""), archived.toString(),
                        "\"status\":\"archived\"", "\"status\":\"ARCHIVED\""));
        cases.put("line " + lineOf(file, "\"id\":\"" + failed) + ": message.failure_reason",
                replaceLine(file, "\"id\":\"" + failed, "\"status\":\"failed\"", "\"status\":\"delivered\""));
        cases.put("line " + lineOf(file, "\"id\":\"" + delivered) + ": message.failure_reason",
                replaceLine(file, "\"id\":\"" + delivered, "\"status\":\"delivered\"", "\"status\":\"queued\",\"failure_reason\":\"x\""));
        for (UUID task : List.of(done, cancelled)) {
            cases.put("line " + lineOf(file, "\"id\":\"" + task) + ": task.finished_at",
                    replaceLine(file, "\"id\":\"" + task, ",\"finished_at\":" + stamp, ""));
        }
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertThat(c.getValue()).as(c.getKey()).isNotEqualTo(file);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, c.getValue().getBytes(StandardCharsets.UTF_8))))
                    .as(c.getKey())
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo(c.getKey().replace(" (upper case)", ""));
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        String skewed = replaceLine(file, "\"id\":\"" + call, "\"updated_at\":" + stamp, "\"updated_at\":\"2026-03-01T10:15:30.123455Z\"");
        assertThat(skewed).isNotEqualTo(file).contains("\"completed_at\":" + stamp);
        assertThat(importBytes(beta, skewed.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("conversation", 3L)
                .containsEntry("voice_call", 1L);
        dev.atlas.voice.VoiceCall restored = beta.voiceCalls().get(call).orElseThrow();
        assertThat(restored.updatedAt()).isEqualTo(java.time.Instant.parse("2026-03-01T10:15:30.123456Z")).isEqualTo(restored.completedAt());
    }

    @Test
    @DisplayName("failures recorded without a text (every fail(error) takes null: a task's, an execution's, a step's and a tool"
            + " call's) export without an error column, import into another tenant where each reads its status with error() null,"
            + " and export back byte-identical")
    void failuresWithoutATextRoundTrip() {
        Tenant acme = atlas.tenant("acme");
        UUID task = acme.tasks().create(dev.atlas.task.NewTask.of("job", Map.of()).maxAttempts(1)).id();
        acme.tasks().fail(acme.tasks().claim(java.time.Duration.ofMinutes(1), Set.of("job")).orElseThrow(), null);
        dev.atlas.execution.ExecutionHandle e = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .owner(ALICE));
        dev.atlas.execution.StepHandle step = e.step();
        step.toolCall("c1", "lookup", "{}").fail(null);
        step.fail(null);
        e.fail(null);
        String file = text(export(acme, ExportScope.tenant()));
        assertThat(file).doesNotContain("\"error\":").contains("\"status\":\"failed\"");
        Tenant beta = atlas.tenant("beta");
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("task", 1L)
                .containsEntry("execution", 1L).containsEntry("execution_step", 1L).containsEntry("tool_call", 1L);
        assertThat(beta.tasks().require(task)).returns(dev.atlas.task.TaskStatus.FAILED, dev.atlas.task.Task::status)
                .returns(null, dev.atlas.task.Task::error);
        dev.atlas.execution.ExecutionTree tree = beta.executions().tree(e.id()).orElseThrow();
        assertThat(tree.execution()).returns(dev.atlas.execution.ExecutionStatus.FAILED, dev.atlas.execution.Execution::status)
                .returns(null, dev.atlas.execution.Execution::error);
        assertThat(tree.steps()).singleElement().returns(dev.atlas.execution.ExecutionStatus.FAILED, dev.atlas.execution.ExecutionStep::status)
                .returns(null, dev.atlas.execution.ExecutionStep::error);
        assertThat(tree.toolCalls()).singleElement().returns(dev.atlas.execution.ExecutionStatus.FAILED, dev.atlas.execution.ToolCall::status)
                .returns(null, dev.atlas.execution.ToolCall::error);
        assertThat(text(export(beta, ExportScope.tenant()))).isEqualTo(file);
    }

    @Test
    @DisplayName("a message or tool call naming a step, or an asset naming a tool call, without its execution or of another execution"
            + " (in the file or stored), is refused naming the line and column before any write: imported, retention's purge of the step's execution and an"
            + " erase of its conversation failed on the step's foreign key on every run")
    void aStepGoesWithItsExecution() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore conversations = acme.conversations();
        UUID a = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID b = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(a));
        dev.atlas.execution.StepHandle step = x.step();
        dev.atlas.execution.StepHandle.ToolCallHandle lookup = step.toolCall("call-1", "lookup", "{}");
        lookup.complete("found");
        UUID call = lookup.id();
        step.finish("done", dev.atlas.execution.FinishReason.STOP);
        x.complete();
        dev.atlas.execution.ExecutionHandle y = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(b));
        y.complete();
        UUID u = conversations.append(b, dev.atlas.conversation.NewMessage.user("hi")).id();
        UUID r = conversations.append(b, dev.atlas.conversation.NewMessage.assistant("r").parent(u).execution(x.id(), step.id())).id();
        UUID asset = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "a.txt", "text/plain")
                .execution(x.id(), call), new java.io.ByteArrayInputStream("found".getBytes(StandardCharsets.UTF_8))).id();
        String file = text(export(acme, ExportScope.tenant()));
        String message = "\"id\":\"" + r;
        String toolCall = "\"type\":\"tool_call\"";
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("line " + lineOf(file, message) + ": message.step_id (no execution)",
                replaceLine(file, message, "\"execution_id\":\"" + x.id() + "\",", ""));
        cases.put("line " + lineOf(file, message) + ": message.step_id (another execution's)",
                replaceLine(file, message, "\"execution_id\":\"" + x.id() + "\"", "\"execution_id\":\"" + y.id() + "\""));
        cases.put("line " + lineOf(file, toolCall) + ": tool_call.step_id (another execution's)",
                replaceLine(file, toolCall, "\"execution_id\":\"" + x.id() + "\"", "\"execution_id\":\"" + y.id() + "\""));
        String assetLine = "\"id\":\"" + asset;
        cases.put("line " + lineOf(file, assetLine) + ": asset.tool_call_id (another execution's)",
                replaceLine(file, assetLine, "\"execution_id\":\"" + x.id() + "\"", "\"execution_id\":\"" + y.id() + "\""));
        cases.put("line " + lineOf(file, assetLine) + ": asset.tool_call_id (no execution)",
                replaceLine(file, assetLine, "\"execution_id\":\"" + x.id() + "\",", ""));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertThat(c.getValue()).as(c.getKey()).isNotEqualTo(file);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, c.getValue().getBytes(StandardCharsets.UTF_8))))
                    .as(c.getKey())
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo(c.getKey().replaceAll(" \\(.*\\)$", ""));
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        // The step stored (imported before without the message and its events), the message in a file of its own: checked
        // against the stored step.
        List<String> lines = file.lines().toList();
        String withoutMessage = withEnd(lines.stream().filter(l -> !l.contains(r.toString())).reduce("", (p, l) -> p + l + "\n"));
        assertThat(importBytes(beta, withoutMessage.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("execution_step", 1L);
        String messageAlone = withEnd(lines.get(0) + "\n" + lines.get(lineOf(file, message) - 1)
                .replace("\"execution_id\":\"" + x.id() + "\"", "\"execution_id\":\"" + y.id() + "\"") + "\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, messageAlone.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line 2: message.step_id");
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("message", 1L);
    }

    @Test
    @DisplayName("a tool thread whose parent_tool_call_id is a call of another conversation's execution than its"
            + " parent_conversation_id (in the file or stored) is refused naming the line and conversation.parent_tool_call_id before"
            + " any write, as create refuses it")
    void aToolThreadsCallIsOfItsParentConversation() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore conversations = acme.conversations();
        UUID a = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID b = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(a));
        dev.atlas.execution.StepHandle.ToolCallHandle call = x.step().toolCall("call-1", "delegate", "{}");
        UUID thread = call.thread(ALICE, "helper").id();
        call.complete("done");
        x.complete();
        String file = text(export(acme, ExportScope.tenant()));
        String threadLine = "\"id\":\"" + thread;
        String moved = replaceLine(file, threadLine, "\"parent_conversation_id\":\"" + a + "\"", "\"parent_conversation_id\":\"" + b + "\"");
        assertThat(moved).isNotEqualTo(file);
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, moved.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("line " + lineOf(file, threadLine) + ": conversation.parent_tool_call_id: refers to tool call "
                        + call.id() + ", which is a call of conversation " + a + ", not of " + b);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        // The call stored (imported before without the thread), the thread in a file of its own: checked against the stored call.
        List<String> lines = file.lines().toList();
        String withoutThread = withEnd(lines.stream().filter(l -> !l.contains(threadLine)).reduce("", (p, l) -> p + l + "\n"));
        assertThat(importBytes(beta, withoutThread.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("tool_call", 1L);
        String threadAlone = withEnd(lines.get(0) + "\n" + moved.lines().toList().get(lineOf(file, threadLine) - 1) + "\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, threadAlone.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line 2: conversation.parent_tool_call_id");
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("conversation", 1L);
    }

    @Test
    @DisplayName("a tool thread with a parent_tool_call_id but no parent_conversation_id is refused naming the line and"
            + " conversation.parent_conversation_id before any write, as create refuses it (no Atlas ever wrote such a row, and an"
            + " export clears both links together)")
    void aToolThreadsCallNeedsItsParentConversation() {
        Tenant acme = atlas.tenant("acme");
        UUID a = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(a));
        dev.atlas.execution.StepHandle.ToolCallHandle call = x.step().toolCall("call-1", "delegate", "{}");
        UUID thread = call.thread(ALICE, "helper").id();
        call.complete("done");
        x.complete();
        String file = text(export(acme, ExportScope.tenant()));
        String threadLine = "\"id\":\"" + thread;
        String orphan = replaceLine(file, threadLine, "\"parent_conversation_id\":\"" + a + "\",", "");
        assertThat(orphan).isNotEqualTo(file).contains("\"parent_tool_call_id\":\"" + call.id() + "\"");
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, orphan.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("line " + lineOf(file, threadLine) + ": conversation.parent_conversation_id: is required when"
                        + " parent_tool_call_id is given: a tool thread's call is a call of its parent conversation");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("conversation", 2L);
        assertThat(beta.conversations().require(thread).parentConversationId()).isEqualTo(a);
    }

    @Test
    @DisplayName("an active message answering an inactive one (in the file or stored) is refused naming the line and"
            + " message.is_active before any write: imported, history showed it after a turn it does not answer")
    void anActiveAnswerNeedsAnActiveParent() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore cs = acme.conversations();
        UUID c = cs.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID u = cs.append(c, dev.atlas.conversation.NewMessage.user("q")).id();
        UUID r1 = cs.append(c, dev.atlas.conversation.NewMessage.assistant("r1").parent(u)).id();
        cs.append(c, dev.atlas.conversation.NewMessage.assistant("r2").parent(u));
        UUID q2 = cs.append(c, dev.atlas.conversation.NewMessage.user("q2").parent(r1)).id();
        assertThat(cs.requireMessage(q2).active()).isFalse();
        String file = text(export(acme, ExportScope.tenant()));
        String q2Line = "\"id\":\"" + q2;
        String orphan = replaceLine(file, q2Line, "\"is_active\":false", "\"is_active\":true");
        assertThat(orphan).isNotEqualTo(file);
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, orphan.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("line " + lineOf(file, q2Line) + ": message.is_active: is true, but the message it answers (" + r1
                        + ") is inactive: an answer is active only while the message it answers is");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        // The parent stored (imported before without q2), q2 in a file of its own: checked against the stored parent.
        List<String> lines = file.lines().toList();
        String withoutQ2 = withEnd(lines.stream().filter(l -> !l.contains(q2.toString())).reduce("", (p, l) -> p + l + "\n"));
        importBytes(beta, withoutQ2.getBytes(StandardCharsets.UTF_8));
        String q2Alone = withEnd(lines.get(0) + "\n" + orphan.lines().toList().get(lineOf(file, q2Line) - 1) + "\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, q2Alone.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line 2: message.is_active");
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("message", 1L);
        assertThat(beta.conversations().history(c)).extracting(dev.atlas.conversation.Message::content).containsExactly("q", "r2");
    }

    @Test
    @DisplayName("a message event naming another conversation than its message's (in the file or stored) is refused naming the line and"
            + " message_event.conversation_id before any write: imported, erasing the message's conversation left the event (erase goes by"
            + " conversation) and failed on its foreign key")
    void anEventGoesWithItsMessagesConversation() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore conversations = acme.conversations();
        UUID a = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID b = conversations.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        conversations.append(a, dev.atlas.conversation.NewMessage.user("in a"));
        UUID m = conversations.append(b, dev.atlas.conversation.NewMessage.user("in b")).id();
        String file = text(export(acme, ExportScope.tenant()));
        String event = "\"message_id\":\"" + m + "\"";
        String moved = replaceLine(file, event, "\"conversation_id\":\"" + b + "\"", "\"conversation_id\":\"" + a + "\"");
        assertThat(moved).isNotEqualTo(file);
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, moved.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + lineOf(file, event) + ": message_event.conversation_id");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        // The message stored (imported before without its event), the event in a file of its own: checked against the stored message.
        List<String> lines = file.lines().toList();
        assertThat(importBytes(beta, withEnd(lines.stream().filter(l -> !l.contains(event)).reduce("", (p, l) -> p + l + "\n"))
                .getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("message", 2L);
        String eventAlone = withEnd(lines.get(0) + "\n" + moved.lines().toList().get(lineOf(file, event) - 1) + "\n");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, eventAlone.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line 2: message_event.conversation_id");
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("message_event", 1L);
        beta.portability().eraseConversation(b, false);
        assertThat(beta.conversations().get(b)).isEmpty();
    }

    @Test
    @DisplayName("a stored id with other values is a ConflictException naming the line, type and column, before any row is written")
    void conflictBeforeAnyWrite() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        Tenant beta = atlas.tenant("beta");
        importBytes(beta, file.getBytes(StandardCharsets.UTF_8), "acme");
        // A new conversation first, then a known message with other content.
        String fresh = "{\"type\":\"conversation\",\"row\":{\"id\":\"" + UUID.randomUUID() + "\",\"owner_type\":\"user\",\"owner_id\":\"carol\","
                + "\"type\":\"user\"}}";
        String changed = replaceLine(file, "\"content\":\"Your order shipped.\"", "Your order shipped.", "It sank.");
        String input = changed.replaceFirst("\n", "\n" + fresh.replace(",\"type\":\"user\"}}", ",\"type\":\"user\",\"status\":\"open\",\"metadata\":{},"
                + "\"last_sequence\":0,\"activity_at\":\"2026-01-01T00:00:00Z\",\"created_at\":\"2026-01-01T00:00:00Z\","
                + "\"updated_at\":\"2026-01-01T00:00:00Z\"}}") + "\n");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        int line = lineOf(input, "It sank.");

        assertThatThrownBy(() -> importBytes(beta, input.getBytes(StandardCharsets.UTF_8), "acme"))
                .isExactlyInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("line " + line + ": message.content");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("invalid records fail with InvalidInputException naming line, type and field, and nothing is written")
    void invalidRecordsNamed() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        int msg = lineOf(file, "\"content\":\"Your order shipped.\"");
        Map<String, String> cases = new TreeMap<>();
        cases.put("line " + msg + ": message.colour", replaceLine(file, "Your order shipped.", "\"role\":", "\"colour\":1,\"role\":"));
        cases.put("line " + msg + ": message.role", replaceLine(file, "Your order shipped.", "\"role\":\"assistant\"", "\"role\":\"robot\""));
        cases.put("line " + msg + ": message.sequence", replaceLine(file, "Your order shipped.", "\"sequence\":", "\"sequence\":\"x\",\"_s\":"));
        cases.put("line " + msg + ": message.created_at", replaceLine(file, "Your order shipped.", "\"created_at\":\"", "\"created_at\":\"yesterday\",\"_c\":\""));
        cases.put("line " + msg + ": message.conversation_id", replaceLine(file, "Your order shipped.", "\"conversation_id\":\"",
                "\"conversation_id\":\"" + UUID.randomUUID() + "\",\"_x\":\""));
        cases.put("line " + msg + ": type", replaceLine(file, "Your order shipped.", "\"type\":\"message\"", "\"type\":\"letter\""));
        cases.put("line 1: version", file.replaceFirst("\"version\":2", "\"version\":3"));
        for (Map.Entry<String, String> c : cases.entrySet()) {
            String input = c.getValue().replace(",\"_s\":", ",\"sequence_\":").replace(",\"_c\":", ",\"created_\":")
                    .replace(",\"_x\":", ",\"conv_\":");
            // The helper fields above would be unknown columns themselves: drop them so the named field is the only fault.
            input = input.replaceAll(",\"(sequence_|created_|conv_)\":(\"[^\"]*\"|[0-9]+)", "");
            String in = input;
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, in.getBytes(StandardCharsets.UTF_8), "acme")))
                    .as(c.getKey())
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo(c.getKey());
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("a link to a row neither the file nor the tenant holds (message execution/step, conversation and execution assistant"
            + " links) is an InvalidInputException naming line, type and column, and nothing is written")
    void danglingLinksRefusedBeforeAnyWrite() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        for (String[] link : new String[][] {{"message", "execution_id"}, {"message", "step_id"}, {"conversation", "assistant_id"},
                {"conversation", "assistant_revision_id"}, {"execution", "assistant_revision_id"}}) {
            String type = "\"type\":\"" + link[0] + "\"";
            int line = lineOf(file, type);
            String in = relink(file, line, link[1], UUID.randomUUID());
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, in.getBytes(StandardCharsets.UTF_8), "acme")))
                    .as(link[0] + "." + link[1])
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + line + ": " + link[0] + "." + link[1]);
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("a file naming a row that another tenant of the database holds, in a column each stored-row check reads (a message's"
            + " parent, a step, an event's message, a vector's target, a revision's memory, a current revision), is refused exactly as"
            + " one naming an id that exists nowhere: the same exception, field and message but for the id, nothing"
            + " written (the database's digest unchanged)")
    void idsOfAnotherTenantInAFileAreUnknownIds() {
        Tenant acme = populated();
        // Alice's file imported into beta: Bob's rows, stored in acme alone, are another tenant's rows to beta.
        String file = text(export(acme, ExportScope.owner(ALICE)));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        // One column per way the import looks a stored row up besides the reference check (danglingLinksRefusedBeforeAnyWrite):
        // a message's parent, a step's execution, an event's message, a vector's target, a counter, a current revision.
        for (String column : List.of("message.parent_id", "message.step_id", "message_event.message_id", "vector.target_id",
                "memory_revision.memory_id", "assistant.current_revision_id")) {
            String type = column.substring(0, column.indexOf('.'));
            String name = column.substring(type.length() + 1);
            String target = name.equals("target_id") ? "messages"
                    : dev.atlas.jdbi.internal.portability.PortableSchema.byType(type).column(name).ref();
            int line = name.equals("target_id") ? lineOf(file, "\"target_type\":\"message\"")
                    : name.equals("rolled_back_to") ? lineOf(file, "\"kind\":\"rollback\"") : lineOf(file, "{\"type\":\"" + type + "\",");
            UUID foreign = acmeIdOutside(target, file);
            UUID unknown = UUID.randomUUID();
            Throwable ofAcme = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta,
                    relink(file, line, name, foreign).getBytes(StandardCharsets.UTF_8), "acme"));
            Throwable nowhere = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta,
                    relink(file, line, name, unknown).getBytes(StandardCharsets.UTF_8), "acme"));
            assertThat(nowhere).as(column).isInstanceOf(InvalidInputException.class);
            assertThat(ofAcme).as(column).isExactlyInstanceOf(InvalidInputException.class);
            assertThat(ofAcme.getMessage().replace(foreign.toString(), "<id>")).as(column)
                    .isEqualTo(nowhere.getMessage().replace(unknown.toString(), "<id>"));
            assertThat(((InvalidInputException) ofAcme).field()).as(column).isEqualTo(((InvalidInputException) nowhere).field());
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    /** The id of a row of acme's {@code table} that {@code file} does not name. */
    private UUID acmeIdOutside(String table, String file) {
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT id FROM " + PREFIX + table + " WHERE tenant_id = 'acme' ORDER BY id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                if (!file.contains(rs.getString(1))) {
                    return UUID.fromString(rs.getString(1));
                }
            }
            throw new AssertionError("the file names every row of " + table);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code file} with column {@code column} of line {@code line} (1-based) set to {@code id}, whatever it held or if absent. */
    private static String relink(String file, int line, String column, UUID id) {
        List<String> lines = new ArrayList<>(file.lines().toList());
        String before = lines.get(line - 1);
        String after = before.replaceFirst("\"" + column + "\":(null|\"[^\"]*\")", "\"" + column + "\":\"" + id + "\"");
        if (after.equals(before)) { // an export leaves null columns out
            after = before.replaceFirst("\"row\":\\{", "\"row\":{\"" + column + "\":\"" + id + "\",");
        }
        lines.set(line - 1, after);
        return String.join("\n", lines) + "\n";
    }

    @Test
    @DisplayName("an owner's export holds exactly the owner's rows; a conversation's export its tree and what hangs off it")
    void scopes() {
        Tenant acme = populated();
        byte[] alice = export(acme, ExportScope.owner(ALICE));
        long events = count("SELECT COUNT(*) FROM atlas_message_events e JOIN atlas_conversations c ON c.tenant_id = e.tenant_id"
                + " AND c.id = e.conversation_id WHERE e.tenant_id = 'acme' AND c.owner_id = 'alice'");
        Tenant gamma = atlas.tenant("gamma");
        ImportReport imported = importBytes(gamma, alice, "acme");
        assertThat(imported.imported()).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(entry("conversation", 2L), entry("message", 6L),
                entry("message_event", events), entry("execution", 1L), entry("execution_step", 1L), entry("tool_call", 1L),
                entry("asset", 2L), entry("message_asset", 1L), entry("memory", 1L), entry("memory_tag", 2L), entry("memory_revision", 1L),
                entry("vector", 3L), entry("vector_model", 1L), entry("assistant", 1L), entry("assistant_revision", 3L),
                entry("credential", 1L), entry("task", 2L), entry("voice_call", 1L), entry("task_schedule", 1L), entry("settings", 1L), entry("settings_revision", 3L)));
        assertThat(unsealed(export(gamma, ExportScope.tenant()))).isEqualTo(unsealed(alice));

        UUID conversation = acme.conversations().list(dev.atlas.conversation.ConversationQuery.forOwner(ALICE).limit(10)).items().stream()
                .filter(c -> c.parentConversationId() == null).findFirst().orElseThrow().id();
        ExportReport one = acme.portability().exportTo(new ByteArrayOutputStream(), ExportScope.conversation(conversation));
        assertThat(one.exported()).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(entry("conversation", 2L), entry("message", 6L),
                entry("message_event", events), entry("execution", 1L), entry("execution_step", 1L), entry("tool_call", 1L),
                entry("asset", 2L), entry("message_asset", 1L), entry("vector", 2L), entry("vector_model", 1L), entry("task", 1L),
                entry("voice_call", 1L)));
        UUID foreign = conversation;
        assertThatThrownBy(() -> atlas.tenant("beta").portability().exportTo(new ByteArrayOutputStream(), ExportScope.conversation(foreign)))
                .isExactlyInstanceOf(NotFoundException.class);
    }

    // ---- an owner's export refers only to what it holds -----------------------------------------

    /**
     * Alice's export from acme imports on its own into the empty tenant gamma, which exports it back
     * byte-identical (every exported row came back equal) and takes it again as a no-op; imported
     * back into acme it changes nothing either. acme and globex (same shape) stay as they were.
     */
    Tenant aliceAlone(Tenant acme, Map<String, List<String>> globexBefore) {
        Map<String, List<String>> acmeBefore = rows(database.dataSource(), "acme");
        byte[] file = export(acme, ExportScope.owner(ALICE));
        Tenant gamma = atlas.tenant("gamma");

        ImportReport first = importBytes(gamma, file);

        assertThat(first.unchanged()).isEmpty();
        assertThat(first.totalImported()).isEqualTo(text(file).lines().count() - 2); // but header and end record
        assertThat(text(export(gamma, ExportScope.tenant()))).isEqualTo(text(file));
        assertThat(importBytes(gamma, file).imported()).isEmpty();
        ImportReport home = importBytes(acme, file);
        assertThat(home.imported()).isEmpty();
        assertThat(home.unchanged()).isEqualTo(first.imported());
        sameRows(rows(database.dataSource(), "acme"), acmeBefore);
        sameRows(rows(database.dataSource(), "globex"), globexBefore);
        return gamma;
    }

    @Test
    @DisplayName("an owner's export carries the assistants (of other owners or none) its conversations and executions run with, each with all its revisions; it imports alone, and where those assistants already are they are unchanged")
    void ownerExportCarriesReferencedAssistants() {
        Tenant acme = atlas.tenant("acme");
        Map<String, UUID> ids = PortabilityFixture.assistantsOfOthers(acme, PortabilityFixture.twoOwners(acme));
        Tenant globex = atlas.tenant("globex");
        PortabilityFixture.assistantsOfOthers(globex, PortabilityFixture.twoOwners(globex));
        Map<String, List<String>> globexRows = rows(database.dataSource(), "globex");

        Tenant gamma = aliceAlone(acme, globexRows);

        assertThat(acme.portability().exportTo(new ByteArrayOutputStream(), ExportScope.owner(ALICE)).exported())
                .containsEntry("assistant", 2L).containsEntry("assistant_revision", 3L);
        for (String bot : List.of("bobBot", "shared")) {
            assertThat(gamma.assistants().revisions(ids.get(bot))).as(bot).hasSize(acme.assistants().revisions(ids.get(bot)).size());
            assertThat(gamma.assistants().currentRevision(ids.get(bot)).orElseThrow().id()).as(bot)
                    .isEqualTo(acme.assistants().currentRevision(ids.get(bot)).orElseThrow().id());
        }
        assertThat(gamma.conversations().get(ids.get("aliceBotConversation")).orElseThrow().assistantId()).isEqualTo(ids.get("bobBot"));
        assertThat(gamma.assistants().get(ids.get("bobBot")).orElseThrow().owner()).isEqualTo(BOB);

        // A tenant that already holds Bob's assistant (from Bob's own export) keeps it as it is.
        Tenant delta = atlas.tenant("delta");
        importBytes(delta, export(acme, ExportScope.owner(BOB)));
        byte[] bobInDelta = export(delta, ExportScope.owner(BOB));
        ImportReport report = importBytes(delta, export(acme, ExportScope.owner(ALICE)));
        assertThat(report.unchanged()).containsExactlyInAnyOrderEntriesOf(Map.of("assistant", 1L, "assistant_revision", 2L));
        assertThat(report.imported()).containsEntry("assistant", 1L).containsEntry("assistant_revision", 1L);
        assertThat(text(export(delta, ExportScope.owner(BOB)))).isEqualTo(text(bobInDelta));
        sameRows(rows(database.dataSource(), "globex"), globexRows);
    }

    @Test
    @DisplayName("an owner's export clears a message's link to another owner's execution and step; the message imports alone")
    void ownerExportClearsMessageLinksElsewhere() {
        Map<String, UUID> ids = null;
        for (String tenant : List.of("globex", "acme")) {
            Tenant t = atlas.tenant(tenant);
            ids = PortabilityFixture.twoOwners(t);
            ids.put("linked", t.conversations().append(ids.get("aliceConversation"), dev.atlas.conversation.NewMessage.assistant("bob's call says")
                    .execution(ids.get("bobExecution"), ids.get("bobStep"))).id());
        }
        Tenant acme = atlas.tenant("acme");

        Tenant gamma = aliceAlone(acme, rows(database.dataSource(), "globex"));

        var imported = gamma.conversations().getMessage(ids.get("linked")).orElseThrow();
        assertThat(imported.executionId()).isNull();
        assertThat(imported.stepId()).isNull();
        assertThat(imported.content()).isEqualTo("bob's call says");
        assertThat(acme.conversations().getMessage(ids.get("linked")).orElseThrow().executionId()).isEqualTo(ids.get("bobExecution"));
    }

    @Test
    @DisplayName("an owner's export clears the parent of their tool thread below another owner's conversation; the thread imports alone")
    void ownerExportClearsToolThreadParentElsewhere() {
        Map<String, UUID> ids = null;
        for (String tenant : List.of("globex", "acme")) {
            Tenant t = atlas.tenant(tenant);
            ids = PortabilityFixture.twoOwners(t);
            var thread = t.conversations().create(dev.atlas.conversation.NewConversation.toolThread(ALICE, "helper",
                    ids.get("bobConversation"), ids.get("bobToolCall")));
            t.conversations().append(thread.id(), dev.atlas.conversation.NewMessage.user("alice's helper"));
            ids.put("thread", thread.id());
        }
        Tenant acme = atlas.tenant("acme");

        Tenant gamma = aliceAlone(acme, rows(database.dataSource(), "globex"));

        var thread = gamma.conversations().get(ids.get("thread")).orElseThrow();
        assertThat(thread.parentConversationId()).isNull();
        assertThat(thread.parentToolCallId()).isNull();
        assertThat(thread.owner()).isEqualTo(ALICE);
        assertThat(acme.conversations().get(ids.get("thread")).orElseThrow().parentConversationId()).isEqualTo(ids.get("bobConversation"));
    }

    @Test
    @DisplayName("a conversation export of a tool thread clears its parent links (the parent is not in the file): it imports alone, and"
            + " re-imported where it came from changes nothing")
    void toolThreadExportImportsAlone() {
        Tenant acme = atlas.tenant("acme");
        Map<String, UUID> ids = PortabilityFixture.twoOwners(acme);
        var thread = acme.conversations().create(dev.atlas.conversation.NewConversation.toolThread(BOB, "helper",
                ids.get("bobConversation"), ids.get("bobToolCall")));
        acme.conversations().append(thread.id(), dev.atlas.conversation.NewMessage.user("the helper's work"));
        byte[] file = export(acme, ExportScope.conversation(thread.id()));
        assertThat(text(file)).doesNotContain(ids.get("bobConversation").toString());

        Tenant gamma = atlas.tenant("gamma");
        importBytes(gamma, file);
        var copy = gamma.conversations().require(thread.id());
        assertThat(copy.parentConversationId()).isNull();
        assertThat(copy.parentToolCallId()).isNull();
        assertThat(gamma.conversations().messages(thread.id(), 0, 10)).extracting(dev.atlas.conversation.Message::content)
                .containsExactly("the helper's work");
        assertThat(export(gamma, ExportScope.tenant())).isEqualTo(file);

        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        ImportReport again = acme.portability().importFrom(new ByteArrayInputStream(file));
        assertThat(again.imported()).isEmpty();
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        assertThat(acme.conversations().require(thread.id()).parentConversationId()).isEqualTo(ids.get("bobConversation"));
    }

    @Test
    @DisplayName("an owner's export clears their asset's link to another owner's execution and tool call; the asset imports alone")
    void ownerExportClearsAssetLinksElsewhere() {
        Map<String, UUID> ids = null;
        for (String tenant : List.of("globex", "acme")) {
            Tenant t = atlas.tenant(tenant);
            ids = PortabilityFixture.twoOwners(t);
            ids.put("asset", t.assets().store(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "made.png", "image/png").owner(ALICE)
                    .execution(ids.get("bobExecution"), ids.get("bobToolCall")), ("made in " + tenant).getBytes(StandardCharsets.UTF_8)).id());
        }
        Tenant acme = atlas.tenant("acme");

        Tenant gamma = aliceAlone(acme, rows(database.dataSource(), "globex"));

        var asset = gamma.assets().get(ids.get("asset")).orElseThrow();
        assertThat(asset.executionId()).isNull();
        assertThat(asset.toolCallId()).isNull();
        assertThat(asset.owner()).isEqualTo(ALICE);
        assertThat(acme.assets().get(ids.get("asset")).orElseThrow().executionId()).isEqualTo(ids.get("bobExecution"));
    }

    @Test
    @DisplayName("an owner's export clears their voice call's links to another owner's conversation and execution, and another owner's call in their conversation loses only the execution; both import alone")
    void ownerExportClearsVoiceCallLinksElsewhere() {
        Map<String, UUID> ids = null;
        for (String tenant : List.of("globex", "acme")) {
            Tenant t = atlas.tenant(tenant);
            ids = PortabilityFixture.twoOwners(t);
            ids.put("aliceCall", t.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("alice-in-bobs", "openai", "gpt-realtime").owner(ALICE)
                    .conversation(ids.get("bobConversation")).execution(ids.get("bobExecution"))).id());
            ids.put("bobCall", t.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("bob-in-alices", "openai", "gpt-realtime").owner(BOB)
                    .conversation(ids.get("aliceConversation")).execution(ids.get("bobExecution"))).id());
        }
        Tenant acme = atlas.tenant("acme");

        Tenant gamma = aliceAlone(acme, rows(database.dataSource(), "globex"));

        var alices = gamma.voiceCalls().require(ids.get("aliceCall"));
        assertThat(alices.conversationId()).isNull();
        assertThat(alices.executionId()).isNull();
        var bobs = gamma.voiceCalls().require(ids.get("bobCall"));
        assertThat(bobs.conversationId()).isEqualTo(ids.get("aliceConversation"));
        assertThat(bobs.executionId()).isNull();
        assertThat(bobs.owner()).isEqualTo(BOB);
        assertThat(acme.voiceCalls().require(ids.get("aliceCall")).executionId()).isEqualTo(ids.get("bobExecution"));
    }

    @Test
    @DisplayName("an owner's export keeps other owners' messages and calls in the owner's conversations as they are (author, owner); they import alone")
    void ownerExportKeepsOthersInItsConversations() {
        Map<String, UUID> ids = null;
        for (String tenant : List.of("globex", "acme")) {
            Tenant t = atlas.tenant(tenant);
            ids = PortabilityFixture.twoOwners(t);
            ids.put("bobWrote", t.conversations().append(ids.get("aliceConversation"), dev.atlas.conversation.NewMessage.user("bob chimes in")
                    .author(BOB)).id());
            var call = t.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(ids.get("aliceConversation"))
                    .owner(BOB));
            call.step().finish("ok", null, dev.atlas.execution.FinishReason.STOP, dev.atlas.execution.Usage.of(2, 1));
            ids.put("bobsCall", call.complete().id());
        }
        Tenant acme = atlas.tenant("acme");

        Tenant gamma = aliceAlone(acme, rows(database.dataSource(), "globex"));

        assertThat(gamma.conversations().getMessage(ids.get("bobWrote")).orElseThrow().author()).isEqualTo(BOB);
        assertThat(gamma.executions().get(ids.get("bobsCall")).orElseThrow().owner()).isEqualTo(BOB);
        assertThat(gamma.executions().get(ids.get("bobsCall")).orElseThrow().conversationId()).isEqualTo(ids.get("aliceConversation"));
    }

    @Test
    @DisplayName("an owner's memories, tasks and asset vectors that name another owner's conversation or message keep those ids (no reference to check) and import alone")
    void ownerExportKeepsLooseReferences() {
        Map<String, UUID> ids = null;
        for (String tenant : List.of("globex", "acme")) {
            Tenant t = atlas.tenant(tenant);
            ids = PortabilityFixture.twoOwners(t);
            ids.put("memory", t.memories().add(dev.atlas.memory.NewMemory.fact(ALICE, "Bob mentioned the order")
                    .from(ids.get("bobConversation"), ids.get("bobMessage"))).id());
            ids.put("task", t.tasks().enqueue(dev.atlas.task.NewTask.of("follow-up", Map.of()).owner(ALICE)
                    .forConversation(ids.get("bobConversation"))).id());
            UUID asset = t.assets().store(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "notes.txt", "text/plain").owner(ALICE),
                    "notes".getBytes(StandardCharsets.UTF_8)).id();
            t.search().putAssetVector(asset, ids.get("bobConversation"), "emb", new float[] {0.5f, 0.5f});
        }
        Tenant acme = atlas.tenant("acme");

        Tenant gamma = aliceAlone(acme, rows(database.dataSource(), "globex"));

        assertThat(gamma.memories().get(ids.get("memory")).orElseThrow().conversationId()).isEqualTo(ids.get("bobConversation"));
        assertThat(gamma.tasks().get(ids.get("task")).orElseThrow().conversationId()).isEqualTo(ids.get("bobConversation"));
        assertThat(gamma.conversations().get(ids.get("bobConversation"))).isEmpty();
    }

    @Test
    @DisplayName("an export carries only vectors whose target it carries, so its file imports alone now that import refuses a vector"
            + " without its target: another owner's asset vector stored with the owner's conversation, and a vector whose target is gone,"
            + " are left out")
    void exportLeavesOutVectorsWithoutTheirTarget() throws SQLException {
        Tenant acme = atlas.tenant("acme");
        Map<String, UUID> ids = PortabilityFixture.twoOwners(acme);
        UUID alices = acme.assets().store(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "notes.txt", "text/plain").owner(ALICE),
                "notes".getBytes(StandardCharsets.UTF_8)).id();
        acme.search().upsertAssetVector(alices, ids.get("bobConversation"), "emb", new float[] {0.5f, 0.5f});
        UUID gone = UUID.randomUUID();
        try (Connection c = database.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO atlas_vectors"
                + " SELECT tenant_id, ?, 'memory', ?, model, dimension, vector, NULL, created_at, updated_at FROM atlas_vectors"
                + " WHERE tenant_id = 'acme' AND target_id = ?")) {
            ps.setObject(1, idParam(UUID.randomUUID()));
            ps.setObject(2, idParam(gone));
            ps.setObject(3, idParam(alices));
            assertThat(ps.executeUpdate()).isEqualTo(1); // what a write racing an erase could leave before vector writes locked their row
        }
        String bobs = text(export(acme, ExportScope.owner(BOB)));
        assertThat(bobs).doesNotContain(alices.toString());
        importBytes(atlas.tenant("bob-alone"), bobs.getBytes(StandardCharsets.UTF_8));
        String all = text(export(acme, ExportScope.tenant()));
        assertThat(all).contains(alices.toString()).doesNotContain(gone.toString());
        importBytes(atlas.tenant("copy"), all.getBytes(StandardCharsets.UTF_8));
        assertThat(atlas.tenant("copy").search().similar(dev.atlas.search.SemanticQuery.of(dev.atlas.search.SearchTarget.ASSET, "emb",
                new float[] {1, 1}))).extracting(dev.atlas.search.SearchHit::id).containsExactly(alices);
    }

    @Test
    @DisplayName("an imported vector must be what upsertVector accepts (4 bytes per dimension, finite, not zero, the model's dimension,"
            + " a model the file or tenant holds, a target of its type the file or tenant holds (before: any target id was stored, an"
            + " orphan vector)): else InvalidInputException naming line, type and column, and nothing is written, even after more rows"
            + " than one write batch")
    void badVectorsRefusedBeforeAnyWrite() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.memory.Memory memory = acme.memories().create(dev.atlas.memory.NewMemory.fact(ALICE, "likes tea"));
        acme.search().upsertVector(dev.atlas.search.SearchTarget.MEMORY, memory.id(), "emb", new float[] {1, 2, 3});
        String file = text(export(acme, ExportScope.tenant()));
        // More memories than one write batch before the vector: a refusal found only on insert would leave them behind.
        String memoryLine = file.lines().filter(l -> l.startsWith("{\"type\":\"memory\"")).findFirst().orElseThrow();
        StringBuilder filler = new StringBuilder();
        for (int i = 0; i < 2_100; i++) {
            filler.append(memoryLine.replace(memory.id().toString(), UUID.randomUUID().toString())).append('\n');
        }
        file = withEnd(file.replace(memoryLine + "\n", memoryLine + "\n" + filler));
        int line = lineOf(file, "\"type\":\"vector\"");
        String good = "\"vector\":\"" + java.util.Base64.getEncoder().encodeToString(floats(1, 2, 3)) + "\"";
        assertThat(file).contains(good);
        Map<String, String> cases = new TreeMap<>();
        cases.put("NaN|vector", file.replace(good, vector(Float.NaN, 2, 3)));
        cases.put("infinity|vector", file.replace(good, vector(1, Float.NEGATIVE_INFINITY, 3)));
        cases.put("zero|vector", file.replace(good, vector(0, 0, 0)));
        cases.put("5 bytes|vector", file.replace(good, "\"vector\":\"AQIDBAU=\""));
        cases.put("other dimension than the model|dimension", file.replace(good, vector(1, 2, 3, 4))
                .replace("\"model\":\"emb\",\"dimension\":3,\"vector\"", "\"model\":\"emb\",\"dimension\":4,\"vector\""));
        cases.put("unknown model|model", file.replace("\"model\":\"emb\",\"dimension\":3,\"vector\"", "\"model\":\"other\",\"dimension\":3,\"vector\""));
        // upsertVector refuses a target that does not exist: vectors have no foreign key to refuse it on insert.
        String target = "\"target_type\":\"memory\",\"target_id\":\"" + memory.id() + "\"";
        assertThat(file).contains(target);
        cases.put("unknown target|target_id", file.replace(target, "\"target_type\":\"memory\",\"target_id\":\"" + UUID.randomUUID() + "\""));
        cases.put("target of another type|target_id", file.replace(target, "\"target_type\":\"message\",\"target_id\":\"" + memory.id() + "\""));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertThat(c.getValue()).as(c.getKey()).isNotEqualTo(file);
            String field = "line " + line + ": vector." + c.getKey().substring(c.getKey().indexOf('|') + 1);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, c.getValue().getBytes(StandardCharsets.UTF_8))))
                    .as(c.getKey())
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo(field);
            assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).as(c.getKey()).isEqualTo(digest);
        }
        // The file as exported imports, and its vector is found as in the source tenant.
        importBytes(beta, file.getBytes(StandardCharsets.UTF_8));
        assertThat(beta.search().similar(dev.atlas.search.SemanticQuery.of(dev.atlas.search.SearchTarget.MEMORY, "emb", new float[] {1, 2, 3})))
                .extracting(dev.atlas.search.SearchHit::id).containsExactly(memory.id());
    }

    @Test
    @DisplayName("a number beyond a 32-bit column (memory revision, step sequence, ...) is an InvalidInputException naming line, type and"
            + " column on every database, and nothing is written; every 32-bit column of a portable table is bounded so")
    void numbersBeyondIntegerColumnsRefused() throws SQLException {
        Tenant acme = atlas.tenant("acme");
        acme.memories().create(dev.atlas.memory.NewMemory.fact(ALICE, "likes tea"));
        String file = text(export(acme, ExportScope.tenant()));
        int line = lineOf(file, "\"type\":\"memory\"");
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        for (String revision : List.of("2147483648", "9223372036854775807")) {
            String in = file.replace("\"revision\":1,", "\"revision\":" + revision + ",");
            assertThat(in).isNotEqualTo(file);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, in.getBytes(StandardCharsets.UTF_8))))
                    .as(revision)
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + line + ": memory.revision");
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        String at = file.replace("\"revision\":1,", "\"revision\":2147483647,");
        importBytes(beta, at.getBytes(StandardCharsets.UTF_8));
        assertThat(beta.memories().list(dev.atlas.memory.MemoryQuery.forOwner(ALICE)).items()).extracting(dev.atlas.memory.Memory::revision)
                .containsExactly(Integer.MAX_VALUE);
        if (atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL) {
            // The bounds above must cover every 32-bit column PostgreSQL has in a portable table.
            List<String> int4 = new ArrayList<>();
            try (Connection c = database.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                    "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = current_schema()"
                            + " AND data_type IN ('integer', 'smallint') AND table_name LIKE '" + PREFIX + "%'");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String col = rs.getString(1).substring(PREFIX.length());
                    if (dev.atlas.jdbi.internal.portability.PortableSchema.byTable(col.substring(0, col.indexOf('.'))) != null) {
                        int4.add(col);
                    }
                }
            }
            assertThat(int4).isNotEmpty().allSatisfy(col -> assertThat(dev.atlas.jdbi.internal.portability.PortableSchema
                    .byTable(col.substring(0, col.indexOf('.'))).column(col.substring(col.indexOf('.') + 1)).max())
                    .as(col).isNotNull().isLessThanOrEqualTo((double) Integer.MAX_VALUE)); // lower where the API bounds it lower
        }
    }

    @Test
    @DisplayName("a record the database or Atlas's readers would refuse (an execution type, owner or author half given or invalid, a"
            + " metadata, payload or result that is no JSON object, a memory kind, blank tool arguments, a nonce not of 12 bytes, a rollback"
            + " without its target, a schedule with both or neither of interval and cron) is an InvalidInputException naming line, type"
            + " and column, and nothing is written")
    void recordsReadersWouldRefuseAreRefused() throws IOException {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        com.fasterxml.jackson.databind.node.JsonNodeFactory nodes = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        Map<String, Object[]> cases = new TreeMap<>(); // type.column := value (null: left out)
        cases.put("execution.type", new Object[] {nodes.textNode("texts")});
        cases.put("execution.owner_id", new Object[] {null});
        cases.put("conversation.owner_type", new Object[] {nodes.textNode(" ")});
        cases.put("voice_call.owner_id", new Object[] {nodes.textNode("")});
        cases.put("memory.owner_id", new Object[] {nodes.textNode("x".repeat(300))});
        cases.put("assistant_revision.author_id", new Object[] {nodes.textNode("")});
        cases.put("message.metadata", new Object[] {nodes.arrayNode()});
        cases.put("voice_call.metadata", new Object[] {nodes.textNode("x")});
        cases.put("task.payload", new Object[] {nodes.numberNode(1)});
        cases.put("memory.kind", new Object[] {nodes.textNode("Fact!")});
        cases.put("tool_call.arguments", new Object[] {nodes.textNode(" ")});
        cases.put("credential.nonce", new Object[] {nodes.textNode("AAAA")});
        cases.put("assistant_revision.rolled_back_to", new Object[] {null});
        cases.put("settings_revision.rolled_back_to", new Object[] {null});
        cases.put("task_schedule.interval_micros", new Object[] {null});
        cases.put("message_event.details", new Object[] {nodes.arrayNode()});
        cases.put("asset.type", new Object[] {nodes.textNode("picture")});
        cases.put("asset.blob_key", new Object[] {nodes.textNode("../../etc/passwd")});
        eachRefused(file, cases);
    }

    @Test
    @DisplayName("a JSON column the API writes in a shape of its own, given in another (a voice call's transcript: an array of"
            + " {role, content} turns by user or assistant; an assistant's tools: distinct tool keys; a revision's settings and a"
            + " settings value: an object; a json message's content: one JSON document), is an"
            + " InvalidInputException naming line, type"
            + " and column, nothing written (imported, every read of such a call, assistant or revision failed with"
            + " UnreadableRowException, and a json message held text no integration could parse). An attachment's atlas.part that is"
            + " not a boolean, which versions before attach refused it stored, is restored as it was: not a part, as every version read it")
    void jsonColumnsInAShapeTheReadersCannotReadAreRefused() throws IOException {
        Tenant acme = atlas.tenant("acme");
        var toolMessage = acme.conversations().append(acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE, "support")).id(),
                NewMessage.json(dev.atlas.conversation.Role.TOOL, "{\"ok\":true}"));
        acme.assets().attachPart(toolMessage.id(), acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "p.png",
                "image/png"), "p".getBytes(StandardCharsets.UTF_8)).id());
        var call = acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("s-1", "openai", "gpt-realtime").owner(ALICE));
        acme.voiceCalls().complete(call.id(), List.of(dev.atlas.voice.VoiceTurn.user("hi")));
        var bot = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Bot").tools(List.of("search")));
        acme.assistants().publish(bot.id(), dev.atlas.assistant.NewRevision.of("Be brief.", Map.of("model", "gpt-4o")));
        var chat = acme.settings().create("chat", "Chat", ALICE);
        acme.settings().publish(chat.id(), Map.of("model", "gpt-4o"), null, null);
        String file = text(export(acme, ExportScope.tenant()));
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        List<String> transcripts = List.of("{}", "[1]", "[null]", "[{\"role\":\"user\"}]", "[{\"content\":\"hi\"}]",
                "[{\"role\":\"system\",\"content\":\"hi\"}]", "[{\"role\":\"bot\",\"content\":\"hi\"}]",
                "[{\"role\":\"user\",\"content\":7}]", "[{\"role\":\"user\",\"content\":null}]",
                "[{\"role\":\"user\",\"content\":\"hi\",\"at\":1}]", "[{\"role\":[\"user\"],\"content\":\"hi\"}]");
        List<String> tools = List.of("{}", "\"search\"", "[1]", "[null]", "[\"a\",\"a\"]", "[\" \"]", "[[\"a\"]]");
        List<String> objects = List.of("[]", "[1]", "\"x\"", "7", "true");
        int rounds = Math.max(transcripts.size(), Math.max(tools.size(), objects.size()));
        for (int i = 0; i < rounds; i++) {
            Map<String, Object[]> cases = new TreeMap<>();
            if (i < transcripts.size()) {
                cases.put("voice_call.transcript", new Object[] {json.readTree(transcripts.get(i))});
            }
            if (i < tools.size()) {
                cases.put("assistant.tools", new Object[] {json.readTree(tools.get(i))});
            }
            if (i < objects.size()) {
                cases.put("assistant_revision.settings", new Object[] {json.readTree(objects.get(i))});
                cases.put("settings_revision.value", new Object[] {json.readTree(objects.get(i))});
            }
            eachRefused(file, cases);
        }
        // A json message whose content is no JSON document (as append refuses it).
        String[] lines = file.split("\n");
        int line = 0;
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains("\"content_type\":\"json\"")) {
                line = i + 1;
                lines[i] = lines[i].replace("\"content\":\"{\\\"ok\\\":true}\"", "\"content\":\"{ok: true\"");
            }
        }
        assertThat(line).isPositive();
        byte[] bad = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        assertThat(text(bad)).contains("{ok: true");
        Tenant gamma = atlas.tenant("gamma");
        int at = line;
        assertThatThrownBy(() -> importBytes(gamma, bad, "acme")).isInstanceOfSatisfying(InvalidInputException.class,
                x -> assertThat(x.field()).isEqualTo("line " + at + ": message.content"));
        assertThat(rows(database.dataSource(), "gamma").values()).allSatisfy(r -> assertThat(r).isEmpty());
        // An attachment's part flag that is not a boolean: attach stored "true", 1 or null before it refused them (and any value
        // before atlas.part meant anything), and every version took only true for a part. Restored as it was, byte for byte.
        String loose = "\"metadata\":{\"atlas.part\":\"true\"}";
        byte[] old = file.replace("\"metadata\":{\"atlas.part\":true}", loose).getBytes(StandardCharsets.UTF_8);
        assertThat(text(old)).contains(loose);
        assertThat(importBytes(gamma, old, "acme").imported()).containsEntry("message_asset", 1L);
        assertThat(gamma.assets().forMessage(toolMessage.id())).singleElement()
                .satisfies(a -> assertThat(a.attachmentMetadata()).containsExactly(Map.entry(dev.atlas.asset.AttachedAsset.PART, "true")));
        assertThat(text(export(gamma, ExportScope.tenant()))).contains(loose);
    }

    @Test
    @DisplayName("a conversation that is its own parent, and a rollback revision naming itself, a later revision or another document's"
            + " revision (in the file or stored) as rolled_back_to, are refused naming line and field, nothing written: the API"
            + " makes none (a rollback goes back to an earlier revision of its own document)")
    void selfAndForeignLinksTheApiNeverMakesAreRefused() throws IOException {
        Tenant acme = atlas.tenant("acme");
        var other = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("other", "Other"));
        var otherV1 = acme.assistants().publish(other.id(), dev.atlas.assistant.NewRevision.of("Other.", Map.of()));
        var bot = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Bot"));
        var v1 = acme.assistants().publish(bot.id(), dev.atlas.assistant.NewRevision.of("A.", Map.of()));
        acme.assistants().publish(bot.id(), dev.atlas.assistant.NewRevision.of("B.", Map.of()));
        var back = acme.assistants().rollback(bot.id(), 1, null);
        var chat = acme.settings().create("chat", "Chat", ALICE);
        var s1 = acme.settings().publish(chat.id(), Map.of("m", 1), null, null);
        acme.settings().publish(chat.id(), Map.of("m", 2), null, null);
        var sBack = acme.settings().rollback(chat.id(), 1, null);
        var c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE, "support"));
        String file = text(export(acme, ExportScope.tenant()));
        Map<String, String[]> cases = new java.util.LinkedHashMap<>(); // field := line holding, replaced, replacement
        cases.put("conversation.parent_conversation_id", new String[] {"\"id\":\"" + c.id() + "\"",
                "\"id\":\"" + c.id() + "\"", "\"id\":\"" + c.id() + "\",\"parent_conversation_id\":\"" + c.id() + "\""});
        cases.put("assistant_revision.rolled_back_to", new String[] {"\"id\":\"" + back.id() + "\"",
                "\"rolled_back_to\":\"" + v1.id() + "\"", "\"rolled_back_to\":\"" + back.id() + "\""});
        cases.put("assistant_revision.rolled_back_to (another assistant's)", new String[] {"\"id\":\"" + back.id() + "\"",
                "\"rolled_back_to\":\"" + v1.id() + "\"", "\"rolled_back_to\":\"" + otherV1.id() + "\""});
        cases.put("settings_revision.rolled_back_to", new String[] {"\"id\":\"" + sBack.id() + "\"",
                "\"rolled_back_to\":\"" + s1.id() + "\"", "\"rolled_back_to\":\"" + sBack.id() + "\""});
        Tenant beta = atlas.tenant("beta");
        for (Map.Entry<String, String[]> e : cases.entrySet()) {
            String[] lines = file.split("\n");
            int line = 0;
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].contains(e.getValue()[0])) {
                    assertThat(lines[i]).contains(e.getValue()[1]);
                    lines[i] = lines[i].replace(e.getValue()[1], e.getValue()[2]);
                    line = i + 1;
                }
            }
            byte[] bad = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
            String field = "line " + line + ": " + e.getKey().split(" ")[0];
            assertThatThrownBy(() -> importBytes(beta, bad)).as(e.getKey()).isInstanceOfSatisfying(InvalidInputException.class,
                    x -> assertThat(x.field()).isEqualTo(field));
        }
        assertThat(rows(database.dataSource(), "beta").values()).allSatisfy(r -> assertThat(r).isEmpty());
        // Against a stored revision: another assistant's.
        importBytes(beta, file.getBytes(StandardCharsets.UTF_8));
        UUID twin = UUID.randomUUID();
        String rows = file.lines().findFirst().orElseThrow() + "\n"
                + "{\"row\":{\"created_at\":\"2026-01-01T00:00:00Z\",\"id\":\"" + twin + "\",\"is_active\":true,\"is_public\":false,"
                + "\"last_revision\":1,\"metadata\":{},\"name\":\"Twin\",\"slug\":\"twin\",\"tools\":[],"
                + "\"updated_at\":\"2026-01-01T00:00:00Z\"},\"type\":\"assistant\"}\n"
                + "{\"row\":{\"assistant_id\":\"" + twin + "\",\"created_at\":\"2026-01-01T00:00:00Z\",\"id\":\"" + UUID.randomUUID()
                + "\",\"kind\":\"rollback\",\"number\":1,\"rolled_back_to\":\"" + otherV1.id() + "\",\"settings\":{},"
                + "\"system_prompt\":\"Other.\"},\"type\":\"assistant_revision\"}\n";
        assertThatThrownBy(() -> importBytes(beta, withEnd(rows).getBytes(StandardCharsets.UTF_8))).isInstanceOfSatisfying(InvalidInputException.class,
                x -> assertThat(x.field()).isEqualTo("line 3: assistant_revision.rolled_back_to"));
        assertThat(beta.assistants().get(twin)).isEmpty();
    }

    @Test
    @DisplayName("an assistant or settings document whose current_revision_id is another document's revision (in the file or stored)"
            + " is refused naming line and field, nothing written: imported, current() returned the other document's prompt or value")
    void aDocumentsCurrentRevisionIsOneOfItsOwn() {
        Tenant acme = atlas.tenant("acme");
        var other = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("other", "Other"));
        var otherV1 = acme.assistants().publish(other.id(), dev.atlas.assistant.NewRevision.of("Other.", Map.of()));
        var bot = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Bot"));
        var v1 = acme.assistants().publish(bot.id(), dev.atlas.assistant.NewRevision.of("A.", Map.of()));
        var first = acme.settings().create("first", "First", ALICE);
        var firstV1 = acme.settings().publish(first.id(), Map.of("m", 1), null, null);
        var chat = acme.settings().create("chat", "Chat", ALICE);
        var s1 = acme.settings().publish(chat.id(), Map.of("m", 2), null, null);
        String file = text(export(acme, ExportScope.tenant()));
        Map<String, String[]> cases = new java.util.LinkedHashMap<>(); // field := line holding, replaced, replacement
        cases.put("assistant.current_revision_id", new String[] {"\"id\":\"" + bot.id() + "\"",
                "\"current_revision_id\":\"" + v1.id() + "\"", "\"current_revision_id\":\"" + otherV1.id() + "\""});
        cases.put("settings.current_revision_id", new String[] {"\"id\":\"" + chat.id() + "\"",
                "\"current_revision_id\":\"" + s1.id() + "\"", "\"current_revision_id\":\"" + firstV1.id() + "\""});
        Tenant beta = atlas.tenant("beta");
        for (Map.Entry<String, String[]> e : cases.entrySet()) {
            String[] lines = file.split("\n");
            int line = 0;
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].contains(e.getValue()[0]) && lines[i].contains(e.getValue()[1])) {
                    lines[i] = lines[i].replace(e.getValue()[1], e.getValue()[2]);
                    line = i + 1;
                }
            }
            assertThat(line).as(e.getKey()).isPositive();
            byte[] bad = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
            String field = "line " + line + ": " + e.getKey();
            assertThatThrownBy(() -> importBytes(beta, bad)).as(e.getKey()).isInstanceOfSatisfying(InvalidInputException.class,
                    x -> assertThat(x.field()).isEqualTo(field));
        }
        assertThat(rows(database.dataSource(), "beta").values()).allSatisfy(r -> assertThat(r).isEmpty());
        // Against a stored revision: another assistant's.
        importBytes(beta, file.getBytes(StandardCharsets.UTF_8));
        UUID twin = UUID.randomUUID();
        String rows = file.lines().findFirst().orElseThrow() + "\n"
                + "{\"row\":{\"created_at\":\"2026-01-01T00:00:00Z\",\"current_revision_id\":\"" + otherV1.id() + "\",\"id\":\""
                + twin + "\",\"is_active\":true,\"is_public\":false,\"last_revision\":0,\"metadata\":{},\"name\":\"Twin\","
                + "\"slug\":\"twin\",\"tools\":[],\"updated_at\":\"2026-01-01T00:00:00Z\"},\"type\":\"assistant\"}\n";
        assertThatThrownBy(() -> importBytes(beta, withEnd(rows).getBytes(StandardCharsets.UTF_8))).isInstanceOfSatisfying(InvalidInputException.class,
                x -> assertThat(x.field()).isEqualTo("line 2: assistant.current_revision_id"));
        assertThat(beta.assistants().get(twin)).isEmpty();
    }

    @Test
    @DisplayName("a voice call's transcript the API stored beyond metadata's size (up to Limits.MAX_CONTENT_LENGTH characters as JSON)"
            + " exports and imports byte-exact; roles given in another case import in their stored form")
    void longTranscriptsRoundTrip() {
        Tenant acme = atlas.tenant("acme");
        String said = "word ".repeat(28_000);
        var call = acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("s-1", "openai", "gpt-realtime").owner(ALICE));
        acme.voiceCalls().complete(call.id(), List.of(dev.atlas.voice.VoiceTurn.user(said), dev.atlas.voice.VoiceTurn.assistant(said + "!")));
        byte[] file = export(acme, ExportScope.tenant());
        Tenant beta = atlas.tenant("beta");
        assertThat(importBytes(beta, file).imported()).containsEntry("voice_call", 1L);
        assertThat(beta.voiceCalls().require(call.id()).transcript()).isEqualTo(acme.voiceCalls().require(call.id()).transcript());
        assertThat(export(beta, ExportScope.tenant())).isEqualTo(file);
        assertThat(importBytes(beta, file).unchanged()).containsEntry("voice_call", 1L);

        String upper = text(file).replace("\"role\":\"user\"", "\"role\":\"USER\"").replace("\"role\":\"assistant\"", "\"role\":\"Assistant\"");
        assertThat(upper).isNotEqualTo(text(file));
        Tenant gamma = atlas.tenant("gamma");
        importBytes(gamma, upper.getBytes(StandardCharsets.UTF_8));
        assertThat(export(gamma, ExportScope.tenant())).isEqualTo(file);
    }

    @Test
    @DisplayName("a blob key with a segment ending in '.', which register stored before it refused them (schema 16, LocalDirectoryBlobStore"
            + " taking 'scans/report.'; its open still reads such a key), imports as stored and exports back byte-identical (before: refused"
            + " on asset.blob_key as no blob key); as Windows opens 'report.' as 'report', it names another tenant's 'report' only with"
            + " its content, and '.' and '..' segments stay refused")
    void blobKeysOlderVersionsRegisteredRoundTrip() throws IOException {
        byte[] bytes = "scanned".getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(blobDir.resolve("scans"));
        Files.write(blobDir.resolve("scans/report"), bytes);
        Files.write(blobDir.resolve("scans/report."), bytes);
        Tenant acme = atlas.tenant("acme");
        dev.atlas.asset.Asset scan = acme.assets().register(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "report",
                "text/plain"), "scans/report");
        // The line as register wrote it then: the key as given.
        String older = text(export(acme, ExportScope.tenant())).replace("\"blob_key\":\"scans/report\"", "\"blob_key\":\"scans/report.\"");
        assertThat(older).contains("\"blob_key\":\"scans/report.\"");
        // Before any copy names scans/report. itself: the other tenant's scans/report is the file Windows opens.
        int line = lineOf(older, "scans/report.");
        String otherContent = replaceLine(older, "scans/report.", "\"size_bytes\":7", "\"size_bytes\":8");
        assertThat(otherContent).isNotEqualTo(older);
        Tenant gamma = atlas.tenant("gamma");
        for (String[] c : new String[][] {{otherContent, "names the bytes of another asset, whose sha256 and size differ: a copy shares"
                + " an asset's bytes only with its content"},
                {older.replace("scans/report.", "scans/../report"), "is not a blob key: / separated segments of letters, digits, . _ -,"
                        + " none of dots only (no . or .. segment), at most 1000 characters"},
                {older.replace("scans/report.", "scans/./report"), "is not a blob key: / separated segments of letters, digits, . _ -,"
                        + " none of dots only (no . or .. segment), at most 1000 characters"}}) {
            assertThatThrownBy(() -> importBytes(gamma, c[0].getBytes(StandardCharsets.UTF_8))).isInstanceOfSatisfying(
                    InvalidInputException.class, x -> assertThat(x).hasMessage("line " + line + ": asset.blob_key: " + c[1]));
        }
        assertThat(gamma.assets().get(scan.id())).isEmpty();

        Tenant beta = atlas.tenant("beta");
        assertThat(importBytes(beta, older.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("asset", 1L);
        assertThat(beta.assets().require(scan.id()).blobKey()).isEqualTo("scans/report.");
        try (java.io.InputStream in = beta.assets().open(scan.id())) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        assertThat(text(export(beta, ExportScope.tenant()))).isEqualTo(older);
        assertThat(importBytes(beta, older.getBytes(StandardCharsets.UTF_8)).unchanged()).containsEntry("asset", 1L);

        // The other way round: a key stored with dots ending a segment is the file Windows opens for the key without them (or with
        // other dots, in any case), though no row names that key as written: another content is refused on it too.
        importBytes(atlas.tenant("delta"), older.replace("scans/report.", "scans./old.").getBytes(StandardCharsets.UTF_8));
        for (String alias : new String[] {"scans/old", "SCANS/OLD..", "scans./Old", "scans../old"}) {
            byte[] forged = otherContent.replace("scans/report.", alias).getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> importBytes(gamma, forged)).as(alias).isInstanceOfSatisfying(InvalidInputException.class,
                    x -> assertThat(x).hasMessage("line " + line + ": asset.blob_key: names the bytes of another asset, whose sha256 and"
                            + " size differ: a copy shares an asset's bytes only with its content"));
        }
        assertThat(gamma.assets().get(scan.id())).isEmpty();

        // register treats a key another row names by such an alias as it treats the key itself: another tenant's as a missing
        // blob, this tenant's as taken (before: registered, so two tenants' rows named the file Windows opens for both).
        Files.createDirectories(blobDir.resolve("scans."));
        Files.write(blobDir.resolve("scans/old"), bytes);
        Files.write(blobDir.resolve("scans./old."), bytes);
        dev.atlas.asset.NewAsset na = dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "old", "text/plain");
        String missing = org.assertj.core.api.Assertions.catchThrowable(() -> gamma.assets().register(na, "scans/report")).getMessage();
        assertThatThrownBy(() -> gamma.assets().register(na, "scans/old")).isExactlyInstanceOf(dev.atlas.NotFoundException.class)
                .hasMessage(missing.replace("scans/report", "scans/old"));
        // The message names the alias rule, as the key this tenant holds is scans./old., not a spelling of Scans/Old in another case.
        assertThatThrownBy(() -> atlas.tenant("delta").assets().register(na, "Scans/Old"))
                .isInstanceOfSatisfying(dev.atlas.ConflictException.class, x -> assertThat(x.field()).isEqualTo("blobKey"))
                .hasMessage("blobKey: 'Scans/Old' is already the blob of an asset of this tenant (perhaps spelt in another case or with"
                        + " dots ending its segments, or deleted and awaiting its purge or cleanupOrphanBlobs)");

        // A discard deletes the bytes only once no row names them, by an alias either: beta's scans/report. while acme's
        // scans/report is the file Windows opens for both, and the other way round (before: deleted, the other row unreadable there).
        beta.assets().discard(scan.id());
        assertThat(blobDir.resolve("scans/report.")).exists();
        assertThat(importBytes(gamma, older.replace("scans/report.", "scans/old").getBytes(StandardCharsets.UTF_8)).imported())
                .containsEntry("asset", 1L);
        gamma.assets().discard(scan.id());
        assertThat(blobDir.resolve("scans/old")).exists();
        acme.assets().discard(scan.id());
        assertThat(blobDir.resolve("scans/report")).doesNotExist();
    }

    @Test
    @DisplayName("an imported asset naming another tenant's blob key with other content (sha256, size) is refused naming line and"
            + " asset.blob_key, nothing is written and the bytes stay unreadable to the importer; with the same content it is a copy")
    void blobKeyOfAnotherTenantNeedsItsContent() throws IOException, java.sql.SQLException {
        Tenant victim = atlas.tenant("victim");
        dev.atlas.asset.Asset secret = victim.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "s.txt",
                "text/plain"), new java.io.ByteArrayInputStream("the victim's secret".getBytes(StandardCharsets.UTF_8)));
        Tenant acme = atlas.tenant("acme");
        dev.atlas.asset.Asset own = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "o.txt",
                "text/plain"), new java.io.ByteArrayInputStream("acme's own".getBytes(StandardCharsets.UTF_8)));
        String file = text(export(acme, ExportScope.tenant()));
        int line = lineOf(file, own.blobKey());
        byte[] forged = file.replace(own.blobKey(), secret.blobKey()).getBytes(StandardCharsets.UTF_8);
        Tenant mallory = atlas.tenant("mallory");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(mallory, forged)))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + line + ": asset.blob_key");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        assertThat(mallory.assets().get(own.id())).isEmpty();

        // A key another tenant is purging (its bytes may still be on disk) is refused the same way.
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            st.execute("INSERT INTO " + PREFIX + "blob_intents (tenant_id, blob_key, created_at) VALUES ('victim', 'victim-erased/k1', "
                    + (database.name().equals("PostgreSQL") ? "now()" : "0") + ")");
        }
        String withIntent = DatabaseDigest.of(database.dataSource(), PREFIX);
        byte[] erased = file.replace(own.blobKey(), "victim-erased/k1").getBytes(StandardCharsets.UTF_8);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(mallory, erased)))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + line + ": asset.blob_key");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(withIntent);

        // A key no row names when the import checks it, registered by another tenant (other bytes) before the import writes it: the
        // write checks the content again, under the key's lock on PostgreSQL (SQLite's single writer orders the two the same way,
        // but the check is a read outside the write, so the race exists on both). Before: imported, naming the victim's bytes.
        Files.createDirectories(blobDir.resolve("ext"));
        Files.write(blobDir.resolve("ext/late.txt"), "registered late".getBytes(StandardCharsets.UTF_8));
        byte[] late = file.replace(own.blobKey(), "ext/late.txt").getBytes(StandardCharsets.UTF_8);
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<dev.atlas.asset.Asset> registered = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, sql) -> {
            if (name.equals("portability.blobKeyContent") && registered.get() == null) {
                Thread t = new Thread(() -> registered.set(victim.assets().register(dev.atlas.asset.NewAsset.of(
                        dev.atlas.asset.AssetType.DOCUMENT, "late.txt", "text/plain"), "ext/late.txt")));
                t.start();
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Throwable raced;
        try {
            raced = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(mallory, late));
        } finally {
            db.statementListener(null);
        }
        assertThat(registered.get()).isNotNull();
        assertThat(raced).isInstanceOfSatisfying(ConflictException.class, x -> assertThat(x).hasMessage("line " + line
                + ": asset.blob_key: names the bytes of another asset, whose sha256 and size differ (stored after the import checked"
                + " the key): a copy shares an asset's bytes only with its content, and rows before line " + line + " are imported"
                + " (importing the same file again skips them as unchanged)"));
        assertThat(mallory.assets().get(own.id())).isEmpty();
        assertThat(victim.assets().require(registered.get().id()).blobKey()).isEqualTo("ext/late.txt");

        // The victim's own export imported elsewhere names the key with its content: a copy, sharing the bytes.
        Tenant copy = atlas.tenant("copy");
        importBytes(copy, export(victim, ExportScope.tenant()));
        try (java.io.InputStream in = copy.assets().open(secret.id())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("the victim's secret");
        }
    }

    @Test
    @DisplayName("blob30 x port30: a purge whose file waits for a row of another spelling of its key (a claimed intent kept while the"
            + " alias row lives) is no purge in progress to an import: the key's bytes are named, so an import of exactly that key, into"
            + " the purging tenant or another, is a copy sharing them, and cleanupOrphanBlobs then forgets the intent, keeping the file")
    void importOfAKeyWhosePurgeWaitsForAnAliasRowIsACopy() throws IOException {
        Tenant acme = atlas.tenant("acme");
        byte[] bytes = "the report".getBytes(StandardCharsets.UTF_8);
        dev.atlas.asset.Asset own = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "r.txt",
                "text/plain"), new ByteArrayInputStream(bytes));
        String key = own.blobKey();
        byte[] file = export(acme, ExportScope.tenant());
        // Another tenant's row names the key in another case (Windows opens one file for both; on Linux they are two).
        String alias = key.toUpperCase(java.util.Locale.ROOT);
        assertThat(alias).isNotEqualTo(key);
        importBytes(atlas.tenant("alias"), text(file).replace(key, alias).getBytes(StandardCharsets.UTF_8));
        // acme's purge keeps its file and its claimed intent while only the alias row names the key.
        acme.assets().discard(own.id());
        assertThat(Files.readAllBytes(blobDir.resolve(key))).isEqualTo(bytes);
        assertThat(count("SELECT COUNT(*) FROM " + PREFIX + "blob_intents WHERE claimed_at IS NOT NULL")).isEqualTo(1);

        // Into another tenant: a copy of the named bytes (before: InvalidInputException on asset.blob_key, the intent read as
        // another tenant's purge in progress).
        Tenant third = atlas.tenant("third");
        assertThat(importBytes(third, file).imported()).containsEntry("asset", 1L);
        try (java.io.InputStream in = third.assets().open(own.id())) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        // Into the purging tenant: the asset is back (before: ConflictException on asset.blob_key, a purge in progress).
        assertThat(importBytes(acme, file).imported()).containsEntry("asset", 1L);
        try (java.io.InputStream in = acme.assets().open(own.id())) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        // A row spelt as the key names it again: cleanup forgets the intent and keeps the file.
        assertThat(acme.assets().cleanupOrphanBlobs(java.time.Duration.ZERO).removedKeys()).isEmpty();
        assertThat(count("SELECT COUNT(*) FROM " + PREFIX + "blob_intents")).isZero();
        assertThat(Files.readAllBytes(blobDir.resolve(key))).isEqualTo(bytes);
    }

    @Test
    @DisplayName("an import and a register of one blob key and one client key take the two kinds of lock in one order (the blob key's,"
            + " then the client key's): the import, writing while the register holds the blob key's lock only, waits and then fails"
            + " with a ConflictException on its line's asset.client_key, never a deadlock")
    void importAndRegisterOfOneBlobAndClientKeyTakeTheirLocksInOneOrder() throws Exception {
        // The file's asset names ext/same.txt and the client key upload-1, which no row holds when the import checks them.
        Tenant source = atlas.tenant("source");
        byte[] bytes = "the same bytes".getBytes(StandardCharsets.UTF_8);
        dev.atlas.asset.Asset made = source.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "s.txt",
                "text/plain").clientKey("upload-1"), new ByteArrayInputStream(bytes));
        String file = text(export(source, ExportScope.tenant()));
        int line = lineOf(file, made.blobKey());
        byte[] forged = file.replace(made.blobKey(), "ext/same.txt").getBytes(StandardCharsets.UTF_8);
        Files.createDirectories(blobDir.resolve("ext"));
        Files.write(blobDir.resolve("ext/same.txt"), bytes);
        Tenant acme = atlas.tenant("acme");
        // The register pauses once it holds the blob key's lock (PostgreSQL; on SQLite, once it writes: the single writer orders
        // the two), and the import runs until it returns or waits: had it taken the client key's lock first, the register would
        // now wait for it, and PostgreSQL would fail one of the two with a deadlock (40P01).
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        String pause = database.name().equals("PostgreSQL") ? "assets.keyLock" : "assets.keyHolders";
        java.util.concurrent.atomic.AtomicInteger seen = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Thread> importer = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<Throwable> imported = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch returned = new java.util.concurrent.CountDownLatch(1);
        // On SQLite the register reads the key's holders twice: before reading the bytes, and in its write.
        int at = database.name().equals("PostgreSQL") ? 1 : 2;
        db.statementListener((name, sql) -> {
            if (name.equals(pause) && seen.incrementAndGet() == at) {
                Thread t = new Thread(() -> {
                    imported.set(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(acme, forged)));
                    returned.countDown();
                });
                importer.set(t);
                t.start();
                try {
                    RaceWaits.awaitReturnedOrBlocked(returned, importer::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        dev.atlas.asset.Asset registered;
        try {
            registered = acme.assets().register(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "r.txt", "text/plain")
                    .clientKey("upload-1"), "ext/same.txt");
        } finally {
            db.statementListener(null);
        }
        importer.get().join(10_000);
        assertThat(seen.get()).isGreaterThanOrEqualTo(at);
        assertThat(imported.get()).isInstanceOfSatisfying(ConflictException.class, x -> assertThat(x).hasMessage("line " + line
                + ": asset.blob_key: asset " + registered.id() + " of this tenant already holds blob_key [ext/same.txt]: they are"
                + " unique; it was taken after the import checked it, and rows before line " + line + " are imported: once the key"
                + " is free, import the same file again to resume (rows already imported are skipped as unchanged)"));
        assertThat(acme.assets().get(made.id())).isEmpty();
        assertThat(acme.assets().require(registered.id()).blobKey()).isEqualTo("ext/same.txt");
    }

    @Test
    @DisplayName("an import racing a purge of the bytes its asset names (a discard of this tenant's row, or of another tenant's that the"
            + " import's checks saw) never leaves a row naming deleted bytes: an asset written while the purge deletes them is a"
            + " ConflictException on its line's asset.blob_key, nothing of its batch written, the bytes gone (before: imported,"
            + " then its bytes deleted, so open() failed); so too when the key's purge waits for a row of another spelling whose"
            + " purge races the import, in either order, and after cleanupOrphanBlobs no file is left that no row or intent names")
    void importRacingAPurgeLeavesNoRowNamingDeletedBytes() throws Exception {
        java.util.concurrent.atomic.AtomicReference<Runnable> beforeDelete = new java.util.concurrent.atomic.AtomicReference<>(() -> {});
        LocalDirectoryBlobStore files = new LocalDirectoryBlobStore(blobDir);
        // A second instance purges: its blob store runs the racing step once the purge has found no row naming the key, before
        // it deletes the bytes.
        dev.atlas.asset.BlobStore pausing = new dev.atlas.asset.BlobStore() {
            @Override
            public dev.atlas.asset.StoredBlob put(String key, java.io.InputStream content) throws IOException {
                return files.put(key, content);
            }

            @Override
            public java.io.InputStream open(String key) throws IOException {
                return files.open(key);
            }

            @Override
            public boolean delete(String key) throws IOException {
                beforeDelete.getAndSet(() -> {}).run();
                return files.delete(key);
            }

            @Override
            public List<dev.atlas.asset.BlobInfo> list(String prefix) throws IOException {
                return files.list(prefix);
            }
        };
        Atlas purger = reopen(b -> b.blobStore(pausing));
        String conflict = " rows before line %d are imported: import the same file again to resume once the asset's bytes are back"
                + " under its key (rows already imported are skipped as unchanged)";

        // (a) This tenant's discard: a restore of its export, checked and written while the discard deletes the bytes.
        Tenant acme = atlas.tenant("acme");
        dev.atlas.asset.Asset own = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "o.txt",
                "text/plain"), new java.io.ByteArrayInputStream("acme's own".getBytes(StandardCharsets.UTF_8)));
        byte[] backup = export(acme, ExportScope.tenant());
        int ownLine = lineOf(text(backup), own.blobKey());
        java.util.concurrent.atomic.AtomicReference<Throwable> restore = new java.util.concurrent.atomic.AtomicReference<>();
        beforeDelete.set(() -> restore.set(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(acme, backup))));
        purger.tenant("acme").assets().discard(own.id());
        assertThat(restore.get()).isInstanceOfSatisfying(ConflictException.class, x -> assertThat(x).hasMessage("line " + ownLine
                + ": asset.blob_key: names a blob key whose bytes a purge is deleting (of an asset of this tenant or another, purged"
                + " after the import checked the key), and" + String.format(conflict, ownLine)));
        assertThat(acme.assets().get(own.id())).isEmpty();
        assertThat(blobDir.resolve(own.blobKey())).doesNotExist();

        // (b) Another tenant's discard, committed after the import's checks found its row, deleting the bytes as the import writes.
        Tenant victim = atlas.tenant("victim");
        dev.atlas.asset.Asset shared = victim.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "s.txt",
                "text/plain"), new java.io.ByteArrayInputStream("shared".getBytes(StandardCharsets.UTF_8)));
        byte[] file = export(victim, ExportScope.tenant());
        int line = lineOf(text(file), shared.blobKey());
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.CountDownLatch deleting = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch imported = new java.util.concurrent.CountDownLatch(1);
        beforeDelete.set(() -> {
            deleting.countDown();
            try {
                assertThat(imported.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        java.util.concurrent.atomic.AtomicReference<Thread> discard = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, sql) -> {
            if (name.equals("portability.blobKeyContent") && discard.get() == null) {
                Thread t = new Thread(() -> purger.tenant("victim").assets().discard(shared.id()));
                discard.set(t);
                t.start();
                try {
                    assertThat(deleting.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Tenant copy = atlas.tenant("copy");
        Throwable raced;
        try {
            raced = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(copy, file));
        } finally {
            db.statementListener(null);
            imported.countDown();
        }
        discard.get().join();
        assertThat(raced).isInstanceOfSatisfying(ConflictException.class, x -> assertThat(x).hasMessage("line " + line
                + ": asset.blob_key: names a blob key whose bytes a purge is deleting (of an asset of this tenant or another, purged"
                + " after the import checked the key), and" + String.format(conflict, line)));
        assertThat(copy.assets().get(shared.id())).isEmpty();
        assertThat(victim.assets().get(shared.id())).isEmpty();
        assertThat(blobDir.resolve(shared.blobKey())).doesNotExist();

        // (c) A key whose purge waits for a row of another spelling (acme's, kept while alias's row names the key in another
        // case), that row's purge racing an import of the key: no bytes lost in either order. The alias row's purge checks the
        // key's holders (none) after the import's first pass saw that row, before the import writes: the import then sees the
        // purges (acme's waiting one, the alias's own) and no row, and refuses the asset.
        AliasPurge c = aliasPurge("c");
        java.util.concurrent.CountDownLatch deletingC = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch importedC = new java.util.concurrent.CountDownLatch(1);
        beforeDelete.set(() -> {
            deletingC.countDown();
            try {
                assertThat(importedC.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        java.util.concurrent.atomic.AtomicReference<Thread> discardC = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, sql) -> {
            if (name.equals("portability.blobKeyContent") && discardC.get() == null) {
                Thread t = new Thread(() -> purger.tenant("alias-c").assets().discard(c.asset.id()));
                discardC.set(t);
                t.start();
                try {
                    assertThat(deletingC.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Tenant thirdC = atlas.tenant("third-c");
        Throwable racedC;
        try {
            racedC = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(thirdC, c.file));
        } finally {
            db.statementListener(null);
            importedC.countDown();
        }
        discardC.get().join();
        int lineC = lineOf(text(c.file), c.key);
        assertThat(racedC).isInstanceOfSatisfying(ConflictException.class, x -> assertThat(x).hasMessage("line " + lineC
                + ": asset.blob_key: names a blob key whose bytes a purge is deleting (of an asset of this tenant or another, purged"
                + " after the import checked the key), and rows before line " + lineC + " are imported: import the same file again to"
                + " resume once the asset's bytes are back under its key (rows already imported are skipped as unchanged)"));
        assertThat(thirdC.assets().get(c.asset.id())).isEmpty();
        assertThat(blobDir.resolve(c.alias)).doesNotExist();
        // acme's waiting purge: no row names its file now, so cleanup deletes it.
        assertThat(atlas.tenant("acme-c").assets().cleanupOrphanBlobs(java.time.Duration.ZERO).removedKeys()).containsExactly(c.key);
        assertThat(blobDir.resolve(c.key)).doesNotExist();
        assertThat(count("SELECT COUNT(*) FROM " + PREFIX + "blob_intents WHERE lower(blob_key) = ?", c.key)).isZero();

        // (d) The import writes first, its check under the key's lock having seen the alias row (PostgreSQL: the purge's check
        // waits for that lock; SQLite: for the writer): a copy, and the purge, seeing the copy's row, keeps both files.
        AliasPurge d = aliasPurge("d");
        java.util.concurrent.atomic.AtomicReference<Thread> purge = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.CountDownLatch purged = new java.util.concurrent.CountDownLatch(1);
        db.statementListener((name, sql) -> {
            if (name.equals("portability.blobKeyPurges") && purge.get() == null) {
                Thread t = new Thread(() -> {
                    purger.tenant("alias-d").assets().discard(d.asset.id());
                    purged.countDown();
                });
                purge.set(t);
                t.start();
                try {
                    RaceWaits.awaitReturnedOrBlocked(purged, purge::get, db, database);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Tenant thirdD = atlas.tenant("third-d");
        try {
            assertThat(importBytes(thirdD, d.file).imported()).containsEntry("asset", 1L);
        } finally {
            db.statementListener(null);
        }
        purge.get().join();
        assertThat(purge.get().isAlive()).isFalse();
        assertThat(atlas.tenant("alias-d").assets().get(d.asset.id())).isEmpty();
        assertThat(atlas.tenant("acme-d").assets().cleanupOrphanBlobs(java.time.Duration.ZERO).removedKeys()).isEmpty();
        assertThat(atlas.tenant("alias-d").assets().cleanupOrphanBlobs(java.time.Duration.ZERO).removedKeys()).isEmpty();
        try (java.io.InputStream in = thirdD.assets().open(d.asset.id())) {
            assertThat(in.readAllBytes()).isEqualTo(d.bytes);
        }
        // The alias's file stays, its purge waiting for the copy's row (Windows opens the copy's bytes under it); acme's is done.
        assertThat(Files.readAllBytes(blobDir.resolve(d.alias))).isEqualTo(d.bytes);
        assertThat(count("SELECT COUNT(*) FROM " + PREFIX + "blob_intents WHERE tenant_id = 'alias-d' AND blob_key = ?", d.alias)).isEqualTo(1);
        assertThat(count("SELECT COUNT(*) FROM " + PREFIX + "blob_intents WHERE tenant_id <> 'alias-d'")).isZero();
        // The copy's purge, the last row naming either spelling: its file goes; the alias's cleanup then deletes the other.
        thirdD.assets().discard(d.asset.id());
        assertThat(blobDir.resolve(d.key)).doesNotExist();
        assertThat(atlas.tenant("alias-d").assets().cleanupOrphanBlobs(java.time.Duration.ZERO).removedKeys()).containsExactly(d.alias);
        assertThat(blobDir.resolve(d.alias)).doesNotExist();
        assertThat(count("SELECT COUNT(*) FROM " + PREFIX + "blob_intents")).isZero();
    }

    /** acme-X's asset, discarded while alias-X's row (its export imported with the key upper-cased, the file copied) names it. */
    private record AliasPurge(dev.atlas.asset.Asset asset, String key, String alias, byte[] bytes, byte[] file) {
    }

    private AliasPurge aliasPurge(String x) throws IOException {
        Tenant acme = atlas.tenant("acme-" + x);
        byte[] bytes = ("the report " + x).getBytes(StandardCharsets.UTF_8);
        dev.atlas.asset.Asset own = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "r.txt",
                "text/plain"), new ByteArrayInputStream(bytes));
        byte[] file = export(acme, ExportScope.tenant());
        String alias = own.blobKey().toUpperCase(java.util.Locale.ROOT);
        importBytes(atlas.tenant("alias-" + x), text(file).replace(own.blobKey(), alias).getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(blobDir.resolve(alias).getParent());
        Files.write(blobDir.resolve(alias), bytes);
        acme.assets().discard(own.id());
        assertThat(Files.readAllBytes(blobDir.resolve(own.blobKey()))).isEqualTo(bytes);
        return new AliasPurge(own, own.blobKey(), alias, bytes, file);
    }

    @Test
    @DisplayName("a line beyond the JSON reader's limits (a 30 MB string, nesting 5,000 deep, a number of 2,000 digits) or with a"
            + " field twice is an InvalidInputException naming the line, and nothing is written")
    void unreadableLinesNamed() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.Conversation c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE));
        acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("hello"));
        String file = text(export(acme, ExportScope.tenant()));
        int line = lineOf(file, "\"content\":\"hello\"");
        Map<String, String> cases = new TreeMap<>();
        cases.put("30 MB string", file.replace("\"content\":\"hello\"", "\"content\":\"" + "y".repeat(30 << 20) + "\""));
        cases.put("nesting", file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"x\":" + "[".repeat(5000) + "]".repeat(5000)));
        cases.put("2,000 digits", file.replace("\"sequence\":1", "\"sequence\":1" + "0".repeat(2000)));
        cases.put("field twice", file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"content\":\"bye\""));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        for (Map.Entry<String, String> e : cases.entrySet()) {
            assertThat(e.getValue()).as(e.getKey()).isNotEqualTo(file);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, e.getValue().getBytes(StandardCharsets.UTF_8), "acme")))
                    .as(e.getKey())
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(x -> ((InvalidInputException) x).field()).isEqualTo("line " + line);
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    private static byte[] floats(float... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private static String vector(float... v) {
        return "\"vector\":\"" + java.util.Base64.getEncoder().encodeToString(floats(v)) + "\"";
    }

    // ---- unique keys, per-field rules, canonical forms, file encodings -------------------------

    /** A tenant holding one row of each kind with a natural key of its own (besides its id). */
    private static Tenant naturalKeys(Tenant t) {
        t.conversations().append(t.conversations().ensure("order-1", dev.atlas.conversation.NewConversation.of(ALICE)).id(),
                dev.atlas.conversation.NewMessage.user("hello"));
        t.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Bot"));
        t.settings().create("defaults", "Defaults", null);
        t.credentials().put(ALICE, "github", "secret");
        t.graph().upsertNode(dev.atlas.graph.NewGraphNode.of("n1"));
        t.tasks().schedule(dev.atlas.task.NewSchedule.every("digest", java.time.Duration.ofHours(1), dev.atlas.task.NewTask.of("digest", Map.of())));
        t.prices().set(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "2.5", "10", java.time.Instant.parse("2026-01-01T00:00:00Z")));
        return t;
    }

    @Test
    @DisplayName("a new row clashing with a live stored row on a unique key other than its id (conversation external key, assistant and"
            + " settings slug, credential name, graph node key, schedule name, price validity) is a ConflictException naming line, type"
            + " and column before any write: the tenant holds exactly what it held")
    void secondaryKeyClashWithStoredRowRefusedBeforeAnyWrite() {
        String file = text(export(naturalKeys(atlas.tenant("src")), ExportScope.tenant()));
        Map<String, java.util.function.Consumer<Tenant>> cases = new TreeMap<>();
        cases.put("conversation.external_key", t -> t.conversations().ensure("order-1", dev.atlas.conversation.NewConversation.of(BOB)));
        cases.put("assistant.slug", t -> t.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Other bot")));
        cases.put("settings.slug", t -> t.settings().create("defaults", "Other", null));
        cases.put("credential.name", t -> t.credentials().put(ALICE, "github", "other"));
        cases.put("graph_node.node_key", t -> t.graph().upsertNode(dev.atlas.graph.NewGraphNode.of("n1").label("other")));
        cases.put("task_schedule.name", t -> t.tasks().schedule(dev.atlas.task.NewSchedule.every("digest", java.time.Duration.ofHours(2),
                dev.atlas.task.NewTask.of("other", Map.of()))));
        cases.put("model_price.valid_from", t -> t.prices().set(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "3", "12",
                java.time.Instant.parse("2026-01-01T00:00:00Z"))));
        int i = 0;
        for (Map.Entry<String, java.util.function.Consumer<Tenant>> c : cases.entrySet()) {
            String tenant = "dst" + i++;
            Tenant dst = atlas.tenant(tenant);
            c.getValue().accept(dst);
            Map<String, List<String>> before = rows(database.dataSource(), tenant);
            String type = c.getKey().substring(0, c.getKey().indexOf('.'));
            int line = lineOf(file, "\"type\":\"" + type + "\"");
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(dst, file.getBytes(StandardCharsets.UTF_8), "src")))
                    .as(c.getKey())
                    .isExactlyInstanceOf(ConflictException.class)
                    .extracting(e -> ((ConflictException) e).field()).isEqualTo("line " + line + ": " + c.getKey());
            assertThat(rows(database.dataSource(), tenant)).as(c.getKey()).isEqualTo(before);
        }
        // Under a stored parent: the file imported once, then a second message with a stored one's sequence.
        Tenant again = atlas.tenant("again");
        importBytes(again, file.getBytes(StandardCharsets.UTF_8), "src");
        int line = lineOf(file, "\"type\":\"message\"");
        List<String> lines = new ArrayList<>(file.lines().toList());
        lines.add(line, lines.get(line - 1).replaceFirst("\"id\":\"[^\"]*\"", "\"id\":\"" + UUID.randomUUID() + "\""));
        Map<String, List<String>> before = rows(database.dataSource(), "again");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(again,
                (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8), "src")))
                .isExactlyInstanceOf(ConflictException.class)
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("line " + (line + 1) + ": message.sequence");
        assertThat(rows(database.dataSource(), "again")).isEqualTo(before);
    }

    @Test
    @DisplayName("a unique key another writer takes after the import checked it fails the import at the batch holding it with a"
            + " ConflictException naming line, type and column and what stays imported; once the key is free, importing the same file"
            + " again resumes: the rows already imported are unchanged, the rest imported, and the tenant exports the file back")
    void keyTakenWhileImportingLeavesAResumableImport() {
        Tenant src = atlas.tenant("src");
        dev.atlas.conversation.Conversation c = src.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE));
        // The rows of 1,100 appends in a row (each message and its created event), in two calls of at most 1,000.
        for (int from = 0; from < 1_100; from += 1_000) {
            src.conversations().appendAll(c.id(), java.util.stream.IntStream.range(from, Math.min(from + 1_000, 1_100))
                    .mapToObj(i -> dev.atlas.conversation.NewMessage.user("m" + i)).toList());
        }
        src.tasks().schedule(dev.atlas.task.NewSchedule.every("digest", java.time.Duration.ofHours(2), dev.atlas.task.NewTask.of("digest", Map.of())));
        byte[] file = export(src, ExportScope.tenant());
        // 1 conversation, 1,100 messages and their 1,100 created events, then the schedule: the first batch (2,000 rows) ends in the events.
        int line = lineOf(text(file), "\"type\":\"task_schedule\"");
        int secondBatch = 2 + 2_000;
        Tenant dst = atlas.tenant("dst");
        Tenant competitor = reopen(b -> b).tenant("dst");
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        // Once the first batch is committed, another writer (another Atlas on the database) takes the schedule's name.
        db.beforeEachWrite(h -> {
            if (writes.incrementAndGet() == 2) {
                competitor.tasks().schedule(dev.atlas.task.NewSchedule.every("digest", java.time.Duration.ofHours(3),
                        dev.atlas.task.NewTask.of("other", Map.of())));
            }
        });
        Throwable failed;
        try {
            failed = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(dst, file));
        } finally {
            db.beforeEachWrite(h -> {});
        }

        assertThat(failed).isExactlyInstanceOf(ConflictException.class)
                .hasMessageContaining("rows before line " + secondBatch + " are imported")
                .hasMessageContaining("import the same file again")
                .extracting(e -> ((ConflictException) e).field()).isEqualTo("line " + line + ": task_schedule.name");
        assertThat(dst.conversations().messages(c.id(), 0, 1_000)).hasSize(1_000);
        assertThat(dst.conversations().messages(c.id(), 1_000, 1_000)).hasSize(100);
        competitor.tasks().deleteSchedule("digest");
        ImportReport resumed = importBytes(dst, file);
        assertThat(resumed.unchanged()).containsExactlyInAnyOrderEntriesOf(Map.of("conversation", 1L, "message", 1_100L, "message_event", 899L));
        assertThat(resumed.imported()).containsExactlyInAnyOrderEntriesOf(Map.of("message_event", 201L, "task_schedule", 1L));
        assertThat(text(export(dst, ExportScope.tenant()))).isEqualTo(text(file));
    }

    @Test
    @DisplayName("two imports of one file into one tenant, the second (another Atlas on the database) running whole before any one"
            + " write of the first: the second imports what the first has not stored, the first fails with ConflictException at the"
            + " transaction meeting the second's rows; no row twice, no raw driver error, the tenant exports the file back and"
            + " importing it again changes nothing")
    void concurrentImportsOfOneFileImportItOnce() {
        Tenant src = atlas.tenant("src");
        PortabilityFixture.populate(src, BOB, "b", true, clock);
        PortabilityFixture.populate(src, ALICE, "a", false, clock);
        // Long enough for two transactions of rows (2,000 rows each: a message and its event are two).
        UUID longOne = src.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        // The rows of 1,000 appends in a row (each message and its created event), in one call.
        src.conversations().appendAll(longOne, java.util.stream.IntStream.range(0, 1_000)
                .mapToObj(i -> dev.atlas.conversation.NewMessage.user("m" + i)).toList());
        byte[] file = export(src, ExportScope.tenant());
        dev.atlas.Atlas otherAtlas = reopen(b -> b.credentialKeys(CredentialKeys.of("k1", TestKeys.key("k1"))));
        Map<String, String> outcomes = new TreeMap<>();
        for (int k = 1; ; k++) {
            String tenant = "dst" + k;
            Tenant first = atlas.tenant(tenant);
            Tenant second = otherAtlas.tenant(tenant);
            List<String> competitor = new ArrayList<>();
            Optional<String> raced = withLateWrite(k, () -> {
                competitor.add(importOutcome(() -> importBytes(second, file, "src")));
            }, () -> importOutcome(() -> importBytes(first, file, "src")));
            if (raced.isEmpty()) {
                break; // k is past the last write
            }
            String mine = raced.get();
            outcomes.put("before write " + k, "first: " + mine + "; second: " + competitor.get(0));
            assertThat(unsealed(export(first, ExportScope.tenant()))).as("before write " + k).isEqualTo(unsealed(file));
            assertThat(importBytes(first, file, "src").imported()).as("before write " + k).isEmpty();
        }
        // The first import's first transaction, or the one after the other import's, meets rows the other import stored.
        assertThat(outcomes).isEqualTo(Map.of("before write 1", "first: ConflictException; second: imported",
                "before write 2", "first: ConflictException; second: partly imported"));
    }

    /** "imported", "partly imported", "unchanged" (nothing imported), or the exception's class. */
    static String importOutcome(java.util.function.Supplier<ImportReport> run) {
        try {
            ImportReport r = run.get();
            return r.imported().isEmpty() ? "unchanged" : r.unchanged().isEmpty() ? "imported" : "partly imported";
        } catch (ConflictException e) {
            return "ConflictException";
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    @Test
    @DisplayName("two new rows of one file sharing a unique key other than their ids are an InvalidInputException naming the second's"
            + " line, type and column, and nothing is written")
    void secondaryKeyClashWithinTheFileRefusedBeforeAnyWrite() {
        String file;
        Tenant dst = atlas.tenant("dst");
        dst.conversations().create(dev.atlas.conversation.NewConversation.of(BOB));
        Map<String, List<String>> before = rows(database.dataSource(), "dst");
        naturalKeys(atlas.tenant("src"));
        atlas.tenant("src").memories().create(dev.atlas.memory.NewMemory.fact(ALICE, "likes tea").tags("drinks"));
        atlas.tenant("src").search().upsertVector(dev.atlas.search.SearchTarget.MEMORY,
                atlas.tenant("src").memories().list(dev.atlas.memory.MemoryQuery.forOwner(ALICE)).items().get(0).id(), "m1", new float[] {1, 0});
        file = text(export(atlas.tenant("src"), ExportScope.tenant()));
        // Rows without an id of their own (a memory's tag, a vector model) repeated are refused too.
        for (String key : List.of("conversation.external_key", "assistant.slug", "settings.slug", "credential.name", "graph_node.node_key",
                "task_schedule.name", "model_price.valid_from", "message.sequence", "memory_tag.tag", "vector_model.model")) {
            String type = key.substring(0, key.indexOf('.'));
            int line = lineOf(file, "\"type\":\"" + type + "\"");
            List<String> lines = new ArrayList<>(file.lines().toList());
            String copy = lines.get(line - 1).replaceFirst("\"id\":\"[^\"]*\"", "\"id\":\"" + UUID.randomUUID() + "\"");
            lines.add(line, copy);
            byte[] in = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(dst, in, "src")))
                    .as(key)
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + (line + 1) + ": " + key);
        }
        assertThat(rows(database.dataSource(), "dst")).isEqualTo(before);
    }

    @Test
    @DisplayName("a key a stored row held once it was soft-deleted is free: the import takes it")
    void secondaryKeyOfADeletedRowIsFree() {
        String file = text(export(naturalKeys(atlas.tenant("src")), ExportScope.tenant()));
        Tenant dst = atlas.tenant("dst");
        dst.assistants().delete(dst.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Old bot")).id());
        ImportReport report = importBytes(dst, file.getBytes(StandardCharsets.UTF_8), "src");
        assertThat(report.imported("assistant")).isEqualTo(1);
        assertThat(dst.assistants().getBySlug("bot").orElseThrow().name()).isEqualTo("Bot");
    }

    /**
     * For each {@code type.column := value}, the file with the first row of that type changed (null: the column left out; a row
     * without the column gets it) fails with InvalidInputException naming line, type and column; nothing is written.
     */
    private void eachRefused(String file, Map<String, Object[]> cases) throws IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        for (Map.Entry<String, Object[]> c : cases.entrySet()) {
            String type = c.getKey().substring(0, c.getKey().indexOf('.'));
            String column = c.getKey().substring(type.length() + 1);
            List<String> lines = new ArrayList<>(file.lines().toList());
            int line = -1;
            for (boolean anyRow : new boolean[] {false, true}) {
                for (int i = 0; i < lines.size() && line < 0; i++) {
                    var record = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(lines.get(i));
                    var row = (com.fasterxml.jackson.databind.node.ObjectNode) record.get("row");
                    if (!type.equals(record.path("type").asText()) || row == null || !anyRow && !row.has(column)) {
                        continue;
                    }
                    if (c.getValue()[0] == null) {
                        row.remove(column);
                    } else {
                        row.set(column, (com.fasterxml.jackson.databind.JsonNode) c.getValue()[0]);
                    }
                    lines.set(i, json.writeValueAsString(record));
                    line = i + 1;
                }
            }
            assertThat(line).as(c.getKey()).isPositive();
            byte[] in = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, in, "acme")))
                    .as(c.getKey())
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + line + ": " + c.getKey());
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("text the API's writes would refuse (over a field's limit, blank where it must not be, no valid cron or finish reason),"
            + " or a number beyond the API's bound, is an InvalidInputException naming line, type and column, and nothing is written")
    void textsTheApiRefusesAreRefused() throws IOException {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        var nodes = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        Map<String, Object[]> cases = new TreeMap<>();
        cases.put("conversation.title", new Object[] {nodes.textNode("t".repeat(Limits.MAX_TITLE_LENGTH + 1))});
        cases.put("conversation.agent", new Object[] {nodes.textNode(" ")});
        cases.put("conversation.external_key", new Object[] {nodes.textNode("k".repeat(Limits.MAX_KEY_LENGTH + 1))});
        cases.put("assistant.name", new Object[] {nodes.textNode("n".repeat(Limits.MAX_TITLE_LENGTH + 1))});
        cases.put("assistant.slug", new Object[] {nodes.textNode("Not A Slug")});
        cases.put("settings.name", new Object[] {nodes.textNode(" ")});
        cases.put("settings_revision.label", new Object[] {nodes.textNode("")});
        cases.put("credential.name", new Object[] {nodes.textNode("c".repeat(Limits.MAX_KEY_LENGTH + 1))});
        cases.put("graph_node.node_key", new Object[] {nodes.textNode("")});
        cases.put("graph_node.label", new Object[] {nodes.textNode("l".repeat(Limits.MAX_TITLE_LENGTH + 1))});
        cases.put("task_schedule.cron", new Object[] {nodes.textNode("every day")});
        cases.put("execution.provider", new Object[] {nodes.textNode("p".repeat(Limits.MAX_KEY_LENGTH + 1))});
        cases.put("execution.error", new Object[] {nodes.textNode("e".repeat(Limits.MAX_REASON_LENGTH + 1))});
        cases.put("execution_step.finish_reason", new Object[] {nodes.textNode("bored")});
        cases.put("tool_call.name", new Object[] {nodes.textNode(" ")});
        cases.put("tool_call.arguments", new Object[] {nodes.textNode("{\"a\": \"\\u0000\"}")}); // jsonb refuses the escape
        cases.put("message.client_message_id", new Object[] {nodes.textNode("m".repeat(Limits.MAX_KEY_LENGTH + 1))});
        cases.put("message.failure_reason", new Object[] {nodes.textNode("f".repeat(Limits.MAX_REASON_LENGTH + 1))});
        cases.put("memory.content", new Object[] {nodes.textNode("  ")});
        cases.put("asset.filename", new Object[] {nodes.textNode("")});
        cases.put("voice_call.session_id", new Object[] {nodes.textNode("s".repeat(Limits.MAX_KEY_LENGTH + 1))});
        cases.put("vector.model", new Object[] {nodes.textNode("no spaces allowed")});
        cases.put("task.kind", new Object[] {nodes.textNode(" ")});
        cases.put("credential.key_id", new Object[] {nodes.textNode("k/1")});
        // Numbers the API bounds below the column's range.
        cases.put("assistant.max_output_tokens", new Object[] {nodes.numberNode(dev.atlas.assistant.AssistantSpec.MAX_OUTPUT_TOKENS + 1)});
        cases.put("execution.input_tokens", new Object[] {nodes.numberNode(Limits.MAX_TOKEN_COUNT + 1)});
        cases.put("execution_step.output_tokens", new Object[] {nodes.numberNode(Limits.MAX_TOKEN_COUNT + 1)});
        // A price past Limits.MAX_PRICE_PER_MILLION (10^12 micro-units per million): imported, every read of it and every
        // finish of an execution of its model failed with InvalidInputException on inputPerMillion, and the run lost its usage.
        long overMaxPrice = dev.atlas.execution.ModelPrice.micros(Limits.MAX_PRICE_PER_MILLION) + 1;
        for (String column : List.of("input_micros_per_mtok", "output_micros_per_mtok", "cached_micros_per_mtok", "cache_write_micros_per_mtok")) {
            cases.put("model_price." + column, new Object[] {nodes.numberNode(overMaxPrice)});
        }
        eachRefused(file, cases);
    }

    @Test
    @DisplayName("a schedule whose interval NewSchedule refuses (under 1 second, over 366 days) is an InvalidInputException naming"
            + " line, type and interval_micros, and nothing is written: imported, it was skipped as unreadable at every poll and listing")
    void scheduleIntervalOutsideTheApiBoundsIsRefused() throws IOException {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        var nodes = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        long min = dev.atlas.task.NewSchedule.MIN_INTERVAL.toNanos() / 1_000;
        long max = dev.atlas.task.NewSchedule.MAX_INTERVAL.toNanos() / 1_000;
        for (long micros : new long[] {1, min - 1, max + 1, Long.MAX_VALUE}) {
            eachRefused(file, Map.of("task_schedule.interval_micros", new Object[] {nodes.numberNode(micros)}));
        }
        // The bounds themselves import.
        for (long micros : new long[] {min, max}) {
            assertThat(file).contains("\"interval_micros\":21600000000");
            String at = file.replace("\"interval_micros\":21600000000", "\"interval_micros\":" + micros);
            Tenant beta = atlas.tenant(micros == min ? "beta" : "gamma");
            importBytes(beta, at.getBytes(StandardCharsets.UTF_8), "acme");
            assertThat(beta.tasks().getSchedule("digest-a").orElseThrow().interval()).isEqualTo(java.time.Duration.ofNanos(micros * 1_000));
        }
    }

    @Test
    @DisplayName("an enum value in another case than its stored form, as the readers accept it (IMAGE, Text, ASSISTANT), imports in"
            + " the stored form: the tenant exports back byte-identical to the canonical file")
    void enumValuesInAnyCaseImportCanonical() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        String shouting = replaceLine(file, "\"type\":\"asset\"", "\"type\":\"image\"", "\"type\":\"IMAGE\"");
        shouting = replaceLine(shouting, "\"type\":\"execution\"", "\"type\":\"text\"", "\"type\":\"Text\"");
        shouting = replaceLine(shouting, "\"content\":\"Your order shipped.\"", "\"role\":\"assistant\"", "\"role\":\"ASSISTANT\"");
        shouting = replaceLine(shouting, "\"type\":\"conversation\"", "\"status\":\"open\"", "\"status\":\"Open\"");
        assertThat(shouting).contains("IMAGE").contains("\"Text\"").contains("ASSISTANT").contains("\"Open\"");
        Tenant beta = atlas.tenant("beta");
        importBytes(beta, shouting.getBytes(StandardCharsets.UTF_8), "acme");
        assertThat(unsealed(export(beta, ExportScope.tenant()))).isEqualTo(unsealed(file));
        // And the canonical file is then a no-op.
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8), "acme").imported()).isEmpty();
    }

    @Test
    @DisplayName("a file with a UTF-8 byte order mark, CRLF line endings or no final newline imports like the original")
    void bomCrlfAndNoFinalNewlineImport() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        Map<String, byte[]> variants = new TreeMap<>();
        variants.put("bom", ("\uFEFF" + file).getBytes(StandardCharsets.UTF_8));
        variants.put("crlf", file.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
        variants.put("no final newline", file.substring(0, file.length() - 1).getBytes(StandardCharsets.UTF_8));
        for (Map.Entry<String, byte[]> v : variants.entrySet()) {
            Tenant t = atlas.tenant("t-" + v.getKey().replace(' ', '-'));
            importBytes(t, v.getValue(), "acme");
            assertThat(unsealed(export(t, ExportScope.tenant()))).as(v.getKey()).isEqualTo(unsealed(file));
        }
    }

    @Test
    @DisplayName("a header whose version is anything but the integer 1 or 2 (\"1\", 1.0, true, 3, 2^32+1, null, missing) is refused naming line 1: version,"
            + " and nothing is written")
    void headerVersionOtherThanTheInteger1Refused() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        String header = "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + schemaVersion() + "}";
        assertThat(file).startsWith(header + "\n");
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String> actual = new TreeMap<>();
        Map<String, String> expected = new TreeMap<>();
        for (String version : List.of("\"1\"", "1.0", "1.5", "true", "3", "0", "4294967297", "null", "[1]", "{}")) {
            String edited = "{\"type\":\"atlas-export\",\"version\":" + version + "}" + file.substring(header.length());
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, edited.getBytes(StandardCharsets.UTF_8)));
            expected.put(version, "InvalidInputException line 1: version");
            actual.put(version, x == null ? "imported" : x.getClass().getSimpleName() + (x instanceof InvalidInputException a ? " " + a.field() : ""));
        }
        Throwable missing = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta,
                ("{\"type\":\"atlas-export\"}" + file.substring(header.length())).getBytes(StandardCharsets.UTF_8)));
        expected.put("missing", "InvalidInputException line 1: version");
        actual.put("missing", missing == null ? "imported" : missing.getClass().getSimpleName()
                + (missing instanceof InvalidInputException a ? " " + a.field() : ""));
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    /** The newest migration this database ran, as its history records it. */
    long schemaVersion() {
        return count("SELECT max(CAST(version AS INTEGER)) FROM " + PREFIX + "schema_history WHERE success");
    }

    @Test
    @DisplayName("a file in a newer export format says it was written by a newer Atlas and to upgrade, naming line 1: version, and"
            + " writes nothing; a version below 1 is still malformed")
    void aNewerExportFormatSaysToUpgrade() {
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        InvalidInputException newer = org.assertj.core.api.Assertions.catchThrowableOfType(InvalidInputException.class, () -> importBytes(beta,
                "{\"type\":\"atlas-export\",\"version\":3}\n{\"type\":\"conversation_pin\",\"row\":{}}\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(newer.field()).isEqualTo("line 1: version");
        assertThat(newer.getMessage()).isEqualTo("line 1: version: the file was written by a newer Atlas (export format 3);"
                + " this atlas reads export format 2: upgrade atlas to import it");
        InvalidInputException zero = org.assertj.core.api.Assertions.catchThrowableOfType(InvalidInputException.class, () -> importBytes(beta,
                "{\"type\":\"atlas-export\",\"version\":0}\n".getBytes(StandardCharsets.UTF_8)));
        assertThat(zero.getMessage()).isEqualTo("line 1: version: must be 1 to 2, was '0'");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("an export's header records the schema version of the database it was read from; a file whose header has none (written"
            + " before it was recorded) still imports")
    void exportHeaderRecordsTheSchemaVersion() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        long schema = schemaVersion();
        assertThat(schema).isPositive();
        String header = "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + schema + "}";
        assertThat(file).startsWith(header + "\n");
        String older = "{\"type\":\"atlas-export\",\"version\":2}" + file.substring(header.length());
        importBytes(atlas.tenant("beta"), older.getBytes(StandardCharsets.UTF_8), "acme");
        assertThat(unsealed(export(atlas.tenant("beta"), ExportScope.tenant()))).isEqualTo(unsealed(file));
    }

    @Test
    @DisplayName("an export ends with an end record counting its rows per type; a copy cut at any line boundary (down to the header"
            + " alone) is refused naming the line the end record was due on, and nothing is written")
    void aFileCutAtALineBoundaryIsRefused() {
        Tenant acme = populated();
        ExportReport report = acme.portability().exportTo(new ByteArrayOutputStream(), ExportScope.tenant());
        String file = text(export(acme, ExportScope.tenant()));
        List<String> lines = file.lines().toList();
        StringBuilder rows = new StringBuilder();
        report.exported().forEach((type, n) -> rows.append(rows.length() == 0 ? "" : ",").append('"').append(type).append("\":").append(n));
        assertThat(lines.get(lines.size() - 1)).isEqualTo("{\"type\":\"end\",\"rows\":{" + rows + "}}");
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<Integer, String> actual = new TreeMap<>();
        Map<Integer, String> expected = new TreeMap<>();
        for (int keep = 1; keep < lines.size(); keep++) {
            String cut = String.join("\n", lines.subList(0, keep)) + "\n";
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, cut.getBytes(StandardCharsets.UTF_8), "acme"));
            expected.put(keep, "InvalidInputException line " + (keep + 1) + ": end");
            actual.put(keep, x == null ? "imported" : x.getClass().getSimpleName() + (x instanceof InvalidInputException a ? " " + a.field() : ""));
        }
        assertThat(actual).isEqualTo(expected);
        InvalidInputException last = org.assertj.core.api.Assertions.catchThrowableOfType(InvalidInputException.class, () -> importBytes(beta,
                (String.join("\n", lines.subList(0, lines.size() - 1)) + "\n").getBytes(StandardCharsets.UTF_8), "acme"));
        assertThat(last.getMessage()).isEqualTo("line " + lines.size() + ": end: is missing: the header announces an end record"
                + " {\"type\":\"end\",...} after the last row, and the file ends before it (cut short when it was written or copied);"
                + " export it again or use a whole copy");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("a stored value an import would refuse (a price over the maximum, a blank model: written by SQL or an older Atlas) fails"
            + " the export with UnreadableRowException naming the table, the row and the column, instead of a backup no import restores;"
            + " an import refusing a number out of range shows it as written, not as 1.000001E12")
    void aValueNoImportAcceptsFailsTheExportNamingItsRow() throws java.sql.SQLException {
        Tenant acme = atlas.tenant("acme");
        acme.prices().create(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "2.50", "10", java.time.Instant.parse("2026-01-01T00:00:00Z")));
        String good = text(export(acme, ExportScope.tenant()));
        String id;
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            try (java.sql.ResultSet rs = st.executeQuery("SELECT id FROM " + PREFIX + "model_prices WHERE tenant_id = 'acme'")) {
                assertThat(rs.next()).isTrue();
                id = rs.getString(1);
            }
            assertThat(st.executeUpdate("UPDATE " + PREFIX + "model_prices SET input_micros_per_mtok = 1000001000000")).isEqualTo(1);
            assertThatThrownBy(() -> export(acme, ExportScope.tenant())).isInstanceOfSatisfying(dev.atlas.UnreadableRowException.class, e -> {
                assertThat(e.table()).isEqualTo("model_prices");
                assertThat(e.rowId()).isEqualTo(id);
                assertThat(e.why()).isEqualTo("model_price.input_micros_per_mtok: must be between 0 and 1000000000000, was 1000001000000:"
                        + " an import would refuse it, so the export stops here; correct or delete the row, then export again");
            });
            assertThat(st.executeUpdate("UPDATE " + PREFIX + "model_prices SET input_micros_per_mtok = 2500000, model = ' '")).isEqualTo(1);
            assertThatThrownBy(() -> export(acme, ExportScope.tenant())).isInstanceOfSatisfying(dev.atlas.UnreadableRowException.class, e -> {
                assertThat(e.table()).isEqualTo("model_prices");
                assertThat(e.rowId()).isEqualTo(id);
                assertThat(e.why()).startsWith("model_price.model: must not be blank");
            });
            assertThat(st.executeUpdate("UPDATE " + PREFIX + "model_prices SET model = 'gpt-4o'")).isEqualTo(1);
        }
        assertThat(text(export(acme, ExportScope.tenant()))).isEqualTo(good);
        // The import's own refusal of the same value, in a file edited by hand.
        String edited = good.replace("\"input_micros_per_mtok\":2500000", "\"input_micros_per_mtok\":1000001000000");
        assertThat(edited).isNotEqualTo(good);
        assertThatThrownBy(() -> importBytes(atlas.tenant("beta"), edited.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("line 2: model_price.input_micros_per_mtok: must be between 0 and 1000000000000, was 1000001000000");
    }

    @Test
    @DisplayName("an enum value this atlas does not know (a finish reason a newer Atlas adds, during a rolling upgrade) does not fail"
            + " the export: it is written as stored, the rest of the file as before, and an import of this schema refuses it naming the line")
    void anUnknownEnumValueIsExportedAsStored() throws java.sql.SQLException {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.execution.ExecutionHandle run = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"));
        run.step().finish("done", dev.atlas.execution.FinishReason.STOP);
        run.complete();
        String good = text(export(acme, ExportScope.tenant()));
        assertThat(good).contains("\"finish_reason\":\"stop\"");
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement st = c.createStatement()) {
            // No CHECK bounds finish_reason (a provider's reasons grow): a newer Atlas may store one this one has no constant for.
            assertThat(st.executeUpdate("UPDATE " + PREFIX + "execution_steps SET finish_reason = 'hologram' WHERE tenant_id = 'acme'"))
                    .isEqualTo(1);
        }
        String file = text(export(acme, ExportScope.tenant()));
        assertThat(file).isEqualTo(good.replace("\"finish_reason\":\"stop\"", "\"finish_reason\":\"hologram\""));
        assertThatThrownBy(() -> importBytes(atlas.tenant("beta"), file.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("line 3: execution_step.finish_reason: 'hologram' is not one of [stop, tool_calls, length, content_filter, error]");
    }

    @Test
    @DisplayName("an end record whose counts differ from the rows before it (a line lost in the middle, a count edited), that is not an object"
            + " of counts, or that a record follows, is refused naming its line and field, and nothing is written")
    void anEndRecordThatDoesNotMatchIsRefused() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        List<String> lines = file.lines().toList();
        int end = lines.size();
        String trailer = lines.get(end - 1);
        int event = lineOf(file, "{\"type\":\"message_event\",");
        Map<String, String> cases = new TreeMap<>();
        List<String> lost = new ArrayList<>(lines);
        lost.remove(event - 1);
        cases.put("line " + (end - 1) + ": rows.message_event", String.join("\n", lost) + "\n");
        cases.put("line " + end + ": rows.message", file.replace(trailer, trailer.replaceFirst("\"message\":(\\d+)", "\"message\":99")));
        cases.put("line " + end + ": rows.letter", file.replace(trailer, trailer.replace("\"rows\":{", "\"rows\":{\"letter\":0,")));
        cases.put("line " + end + ": rows", file.replace(trailer, "{\"type\":\"end\",\"rows\":[]}"));
        cases.put("line " + end + ": rows.memory", file.replace(trailer, trailer.replaceFirst("\"memory\":(\\d+)", "\"memory\":\"2\"")));
        cases.put("line " + (end + 1), file + lines.get(1) + "\n");
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String> actual = new TreeMap<>();
        Map<String, String> expected = new TreeMap<>();
        cases.forEach((field, input) -> {
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, input.getBytes(StandardCharsets.UTF_8), "acme"));
            expected.put(field, "InvalidInputException " + field);
            actual.put(field, x == null ? "imported" : x.getClass().getSimpleName() + (x instanceof InvalidInputException a ? " " + a.field() : ""));
        });
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("a file in the older export format 1 (no end record announced) still imports, as before")
    void anOlderFormatFileWithoutEndRecordStillImports() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        List<String> lines = new ArrayList<>(file.lines().toList());
        lines.set(0, "{\"type\":\"atlas-export\",\"version\":1,\"schema\":" + schemaVersion() + "}");
        lines.remove(lines.size() - 1);
        String older = String.join("\n", lines) + "\n";
        importBytes(atlas.tenant("beta"), older.getBytes(StandardCharsets.UTF_8), "acme");
        assertThat(unsealed(export(atlas.tenant("beta"), ExportScope.tenant()))).isEqualTo(unsealed(file));
    }

    @Test
    @DisplayName("a row type or column this atlas does not know, in a file whose header records a newer schema than this database's, says"
            + " the file was written by a newer Atlas and to upgrade; in a file of this schema, an older one or none, it is only unknown;"
            + " a schema that is not a positive integer is refused naming line 1: schema; nothing is written")
    void aNewerSchemasRowsSayToUpgrade() {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("hello"));
        long schema = schemaVersion();
        String file = text(export(acme, ExportScope.tenant()));
        String header = "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + schema + "}";
        assertThat(file).startsWith(header + "\n");
        String body = file.substring(header.length());
        int at = lineOf(file, "{\"type\":\"conversation\",");
        String column = body.replace("{\"type\":\"conversation\",\"row\":{", "{\"type\":\"conversation\",\"row\":{\"pinned\":true,");
        String rowType = body.replace("{\"type\":\"end\",", "{\"type\":\"conversation_pin\",\"row\":{}}\n{\"type\":\"end\",");
        int last = lineOf(rowType, "conversation_pin"); // rowType starts with the header line's newline: lines as in the file
        String upgrade = ": the file was written by a newer Atlas (schema " + (schema + 1) + "); this database is at schema " + schema
                + ": upgrade atlas to import it";
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String> actual = new TreeMap<>();
        Map<String, String> expected = new TreeMap<>();
        Map<String, String> cases = new TreeMap<>();
        cases.put("column, newer", "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + (schema + 1) + "}" + column);
        expected.put("column, newer", "line " + at + ": conversation.pinned: is not a column of conversation" + upgrade);
        cases.put("type, newer", "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + (schema + 1) + "}" + rowType);
        expected.put("type, newer", "line " + last + ": type: is not a known row type: 'conversation_pin'" + upgrade);
        cases.put("column, same", header + column);
        expected.put("column, same", "line " + at + ": conversation.pinned: is not a column of conversation");
        cases.put("type, older", "{\"type\":\"atlas-export\",\"version\":1,\"schema\":1}" + rowType);
        expected.put("type, older", "line " + last + ": type: is not a known row type: 'conversation_pin'");
        cases.put("column, none", "{\"type\":\"atlas-export\",\"version\":1}" + column);
        expected.put("column, none", "line " + at + ": conversation.pinned: is not a column of conversation");
        for (String bad : List.of("\"35\"", "0", "-1", "1.5", "null", "99999999999999999999")) {
            cases.put("schema " + bad, "{\"type\":\"atlas-export\",\"version\":1,\"schema\":" + bad + "}" + body);
            expected.put("schema " + bad, "line 1: schema: must be a positive integer, was " + dev.atlas.internal.Check.quoted(bad));
        }
        cases.forEach((name, input) -> {
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, input.getBytes(StandardCharsets.UTF_8)));
            actual.put(name, x == null ? "imported" : x instanceof InvalidInputException ? x.getMessage() : x.toString());
        });
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("JSON Lines means one record per line: a record split over lines, or two records on one line, is refused naming that line,"
            + " and nothing is written; blank lines between records are accepted")
    void oneRecordPerLine() {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("hello"));
        acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("again"));
        String file = text(export(acme, ExportScope.tenant()));
        int hello = lineOf(file, "\"content\":\"hello\"");
        Map<String, String> cases = new TreeMap<>(); // name := input, expected: refused naming line `hello`
        cases.put("split after its type", replaceLine(file, "\"content\":\"hello\"", "\"row\":{", "\n\"row\":{"));
        cases.put("split before its end", replaceLine(file, "\"content\":\"hello\"", "\"content\":\"hello\"", "\"content\":\"hello\"\n"));
        cases.put("joined with the next", replaceLine(file, "\"content\":\"hello\"", "}}", "}}\u0001").replace("\u0001\n", ""));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String> expected = new TreeMap<>();
        Map<String, String> actual = new TreeMap<>();
        for (Map.Entry<String, String> e : cases.entrySet()) {
            assertThat(e.getValue()).as(e.getKey()).isNotEqualTo(file);
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, e.getValue().getBytes(StandardCharsets.UTF_8)));
            expected.put(e.getKey(), "InvalidInputException line " + hello);
            actual.put(e.getKey(), x == null ? "imported" : x.getClass().getSimpleName() + (x instanceof InvalidInputException a ? " " + a.field() : ""));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        importBytes(beta, file.replace("\n", "\n\n").getBytes(StandardCharsets.UTF_8));
        assertThat(text(export(beta, ExportScope.tenant()))).isEqualTo(file);
    }

    @Test
    @DisplayName("a file cut off inside its last record, or holding garbage, is an InvalidInputException naming the line, and nothing is written")
    void truncatedOrGarbledFileRefused() {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        int last = (int) file.lines().count();
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String[]> cases = new TreeMap<>(); // name := input, expected field
        cases.put("cut", new String[] {file.substring(0, file.length() - 10), "line " + last});
        cases.put("garbage line", new String[] {file + "garbage\n", "line " + (last + 1)});
        cases.put("binary", new String[] {"\u0001\u0002PK\u0003", "line 1"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, c.getValue()[0].getBytes(StandardCharsets.UTF_8), "acme")))
                    .as(c.getKey())
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo(c.getValue()[1]);
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("a file whose bytes are not UTF-8 where a damaged byte made an overlong form of a character (one flipped bit turns"
            + " 'é', C3 A9, into C1 A9, which lenient decoders read as 'i') is an InvalidInputException naming the line, and nothing"
            + " is written; the undamaged file imports and exports back byte-exact")
    void bytesThatAreNotUtf8Refused() {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("caf\u00e9 /x"));
        byte[] file = export(acme, ExportScope.tenant());
        int line = lineOf(text(file), "\"title\":\"caf"); // the first 'é': the title Atlas took from the message
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String> cases = new TreeMap<>(); // name := damaged bytes in place of C3 A9
        cases.put("overlong 2 bytes (C1 A9: 'i')", "c1a9");
        cases.put("overlong 2 bytes (C0 AF: '/')", "c0af");
        cases.put("overlong 3 bytes (E0 81 A9: 'i')", "e081a9");
        cases.put("overlong 4 bytes (F0 80 81 A9: 'i')", "f08081a9");
        cases.put("beyond U+10FFFF (F4 90 80 80)", "f4908080");
        cases.put("a 5-byte form (F8 88 80 80 80)", "f888808080");
        cases.put("a continuation byte alone (A9)", "a9");
        Map<String, String> expected = new TreeMap<>();
        Map<String, String> actual = new TreeMap<>();
        byte[] e9 = {(byte) 0xC3, (byte) 0xA9};
        int at = indexOf(file, e9);
        for (Map.Entry<String, String> e : cases.entrySet()) {
            byte[] bad = java.util.HexFormat.of().parseHex(e.getValue());
            byte[] in = new byte[file.length - 2 + bad.length];
            System.arraycopy(file, 0, in, 0, at);
            System.arraycopy(bad, 0, in, at, bad.length);
            System.arraycopy(file, at + 2, in, at + bad.length, file.length - at - 2);
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, in));
            expected.put(e.getKey(), "InvalidInputException line " + line + ": is not UTF-8");
            actual.put(e.getKey(), x == null ? "imported" : x.getClass().getSimpleName()
                    + (x instanceof InvalidInputException a ? " " + a.field() + ": " + a.getMessage().substring(a.field().length() + 2).split(":")[0] : ""));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        importBytes(beta, file);
        assertThat(export(beta, ExportScope.tenant())).isEqualTo(file);
    }

    private static int indexOf(byte[] in, byte[] part) {
        for (int i = 0; i + part.length <= in.length; i++) {
            if (java.util.Arrays.equals(in, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    @Test
    @DisplayName("text at the edges (emoji, astral and combining characters, RTL marks, escapes, a title of exactly the limit, deep JSON"
            + " at the depth limit, integers beyond 64 bits) exports and imports back byte-exact")
    void edgeTextRoundTripsByteExact() {
        Tenant acme = atlas.tenant("acme");
        String odd = "𝄞 👩‍👩‍👧 e\u0301 \u202Eevil\u202C \t\\ \" </script> \u2028 ÿ \uFFFD";
        Object deep = Map.of();
        for (int i = 0; i < Limits.MAX_JSON_DEPTH - 2; i++) {
            deep = Map.of("d", deep);
        }
        dev.atlas.conversation.Conversation c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)
                .title("🙂".repeat(Limits.MAX_TITLE_LENGTH / 2))
                .metadata(Map.of("odd", odd, "huge", new java.math.BigInteger("123456789012345678901234567890"), "deep", deep)));
        acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user(odd));
        acme.memories().create(dev.atlas.memory.NewMemory.fact(ALICE, odd).tags(List.of("🏷️", "ünï")));
        byte[] file = export(acme, ExportScope.tenant());
        Tenant beta = atlas.tenant("beta");
        importBytes(beta, file);
        assertThat(export(beta, ExportScope.tenant())).isEqualTo(file);
        assertThat(beta.conversations().require(c.id()).title()).isEqualTo("🙂".repeat(Limits.MAX_TITLE_LENGTH / 2));
        assertThat(beta.conversations().require(c.id()).metadata()).isEqualTo(acme.conversations().require(c.id()).metadata());
    }

    @Test
    @DisplayName("decided: a memory's provenance is imported as the file gives it, a tool call and message of another conversation than"
            + " the memory's included, though create refuses both (MemoryStoreContract#provenanceToolCallOfAnotherConversation): Atlas"
            + " wrote such memories before the checks, nothing reads through the links, and a backup must restore; it exports back"
            + " byte-identical")
    void memoryProvenanceIsImportedAsGiven() {
        Tenant acme = atlas.tenant("acme");
        UUID x = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID inX = acme.conversations().append(x, dev.atlas.conversation.NewMessage.user("I moved to Lyon")).id();
        UUID y = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID inY = acme.conversations().append(y, dev.atlas.conversation.NewMessage.user("I like tea")).id();
        UUID callInX = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(x)).step()
                .toolCall("c1", "remember", "{}").id();
        UUID callInY = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(y)).step()
                .toolCall("c1", "remember", "{}").id();
        UUID memory = acme.memories().create(dev.atlas.memory.NewMemory.fact(ALICE, "lives in Lyon").from(x, inX).toolCall(callInX)).id();
        assertThatThrownBy(() -> acme.memories().create(dev.atlas.memory.NewMemory.fact(ALICE, "lives in Lyon").from(x, inX).toolCall(callInY)))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("toolCallId");
        // As an Atlas before the checks wrote it: the call and the message of conversation y, the memory of x.
        String file = replaceLine(replaceLine(text(export(acme, ExportScope.tenant())), "\"id\":\"" + memory, "\"tool_call_id\":\"" + callInX,
                "\"tool_call_id\":\"" + callInY), "\"id\":\"" + memory, "\"message_id\":\"" + inX, "\"message_id\":\"" + inY);
        assertThat(file).contains("\"tool_call_id\":\"" + callInY).contains("\"message_id\":\"" + inY);
        Tenant beta = atlas.tenant("beta");
        assertThat(importBytes(beta, file.getBytes(StandardCharsets.UTF_8)).imported()).containsEntry("memory", 1L);
        dev.atlas.memory.Memory imported = beta.memories().require(memory);
        assertThat(List.of(imported.conversationId(), imported.messageId(), imported.toolCallId())).containsExactly(x, inY, callInY);
        assertThat(text(export(beta, ExportScope.tenant()))).isEqualTo(file);
    }

    @Test
    @DisplayName("an import's refusal quotes what the file holds escaped and bounded: an unknown row type, column or record field, a"
            + " header's version, a JSON column of the wrong shape, the parser's own complaint (cut at 300 code points) and a unique key clashing in the file or"
            + " with a stored row show a line break, U+202E or a control as a backslash-u code, and an unknown name or a value at"
            + " most 40 code points; an unknown column or record field of 1 to 64 characters with no ' and nothing to escape (createdAt,"
            + " Row) is in field() as written; NUL and lone surrogates in the file's text are refused naming line and column; nothing is written")
    void fileValuesInImportErrorsAreEscaped() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.Conversation c = acme.conversations().ensure("order\u20281", dev.atlas.conversation.NewConversation.of(ALICE));
        acme.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("hello").metadata(Map.of("m", "v")));
        String file = text(export(acme, ExportScope.tenant()));
        int conv = lineOf(file, "\"type\":\"conversation\"");
        int msg = lineOf(file, "\"content\":\"hello\"");
        String y = "y".repeat(100);
        Map<String, String[]> cases = new TreeMap<>(); // name := input, exception's message
        cases.put("type", new String[] {file.replace("\"type\":\"message\"", "\"type\":\"mess\\u2028age" + y + "\""),
                "line " + msg + ": type: is not a known row type: 'mess\\u2028age" + "y".repeat(32) + "\u2026'"});
        cases.put("version", new String[] {file.replace("\"version\":2,", "\"version\":\"1\\u2028" + y + "\","),
                "line 1: version: must be 1 to 2, was '\"1\\u2028" + "y".repeat(37) + "\u2026'"});
        cases.put("json column", new String[] {file.replace("\"metadata\":{\"m\":\"v\"}", "\"metadata\":[\"\\u2028\"," + "1,".repeat(50) + "1]"),
                "line " + msg + ": message.metadata: must be a JSON object, was '[\"\\u2028\"," + "1,".repeat(17) + "1\u2026'"});
        cases.put("parser", new String[] {file.replace("\"content\":\"hello\"", "\"content\":tru\u001b\u2028x"),
                "line " + msg + ": is not JSON: Unrecognized token 'tru\\u001b': was expecting (JSON String, Number, Array, Object or token"
                        + " 'null', 'true' or 'false')"});
        cases.put("parser, long", new String[] {file.replace("\"content\":\"hello\"", "\"content\":tru" + "x".repeat(5_000)),
                "line " + msg + ": is not JSON: Unrecognized token 'tru" + "x".repeat(253) + "...': was expecting (JSO\u2026"});
        cases.put("enum", new String[] {file.replace("\"role\":\"user\"", "\"role\":\"us\\u2028er" + y + "\""),
                "line " + msg + ": message.role: 'us\\u2028er" + "y".repeat(35) + "\u2026' is not one of [system, user, assistant, tool]"});
        cases.put("id", new String[] {file.replace("\"conversation_id\":\"" + c.id() + "\"", "\"conversation_id\":\"" + c.id() + "\\u2028\""),
                "line " + msg + ": message.conversation_id: is not a UUID: '" + c.id() + "\\u2028'"});
        cases.put("integer", new String[] {file.replace("\"sequence\":1", "\"sequence\":\"1\\u2028" + y + "\""),
                "line " + msg + ": message.sequence: must be an integer, was '\"1\\u2028" + "y".repeat(37) + "\u2026'"});
        cases.put("nul", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"he\\u0000llo\""),
                "line " + msg + ": message.content: contains a NUL character (U+0000) at index 2, which databases cannot store"});
        cases.put("lone surrogate", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"he\\ud83dllo\""),
                "line " + msg + ": message.content: contains an unpaired UTF-16 surrogate at index 2; text must be valid Unicode"});
        // The conversation twice under another id: its external key clashes within the file.
        List<String> lines = new ArrayList<>(file.lines().toList());
        lines.add(conv, lines.get(conv - 1).replaceFirst("\"id\":\"[^\"]*\"", "\"id\":\"" + UUID.randomUUID() + "\""));
        cases.put("key in the file", new String[] {String.join("\n", lines) + "\n", "line " + (conv + 1) + ": conversation.external_key:"
                + " holds external_key [order\\u20281] as the conversation of line " + conv + " does: they are unique"});
        // A name the file gives (a column, a record's field) is in field() as it is when escaping changes nothing, it holds
        // no ' and no space, and it is at most 64 characters (the common mistakes: a camelCase column, a capitalised field); else quoted.
        Map<String, String[]> names = new TreeMap<>(); // name := input, field(), problem
        names.put("camelCase column", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"createdAt\":1"),
                "line " + msg + ": message.createdAt", "is not a column of message"});
        names.put("capitalised record field", new String[] {file.replace("{\"type\":\"message\",", "{\"type\":\"message\",\"Row\":1,"),
                "line " + msg + ": Row", "is not a field of a record (only type and row are)"});
        names.put("column of 64", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"" + "Z".repeat(64) + "\":1"),
                "line " + msg + ": message." + "Z".repeat(64), "is not a column of message"});
        names.put("column of 65", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"" + "Z".repeat(65) + "\":1"),
                "line " + msg + ": message.'" + "Z".repeat(40) + "\u2026'", "is not a column of message"});
        names.put("column with a quote", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"it's\":1"),
                "line " + msg + ": message.'it's'", "is not a column of message"});
        // A blank or space-padded name would be invisible as it is: quoted (review26).
        names.put("blank record field", new String[] {file.replace("{\"type\":\"message\",", "{\"type\":\"message\",\" \":1,"),
                "line " + msg + ": ' '", "is not a field of a record (only type and row are)"});
        names.put("column with a trailing space", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"createdAt \":1"),
                "line " + msg + ": message.'createdAt '", "is not a column of message"});
        names.put("no-break space column", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"\u00a0\":1"),
                "line " + msg + ": message.'\u00a0'", "is not a column of message"});
        names.put("empty record field", new String[] {file.replace("{\"type\":\"message\",", "{\"type\":\"message\",\"\":1,"),
                "line " + msg + ": ''", "is not a field of a record (only type and row are)"});
        names.put("column", new String[] {file.replace("\"content\":\"hello\"", "\"content\":\"hello\",\"x\\u202eevil" + y + "\":1"),
                "line " + msg + ": message.'x\\u202eevil" + "y".repeat(34) + "\u2026'", "is not a column of message"});
        names.put("record field", new String[] {file.replace("{\"type\":\"message\",", "{\"type\":\"message\",\"\\u001b[2J" + y + "\":1,"),
                "line " + msg + ": '\\u001b[2J" + "y".repeat(36) + "\u2026'", "is not a field of a record (only type and row are)"});
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String> expected = new TreeMap<>();
        Map<String, String> actual = new TreeMap<>();
        for (Map.Entry<String, String[]> e : cases.entrySet()) {
            assertThat(e.getValue()[0]).as(e.getKey()).isNotEqualTo(file);
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, e.getValue()[0].getBytes(StandardCharsets.UTF_8)));
            expected.put(e.getKey(), "InvalidInputException: " + e.getValue()[1]);
            actual.put(e.getKey(), thrown == null ? "imported" : thrown.getClass().getSimpleName() + ": " + thrown.getMessage());
        }
        for (Map.Entry<String, String[]> e : names.entrySet()) {
            assertThat(e.getValue()[0]).as(e.getKey()).isNotEqualTo(file);
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, e.getValue()[0].getBytes(StandardCharsets.UTF_8)));
            expected.put(e.getKey(), "InvalidInputException on [" + e.getValue()[1] + "]: " + e.getValue()[1] + ": " + e.getValue()[2]);
            actual.put(e.getKey(), thrown instanceof InvalidInputException x ? "InvalidInputException on [" + x.field() + "]: " + x.getMessage()
                    : thrown == null ? "imported" : thrown.getClass().getSimpleName() + ": " + thrown.getMessage());
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        // A stored conversation holds the key: the import's conflict names it escaped too.
        UUID holder = beta.conversations().ensure("order\u20281", dev.atlas.conversation.NewConversation.of(BOB)).id();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, file.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(ConflictException.class)
                .hasMessage("line " + conv + ": conversation.external_key: conversation " + holder + " of this tenant already holds"
                        + " external_key [order\\u20281]: they are unique");
    }

    @Test
    @DisplayName("rows written while an export runs are in its file whole or not at all: a reply with its execution and tool call, an"
            + " edit, an erased conversation with its tool thread and a new conversation written meanwhile leave the file as the tenant"
            + " was when it began; it imports into an empty tenant, exports back byte-identical, and the report counts its lines")
    void exportDuringWritesIsOneSnapshot() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore cs = acme.conversations();
        dev.atlas.conversation.Conversation c = cs.create(dev.atlas.conversation.NewConversation.of(ALICE)
                .metadata(Map.of("pad", "p".repeat(20_000))));
        UUID hello = cs.append(c.id(), dev.atlas.conversation.NewMessage.user("hello")).id();
        UUID d = cs.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID question = cs.append(d, dev.atlas.conversation.NewMessage.user("erased later")).id();
        dev.atlas.execution.ExecutionHandle run = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(d));
        var step = run.step();
        var call = step.toolCall("call-1", "lookup", "{}");
        cs.create(dev.atlas.conversation.NewConversation.toolThread(ALICE, "helper", d, call.id()));
        call.complete("found");
        step.finish("answer", dev.atlas.execution.FinishReason.STOP);
        cs.append(d, dev.atlas.conversation.NewMessage.assistant("answer").parent(question).execution(run.id(), step.id()));
        run.complete();
        // The export's first bytes reach the stream while it writes the conversations (the padding overflows the
        // generator's buffer): everything written then was not there, or was different, when the export began.
        ByteArrayOutputStream out = new ByteArrayOutputStream() {
            private boolean wrote;

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                if (!wrote) {
                    wrote = true;
                    UUID late = cs.create(dev.atlas.conversation.NewConversation.of(BOB)).id();
                    cs.append(late, dev.atlas.conversation.NewMessage.user("written during the export"));
                    dev.atlas.execution.ExecutionHandle reply = acme.executions()
                            .start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
                    var s = reply.step();
                    s.toolCall("call-late", "lookup", "{}").complete("late");
                    s.finish("reply during the export", dev.atlas.execution.FinishReason.STOP);
                    cs.append(c.id(), dev.atlas.conversation.NewMessage.assistant("reply during the export").parent(hello)
                            .execution(reply.id(), s.id()));
                    reply.complete();
                    cs.edit(hello, "edited during the export");
                    acme.portability().eraseConversation(d, false);
                }
                super.write(b, off, len);
            }
        };
        ExportReport report = acme.portability().exportTo(out, ExportScope.tenant());
        String file = text(out.toByteArray());
        assertThat(cs.get(d)).isEmpty();
        assertThat(file).contains("\"content\":\"hello\"", "erased later", "\"content\":\"answer\"", "call-1", d.toString())
                .doesNotContain("written during the export", "reply during the export", "call-late", "edited during the export");
        Map<String, Long> lines = new TreeMap<>();
        file.lines().skip(1).filter(l -> !l.startsWith("{\"type\":\"end\",")).forEach(l -> lines.merge(l.substring(9, l.indexOf('"', 9)), 1L, Long::sum));
        assertThat(new TreeMap<>(report.exported())).isEqualTo(lines);
        assertThat(lines).containsEntry("conversation", 3L).containsEntry("message", 3L).containsEntry("execution", 1L)
                .containsEntry("execution_step", 1L).containsEntry("tool_call", 1L);
        Tenant beta = atlas.tenant("beta");
        importBytes(beta, out.toByteArray());
        assertThat(text(export(beta, ExportScope.tenant()))).isEqualTo(file);
    }

    @Test
    @DisplayName("an export inside the application's transaction (a data source handing out its connection, as Spring's"
            + " TransactionAwareDataSourceProxy does) reads in that transaction: on SQLite one snapshot (a conversation and message"
            + " written meanwhile by another connection are not in the file); on PostgreSQL at READ COMMITTED, its default, each"
            + " table is read as committed when its read begins: the message written meanwhile is in the file without its"
            + " conversation, and the file does not import; a conversation's export whose conversation another connection erases"
            + " right after the lookup is the conversation whole, or (PostgreSQL at READ COMMITTED) a file of the header alone;"
            + " PostgreSQL at REPEATABLE READ is one snapshot as SQLite is")
    void exportInTheApplicationsTransaction() throws Exception {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.Conversation c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)
                .metadata(Map.of("pad", "p".repeat(20_000))));
        acme.conversations().append(c.id(), NewMessage.user("hello"));
        String before = text(export(acme, ExportScope.tenant()));
        DataSource base = database.dataSource();
        java.util.concurrent.atomic.AtomicReference<Connection> bound = new java.util.concurrent.atomic.AtomicReference<>();
        DataSource binding = (DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, method, args) -> {
                    Connection app = bound.get();
                    if (method.getName().equals("getConnection") && app != null) {
                        // The application's connection; Atlas's close() leaves it open.
                        return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                                (p, m, a) -> m.getName().equals("close") ? null : invoke(m, app, a));
                    }
                    return invoke(method, base, args);
                });
        boolean sqlite = atlas.databaseKind() == dev.atlas.DatabaseKind.SQLITE;
        try (Atlas joined = configure(Atlas.builder().dataSource(binding)).migrate(false).build()) {
            // PostgreSQL: READ COMMITTED (its default and Spring's), then REPEATABLE READ; SQLite has one isolation.
            for (int level : sqlite ? new int[] {Connection.TRANSACTION_SERIALIZABLE}
                    : new int[] {Connection.TRANSACTION_READ_COMMITTED, Connection.TRANSACTION_REPEATABLE_READ}) {
                String was = text(export(acme, ExportScope.tenant()));
                java.util.concurrent.atomic.AtomicReference<UUID> late = new java.util.concurrent.atomic.AtomicReference<>();
                ByteArrayOutputStream out = new ByteArrayOutputStream() {
                    private boolean wrote;

                    @Override
                    public synchronized void write(byte[] b, int off, int len) {
                        if (!wrote) {
                            wrote = true;
                            // Another connection (the per-test instance's pool) commits while the export writes the conversations.
                            late.set(acme.conversations().create(dev.atlas.conversation.NewConversation.of(BOB)).id());
                            acme.conversations().append(late.get(), NewMessage.user("written during the export"));
                        }
                        super.write(b, off, len);
                    }
                };
                ExportReport report;
                try (Connection app = base.getConnection()) {
                    if (!sqlite) {
                        app.setTransactionIsolation(level);
                    }
                    app.setAutoCommit(false);
                    bound.set(app);
                    try {
                        report = joined.tenant("acme").portability().exportTo(out, ExportScope.tenant());
                    } finally {
                        bound.set(null);
                        app.rollback();
                        app.setAutoCommit(true);
                    }
                }
                // A conversation scope, its conversation erased by another connection right after the lookup.
                UUID x = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
                acme.conversations().append(x, NewMessage.user("erased during the export"));
                byte[] wasX = export(acme, ExportScope.conversation(x));
                dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) joined).db();
                db.statementListener((name, sql) -> {
                    if (name.equals("portability.conversationExists")) {
                        acme.portability().eraseConversation(x, false);
                    }
                });
                ByteArrayOutputStream outX = new ByteArrayOutputStream();
                ExportReport reportX;
                try (Connection app = base.getConnection()) {
                    if (!sqlite) {
                        app.setTransactionIsolation(level);
                    }
                    app.setAutoCommit(false);
                    bound.set(app);
                    try {
                        reportX = joined.tenant("acme").portability().exportTo(outX, ExportScope.conversation(x));
                    } finally {
                        db.statementListener(null);
                        bound.set(null);
                        app.rollback();
                        app.setAutoCommit(true);
                    }
                }
                assertThat(acme.conversations().get(x)).isEmpty();
                if (level == Connection.TRANSACTION_READ_COMMITTED) {
                    assertThat(text(outX.toByteArray())).isEqualTo("{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + schemaVersion() + "}\n{\"type\":\"end\",\"rows\":{}}\n");
                    assertThat(reportX.exported()).isEmpty();
                } else {
                    assertThat(text(outX.toByteArray())).as("level %s", level).isEqualTo(text(wasX));
                    assertThat(reportX.exported()).as("level %s", level)
                            .containsOnly(entry("conversation", 1L), entry("message", 1L), entry("message_event", 1L));
                }
                String file = text(out.toByteArray());
                Map<String, Long> counts = new TreeMap<>();
                file.lines().skip(1).filter(l -> !l.startsWith("{\"type\":\"end\",")).forEach(l -> counts.merge(l.substring(9, l.indexOf('"', 9)), 1L, Long::sum));
                assertThat(new TreeMap<>(report.exported())).as("level %s", level).isEqualTo(counts);
                if (level != Connection.TRANSACTION_READ_COMMITTED) {
                    // One snapshot: the tenant as it was when the export began.
                    assertThat(file).as("level %s", level).isEqualTo(was);
                    continue;
                }
                // The tenant as it is now, but for the late conversation: its message and the message's event are in the file.
                String now = text(export(acme, ExportScope.tenant()));
                assertThat(file).isEqualTo(now.replaceFirst("\\{\"type\":\"conversation\",\"row\":\\{\"id\":\"" + late.get() + "\"[^\n]*\n", "")
                        .replace("{\"type\":\"end\",\"rows\":{\"conversation\":2,", "{\"type\":\"end\",\"rows\":{\"conversation\":1,"))
                        .isNotEqualTo(now).contains("written during the export");
                assertThat(counts).isEqualTo(Map.of("conversation", 1L, "message", 2L, "message_event", 2L));
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(atlas.tenant("beta"), file.getBytes(StandardCharsets.UTF_8))))
                        .isExactlyInstanceOf(InvalidInputException.class)
                        .hasMessage("line 4: message.conversation_id: refers to conversation " + late.get()
                                + ", which is neither earlier in the input nor in this tenant");
            }
        }
        assertThat(before).doesNotContain("written during the export");
    }

    private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    @DisplayName("a conversation's export racing its erase: erased right after the export looked the conversation up, the file holds"
            + " the conversation whole as it was when the export began, and imports; the lookup ran before the export's snapshot, so"
            + " the export wrote a header-only file and an empty report, a backup of nothing taken for the conversation's")
    void conversationExportRacingItsErase() {
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("hello"));
        byte[] before = export(acme, ExportScope.conversation(c));
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicBoolean erased = new java.util.concurrent.atomic.AtomicBoolean();
        db.statementListener((name, sql) -> {
            if (name.equals("portability.conversationExists") && erased.compareAndSet(false, true)) {
                acme.portability().eraseConversation(c, false);
            }
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ExportReport report;
        try {
            report = acme.portability().exportTo(out, ExportScope.conversation(c));
        } finally {
            db.statementListener(null);
        }
        assertThat(erased).isTrue();
        assertThat(acme.conversations().get(c)).isEmpty();
        assertThat(text(out.toByteArray())).isEqualTo(text(before));
        assertThat(report.exported()).containsOnly(entry("conversation", 1L), entry("message", 1L), entry("message_event", 1L));
        // Gone now: the id is not found, as one that exists nowhere, and nothing is written.
        ByteArrayOutputStream after = new ByteArrayOutputStream();
        assertThatThrownBy(() -> acme.portability().exportTo(after, ExportScope.conversation(c)))
                .isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("conversationId: conversation " + c + " not found");
        assertThat(after.size()).isZero();
        Tenant beta = atlas.tenant("beta");
        importBytes(beta, out.toByteArray());
        assertThat(beta.conversations().history(c)).extracting(dev.atlas.conversation.Message::content).containsExactly("hello");
    }

    @Test
    @DisplayName("the unique keys import checks before writing are exactly the schema's unique indexes besides each table's key")
    void uniqueKeysMatchTheSchema() throws SQLException {
        try (Connection c = database.dataSource().getConnection()) {
            for (var table : dev.atlas.jdbi.internal.portability.PortableSchema.TABLES) {
                Map<String, TreeMap<Integer, String>> indexes = new TreeMap<>();
                try (ResultSet rs = c.getMetaData().getIndexInfo(null, null, PREFIX + table.table(), true, false)) {
                    while (rs.next()) {
                        String column = rs.getString("COLUMN_NAME");
                        // sqlite-jdbc lists every index whatever unique asks for: NON_UNIQUE tells them apart.
                        if (column != null && !column.equals("tenant_id") && !rs.getBoolean("NON_UNIQUE")) {
                            indexes.computeIfAbsent(rs.getString("INDEX_NAME"), k -> new TreeMap<>()).put(rs.getInt("ORDINAL_POSITION"), column);
                        }
                    }
                }
                java.util.Set<java.util.Set<String>> actual = new java.util.HashSet<>();
                indexes.values().forEach(cols -> actual.add(java.util.Set.copyOf(cols.values())));
                java.util.Set<java.util.Set<String>> declared = new java.util.HashSet<>();
                declared.add(java.util.Set.copyOf(table.key()));
                dev.atlas.jdbi.internal.portability.PortableSchema.UNIQUE.getOrDefault(table.table(), List.of())
                        .forEach(u -> declared.add(java.util.Set.copyOf(u.columns())));
                assertThat(actual).as(table.table()).isEqualTo(declared);
            }
        }
    }

    @Test
    @DisplayName("a message, revision or memory revision numbered beyond its parent's counter (last_sequence, last_revision, revision),"
            + " which would make the parent's next append, publish or patch fail on the unique number, is an InvalidInputException"
            + " naming line, type and column, and nothing is written")
    void numbersBeyondTheirParentsCounterRefused() throws IOException {
        Tenant acme = populated();
        String file = text(export(acme, ExportScope.tenant()));
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        // parent type, its counter, child type, the child's reference, the child's number, how far below the counter a child stays
        String[][] counters = {{"conversation", "last_sequence", "message", "conversation_id", "sequence", "0"},
                {"assistant", "last_revision", "assistant_revision", "assistant_id", "number", "0"},
                {"settings", "last_revision", "settings_revision", "settings_id", "number", "0"},
                {"memory", "revision", "memory_revision", "memory_id", "revision", "1"}};
        for (String[] c : counters) {
            List<String> lines = new ArrayList<>(file.lines().toList());
            int parentLine = -1;
            String parentId = null;
            int childLine = -1;
            for (int i = 0; i < lines.size() && childLine < 0; i++) {
                var record = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(lines.get(i));
                var row = (com.fasterxml.jackson.databind.node.ObjectNode) record.get("row");
                if (row == null) {
                    continue;
                }
                if (parentId == null && c[0].equals(record.get("type").asText()) && row.path(c[1]).asLong() >= 2) {
                    parentId = row.get("id").asText();
                    row.put(c[1], 1);
                    lines.set(i, json.writeValueAsString(record));
                    parentLine = i + 1;
                } else if (parentId != null && c[2].equals(record.get("type").asText()) && parentId.equals(row.path(c[3]).asText())
                        && row.get(c[4]).asLong() > 1 - Long.parseLong(c[5])) {
                    childLine = i + 1;
                }
            }
            assertThat(parentLine).as(c[0]).isPositive();
            assertThat(childLine).as(c[2]).isPositive();
            byte[] in = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, in, "acme")))
                    .as(c[2])
                    .isExactlyInstanceOf(InvalidInputException.class)
                    .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + childLine + ": " + c[2] + "." + c[4]);
        }
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    @Test
    @DisplayName("two asset lines of one file naming one blob key (in any ASCII case) with other content are refused naming the second's"
            + " line and asset.blob_key: they would share bytes only one of them describes")
    void blobKeyTwiceInTheFileNeedsOneContent() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.asset.Asset first = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "a.txt",
                "text/plain"), new ByteArrayInputStream("first".getBytes(StandardCharsets.UTF_8)));
        dev.atlas.asset.Asset second = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "b.txt",
                "text/plain"), new ByteArrayInputStream("second, longer".getBytes(StandardCharsets.UTF_8)));
        String file = text(export(acme, ExportScope.tenant()));
        // Keys no stored row names, so that only the file's two lines meet.
        String renamed = file.replace("\"blob_key\":\"" + first.blobKey() + "\"", "\"blob_key\":\"fresh/k\"")
                .replace("\"blob_key\":\"" + second.blobKey() + "\"", "\"blob_key\":\"FRESH/K\"");
        assertThat(renamed).isNotEqualTo(file);
        int line = Math.max(lineOf(file, first.blobKey()), lineOf(file, second.blobKey()));
        Tenant beta = atlas.tenant("beta");
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, renamed.getBytes(StandardCharsets.UTF_8))))
                .isExactlyInstanceOf(InvalidInputException.class)
                .extracting(e -> ((InvalidInputException) e).field()).isEqualTo("line " + line + ": asset.blob_key");
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
    }

    // ---- erase -------------------------------------------------------------------------------

    @Test
    @DisplayName("erasing an owner deletes every row and blob of theirs, reports exact counts (a dry run the same, changing nothing), and leaves other owners and tenants untouched")
    void eraseOwner() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        PortabilityFixture.populate(acme, BOB, "b", true, clock);
        PortabilityFixture.populate(globex, ALICE, "g", true, clock);
        Map<String, List<String>> acmeWithoutAlice = rows(database.dataSource(), "acme");
        List<Path> blobsWithoutAlice = blobFiles();
        PortabilityFixture.populate(acme, ALICE, "a", false, clock);
        Map<String, List<String>> globexRows = rows(database.dataSource(), "globex");
        long events = count("SELECT COUNT(*) FROM atlas_message_events e JOIN atlas_conversations c ON c.tenant_id = e.tenant_id"
                + " AND c.id = e.conversation_id WHERE e.tenant_id = 'acme' AND c.owner_id = 'alice'");
        Map<String, Long> expected = Map.ofEntries(entry("conversations", 2L), entry("messages", 6L), entry("message_events", events),
                entry("executions", 1L), entry("execution_steps", 1L), entry("execution_tool_calls", 1L), entry("assets", 2L),
                entry("asset_blobs", 2L), entry("message_assets", 1L), entry("memories", 1L), entry("memory_tags", 2L),
                entry("memory_revisions", 1L), entry("vectors", 3L), entry("assistants", 1L), entry("assistant_revisions", 3L),
                entry("credentials", 1L), entry("tasks", 2L), entry("voice_calls", 1L), entry("task_schedules", 1L), entry("settings", 1L), entry("settings_revisions", 3L));
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        EraseReport dry = acme.portability().eraseOwner(ALICE, true);
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);

        EraseReport done = acme.portability().eraseOwner(ALICE, false);

        assertThat(done.dryRun()).isFalse();
        assertThat(done.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        sameRows(rows(database.dataSource(), "acme"), acmeWithoutAlice);
        sameRows(rows(database.dataSource(), "globex"), globexRows);
        assertThat(blobFiles()).isEqualTo(blobsWithoutAlice);
        for (String table : List.of("conversations", "memories", "credentials", "tasks", "voice_calls", "assets", "assistants", "settings")) {
            assertThat(count("SELECT COUNT(*) FROM atlas_" + table + " WHERE tenant_id = 'acme' AND owner_id = 'alice'")).as(table).isZero();
        }
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND author_id = 'alice'")).isZero();
        assertThat(acme.portability().eraseOwner(ALICE, false).counts()).isEmpty();
    }

    @Test
    @DisplayName("erasing an owner keeps the messages they wrote in other owners' conversations but clears their author, counted as"
            + " messages_detached, and the revisions they published or rolled back of other owners' and the tenant's assistants and"
            + " settings, their author cleared (assistant_revisions_detached, settings_revisions_detached); a dry run the same; the"
            + " tenant's export then holds no byte of the owner's id")
    void eraseOwnerDetachesMessagesElsewhere() throws InterruptedException {
        Tenant acme = atlas.tenant("acme");
        Map<String, UUID> bob = PortabilityFixture.populate(acme, BOB, "b", true, clock);
        PortabilityFixture.populate(acme, ALICE, "a", false, clock);
        UUID bobs = bob.get("conversation");
        var reply = acme.conversations().append(bobs, dev.atlas.conversation.NewMessage.user("Me again, same order.").author(ALICE));
        var again = acme.conversations().append(bobs, dev.atlas.conversation.NewMessage.user("And one more thing.").author(ALICE));
        // Alice's call in Bob's conversation stays without its owner; her voice call and upload there go.
        UUID call = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(bobs).owner(ALICE))
                .complete().id();
        acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("alice-in-bobs", "openai", "gpt-realtime").owner(ALICE).conversation(bobs));
        var upload = acme.assets().store(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "id.pdf", "application/pdf")
                .owner(ALICE), "alice's id".getBytes(StandardCharsets.UTF_8));
        acme.assets().attach(reply.id(), upload.id(), Map.of());
        // Revisions Alice published and rolled back of Bob's assistant and settings and of the tenant's settings: they stay, without her.
        UUID bobBot = bob.get("assistant");
        UUID bobChat = bob.get("settings");
        UUID shared = acme.settings().create("shared", "Shared", null).id();
        List<Object> authored = List.of(
                acme.assistants().publish(bobBot, dev.atlas.assistant.NewRevision.of("Alice's prompt.", Map.of("k", 1)).label("hers").author(ALICE)),
                acme.assistants().rollback(bobBot, 2, ALICE),
                acme.settings().rollback(bobChat, 2, ALICE),
                acme.settings().publish(shared, Map.of("tone", "dry"), "v1", ALICE));
        // Every other kind of reference between the two owners' rows, for the search of the export below.
        PortabilityFixture.crossOwnerReferences(acme);
        List<String> revisionsBefore = List.of(String.valueOf(acme.assistants().revisions(bobBot)), String.valueOf(acme.settings()
                .revisions(bobChat)), String.valueOf(acme.settings().revisions(shared)));
        long bobMessages = count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND conversation_id = ?", idParam(bobs));
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        EraseReport dry = acme.portability().eraseOwner(ALICE, true);
        assertThat(dry.count("messages_detached")).isEqualTo(2);
        // Her populated conversation and tool thread's 6, and her conversation of crossOwnerReferences' 3 (one of them Bob's).
        assertThat(dry.count("messages")).isEqualTo(9);
        assertThat(dry.count("executions_detached")).isEqualTo(1);
        assertThat(dry.count("assistant_revisions_detached")).isEqualTo(2);
        assertThat(dry.count("settings_revisions_detached")).isEqualTo(2);
        // Her own documents' revisions (three each) are deleted, not detached.
        assertThat(dry.count("assistant_revisions")).isEqualTo(3);
        assertThat(dry.count("settings_revisions")).isEqualTo(3);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);

        EraseReport done = acme.portability().eraseOwner(ALICE, false);

        assertThat(done.counts()).isEqualTo(dry.counts());
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND author_id = 'alice'")).isZero();
        for (String table : List.of("assistant_revisions", "settings_revisions")) {
            assertThat(count("SELECT COUNT(*) FROM atlas_" + table + " WHERE tenant_id = 'acme' AND (author_id = 'alice' OR (author_type IS NULL)"
                    + " <> (author_id IS NULL))")).as(table).isZero();
        }
        // Each revision as it was, but for the author Alice was: Bob's and the unauthored ones unchanged.
        assertThat(List.of(String.valueOf(acme.assistants().revisions(bobBot)), String.valueOf(acme.settings().revisions(bobChat)),
                String.valueOf(acme.settings().revisions(shared)))).isEqualTo(revisionsBefore.stream()
                .map(r -> r.replace("author=" + ALICE, "author=null")).toList());
        assertThat(revisionsBefore.stream().mapToInt(r -> r.split("author=" + ALICE, -1).length - 1).sum()).isEqualTo(authored.size());
        assertThat(acme.assistants().currentRevision(bobBot).orElseThrow().author()).isNull();
        assertThat(acme.settings().currentRevision(shared).orElseThrow().author()).isNull();
        assertThat(acme.executions().get(call).orElseThrow().owner()).isNull();
        // Nothing of the tenant names her any more (her messages' text stays, Bob's history; it does not name her).
        assertThat(text(export(acme, ExportScope.tenant()))).doesNotContain("alice");
        // Nor does any column of any of the tenant's tables, those the export leaves out (leases, blob intents, search keys) too.
        assertThat(rows(database.dataSource(), "acme").toString()).doesNotContain("alice");
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND conversation_id = ?", idParam(bobs)))
                .isEqualTo(bobMessages);
        var kept = acme.conversations().getMessage(reply.id()).orElseThrow();
        assertThat(kept.author()).isNull();
        assertThat(kept.content()).isEqualTo("Me again, same order.");
        assertThat(acme.conversations().getMessage(again.id()).orElseThrow().author()).isNull();
        assertThat(acme.portability().eraseOwner(ALICE, true).counts()).isEmpty();

        // Writes of hers racing an erase, landing after it cleared her references elsewhere (the listener starts them once the
        // erase has passed its detaching steps; on SQLite they commit after the erase's transaction in flight): they keep her as
        // author, as the docs say; a dry run afterwards shows them, and erasing again clears them.
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicReference<Thread> racer = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<UUID> late = new java.util.concurrent.atomic.AtomicReference<>();
        db.statementListener((name, sql) -> {
            if (name.equals("portability.linksElsewhere.OWNER") && racer.get() == null) {
                Thread t = new Thread(() -> {
                    late.set(acme.conversations().append(bobs, dev.atlas.conversation.NewMessage.user("Late.").author(ALICE)).id());
                    acme.assistants().publish(bobBot, dev.atlas.assistant.NewRevision.of("Late prompt.", Map.of()).author(ALICE));
                });
                racer.set(t);
                t.start();
            }
        });
        EraseReport raced;
        try {
            raced = acme.portability().eraseOwner(ALICE, false);
        } finally {
            db.statementListener(null);
        }
        racer.get().join(10_000);
        assertThat(raced.counts()).isEmpty();
        assertThat(acme.conversations().getMessage(late.get()).orElseThrow().author()).isEqualTo(ALICE);
        assertThat(acme.assistants().currentRevision(bobBot).orElseThrow().author()).isEqualTo(ALICE);
        Map<String, Long> left = Map.of("messages_detached", 1L, "assistant_revisions_detached", 1L);
        assertThat(acme.portability().eraseOwner(ALICE, true).counts()).containsExactlyInAnyOrderEntriesOf(left);
        assertThat(acme.portability().eraseOwner(ALICE, false).counts()).containsExactlyInAnyOrderEntriesOf(left);
        assertThat(rows(database.dataSource(), "acme").toString()).doesNotContain("alice");
        assertThat(acme.conversations().getMessage(late.get()).orElseThrow().author()).isNull();
    }

    @Test
    @DisplayName("an owner's executions without a conversation (with steps) are in their export and erased with their task schedules; their executions in other owners' conversations stay without owner (executions_detached); a dry run counts the same")
    void eraseOwnerExecutionsAndSchedules() {
        Tenant acme = atlas.tenant("acme");
        Map<String, UUID> bob = PortabilityFixture.populate(acme, BOB, "b", false, clock);
        dev.atlas.execution.ExecutionHandle mine = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .owner(ALICE).project("p1"));
        mine.step().finish("ok", null, dev.atlas.execution.FinishReason.STOP, dev.atlas.execution.Usage.of(1, 1));
        UUID mineId = mine.complete().id();
        // A reply of Alice's conversation-less call posted into Bob's conversation: it stays, unlinked from the erased call.
        UUID linked = acme.conversations().append(bob.get("conversation"),
                dev.atlas.conversation.NewMessage.assistant("from alice's call").execution(mineId, null)).id();
        dev.atlas.execution.ExecutionHandle inBobs = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(bob.get("conversation")).owner(ALICE));
        UUID inBobsId = inBobs.complete().id();
        acme.tasks().schedule(dev.atlas.task.NewSchedule.every("alice-digest", java.time.Duration.ofHours(1),
                dev.atlas.task.NewTask.of("digest", Map.of()).owner(ALICE)));
        acme.tasks().schedule(dev.atlas.task.NewSchedule.every("bob-digest", java.time.Duration.ofHours(1),
                dev.atlas.task.NewTask.of("digest", Map.of()).owner(BOB)));
        byte[] export = export(acme, ExportScope.owner(ALICE));
        assertThat(importBytes(atlas.tenant("gamma"), export).imported()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "execution", 1L, "execution_step", 1L, "task_schedule", 1L));
        assertThat(atlas.tenant("gamma").executions().get(mineId)).isPresent();
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, Long> expected = Map.of("executions", 1L, "execution_steps", 1L, "task_schedules", 1L, "executions_detached", 1L,
                "messages_unlinked", 1L);

        EraseReport dry = acme.portability().eraseOwner(ALICE, true);
        assertThat(dry.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);

        assertThat(acme.portability().eraseOwner(ALICE, false).counts()).containsExactlyInAnyOrderEntriesOf(expected);

        assertThat(count("SELECT COUNT(*) FROM atlas_executions WHERE tenant_id = 'acme' AND owner_id = 'alice'")).isZero();
        assertThat(acme.executions().get(mineId)).isEmpty();
        var kept = acme.executions().get(inBobsId).orElseThrow();
        assertThat(kept.conversationId()).isEqualTo(bob.get("conversation"));
        assertThat(kept.owner()).isNull();
        var unlinked = acme.conversations().getMessage(linked).orElseThrow();
        assertThat(unlinked.executionId()).isNull();
        assertThat(unlinked.content()).isEqualTo("from alice's call");
        assertThat(acme.tasks().getSchedule("alice-digest")).isEmpty();
        assertThat(acme.tasks().getSchedule("bob-digest")).isPresent();
        assertThat(acme.portability().eraseOwner(ALICE, true).counts()).isEmpty();
    }

    /** {@code call} as it was, but for the execution it named. */
    static dev.atlas.voice.VoiceCall unlinked(dev.atlas.voice.VoiceCall call) {
        return new dev.atlas.voice.VoiceCall(call.id(), call.tenantId(), call.sessionId(), call.conversationId(), null, call.owner(),
                call.agent(), call.provider(), call.model(), call.status(), call.transcript(), call.summary(), call.durationMs(),
                call.metadata(), call.startedAt(), call.completedAt(), call.createdAt(), call.updatedAt());
    }

    /**
     * Voice calls naming Alice's execution: Bob's (in his conversation), one started without an owner (hers by default, her
     * execution's), and one of hers.
     */
    private Map<String, dev.atlas.voice.VoiceCall> voiceCallsOnExecution(Tenant t, Map<String, UUID> bob, UUID execution) {
        var voice = t.voiceCalls();
        var bobs = voice.start(dev.atlas.voice.NewVoiceCall.of("bob-call", "openai", "gpt-realtime").owner(BOB)
                .conversation(bob.get("conversation")).execution(execution).metadata(Map.of("k", "v")));
        voice.complete(bobs.id(), List.of(dev.atlas.voice.VoiceTurn.user("hi from bob")));
        var nobodys = voice.start(dev.atlas.voice.NewVoiceCall.of("nobody-call", "openai", "gpt-realtime").execution(execution));
        var alices = voice.start(dev.atlas.voice.NewVoiceCall.of("alice-call", "openai", "gpt-realtime").owner(ALICE).execution(execution));
        return Map.of("bob", voice.require(bobs.id()), "nobody", voice.require(nobodys.id()), "alice", voice.require(alices.id()));
    }

    @Test
    @DisplayName("erasing an owner keeps other owners' voice calls on their executions, without the link (voice_calls_unlinked, a dry run the same); theirs go, also one started on her execution without an owner and one an earlier Atlas stored ownerless on it; other tenants untouched")
    void eraseOwnerUnlinksVoiceCallsElsewhere() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Map<String, UUID> bob = PortabilityFixture.populate(acme, BOB, "b", false, clock);
        Map<String, UUID> alice = PortabilityFixture.populate(acme, ALICE, "a", false, clock);
        Map<String, dev.atlas.voice.VoiceCall> calls = voiceCallsOnExecution(acme, bob, alice.get("execution"));
        // A call an earlier Atlas stored without an owner (no conversation, her execution): hers too.
        UUID legacy = acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("legacy-call", "openai", "gpt-realtime")
                .execution(alice.get("execution"))).id();
        try (Connection k = database.dataSource().getConnection();
             java.sql.PreparedStatement ps = k.prepareStatement("UPDATE atlas_voice_calls SET owner_type = NULL, owner_id = NULL"
                     + " WHERE tenant_id = 'acme' AND id = ?")) {
            ps.setObject(1, atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL ? legacy : legacy.toString());
            assertThat(ps.executeUpdate()).isEqualTo(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        assertThat(acme.voiceCalls().require(legacy).owner()).isNull();
        Map<String, UUID> gBob = PortabilityFixture.populate(globex, BOB, "b", false, clock);
        Map<String, UUID> gAlice = PortabilityFixture.populate(globex, ALICE, "a", false, clock);
        voiceCallsOnExecution(globex, gBob, gAlice.get("execution"));
        Map<String, List<String>> globexRows = rows(database.dataSource(), "globex");
        long events = count("SELECT COUNT(*) FROM atlas_message_events e JOIN atlas_conversations c ON c.tenant_id = e.tenant_id"
                + " AND c.id = e.conversation_id WHERE e.tenant_id = 'acme' AND c.owner_id = 'alice'");
        Map<String, Long> expected = Map.ofEntries(entry("conversations", 2L), entry("messages", 6L), entry("message_events", events),
                entry("executions", 1L), entry("execution_steps", 1L), entry("execution_tool_calls", 1L), entry("assets", 2L),
                entry("asset_blobs", 2L), entry("message_assets", 1L), entry("memories", 1L), entry("memory_tags", 2L),
                entry("memory_revisions", 1L), entry("vectors", 3L), entry("assistants", 1L), entry("assistant_revisions", 3L),
                entry("credentials", 1L), entry("tasks", 2L), entry("voice_calls", 4L), entry("voice_calls_unlinked", 1L),
                entry("task_schedules", 1L), entry("settings", 1L), entry("settings_revisions", 3L));
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        EraseReport dry = acme.portability().eraseOwner(ALICE, true);
        assertThat(dry.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);

        assertThat(acme.portability().eraseOwner(ALICE, false).counts()).containsExactlyInAnyOrderEntriesOf(expected);

        assertThat(acme.voiceCalls().require(calls.get("bob").id())).isEqualTo(unlinked(calls.get("bob")));
        assertThat(calls.get("nobody").owner()).isEqualTo(ALICE);
        assertThat(acme.voiceCalls().get(calls.get("nobody").id())).isEmpty();
        assertThat(acme.voiceCalls().get(legacy)).isEmpty();
        assertThat(acme.voiceCalls().get(calls.get("alice").id())).isEmpty();
        assertThat(acme.voiceCalls().get(alice.get("voiceCall"))).isEmpty();
        assertThat(acme.voiceCalls().require(bob.get("voiceCall")).executionId()).isNull();
        sameRows(rows(database.dataSource(), "globex"), globexRows);
        assertThat(acme.portability().eraseOwner(ALICE, true).counts()).isEmpty();
    }

    @Test
    @DisplayName("erasing a conversation whose execution wrote a group of answers into another conversation unlinks them and keeps"
            + " the last one active (one active answer per parent and role); a dry run counts the same")
    void eraseConversationUnlinksAGroupOfAnswersElsewhere() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore cs = acme.conversations();
        UUID a = cs.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID b = cs.create(dev.atlas.conversation.NewConversation.of(BOB)).id();
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(a));
        UUID u = cs.append(b, dev.atlas.conversation.NewMessage.user("hi")).id();
        UUID r1 = cs.append(b, dev.atlas.conversation.NewMessage.assistant("part 1").parent(u).execution(x.id(), null)).id();
        UUID r2 = cs.append(b, dev.atlas.conversation.NewMessage.assistant("part 2").parent(u).execution(x.id(), null)).id();
        x.complete();
        assertThat(acme.portability().eraseConversation(a, true).counts()).containsEntry("messages_unlinked", 2L)
                .containsEntry("executions", 1L);
        assertThat(acme.portability().eraseConversation(a, false).counts()).containsEntry("messages_unlinked", 2L)
                .containsEntry("executions", 1L);
        dev.atlas.conversation.Message first = cs.getMessage(r1).orElseThrow();
        dev.atlas.conversation.Message last = cs.getMessage(r2).orElseThrow();
        assertThat(List.of(first.active(), last.active())).containsExactly(false, true);
        assertThat(List.of(first.executionId() == null, last.executionId() == null)).containsExactly(true, true);
        UUID r3 = cs.append(b, dev.atlas.conversation.NewMessage.assistant("part 3").parent(u)).id();
        assertThat(cs.siblings(r3)).filteredOn(dev.atlas.conversation.Message::active).extracting(dev.atlas.conversation.Message::id)
                .containsExactly(r3);
    }

    @Test
    @DisplayName("erasing a conversation whose execution wrote a group of answers elsewhere hides, with each answer it makes"
            + " inactive, the turns below that answer: history stays one chain")
    void eraseConversationHidesTheTurnsBelowAnAnswerItMakesInactive() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore cs = acme.conversations();
        UUID a = cs.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID b = cs.create(dev.atlas.conversation.NewConversation.of(BOB)).id();
        dev.atlas.execution.ExecutionHandle x = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                .conversation(a));
        UUID u = cs.append(b, dev.atlas.conversation.NewMessage.user("hi")).id();
        UUID r1 = cs.append(b, dev.atlas.conversation.NewMessage.assistant("asks a tool").parent(u).execution(x.id(), null)).id();
        UUID t = cs.append(b, dev.atlas.conversation.NewMessage.tool("tool result").parent(r1)).id();
        UUID r2 = cs.append(b, dev.atlas.conversation.NewMessage.assistant("part 2").parent(u).execution(x.id(), null)).id();
        x.complete();
        assertThat(acme.portability().eraseConversation(a, false).counts()).containsEntry("messages_unlinked", 2L);
        assertThat(cs.history(b)).extracting(dev.atlas.conversation.Message::id).containsExactly(u, r2);
        assertThat(cs.requireMessage(t).active()).isFalse();
    }

    @Test
    @DisplayName("erasing a conversation keeps voice calls outside it on its executions, without the link (voice_calls_unlinked, a dry run the same); its own go; other tenants untouched")
    void eraseConversationUnlinksVoiceCallsElsewhere() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Map<String, UUID> bob = PortabilityFixture.populate(acme, BOB, "b", false, clock);
        Map<String, UUID> alice = PortabilityFixture.populate(acme, ALICE, "a", false, clock);
        Map<String, dev.atlas.voice.VoiceCall> calls = voiceCallsOnExecution(acme, bob, alice.get("execution"));
        Map<String, UUID> gBob = PortabilityFixture.populate(globex, BOB, "b", false, clock);
        Map<String, UUID> gAlice = PortabilityFixture.populate(globex, ALICE, "a", false, clock);
        voiceCallsOnExecution(globex, gBob, gAlice.get("execution"));
        Map<String, List<String>> globexRows = rows(database.dataSource(), "globex");
        UUID conversation = alice.get("conversation");
        long events = count("SELECT COUNT(*) FROM atlas_message_events WHERE tenant_id = 'acme' AND conversation_id IN (?, ?)",
                idParam(conversation), idParam(alice.get("toolThread")));
        Map<String, Long> expected = Map.ofEntries(entry("conversations", 2L), entry("messages", 6L), entry("message_events", events),
                entry("executions", 1L), entry("execution_steps", 1L), entry("execution_tool_calls", 1L), entry("assets", 2L),
                entry("asset_blobs", 2L), entry("message_assets", 1L), entry("vectors", 2L), entry("tasks", 1L), entry("voice_calls", 1L),
                entry("voice_calls_unlinked", 3L));
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        assertThat(acme.portability().eraseConversation(conversation, true).counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);

        assertThat(acme.portability().eraseConversation(conversation, false).counts()).containsExactlyInAnyOrderEntriesOf(expected);

        for (String who : List.of("bob", "nobody", "alice")) {
            assertThat(acme.voiceCalls().require(calls.get(who).id())).as(who).isEqualTo(unlinked(calls.get(who)));
        }
        assertThat(acme.voiceCalls().get(alice.get("voiceCall"))).isEmpty();
        sameRows(rows(database.dataSource(), "globex"), globexRows);
    }

    @Test
    @DisplayName("erasing an owner whose assistant other owners' conversations and calls run with: those stay, without the assistant (assistant links cleared, counted; a dry run the same); other tenants untouched")
    void eraseOwnerUnlinksTheirAssistantElsewhere() {
        Map<String, UUID> ids = null;
        for (String tenant : List.of("globex", "acme")) {
            Tenant t = atlas.tenant(tenant);
            ids = PortabilityFixture.assistantsOfOthers(t, PortabilityFixture.twoOwners(t));
            ids.put("aliceOnBobs", t.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")
                    .conversation(ids.get("aliceConversation"))
                    .assistantRevision(t.assistants().currentRevision(ids.get("bobBot")).orElseThrow().id())).complete().id());
        }
        Tenant acme = atlas.tenant("acme");
        Map<String, List<String>> globexRows = rows(database.dataSource(), "globex");
        var conversation = acme.conversations().get(ids.get("aliceBotConversation")).orElseThrow();
        Map<String, Long> expected = Map.ofEntries(entry("conversations", 1L), entry("messages", 1L), entry("message_events", count(
                "SELECT COUNT(*) FROM atlas_message_events WHERE tenant_id = 'acme' AND conversation_id = ?", idParam(ids.get("bobConversation")))),
                entry("executions", 1L), entry("execution_steps", 1L), entry("execution_tool_calls", 1L), entry("assistants", 1L),
                entry("assistant_revisions", 2L), entry("conversations_unlinked", 1L), entry("executions_unlinked", 1L));
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        assertThat(acme.portability().eraseOwner(BOB, true).counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        assertThat(acme.portability().eraseOwner(BOB, false).counts()).containsExactlyInAnyOrderEntriesOf(expected);

        var kept = acme.conversations().get(ids.get("aliceBotConversation")).orElseThrow();
        assertThat(kept.assistantId()).isNull();
        assertThat(kept.assistantRevisionId()).isNull();
        assertThat(kept.owner()).isEqualTo(conversation.owner());
        assertThat(acme.assistants().get(ids.get("bobBot"))).isEmpty();
        assertThat(acme.assistants().get(ids.get("shared"))).isPresent();
        assertThat(acme.executions().get(ids.get("aliceCall")).orElseThrow().assistantRevisionId()).isNotNull();
        assertThat(acme.executions().get(ids.get("aliceOnBobs")).orElseThrow().assistantRevisionId()).isNull();
        sameRows(rows(database.dataSource(), "globex"), globexRows);
    }

    @Test
    @DisplayName("an execution still running when its owner is erased is deleted without any listener callback (none has a stored end"
            + " to report), and its handle's complete is then NotFoundException (execution), as Portability#eraseOwner documents")
    void erasedRunningExecutionFiresNoListenerEvent() {
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        Tenant acme = reopen(b -> configure(b).executionListener(new dev.atlas.execution.ExecutionListener() {
            @Override
            public void started(String tenantId, dev.atlas.execution.Execution e) {
                heard.add("started");
            }

            @Override
            public void completed(String tenantId, dev.atlas.execution.Execution e) {
                heard.add("completed");
            }

            @Override
            public void failed(String tenantId, dev.atlas.execution.Execution e) {
                heard.add("failed");
            }

            @Override
            public void cancelled(String tenantId, dev.atlas.execution.Execution e) {
                heard.add("cancelled");
            }
        })).tenant("acme");
        UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        dev.atlas.execution.ExecutionHandle run = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c));
        assertThat(acme.portability().eraseOwner(ALICE, false).counts()).containsEntry("executions", 1L);
        assertThat(lateOutcome(run::complete)).isEqualTo("NotFoundException execution " + run.id());
        assertThat(heard).containsExactly("started");
    }

    @Test
    @DisplayName("a vector embedded while its owner is erased (the embedder runs the erase) is refused NotFoundException naming the"
            + " memory, message or conversation it names, and no vector outlives the erase (vectors have no foreign key)")
    void vectorWrittenDuringTheEraseIsRefused() {
        Tenant acme = atlas.tenant("acme");
        UUID memory = acme.memories().create(dev.atlas.memory.NewMemory.fact(ALICE, "likes tea")).id();
        UUID conversation = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID message = acme.conversations().append(conversation, dev.atlas.conversation.NewMessage.user("hello")).id();
        UUID bobsAsset = acme.assets().store(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "b.txt", "text/plain").owner(BOB),
                new byte[] {1}).id();
        acme.search().upsertVector(dev.atlas.search.SearchTarget.MEMORY, memory, "emb", new float[] {1, 0});
        dev.atlas.search.Embedder erasing = text -> {
            acme.portability().eraseOwner(ALICE, false);
            return new float[] {0, 1};
        };
        for (var target : List.of(dev.atlas.search.SearchTarget.MEMORY, dev.atlas.search.SearchTarget.MESSAGE)) {
            UUID id = target == dev.atlas.search.SearchTarget.MEMORY ? memory : message;
            assertThatThrownBy(() -> acme.search().embed(target, id, "emb", erasing)).isExactlyInstanceOf(NotFoundException.class)
                    .satisfies(e -> assertThat(((NotFoundException) e).entity()).isEqualTo(target.toString()));
            if (target == dev.atlas.search.SearchTarget.MEMORY) { // recreate what the first erase took, for the second
                memory = acme.memories().create(dev.atlas.memory.NewMemory.fact(ALICE, "likes tea")).id();
                conversation = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
                message = acme.conversations().append(conversation, dev.atlas.conversation.NewMessage.user("hello")).id();
            }
        }
        UUID erased = conversation;
        assertThatThrownBy(() -> acme.search().upsertAssetVector(bobsAsset, erased, "emb", new float[] {1, 1}))
                .isExactlyInstanceOf(NotFoundException.class).satisfies(e -> assertThat(((NotFoundException) e).entity()).isEqualTo("conversation"));
        assertThat(count("SELECT COUNT(*) FROM atlas_vectors WHERE tenant_id = 'acme'")).isZero();
        assertThat(acme.portability().eraseOwner(ALICE, true).counts()).isEmpty();
    }

    @Test
    @DisplayName("erasing a conversation deletes its tool threads, executions, assets (rows and bytes), vectors, voice calls and tasks, and nothing else")
    void eraseConversation() {
        Tenant acme = atlas.tenant("acme");
        PortabilityFixture.populate(acme, BOB, "b", true, clock);
        Map<String, List<String>> withoutAlice = rows(database.dataSource(), "acme");
        List<Path> blobsWithoutAlice = blobFiles();
        Map<String, UUID> ids = PortabilityFixture.populate(acme, ALICE, "a", false, clock);
        UUID conversation = ids.get("conversation");
        long events = count("SELECT COUNT(*) FROM atlas_message_events WHERE tenant_id = 'acme' AND conversation_id IN (?, ?)",
                idParam(conversation), idParam(ids.get("toolThread")));
        Map<String, Long> expected = Map.ofEntries(entry("conversations", 2L), entry("messages", 6L), entry("message_events", events),
                entry("executions", 1L), entry("execution_steps", 1L), entry("execution_tool_calls", 1L), entry("assets", 2L),
                entry("asset_blobs", 2L), entry("message_assets", 1L), entry("vectors", 2L), entry("tasks", 1L), entry("voice_calls", 1L));
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);

        assertThat(acme.portability().eraseConversation(conversation, true).counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        assertThatThrownBy(() -> atlas.tenant("globex").portability().eraseConversation(conversation, false))
                .isExactlyInstanceOf(NotFoundException.class);
        assertThat(acme.portability().eraseConversation(conversation, false).counts()).containsExactlyInAnyOrderEntriesOf(expected);

        assertThat(acme.conversations().get(conversation)).isEmpty();
        assertThat(acme.memories().get(ids.get("memory"))).isPresent();
        assertThat(blobFiles()).isEqualTo(blobsWithoutAlice);
        Map<String, List<String>> after = rows(database.dataSource(), "acme");
        // What stays of Alice: her memory (with tags, revision and vector), assistant, credential and reminder task.
        for (String table : List.of("atlas_conversations", "atlas_messages", "atlas_executions", "atlas_assets", "atlas_voice_calls",
                "atlas_message_assets", "atlas_execution_steps", "atlas_execution_tool_calls", "atlas_message_events")) {
            assertThat(after.get(table)).as(table).isEqualTo(withoutAlice.get(table));
        }
        assertThatThrownBy(() -> acme.portability().eraseConversation(UUID.randomUUID(), true)).isExactlyInstanceOf(NotFoundException.class);
    }

    @Test
    @DisplayName("an append (from another Atlas on the database) landing while an erase runs, after the erase deleted the"
            + " conversation's messages, is refused with NotFoundException; the erase completes, counts exactly the messages it"
            + " deleted and leaves no row of the conversation (eraseConversation and eraseOwner alike)")
    void eraseRacingAnAppendHalfErasesNothing() {
        Tenant other = reopen(b -> b).tenant("acme");
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        for (boolean byOwner : new boolean[] {false, true}) {
            Tenant acme = atlas.tenant("acme");
            Owner owner = Owner.user(byOwner ? "owner-erased" : "conversation-erased");
            UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(owner)).id();
            for (int i = 0; i < 3; i++) {
                acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("m" + i));
            }
            String messagesOfC = "SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND conversation_id = ?";
            java.util.concurrent.atomic.AtomicReference<Object> late = new java.util.concurrent.atomic.AtomicReference<>();
            // Once the erase's messages are gone and before its conversations go, the other instance appends.
            db.beforeEachWrite(h -> {
                if (late.get() == null && count(messagesOfC, idParam(c)) == 0) {
                    late.set(org.assertj.core.api.Assertions.catchThrowable(() -> late.set(
                            other.conversations().append(c, dev.atlas.conversation.NewMessage.user("late")))));
                }
            });
            EraseReport report;
            try {
                report = byOwner ? acme.portability().eraseOwner(owner, false) : acme.portability().eraseConversation(c, false);
            } finally {
                db.beforeEachWrite(h -> {});
            }
            assertThat(late.get()).as(byOwner ? "owner" : "conversation").isExactlyInstanceOf(NotFoundException.class);
            assertThat(report.counts()).as(byOwner ? "owner" : "conversation")
                    .containsEntry("messages", 3L).containsEntry("conversations", 1L);
            assertThat(count(messagesOfC, idParam(c))).isZero();
            assertThat(count("SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = 'acme' AND id = ?", idParam(c))).isZero();
        }
    }

    @Test
    @DisplayName("a conversation the owner starts, writes to and deletes while eraseOwner runs, after the erase swept the messages"
            + " of the conversations it closed, is erased whole by the same call: no foreign-key StorageException half-way")
    void eraseOwnerRacingADeleteOfANewConversationErasesItWhole() {
        Tenant other = reopen(b -> b).tenant("acme");
        Tenant acme = atlas.tenant("acme");
        Owner owner = Owner.user("deleting-meanwhile");
        UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(owner)).id();
        acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("first"));
        UUID kept = acme.conversations().create(dev.atlas.conversation.NewConversation.of(Owner.user("someone-else"))).id();
        acme.conversations().append(kept, dev.atlas.conversation.NewMessage.user("stays"));
        RacedErase raced = eraseRacingALateDeletedConversation(other, c, owner, () -> acme.portability().eraseOwner(owner, false));
        EraseReport report = raced.report();
        assertThat(report.counts()).containsEntry("messages", 2L).containsEntry("conversations", 2L);
        assertThat(count("SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = 'acme' AND owner_id = 'deleting-meanwhile'")).isZero();
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND conversation_id = ?", idParam(raced.late())))
                .isZero();
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND conversation_id = ?", idParam(kept))).isOne();
    }

    @Test
    @DisplayName("a conversation another instance starts, writes to and deletes while eraseTenant runs, after the erase swept the"
            + " messages of the conversations it closed, is erased whole by the same call: the tenant is empty, each row counted once,"
            + " another tenant untouched")
    void eraseTenantRacingADeleteOfANewConversationErasesItWhole() {
        Tenant other = reopen(b -> b).tenant("wiped");
        Tenant wiped = atlas.tenant("wiped");
        UUID c = wiped.conversations().create(dev.atlas.conversation.NewConversation.of(Owner.user("u"))).id();
        wiped.conversations().append(c, dev.atlas.conversation.NewMessage.user("first"));
        UUID kept = atlas.tenant("acme").conversations().create(dev.atlas.conversation.NewConversation.of(Owner.user("u"))).id();
        atlas.tenant("acme").conversations().append(kept, dev.atlas.conversation.NewMessage.user("stays"));
        RacedErase raced = eraseRacingALateDeletedConversation(other, c, Owner.user("v"), () -> wiped.portability().eraseTenant(false));
        EraseReport report = raced.report();
        assertThat(report.counts()).containsEntry("messages", 2L).containsEntry("conversations", 2L);
        assertThat(count("SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = 'wiped'")).isZero();
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'wiped'")).isZero();
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND conversation_id = ?", idParam(kept))).isOne();
    }

    @Test
    @DisplayName("an upload of no owner attached only to the owner's message is erased even when a conversation deleted meanwhile"
            + " fails the pass that had taken its attachment: the next pass still deletes the asset, and the report counts it once")
    void eraseOwnerRetriedAfterARacingDeleteStillErasesTheUploads() {
        Tenant other = reopen(b -> b).tenant("acme");
        Tenant acme = atlas.tenant("acme");
        Owner owner = Owner.user("uploading-then-deleting");
        UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(owner)).id();
        UUID m = acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("my id, attached")).id();
        // Stored without an owner: the owner's only through the attachment, which the first pass deletes before it fails.
        UUID upload = acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "id.pdf", "application/pdf"),
                new java.io.ByteArrayInputStream("passport".getBytes(StandardCharsets.UTF_8))).id();
        acme.assets().attach(m, upload, Map.of());
        RacedErase raced = eraseRacingALateDeletedConversation(other, c, owner, () -> acme.portability().eraseOwner(owner, false));
        EraseReport report = raced.report();
        assertThat(count("SELECT COUNT(*) FROM atlas_assets WHERE tenant_id = 'acme' AND id = ?", idParam(upload))).isZero();
        assertThat(report.counts()).containsEntry("assets", 1L).containsEntry("message_assets", 1L).containsEntry("messages", 2L)
                .containsEntry("conversations", 2L).containsEntry("asset_blobs", 1L);
    }

    private record RacedErase(EraseReport report, UUID late) {}

    /**
     * Runs {@code erase} while, once the messages of {@code c} are gone and before its conversation goes, the application
     * (another instance, {@code other}) starts a conversation of {@code lateOwner}, appends to it and deletes it: closed, it is
     * in what the pass deletes from there on. Fails the test when the race never happened.
     */
    private RacedErase eraseRacingALateDeletedConversation(Tenant other, UUID c, Owner lateOwner,
            java.util.function.Supplier<EraseReport> erase) {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        String messagesOfC = "SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = ? AND conversation_id = ?";
        java.util.concurrent.atomic.AtomicReference<UUID> late = new java.util.concurrent.atomic.AtomicReference<>();
        db.beforeEachWrite(h -> {
            if (late.get() == null && count(messagesOfC, other.id(), idParam(c)) == 0) {
                UUID x = other.conversations().create(dev.atlas.conversation.NewConversation.of(lateOwner)).id();
                late.set(x);
                other.conversations().append(x, dev.atlas.conversation.NewMessage.user("late"));
                other.conversations().delete(x);
            }
        });
        EraseReport report;
        try {
            report = erase.get();
        } finally {
            db.beforeEachWrite(h -> {});
        }
        assertThat(late.get()).as("the late conversation was started during the erase").isNotNull();
        return new RacedErase(report, late.get());
    }

    /**
     * Runs {@code action} with {@code late} run just before its {@code k}-th write on this Atlas's
     * database (as another instance would land there); empty when it made fewer than k writes.
     */
    private <T> Optional<T> withLateWrite(int k, Runnable late, java.util.function.Supplier<T> action) {
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        boolean[] ran = new boolean[1];
        db.beforeEachWrite(h -> {
            if (writes.incrementAndGet() == k) {
                ran[0] = true;
                late.run();
            }
        });
        T result;
        try {
            result = action.get();
        } finally {
            db.beforeEachWrite(h -> {});
        }
        return ran[0] ? Optional.of(result) : Optional.empty();
    }

    @Test
    @DisplayName("a running execution (of another Atlas on the database) writing a step, a tool call, a step's metadata and end, and"
            + " complete() before any one write of an erase: while its execution row is there every write is accepted and erased with the"
            + " rest, once it is gone each is refused with NotFoundException naming the execution;"
            + " every erase completes and leaves no row of the execution (eraseConversation; eraseOwner of an execution without a"
            + " conversation)")
    void eraseRacingARunningExecutionHalfErasesNothing() {
        Tenant other = reopen(b -> b).tenant("acme");
        String executionRow = "SELECT COUNT(*) FROM atlas_executions WHERE tenant_id = 'acme' AND id = ?";
        String rowsOfE = "SELECT (" + executionRow + ")"
                + " + (SELECT COUNT(*) FROM atlas_execution_steps WHERE tenant_id = 'acme' AND execution_id = ?)"
                + " + (SELECT COUNT(*) FROM atlas_execution_tool_calls WHERE tenant_id = 'acme' AND execution_id = ?)";
        // An owner's erase deletes the executions of its conversations as eraseConversation does; the one without a conversation is its own.
        for (String kind : List.of("conversation", "owner without conversation")) {
            Set<Boolean> seen = new java.util.HashSet<>();
            for (int k = 1; ; k++) {
                Tenant acme = atlas.tenant("acme");
                Owner owner = Owner.user("running-" + kind.replace(' ', '-') + "-" + k);
                UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(owner)).id();
                acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("go"));
                dev.atlas.execution.ExecutionSpec spec = dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").owner(owner);
                dev.atlas.execution.ExecutionHandle run = other.executions().start(kind.endsWith("without conversation") ? spec : spec.conversation(c));
                UUID e = run.id();
                dev.atlas.execution.StepHandle done = run.step();
                done.toolCall("call-1", "lookup", "{}").complete("found");
                done.finish("thinking", dev.atlas.execution.FinishReason.TOOL_CALLS);
                dev.atlas.execution.StepHandle open = run.step();
                open.toolCall("call-2", "lookup", "{}");
                Map<String, String> late = new TreeMap<>();
                boolean[] present = new boolean[1];
                // Before the erase's k-th write, the running execution writes on.
                Optional<EraseReport> raced = withLateWrite(k, () -> {
                    present[0] = count(executionRow, idParam(e)) == 1;
                    late.put("a step", lateOutcome(run::step));
                    late.put("a tool call", lateOutcome(() -> open.toolCall("call-3", "lookup", "{}")));
                    late.put("the step's metadata", lateOutcome(() -> open.metadata(Map.of("k", "v"))));
                    late.put("the step's end", lateOutcome(() -> open.finish("answer", dev.atlas.execution.FinishReason.STOP)));
                    late.put("complete", lateOutcome(run::complete));
                }, () -> kind.equals("conversation") ? acme.portability().eraseConversation(c, false) : acme.portability().eraseOwner(owner, false));
                if (raced.isEmpty()) {
                    break; // k is past the last write
                }
                EraseReport report = raced.get();
                seen.add(present[0]);
                String gone = "NotFoundException execution " + e;
                assertThat(late).as(kind + ", before write " + k).isEqualTo(present[0]
                        ? Map.of("a step", "accepted", "a tool call", "accepted", "the step's metadata", "accepted", "the step's end", "accepted",
                                "complete", "accepted")
                        : Map.of("a step", gone, "a tool call", gone, "the step's metadata", gone, "the step's end", gone, "complete", gone));
                assertThat(report.counts()).as(kind + ", before write " + k).containsEntry("executions", 1L)
                        .containsEntry("execution_steps", present[0] ? 3L : 2L).containsEntry("execution_tool_calls", present[0] ? 3L : 2L)
                        .containsEntry("conversations", 1L);
                assertThat(count(rowsOfE, idParam(e), idParam(e), idParam(e))).as(kind + ", before write " + k).isZero();
            }
            assertThat(seen).as(kind).containsExactlyInAnyOrder(true, false);
        }
    }

    @Test
    @DisplayName("an upload of an asset an execution being erased made (from another Atlas on the database) before any one write of"
            + " the erase once the scope's assets are gone: while the execution row is there it is accepted and erased with the execution"
            + " (the erase counts both assets and their bytes), once it is gone refused with NotFoundException naming the execution;"
            + " every erase completes and leaves no asset of the execution (before: one landing after the erase's asset step failed it"
            + " half-way on the asset's foreign key to its execution; eraseConversation, and eraseOwner of an execution without a conversation)")
    void eraseRacingAnUploadOfItsExecutionErasesIt() {
        Tenant other = reopen(b -> b.blobStore(new LocalDirectoryBlobStore(blobDir))).tenant("acme");
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        String assetsOfE = "SELECT COUNT(*) FROM atlas_assets WHERE tenant_id = 'acme' AND execution_id = ?";
        String executionRow = "SELECT COUNT(*) FROM atlas_executions WHERE tenant_id = 'acme' AND id = ?";
        for (boolean byOwner : new boolean[] {false, true}) {
            int accepted = 0;
            for (int j = 1; ; j++) {
                Tenant acme = atlas.tenant("acme");
                Owner owner = Owner.user((byOwner ? "uploads-owner-" : "uploads-conversation-") + j);
                UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(owner)).id();
                dev.atlas.execution.ExecutionSpec spec = dev.atlas.execution.ExecutionSpec.text("openai", "gpt-image").owner(owner);
                UUID e = acme.executions().start(byOwner ? spec : spec.conversation(c)).id();
                acme.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "first.png", "image/png")
                        .execution(e, null), new byte[] {1});
                java.util.concurrent.atomic.AtomicReference<String> late = new java.util.concurrent.atomic.AtomicReference<>();
                boolean[] present = new boolean[1];
                int[] gone = {0};
                int at = j;
                // Before the j-th write of the erase at which the execution's asset is gone, the other instance uploads one.
                db.beforeEachWrite(h -> {
                    if (late.get() == null && count(assetsOfE, idParam(e)) == 0 && ++gone[0] == at) {
                        present[0] = count(executionRow, idParam(e)) == 1;
                        late.set(lateOutcome(() -> other.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE,
                                "late.png", "image/png").execution(e, null), new byte[] {2})));
                    }
                });
                EraseReport report;
                try {
                    report = byOwner ? acme.portability().eraseOwner(owner, false) : acme.portability().eraseConversation(c, false);
                } finally {
                    db.beforeEachWrite(h -> {});
                }
                String as = (byOwner ? "owner" : "conversation") + ", write " + j + " once the asset is gone";
                assertThat(late.get()).as(as).isEqualTo(present[0] ? "accepted" : "NotFoundException execution " + e);
                assertThat(report.counts()).as(as).containsEntry("assets", present[0] ? 2L : 1L)
                        .containsEntry("asset_blobs", present[0] ? 2L : 1L).containsEntry("executions", 1L);
                assertThat(count(assetsOfE, idParam(e)) + count(executionRow, idParam(e))).as(as).isZero();
                if (!present[0]) {
                    break;
                }
                accepted++;
            }
            // The blob intent's release, the asset step's last (empty) batch, and the executions' batch, which deletes the late asset;
            // on PostgreSQL also the check of the bytes' holders, under the key's lock (BlobReaper.keyLock), in a transaction of its own.
            assertThat(accepted).as(byOwner ? "owner" : "conversation").isEqualTo(db.dialect() == dev.atlas.jdbi.internal.Dialect.POSTGRESQL ? 4 : 3);
        }
    }

    @Test
    @DisplayName("a new conversation of the owner (with two messages, from another Atlas on the database) created before any one write"
            + " of eraseOwner is erased whole with the owner's other conversation: the erase completes, its report counts both, and no"
            + " conversation or message of the owner is left")
    void eraseOwnerRacingANewConversationErasesItWhole() {
        Tenant other = reopen(b -> b).tenant("acme");
        String conversationsOf = "SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = 'acme' AND owner_id = ?";
        String messagesOf = "SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = 'acme' AND conversation_id IN"
                + " (SELECT id FROM atlas_conversations WHERE tenant_id = 'acme' AND owner_id = ?)";
        for (int k = 1; ; k++) {
            Tenant acme = atlas.tenant("acme");
            Owner owner = Owner.user("new-conversation-" + k);
            UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(owner)).id();
            acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("old"));
            List<String> late = new ArrayList<>();
            // Before the erase's k-th write, the owner starts a new conversation elsewhere.
            Optional<EraseReport> raced = withLateWrite(k, () -> {
                late.add(lateOutcome(() -> {
                    UUID fresh = other.conversations().create(dev.atlas.conversation.NewConversation.of(owner)).id();
                    other.conversations().append(fresh, dev.atlas.conversation.NewMessage.user("new 1"));
                    other.conversations().append(fresh, dev.atlas.conversation.NewMessage.user("new 2"));
                }));
            }, () -> acme.portability().eraseOwner(owner, false));
            if (raced.isEmpty()) {
                break; // k is past the last write
            }
            EraseReport report = raced.get();
            assertThat(late).as("before write " + k).containsExactly("accepted");
            assertThat(report.counts()).as("before write " + k).containsEntry("conversations", 2L).containsEntry("messages", 3L);
            assertThat(count(conversationsOf, owner.id()) + count(messagesOf, owner.id())).as("before write " + k).isZero();
        }
    }

    @Test
    @DisplayName("voice calls (from another Atlas on the database) racing eraseConversation, before any one write of it: the call in the"
            + " conversation takes its transcript until the erase has closed the conversation, then is NotFoundException (voice call); a"
            + " call started elsewhere naming the conversation's execution is accepted while that execution is there and kept unlinked"
            + " (voice_calls_unlinked), NotFoundException (execution) once it is gone; every erase completes")
    void eraseRacingVoiceCallsHalfErasesNothing() {
        Tenant other = reopen(b -> b).tenant("acme");
        String executionRow = "SELECT COUNT(*) FROM atlas_executions WHERE tenant_id = 'acme' AND id = ?";
        String liveConversation = "SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = 'acme' AND id = ? AND deleted_at IS NULL";
        Set<String> seen = new java.util.HashSet<>();
        for (int k = 1; ; k++) {
            Tenant acme = atlas.tenant("acme");
            Owner owner = Owner.user("voice-" + k);
            UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(owner)).id();
            UUID e = acme.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c)).complete().id();
            UUID call = acme.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("s-" + k, "openai", "realtime").conversation(c).execution(e)).id();
            Map<String, String> late = new TreeMap<>();
            UUID[] elsewhere = new UUID[1];
            boolean[] state = new boolean[2];
            int at = k;
            Optional<EraseReport> raced = withLateWrite(k, () -> {
                state[0] = count(liveConversation, idParam(c)) == 1;
                state[1] = count(executionRow, idParam(e)) == 1;
                late.put("checkpoint", lateOutcome(() -> other.voiceCalls().checkpoint(call, List.of(dev.atlas.voice.VoiceTurn.user("hi")))));
                late.put("start elsewhere", lateOutcome(() -> elsewhere[0] = other.voiceCalls().start(
                        dev.atlas.voice.NewVoiceCall.of("s-" + at, "openai", "realtime").execution(e)).id()));
                late.put("complete", lateOutcome(() -> other.voiceCalls().complete(call, List.of(dev.atlas.voice.VoiceTurn.user("bye")))));
            }, () -> acme.portability().eraseConversation(c, false));
            if (raced.isEmpty()) {
                break; // k is past the last write
            }
            EraseReport report = raced.get();
            seen.add(state[0] + "/" + state[1]);
            String callGone = "NotFoundException voice call " + call;
            assertThat(late).as("before write " + k).isEqualTo(Map.of("checkpoint", state[0] ? "accepted" : callGone,
                    "complete", state[0] ? "accepted" : callGone,
                    "start elsewhere", state[1] ? "accepted" : "NotFoundException execution " + e));
            assertThat(report.counts()).as("before write " + k).containsEntry("voice_calls", 1L).containsEntry("executions", 1L);
            if (state[1]) {
                assertThat(report.counts()).as("before write " + k).containsEntry("voice_calls_unlinked", 1L);
                assertThat(acme.voiceCalls().get(elsewhere[0]).orElseThrow().executionId()).as("before write " + k).isNull();
            }
        }
        assertThat(seen).containsExactlyInAnyOrder("true/true", "false/true", "false/false");
    }

    @Test
    @DisplayName("an update of the owner's memory (from another Atlas on the database) before any one write of eraseOwner: accepted"
            + " while the memory is there and erased with it, NotFoundException (memory) once it is gone; every erase completes and"
            + " leaves no memory, revision or tag of the owner")
    void eraseOwnerRacingAMemoryUpdateHalfErasesNothing() {
        Tenant other = reopen(b -> b).tenant("acme");
        String memoryRow = "SELECT COUNT(*) FROM atlas_memories WHERE tenant_id = 'acme' AND id = ?";
        String rowsOfM = "SELECT (" + memoryRow + ") + (SELECT COUNT(*) FROM atlas_memory_revisions WHERE tenant_id = 'acme' AND memory_id = ?)"
                + " + (SELECT COUNT(*) FROM atlas_memory_tags WHERE tenant_id = 'acme' AND memory_id = ?)";
        Set<Boolean> seen = new java.util.HashSet<>();
        for (int k = 1; ; k++) {
            Tenant acme = atlas.tenant("acme");
            Owner owner = Owner.user("memory-" + k);
            UUID m = acme.memories().create(dev.atlas.memory.NewMemory.fact(owner, "likes tea").tags("drinks")).id();
            List<String> late = new ArrayList<>();
            boolean[] present = new boolean[1];
            if (withLateWrite(k, () -> {
                present[0] = count(memoryRow, idParam(m)) == 1;
                late.add(lateOutcome(() -> other.memories().update(m, dev.atlas.memory.MemoryPatch.content("likes coffee"))));
            }, () -> acme.portability().eraseOwner(owner, false)).isEmpty()) {
                break; // k is past the last write
            }
            seen.add(present[0]);
            assertThat(late).as("before write " + k).containsExactly(present[0] ? "accepted" : "NotFoundException memory " + m);
            assertThat(count(rowsOfM, idParam(m), idParam(m), idParam(m))).as("before write " + k).isZero();
        }
        assertThat(seen).containsExactlyInAnyOrder(true, false);
    }

    @Test
    @DisplayName("a publish of the owner's assistant (from another Atlas on the database) before any one write of eraseOwner: accepted"
            + " while the assistant is there and erased with it, NotFoundException (assistant) once it is gone; every erase completes"
            + " and leaves no assistant or revision of the owner")
    void eraseOwnerRacingAPublishHalfErasesNothing() {
        Tenant other = reopen(b -> b).tenant("acme");
        String assistantRow = "SELECT COUNT(*) FROM atlas_assistants WHERE tenant_id = 'acme' AND id = ?";
        String rowsOfA = "SELECT (" + assistantRow + ") + (SELECT COUNT(*) FROM atlas_assistant_revisions WHERE tenant_id = 'acme'"
                + " AND assistant_id = ?)";
        Set<Boolean> seen = new java.util.HashSet<>();
        for (int k = 1; ; k++) {
            Tenant acme = atlas.tenant("acme");
            Owner owner = Owner.user("assistant-" + k);
            UUID a = acme.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot-" + k, "Bot").owner(owner)).id();
            acme.assistants().publish(a, dev.atlas.assistant.NewRevision.of("v1", Map.of()));
            List<String> late = new ArrayList<>();
            boolean[] present = new boolean[1];
            if (withLateWrite(k, () -> {
                present[0] = count(assistantRow, idParam(a)) == 1;
                late.add(lateOutcome(() -> other.assistants().publish(a, dev.atlas.assistant.NewRevision.of("v2", Map.of()))));
            }, () -> acme.portability().eraseOwner(owner, false)).isEmpty()) {
                break; // k is past the last write
            }
            seen.add(present[0]);
            assertThat(late).as("before write " + k).containsExactly(present[0] ? "accepted" : "NotFoundException assistant " + a);
            assertThat(count(rowsOfA, idParam(a), idParam(a))).as("before write " + k).isZero();
        }
        assertThat(seen).containsExactlyInAnyOrder(true, false);
    }

    @Test
    @DisplayName("a hand-edited file (a row carrying a tenant_id, a message in another tenant's conversation, an id twice, a line of"
            + " invalid UTF-8, metadata numbers a double cannot hold exactly) is an InvalidInputException naming line and field; nothing"
            + " is written and the other tenant is untouched")
    void handEditedFilesRefusedNamingLineAndField() {
        Tenant victim = atlas.tenant("victim");
        UUID theirs = victim.conversations().create(dev.atlas.conversation.NewConversation.of(BOB)).id();
        victim.conversations().append(theirs, dev.atlas.conversation.NewMessage.user("private"));
        Tenant acme = atlas.tenant("acme");
        UUID c = acme.conversations().create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("hello"));
        acme.conversations().append(c, dev.atlas.conversation.NewMessage.user("again"));
        String file = text(export(acme, ExportScope.tenant()));
        int conv = lineOf(file, "\"type\":\"conversation\"");
        int hello = lineOf(file, "\"content\":\"hello\"");
        int again = lineOf(file, "\"content\":\"again\"");
        String helloId = file.lines().toList().get(hello - 1).replaceFirst(".*\"row\":\\{\"id\":\"([^\"]*)\".*", "$1");
        Map<String, byte[]> cases = new TreeMap<>();
        cases.put("line " + hello + ": message.tenant_id", replaceLine(file, "\"content\":\"hello\"", "\"row\":{", "\"row\":{\"tenant_id\":\"victim\",")
                .getBytes(StandardCharsets.UTF_8));
        cases.put("line " + hello + ": message.conversation_id", relink(file, hello, "conversation_id", theirs).getBytes(StandardCharsets.UTF_8));
        cases.put("line " + again + ": message.id", replaceLine(file, "\"content\":\"again\"", "\"id\":\"", "\"id\":\"" + helloId + "\",\"_\":\"")
                .replaceAll(",\"_\":\"[^\"]*\"", "").getBytes(StandardCharsets.UTF_8));
        for (String number : List.of("1e400", "0.1000000000000000000001", "12345678901234567890.5", "-1E-400")) {
            cases.put("line " + conv + ": conversation.metadata " + number, replaceLine(file, "\"type\":\"conversation\"", "\"metadata\":{}",
                    "\"metadata\":{\"n\":" + number + "}").getBytes(StandardCharsets.UTF_8));
        }
        byte[] utf8 = file.getBytes(StandardCharsets.UTF_8);
        String marker = "\"content\":\"hello\"";
        int at = file.indexOf(marker) + marker.length() - 2; // inside the word hello
        byte[] bad = utf8.clone();
        bad[at] = (byte) 0xC3; // a lead byte followed by an ASCII letter
        cases.put("line " + hello, bad);
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Tenant beta = atlas.tenant("beta");
        Map<String, String> expected = new TreeMap<>();
        Map<String, String> actual = new TreeMap<>();
        for (Map.Entry<String, byte[]> e : cases.entrySet()) {
            String field = e.getKey().contains(" conversation.metadata ") ? e.getKey().substring(0, e.getKey().lastIndexOf(' ')) : e.getKey();
            expected.put(e.getKey(), "InvalidInputException " + field);
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(beta, e.getValue()));
            actual.put(e.getKey(), x == null ? "imported" : x.getClass().getSimpleName()
                    + (x instanceof InvalidInputException a ? " " + a.field() : x instanceof ConflictException a ? " " + a.field() : ": " + x.getMessage()));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        assertThat(victim.conversations().messages(theirs, 0, 10)).extracting(dev.atlas.conversation.Message::content).containsExactly("private");
    }

    /** A metadata document {@code depth} levels deep (the outermost object is level 1). */
    static Map<String, Object> nested(int depth) {
        Map<String, Object> m = Map.of("leaf", 1);
        for (int i = 1; i < depth; i++) {
            m = Map.of("k", m);
        }
        return m;
    }

    @Test
    @DisplayName("audit trails the API writes beyond metadata's limits export and import byte-exact: an edit of content longer than"
            + " metadata may be, a metadata update of a document as deep and as long as metadata may be")
    void auditDetailsBeyondMetadataLimitsRoundTrip() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore s = acme.conversations();
        UUID c = s.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID edited = s.append(c, dev.atlas.conversation.NewMessage.user("\u0001\"é".repeat(100_000))).id();
        s.edit(edited, "short");
        UUID deep = s.append(c, dev.atlas.conversation.NewMessage.user("deep").metadata(nested(Limits.MAX_JSON_DEPTH))).id();
        s.updateMessageMetadata(deep, Map.of());
        UUID big = s.append(c, dev.atlas.conversation.NewMessage.user("big")
                .metadata(Map.of("b", "x".repeat(Limits.MAX_METADATA_LENGTH - 8)))).id();
        s.updateMessageMetadata(big, Map.of());
        byte[] file = export(acme, ExportScope.tenant());
        Tenant copy = atlas.tenant("copy");
        assertThat(importBytes(copy, file).imported()).containsEntry("message", 3L).containsEntry("message_event", 6L);
        assertThat(text(export(copy, ExportScope.tenant()))).isEqualTo(text(file));
        assertThat(copy.conversations().events(deep).items().get(1).details()).isEqualTo(Map.of("previousMetadata", nested(Limits.MAX_JSON_DEPTH)));
        assertThat(copy.conversations().events(edited).items().get(1).details().get("previousContent")).isEqualTo("\u0001\"é".repeat(100_000));
    }

    @Test
    @DisplayName("a message answering itself or another conversation's message (in the file or stored) is refused naming"
            + " message.parent_id, and one numbered beyond its stored conversation's counter naming message.sequence, before any write:"
            + " activate looped for ever on a message answering itself, and every append failed past the counter")
    void messagesTheTreeOrTheCounterCannotHoldRefused() {
        Tenant acme = atlas.tenant("acme");
        dev.atlas.conversation.ConversationStore s = acme.conversations();
        UUID c = s.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        UUID q = s.append(c, dev.atlas.conversation.NewMessage.user("question")).id();
        UUID a = s.append(c, dev.atlas.conversation.NewMessage.assistant("answer").parent(q)).id();
        UUID d = s.create(dev.atlas.conversation.NewConversation.of(ALICE)).id();
        s.append(d, dev.atlas.conversation.NewMessage.user("elsewhere"));
        String file = text(export(acme, ExportScope.tenant()));
        int answer = lineOf(file, "\"content\":\"answer\"");
        int elsewhere = lineOf(file, "\"content\":\"elsewhere\"");
        String header = file.lines().findFirst().orElseThrow() + "\n";
        // Short files imported where the first conversation is stored: a message answering it from the second, a message beyond its counter.
        String storedParent = header + file.lines().toList().get(lineOf(file, "\"row\":{\"id\":\"" + d) - 1) + "\n"
                + file.lines().toList().get(elsewhere - 1).replaceFirst("\"row\":\\{", "\"row\":{\"parent_id\":\"" + q + "\",") + "\n";
        String beyond = header + file.lines().toList().get(answer - 1).replace(a.toString(), UUID.randomUUID().toString())
                .replace("\"sequence\":2", "\"sequence\":3").replaceFirst(",\"parent_id\":\"[^\"]*\"", "") + "\n";
        Map<String, String> cases = new TreeMap<>();
        cases.put("line " + answer + ": message.parent_id (itself)", relink(file, answer, "parent_id", a));
        cases.put("line " + elsewhere + ": message.parent_id (in another conversation of the file)", relink(file, elsewhere, "parent_id", q));
        cases.put("line 3: message.parent_id (stored in another conversation)", withEnd(storedParent));
        cases.put("line 2: message.sequence (beyond the stored counter)", withEnd(beyond));
        Tenant beta = atlas.tenant("beta");
        importBytes(beta, export(acme, ExportScope.conversation(c)));
        String digest = DatabaseDigest.of(database.dataSource(), PREFIX);
        Map<String, String> actual = new TreeMap<>();
        Map<String, String> expected = new TreeMap<>();
        for (Map.Entry<String, String> e : cases.entrySet()) {
            expected.put(e.getKey(), "InvalidInputException " + e.getKey().substring(0, e.getKey().indexOf(" (")));
            // Whole files go into an empty tenant, the short ones ("stored") where the first conversation is.
            Tenant into = e.getKey().contains("stored") ? beta : atlas.tenant("gamma" + expected.size());
            Throwable x = org.assertj.core.api.Assertions.catchThrowable(() -> importBytes(into, e.getValue().getBytes(StandardCharsets.UTF_8)));
            actual.put(e.getKey(), x instanceof InvalidInputException i ? "InvalidInputException " + i.field() : String.valueOf(x));
        }
        assertThat(actual).isEqualTo(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), PREFIX)).isEqualTo(digest);
        assertThat(beta.conversations().append(c, dev.atlas.conversation.NewMessage.user("next")).sequence()).isEqualTo(3);
    }

    static void sameRows(Map<String, List<String>> actual, Map<String, List<String>> expected) {
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        for (String table : expected.keySet()) {
            assertThat(actual.get(table)).as(table).containsExactlyElementsOf(expected.get(table));
        }
    }

    Object idParam(UUID id) {
        return database.name().equals("SQLite") ? id.toString() : id;
    }
}
