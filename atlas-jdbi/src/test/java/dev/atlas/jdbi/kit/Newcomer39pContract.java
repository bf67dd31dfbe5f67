package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.memory.NewMemory;
import dev.atlas.portability.EraseReport;
import dev.atlas.portability.ExportScope;
import dev.atlas.portability.ImportOptions;
import dev.atlas.retention.RetentionPolicy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Session 39, a customer leaves the SaaS: {@code Portability.eraseTenant} takes every row of the tenant (owned or not), in
 * bounded transactions, resumable, exact about what it deleted, and never a byte of another tenant.
 */
public abstract class Newcomer39pContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Owner BOB = Owner.user("bob");
    /** Every table with tenant rows an erase reports, in its order (SQLite's derived search and vector-set tables aside). */
    private static final List<String> TABLES = List.of("vectors", "message_events", "message_assets", "voice_calls", "messages", "assets",
            "execution_tool_calls", "execution_steps", "executions", "tasks", "memory_tags", "memory_revisions", "memories",
            "credentials", "conversations", "assistant_revisions", "assistants", "task_schedules", "settings_revisions", "settings",
            "graph_edges", "graph_nodes", "model_prices", "vector_models", "leases");

    @TempDir
    Path blobDir;

    protected Newcomer39pContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).blobStore(new LocalDirectoryBlobStore(blobDir))
                .credentialKeys(CredentialKeys.of("k1", TestKeys.key("k1")));
    }

    private static byte[] export(Tenant t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.portability().exportTo(out, ExportScope.tenant());
        return out.toByteArray();
    }

    private static long count(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The tenant's rows per table, as the database holds them (absent where none): what an exact erase reports. */
    private Map<String, Long> held(String tenant) {
        Map<String, Long> out = new LinkedHashMap<>();
        // One connection for all the counts: a connection per count was most of the crash points' time.
        try (Connection c = pooledDatabase().getConnection()) {
            for (String table : TABLES) {
                long n = count(c, "SELECT COUNT(*) FROM atlas_" + table + " WHERE tenant_id = ?", tenant);
                if (n > 0) {
                    out.put(table, n);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** The Atlas tables with a tenant column, read from the catalogue once per test. */
    private final List<String> tenantTables = new ArrayList<>();

    /** Rows of {@code tenant} in any Atlas table with a tenant column (the derived ones too): 0 once it is erased. */
    private long anyRow(String tenant) {
        long n = 0;
        try (Connection c = database.dataSource().getConnection()) {
            if (tenantTables.isEmpty()) {
                try (ResultSet rs = c.getMetaData().getColumns(null, null, "atlas_%", "tenant_id")) {
                    while (rs.next()) {
                        tenantTables.add(rs.getString("TABLE_NAME"));
                    }
                }
            }
            for (String t : tenantTables) {
                // SQLite's vector-set counters: a count per (model, target type), 0 once the vectors are gone (docs/portability.md).
                String extra = t.contains("vector_sets") ? " AND vectors <> 0" : "";
                n += count(c, "SELECT COUNT(*) FROM " + t + " WHERE tenant_id = ?" + extra, tenant);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return n;
    }

    private Set<Path> blobFiles() {
        try (Stream<Path> s = Files.walk(blobDir)) {
            return new LinkedHashSet<>(s.filter(Files::isRegularFile).sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<UUID, byte[]> assetBytes(Tenant t, List<UUID> ids) {
        Map<UUID, byte[]> out = new LinkedHashMap<>();
        for (UUID id : ids) {
            try (InputStream in = t.assets().open(id)) {
                out.put(id, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out;
    }

    private List<UUID> assetIds(String tenant) {
        List<UUID> ids = new ArrayList<>();
        try (Connection c = pooledDatabase().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT id FROM atlas_assets WHERE tenant_id = ? ORDER BY id")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(UUID.fromString(rs.getString(1)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return ids;
    }

    /** Every kind of row: two owners with cross references, what no owner has, a lease, ownerless voice call and task. */
    private void populate(Tenant t, String tag) {
        PortabilityFixture.populate(t, BOB, "b" + tag, true, clock);
        PortabilityFixture.populate(t, ALICE, "a" + tag, false, clock);
        PortabilityFixture.crossOwnerReferences(t);
        t.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("nobody-" + tag, "openai", "gpt-realtime"));
        t.tasks().enqueue(dev.atlas.task.NewTask.of("ownerless", Map.of()));
        holdLease(t.id());
    }

    /** A retention lease held (a worker of the tenant mid-run), as {@code retention().runExclusive} holds one while it runs. */
    private void holdLease(String tenant) {
        String until = atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL ? "now() + INTERVAL '1 hour'" : "9000000000000000";
        try (Connection c = database.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO atlas_leases (tenant_id, name, holder, expires_at) VALUES ('" + tenant + "', 'retention', 'worker', " + until + ")");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("eraseTenant deletes every row of the tenant, owned or not, with exact counts per table (a dry run the same,"
            + " changing nothing), the blob files only it named, and not a byte of another tenant that imported its export and"
            + " stores the same bytes; the tenant is empty and usable again")
    void eraseTenantTakesEverythingOfItAndNothingElse() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        populate(acme, "x");
        // Globex imports acme's export: its asset rows name acme's blob keys, and share the bytes; then rows of its own.
        globex.portability().importFrom(new ByteArrayInputStream(export(acme)), ImportOptions.defaults().resealCredentialsFrom("acme"));
        PortabilityFixture.populate(globex, ALICE, "g", false, clock);
        // The same bytes stored by each tenant, and bytes only acme has.
        byte[] same = "the same bytes".getBytes(StandardCharsets.UTF_8);
        acme.assets().store(dev.atlas.asset.NewAsset.of(AssetType.DOCUMENT, "same.txt", "text/plain"), same);
        Asset theirs = globex.assets().store(dev.atlas.asset.NewAsset.of(AssetType.DOCUMENT, "same.txt", "text/plain"), same);
        acme.assets().store(dev.atlas.asset.NewAsset.of(AssetType.DOCUMENT, "own.txt", "text/plain"), "acme only".getBytes(StandardCharsets.UTF_8));
        byte[] globexFile = export(globex);
        Map<String, List<String>> globexRows = PortabilityContract.rows(database.dataSource(), "globex");
        List<UUID> globexAssets = assetIds("globex");
        Map<UUID, byte[]> globexBytes = assetBytes(globex, globexAssets);
        assertThat(globexBytes).containsKey(theirs.id());
        Set<Path> filesBefore = blobFiles();
        Map<String, Long> expected = new LinkedHashMap<>(held("acme"));
        assertThat(expected.keySet()).containsExactlyElementsOf(TABLES);
        // Two files only acme names: its copy of the same bytes and its own (every other key globex's import names too).
        expected.put("asset_blobs", 2L);
        String digest = DatabaseDigest.of(database.dataSource(), "atlas_");

        EraseReport dry = acme.portability().eraseTenant(true);

        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).isEqualTo(digest);

        EraseReport done = acme.portability().eraseTenant(false);

        assertThat(done.dryRun()).isFalse();
        assertThat(done.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(anyRow("acme")).isZero();
        Set<Path> gone = new LinkedHashSet<>(filesBefore);
        gone.removeAll(blobFiles());
        assertThat(gone).hasSize(2);
        assertThat(filesBefore).containsAll(blobFiles());
        assertThat(export(globex)).isEqualTo(globexFile);
        PortabilityContract.sameRows(PortabilityContract.rows(database.dataSource(), "globex"), globexRows);
        assertThat(assetBytes(globex, globexAssets)).containsOnlyKeys(globexBytes.keySet())
                .allSatisfy((id, bytes) -> assertThat(bytes).isEqualTo(globexBytes.get(id)));
        assertThat(acme.portability().eraseTenant(true).counts()).isEmpty();
        assertThat(acme.portability().eraseTenant(false).counts()).isEmpty();

        // Usable again, as a new tenant: nothing of before shows, new rows are kept.
        Conversation fresh = acme.conversations().create(NewConversation.of(ALICE, "support"));
        acme.conversations().append(fresh.id(), NewMessage.user("hello again"));
        assertThat(acme.portability().exportTo(new ByteArrayOutputStream(), ExportScope.tenant()).exported())
                .containsExactlyInAnyOrderEntriesOf(Map.of("conversation", 1L, "message", 1L, "message_event", 1L));
    }

    @Test
    @DisplayName("an eraseTenant that stops at any of its statements (a crash) leaves every remaining row readable (the tenant"
            + " exports and the export imports) and the next eraseTenant finishes: nothing of the tenant is left, the other"
            + " tenant unchanged")
    void anEraseStoppedAnywhereIsFinishedByTheNext() {
        Db db = ((JdbiAtlas) atlas).db();
        Tenant globex = atlas.tenant("globex");
        PortabilityFixture.populate(globex, ALICE, "g", true, clock);
        byte[] globexFile = export(globex);
        // The statements of a whole erase, in the order it runs them first.
        Tenant probe = atlas.tenant("probe");
        small(probe);
        List<String> names = new ArrayList<>();
        db.statementListener((name, sql) -> {
            if (!names.contains(name)) {
                names.add(name);
            }
        });
        try {
            probe.portability().eraseTenant(false);
        } finally {
            db.statementListener(null);
        }
        assertThat(names).contains("portability.closeConversations", "portability.deleteEdgesOfNodes", "portability.deleteLeases");
        int crashed = 0;
        // The erase's own statements (those of the stores it calls, such as the blob reaper's, are crash points of theirs).
        names.removeIf(n -> !n.startsWith("portability."));
        // One crash point per kind of statement (its name without the table), each kind at another of its tables, so that
        // the points spread over the tables without one tenant per statement: the others' states lie between two of these.
        Map<String, List<String>> kinds = new LinkedHashMap<>();
        for (String n : names) {
            String[] parts = n.split("\\.");
            kinds.computeIfAbsent(parts[0] + "." + parts[1], k -> new ArrayList<>()).add(n);
        }
        // Kinds whose stop leaves the state another kind's stop leaves: read in the transaction of the statement after them
        // (a stop rolls it back), or the reads after a whole pass, which change nothing (claimedIntentsAfter stands for them).
        kinds.keySet().removeAll(List.of("portability.liveConversationsAfter", "portability.graphNodes", "portability.lockAssetsOfExecutions",
                "portability.keepOneActiveOfExecutions", "portability.tenantHas"));
        List<String> points = new ArrayList<>();
        int k = 0;
        for (List<String> ofKind : kinds.values()) {
            points.add(ofKind.get(k++ % ofKind.size()));
        }
        names.retainAll(points);
        for (int i = 0; i < names.size(); i++) {
            String at = names.get(i);
            Tenant t = atlas.tenant("t" + i);
            small(t);
            long rows = held("t" + i).values().stream().mapToLong(Long::longValue).sum();
            RuntimeException crash = new IllegalStateException("crash at " + at);
            db.statementListener((name, sql) -> {
                if (name.equals(at)) {
                    throw crash;
                }
            });
            Throwable thrown;
            try {
                thrown = catchThrowable(() -> t.portability().eraseTenant(false));
            } finally {
                db.statementListener(null);
            }
            if (thrown == null) {
                continue; // a statement this tenant's erase never ran (nothing of that kind left at that point)
            }
            crashed++;
            byte[] left = export(t);
            Tenant copy = atlas.tenant("copy" + i);
            copy.portability().importFrom(new ByteArrayInputStream(left), ImportOptions.defaults().resealCredentialsFrom("t" + i));
            Map<String, Long> remaining = held("t" + i);
            assertThat(remaining.values().stream().mapToLong(Long::longValue).sum()).as(at).isLessThanOrEqualTo(rows);
            Map<String, Long> finished = new LinkedHashMap<>(t.portability().eraseTenant(false).counts());
            finished.remove("asset_blobs");
            assertThat(finished).as(at).containsExactlyInAnyOrderEntriesOf(remaining);
            assertThat(anyRow("t" + i)).as(at).isZero();
        }
        assertThat(crashed).isEqualTo(points.size());
        assertThat(export(globex)).isEqualTo(globexFile);
    }

    @Test
    @DisplayName("a write racing eraseTenant is erased whole when it lands before the erase's last check (an append to a closed"
            + " conversation is refused on conversation), and stays whole when it lands after")
    void writesRacingTheEraseAreErasedWholeOrStayWhole() throws InterruptedException {
        Db db = ((JdbiAtlas) atlas).db();
        Tenant acme = atlas.tenant("acme");
        small(acme);
        UUID old = acme.conversations().create(NewConversation.of(ALICE, "support")).id();
        Map<String, Long> before = held("acme");
        long blobs = acme.portability().eraseTenant(true).count("asset_blobs");
        AtomicReference<String> lateAppend = new AtomicReference<>();
        AtomicReference<Map<String, Long>> raced = new AtomicReference<>();
        EraseReport report = racing(db, "portability.tenantHas.vectors", () -> {
            lateAppend.set(lateOutcome(() -> acme.conversations().append(old, NewMessage.user("late"))));
            write(acme, "early");
            // The first pass has deleted everything else: what the tenant holds now is the raced write, whole.
            raced.set(held("acme"));
        });
        assertThat(lateAppend.get()).isEqualTo("NotFoundException conversation " + old);
        assertThat(raced.get()).containsAllEntriesOf(Map.of("conversations", 1L, "messages", 2L, "memories", 1L, "graph_nodes", 1L));
        Map<String, Long> expected = new LinkedHashMap<>(before);
        raced.get().forEach((table, n) -> expected.merge(table, n, Long::sum));
        expected.put("asset_blobs", blobs);
        assertThat(report.counts()).containsExactlyInAnyOrderEntriesOf(expected);
        assertThat(anyRow("acme")).isZero();

        small(acme);
        Map<String, Long> second = new LinkedHashMap<>(held("acme"));
        second.put("asset_blobs", acme.portability().eraseTenant(true).count("asset_blobs"));
        AtomicReference<UUID> kept = new AtomicReference<>();
        report = racing(db, "portability.tenantHas.leases", () -> kept.set(write(acme, "late")));
        assertThat(report.counts()).containsExactlyInAnyOrderEntriesOf(second);
        assertThat(held("acme")).containsAllEntriesOf(Map.of("conversations", 1L, "messages", 2L, "memories", 1L, "graph_nodes", 1L))
                .containsOnlyKeys("conversations", "messages", "message_events", "memories", "graph_nodes");
        assertThat(acme.conversations().history(kept.get())).extracting(m -> m.content()).containsExactly("one late", "two late");
    }

    @Test
    @DisplayName("a dry run of eraseTenant counts the blob files of purges an earlier erase committed but could not finish (its"
            + " file deletes never ran), as the erase then deletes them, and not those another tenant's row still names")
    void aDryRunCountsThePendingBlobPurgesAnEarlierEraseLeft() throws IOException {
        Db db = ((JdbiAtlas) atlas).db();
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        acme.assets().store(dev.atlas.asset.NewAsset.of(AssetType.DOCUMENT, "shared.txt", "text/plain"), "shared".getBytes(StandardCharsets.UTF_8));
        // Globex's import names acme's key of shared.txt: its bytes are globex's to keep.
        globex.portability().importFrom(new ByteArrayInputStream(export(acme)), ImportOptions.defaults());
        acme.assets().store(dev.atlas.asset.NewAsset.of(AssetType.DOCUMENT, "own.txt", "text/plain"), "acme only".getBytes(StandardCharsets.UTF_8));
        Set<Path> before = blobFiles();
        assertThat(before).hasSize(2);
        // The erase's rows commit, each with its claimed intent; every reading of a key's holders then fails (a crash between
        // the commit and the file deletes, or a database gone for that moment): the files stay, pending.
        db.statementListener((name, sql) -> {
            if (name.equals("assets.keyRows")) {
                throw new IllegalStateException("stopped before the file deletes");
            }
        });
        EraseReport stopped;
        try {
            stopped = acme.portability().eraseTenant(false);
        } finally {
            db.statementListener(null);
        }
        assertThat(stopped.counts()).containsEntry("assets", 2L).doesNotContainKey("asset_blobs");
        assertThat(blobFiles()).isEqualTo(before);
        assertThat(anyRow("acme")).isEqualTo(2); // the two claimed intents

        // Acme's pending purges are acme's alone: globex's dry run counts only the file its own row names (shared.txt, which
        // acme no longer names), never acme's pending own.txt.
        assertThat(globex.portability().eraseTenant(true).counts()).containsEntry("asset_blobs", 1L);
        EraseReport dry = acme.portability().eraseTenant(true);
        EraseReport done = acme.portability().eraseTenant(false);

        assertThat(dry.counts()).containsExactlyInAnyOrderEntriesOf(Map.of("asset_blobs", 1L));
        assertThat(done.counts()).containsExactlyInAnyOrderEntriesOf(Map.of("asset_blobs", 1L));
        assertThat(blobFiles()).hasSize(1);
        UUID kept = assetIds("globex").get(0);
        try (InputStream in = globex.assets().open(kept)) {
            assertThat(in.readAllBytes()).isEqualTo("shared".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(anyRow("acme")).isZero();
    }

    @Test
    @DisplayName("a vector stored while eraseTenant deletes the tenant's unused vector models keeps its model: an erase stopped"
            + " after that pass leaves a vector whose dimension and search still work (PostgreSQL: SQLite runs one writer at a time)")
    void aVectorRacingTheModelDeleteKeepsItsModel() throws InterruptedException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == dev.atlas.DatabaseKind.POSTGRESQL);
        Db db = ((JdbiAtlas) atlas).db();
        Tenant acme = atlas.tenant("acme");
        small(acme); // a 2-dimensional vector of model "emb": the model's row exists when the racing vector is stored
        java.util.concurrent.CountDownLatch paused = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch resume = new java.util.concurrent.CountDownLatch(1);
        AtomicReference<Thread> writer = new AtomicReference<>();
        AtomicReference<UUID> message = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        RuntimeException crash = new IllegalStateException("crash after the pass");
        db.statementListener((name, sql) -> {
            Thread self = Thread.currentThread();
            if (self == writer.get() && name.equals("search.dimension")) {
                // The vector's write has checked its model's dimension and holds its conversation: it stops before its insert.
                paused.countDown();
                await(resume);
            } else if (writer.get() == null && name.equals("portability.closeConversations")) {
                Thread w = new Thread(() -> {
                    try {
                        Conversation c = acme.conversations().create(NewConversation.of(ALICE, "support"));
                        UUID m = acme.conversations().append(c.id(), NewMessage.user("raced")).id();
                        message.set(m);
                        acme.search().putVector(dev.atlas.search.SearchTarget.MESSAGE, m, "emb", new float[] {0f, 1f});
                    } catch (Throwable e) {
                        failed.set(e);
                        paused.countDown();
                    }
                });
                writer.set(w);
                w.start();
                await(paused);
            } else if (name.equals("portability.deleteLeases") && writer.get() != null && self != writer.get()) {
                resume.countDown();
                join(writer.get());
                throw crash;
            }
        });
        Throwable thrown;
        try {
            thrown = catchThrowable(() -> acme.portability().eraseTenant(false));
        } finally {
            db.statementListener(null);
            resume.countDown();
        }
        assertThat(failed.get()).isNull();
        assertThat(thrown).isSameAs(crash);
        // The conversation created during the pass stays whole, its vector with it, and the vector's model with them.
        assertThat(acme.search().dimension("emb")).isEqualTo(2);
        assertThat(acme.search().similar(dev.atlas.search.SemanticQuery.of(dev.atlas.search.SearchTarget.MESSAGE, "emb", new float[] {0f, 1f})))
                .extracting(dev.atlas.search.SearchHit::id).containsExactly(message.get());
        acme.portability().eraseTenant(false);
        assertThat(anyRow("acme")).isZero();
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A row or two in every table, fewer than {@link #populate} writes: one tenant per crash point. */
    private void small(Tenant t) {
        t.prices().set(dev.atlas.execution.ModelPrice.of("openai", "gpt-4o", "2.5", "10", java.time.Instant.parse("2026-01-01T00:00:00Z")));
        t.graph().upsertNode(NewGraphNode.of("a"));
        t.graph().upsertNode(NewGraphNode.of("b"));
        t.graph().upsertEdge(dev.atlas.graph.NewGraphEdge.of("a", "knows", "b"));
        var bot = t.assistants().create(dev.atlas.assistant.AssistantSpec.of("bot", "Bot").owner(ALICE));
        t.assistants().publish(bot.id(), dev.atlas.assistant.NewRevision.of("Be brief.", Map.of()));
        var settings = t.settings().create("chat", "Chat", null);
        t.settings().publish(settings.id(), Map.of("model", "gpt-4o"), null, null);
        Conversation c = t.conversations().create(NewConversation.of(ALICE, "support").assistant(bot.id()));
        var m = t.conversations().append(c.id(), NewMessage.user("hi"));
        var e = t.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        var step = e.step();
        var call = step.toolCall("call", "lookup", "{}");
        call.complete("ok");
        step.finish("done", null, dev.atlas.execution.FinishReason.STOP, dev.atlas.execution.Usage.of(1, 1));
        t.assets().store(dev.atlas.asset.NewAsset.of(AssetType.IMAGE, "c.png", "image/png").execution(e.id(), call.id()),
                ("chart " + t.id()).getBytes(StandardCharsets.UTF_8));
        e.complete();
        Asset upload = t.assets().store(dev.atlas.asset.NewAsset.of(AssetType.DOCUMENT, "r.pdf", "application/pdf"),
                ("upload " + t.id()).getBytes(StandardCharsets.UTF_8));
        t.assets().attach(m.id(), upload.id(), Map.of());
        t.search().putVector(dev.atlas.search.SearchTarget.MESSAGE, m.id(), "emb", new float[] {1f, 0f});
        var memory = t.memories().add(NewMemory.fact(ALICE, "likes tea").tags("drink"));
        t.memories().update(memory.id(), dev.atlas.memory.MemoryPatch.content("likes green tea"));
        t.credentials().put(ALICE, "github", "secret");
        t.tasks().enqueue(dev.atlas.task.NewTask.of("remind", Map.of()).forConversation(c.id()));
        t.tasks().schedule(dev.atlas.task.NewSchedule.every("digest", Duration.ofHours(6), dev.atlas.task.NewTask.of("digest", Map.of())));
        t.voiceCalls().start(dev.atlas.voice.NewVoiceCall.of("s", "openai", "gpt-realtime").conversation(c.id()));
        t.executions().start(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o")).complete();
        holdLease(t.id());
    }

    /** A conversation with two messages, a memory and a graph node, all written by one caller. */
    private static UUID write(Tenant t, String tag) {
        Conversation c = t.conversations().create(NewConversation.of(ALICE, "support"));
        t.conversations().append(c.id(), NewMessage.user("one " + tag));
        t.conversations().append(c.id(), NewMessage.user("two " + tag));
        t.memories().add(NewMemory.fact(ALICE, "raced " + tag));
        t.graph().upsertNode(NewGraphNode.of("raced-" + tag));
        return c.id();
    }

    /** Erases acme, running {@code write} on another thread (waited for) once the erase has run {@code after} the first time. */
    private EraseReport racing(Db db, String after, Runnable write) throws InterruptedException {
        AtomicReference<Throwable> failed = new AtomicReference<>();
        db.statementListener((name, sql) -> {
            if (name.equals(after)) {
                db.statementListener(null);
                Thread t = new Thread(() -> {
                    try {
                        write.run();
                    } catch (Throwable e) {
                        failed.set(e);
                    }
                });
                t.start();
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            return atlas.tenant("acme").portability().eraseTenant(false);
        } finally {
            db.statementListener(null);
            assertThat(failed.get()).isNull();
        }
    }
}
