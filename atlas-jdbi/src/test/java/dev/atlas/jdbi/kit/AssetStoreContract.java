package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.BlobInfo;
import dev.atlas.asset.BlobStore;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.asset.OrphanCleanup;
import dev.atlas.asset.StoredBlob;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.StepHandle;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.search.Search;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Assets and their blobs, on every database; blobs go to a temporary directory per test. */
public abstract class AssetStoreContract extends AtlasContract {
    protected Path dir;
    protected FlakyBlobStore blobs;
    protected Tenant acme;
    protected AssetStore assets;

    protected AssetStoreContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            dir = Files.createTempDirectory("atlas-blobs");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        blobs = new FlakyBlobStore(new LocalDirectoryBlobStore(dir.resolve("blobs")));
        return super.configure(builder).blobStore(blobs);
    }

    @BeforeEach
    void stores() {
        acme = atlas.tenant("acme");
        assets = acme.assets();
    }

    @AfterEach
    void removeDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private long rows(String table) {
        return AdHoc.count(atlas, table);
    }

    private List<BlobInfo> allBlobs() throws IOException {
        return blobs.list("");
    }

    private static NewAsset png() {
        return NewAsset.of(AssetType.IMAGE, "chart.png", "image/png");
    }

    @Test
    @DisplayName("stored bytes open back unchanged, with size, SHA-256, mime type, filename and metadata recorded")
    void roundTrip() throws Exception {
        byte[] bytes = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(bytes);
        Asset a = assets.create(png().description("a chart").metadata(Map.of("width", 800)).owner(Owner.user("alice")),
                new ByteArrayInputStream(bytes));
        assertThat(a.sizeBytes()).isEqualTo(bytes.length);
        assertThat(a.sha256()).isEqualTo(sha256(bytes));
        Asset read = assets.get(a.id()).orElseThrow();
        assertThat(read).isEqualTo(a);
        assertThat(read.metadata()).isEqualTo(Map.of("width", 800));
        try (InputStream in = assets.open(a.id())) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
    }

    @Test
    @DisplayName("openWithAsset returns the bytes with the asset they belong to, read in one statement; another tenant's or a deleted asset is not found")
    void openCarriesItsAsset() throws Exception {
        byte[] bytes = "chart bytes".getBytes(StandardCharsets.UTF_8);
        Asset a = assets.create(png().description("a chart").metadata(Map.of("width", 800)), bytes);
        StatementCounter.Counted<dev.atlas.asset.AssetInputStream> opened = StatementCounter.count(atlas, () -> assets.openWithAsset(a.id()));
        assertThat(opened.statements()).isEqualTo(1);
        try (dev.atlas.asset.AssetInputStream in = opened.result()) {
            assertThat(in.asset()).isEqualTo(a);
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        try (InputStream in = assets.open(a.id())) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        Asset theirs = atlas.tenant("globex").assets().create(png(), bytes);
        assertThat(catchThrowableOfType(NotFoundException.class, () -> assets.openWithAsset(theirs.id())).getMessage())
                .isEqualTo("asset " + theirs.id() + " not found");
        assets.delete(a.id());
        assertThat(catchThrowableOfType(NotFoundException.class, () -> assets.openWithAsset(a.id())).getMessage())
                .isEqualTo("asset " + a.id() + " not found");
    }

    @Test
    @DisplayName("an asset links to the execution and tool call that made it and takes the conversation's owner by default")
    void linksToExecution() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-image").conversation(c.id()));
        StepHandle.ToolCallHandle call = exec.step().toolCall("c1", "render_chart", "{}");
        Asset first = assets.create(png().execution(exec.id(), call.id()).agent("support"), "one".getBytes(StandardCharsets.UTF_8));
        Asset second = assets.create(NewAsset.of(AssetType.TEXT, "notes.txt", "text/plain").execution(exec.id(), null)
                .owner(Owner.user("carol")), "two".getBytes(StandardCharsets.UTF_8));
        assertThat(first.owner()).isEqualTo(Owner.user("alice"));
        assertThat(first.toolCallId()).isEqualTo(call.id());
        assertThat(second.owner()).isEqualTo(Owner.user("carol"));
        assertThat(assets.byExecution(exec.id())).extracting(Asset::id).containsExactly(first.id(), second.id());
    }

    @Test
    @DisplayName("byExecution(id, limit, cursor) pages an execution's live assets oldest first with no asset lost or repeated; a cursor of"
            + " another execution's listing, a bad limit and a foreign execution behave as documented")
    void byExecutionPages() {
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-image"));
        ExecutionHandle otherExec = acme.executions().start(ExecutionSpec.text("openai", "gpt-image"));
        List<UUID> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Asset a = assets.create(png().execution(exec.id(), null), new byte[] {(byte) i});
            expected.add(a.id());
        }
        assets.delete(expected.remove(3));
        assets.create(png().execution(otherExec.id(), null), new byte[] {9});
        for (int size : new int[] {1, 3, 7, 1000}) {
            List<UUID> seen = new ArrayList<>();
            String cursor = null;
            do {
                dev.atlas.Page<Asset> p = assets.byExecution(exec.id(), size, cursor);
                assertThat(p.items().size()).isLessThanOrEqualTo(size);
                p.items().forEach(a -> seen.add(a.id()));
                cursor = p.nextCursor().orElse(null);
            } while (cursor != null);
            assertThat(seen).containsExactlyElementsOf(expected);
        }
        assertThat(assets.byExecution(exec.id())).extracting(Asset::id).containsExactlyElementsOf(expected);
        String next = assets.byExecution(exec.id(), 2, null).nextCursor().orElseThrow();
        assertField("cursor", () -> assets.byExecution(otherExec.id(), 2, next));
        assertField("cursor", () -> assets.byExecution(exec.id(), 2, "not-a-cursor"));
        assertField("limit", () -> assets.byExecution(exec.id(), 0, null));
        assertField("limit", () -> assets.byExecution(exec.id(), 1001, null));
        assertField("executionId", () -> assets.byExecution(null, 10, null));
        ExecutionHandle theirs = atlas.tenant("globex").executions().start(ExecutionSpec.text("openai", "gpt-image"));
        atlas.tenant("globex").assets().create(png().execution(theirs.id(), null), new byte[] {1});
        assertThat(assets.byExecution(theirs.id(), 10, null).items()).isEmpty();
        assertThat(assets.byExecution(UUID.randomUUID(), 10, null).items()).isEmpty();
    }

    @Test
    @DisplayName("a clientKey in a conflict message is escaped, from bytes and from a stream: a line break or U+202E is shown as"
            + " \\uXXXX (it was quoted raw); a lone surrogate is refused before anything is stored")
    void clientKeyInConflictIsEscaped() {
        String key = "upload-1\nERROR forged\u202e";
        Asset first = assets.create(png().clientKey(key), "report".getBytes(StandardCharsets.UTF_8));
        String expected = "clientKey: 'upload-1\\u000aERROR forged\\u202e' already names asset " + first.id()
                + ", which holds other bytes; use a new key for new content";
        assertThat(catchThrowableOfType(dev.atlas.ConflictException.class,
                () -> assets.create(png().clientKey(key), "other".getBytes(StandardCharsets.UTF_8))).getMessage()).isEqualTo(expected);
        assertThat(catchThrowableOfType(dev.atlas.ConflictException.class,
                () -> assets.create(png().clientKey(key), new ByteArrayInputStream("other".getBytes(StandardCharsets.UTF_8)))).getMessage())
                .isEqualTo(expected);
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> png().clientKey("u\uD800")).getMessage())
                .isEqualTo("clientKey: contains an unpaired UTF-16 surrogate at index 1; text must be valid Unicode");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> assets.register(png(), "in/a\nERROR forged\u202e.png"))
                .getMessage()).isEqualTo("blobKey: 'in/a\\u000aERROR forged\\u202e.png' is not a relative blob key: use / separated"
                        + " segments of letters, digits, . _ - (no . or .. segment, none ending in ., no leading /)");
        assertThat(catchThrowableOfType(InvalidInputException.class, () -> assets.register(png(), "in/a\uDC00.png")).getMessage())
                .isEqualTo("blobKey: contains an unpaired UTF-16 surrogate at index 4; text must be valid Unicode");
    }

    @Test
    @DisplayName("create with a clientKey is idempotent: the same key and bytes return the first asset as stored (nothing more kept), the"
            + " same key with other bytes is a ConflictException naming clientKey (nothing kept); keys are per tenant; deleting the asset"
            + " frees its key; bad keys are refused naming clientKey")
    void clientKeyMakesCreateIdempotent() throws Exception {
        byte[] bytes = "report".getBytes(StandardCharsets.UTF_8);
        Asset first = assets.create(png().clientKey("upload-1").description("first"), bytes);
        assertThat(first.clientKey()).isEqualTo("upload-1");
        assertThat(assets.get(first.id())).contains(first);
        assertThat(assets.create(png(), new byte[] {7}).clientKey()).isNull();
        long rowsBefore = rows("assets");
        List<BlobInfo> blobsBefore = allBlobs();
        clock.advanceMicros(10);
        Asset again = assets.create(NewAsset.of(AssetType.TEXT, "other.txt", "text/plain").clientKey("upload-1"), new ByteArrayInputStream(bytes));
        assertThat(again).isEqualTo(first);
        assertThatThrownBy(() -> assets.create(png().clientKey("upload-1"), "other".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(dev.atlas.ConflictException.class, e -> assertThat(e.field()).isEqualTo("clientKey"))
                .hasMessageContaining(first.id().toString());
        assertThatThrownBy(() -> assets.create(png().clientKey("upload-1"), "reporT".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(dev.atlas.ConflictException.class);
        assertThat(rows("assets")).isEqualTo(rowsBefore);
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).isEqualTo(blobsBefore);
        try (InputStream in = assets.open(first.id())) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }

        // Keys are compared exactly, as tenant ids are: another case is another key.
        Asset upper = assets.create(png().clientKey("UPLOAD-1"), "other".getBytes(StandardCharsets.UTF_8));
        assertThat(upper.id()).isNotEqualTo(first.id());
        assertThat(upper.clientKey()).isEqualTo("UPLOAD-1");
        Asset theirs = atlas.tenant("globex").assets().create(png().clientKey("upload-1"), "other".getBytes(StandardCharsets.UTF_8));
        assertThat(theirs.id()).isNotEqualTo(first.id());
        assertThat(theirs.tenantId()).isEqualTo("globex");
        assets.delete(first.id());
        Asset fresh = assets.create(png().clientKey("upload-1"), "other".getBytes(StandardCharsets.UTF_8));
        assertThat(fresh.id()).isNotIn(first.id(), theirs.id());
        assertThat(assets.create(png().clientKey("upload-1"), "other".getBytes(StandardCharsets.UTF_8))).isEqualTo(fresh);

        assertField("clientKey", () -> png().clientKey(" "));
        assertField("clientKey", () -> png().clientKey(""));
        assertField("clientKey", () -> png().clientKey("a\u0000b"));
        assertField("clientKey", () -> png().clientKey("\uD800"));
        assertField("clientKey", () -> png().clientKey("x".repeat(dev.atlas.Limits.MAX_KEY_LENGTH + 1)));
        assertThat(png().clientKey("k").clientKey(null).clientKey()).isNull();
    }

    @Test
    @DisplayName("a create with a clientKey an asset holds writes no bytes: a retry returns the first asset, other bytes are a"
            + " ConflictException naming clientKey, even while the blob store refuses writes; a stream failing meanwhile is a"
            + " StorageException caused by its own exception; no intent is recorded")
    void retriedClientKeyWritesNoBytes() throws Exception {
        byte[] bytes = "report".getBytes(StandardCharsets.UTF_8);
        Asset first = assets.create(png().clientKey("upload-1"), bytes);
        List<BlobInfo> blobsBefore = allBlobs();
        int puts = blobs.puts;
        blobs.failPut = true;
        assertThat(assets.create(png().clientKey("upload-1"), bytes)).isEqualTo(first);
        assertThatThrownBy(() -> assets.create(png().clientKey("upload-1"), "other".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(dev.atlas.ConflictException.class, e -> assertThat(e.field()).isEqualTo("clientKey"));
        IOException cut = new IOException("connection reset");
        InputStream failing = new InputStream() {
            private int left = 3;

            @Override
            public int read() throws IOException {
                if (left <= 0) {
                    throw cut;
                }
                left--;
                return 'r';
            }
        };
        assertThatThrownBy(() -> assets.create(png().clientKey("upload-1"), failing))
                .isInstanceOf(StorageException.class).hasCauseReference(cut);
        assertThat(blobs.puts).isEqualTo(puts);
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).isEqualTo(blobsBefore);
        blobs.failPut = false;
        assertThat(assets.create(png().clientKey("upload-2"), bytes).id()).isNotEqualTo(first.id());
    }

    @Test
    @DisplayName("register honours a clientKey as create does: the same key and bytes return the first asset and take no new key, other"
            + " bytes are a ConflictException naming clientKey; the registered file stays the application's")
    void registerWithAClientKey() throws Exception {
        byte[] bytes = "recorded call".getBytes(StandardCharsets.UTF_8);
        Asset first = assets.create(png().clientKey("call-9"), bytes);
        external("media/call-9.wav", bytes);
        external("media/other.wav", "another call".getBytes(StandardCharsets.UTF_8));
        long rowsBefore = rows("assets");
        assertThat(assets.register(NewAsset.of(AssetType.AUDIO, "call.wav", "audio/wav").clientKey("call-9"), "media/call-9.wav"))
                .isEqualTo(first);
        assertThatThrownBy(() -> assets.register(NewAsset.of(AssetType.AUDIO, "other.wav", "audio/wav").clientKey("call-9"), "media/other.wav"))
                .isInstanceOfSatisfying(dev.atlas.ConflictException.class, e -> assertThat(e.field()).isEqualTo("clientKey"));
        assertThat(rows("assets")).isEqualTo(rowsBefore);
        // neither key was taken: both register afterwards without a client key
        assertThat(assets.register(NewAsset.of(AssetType.AUDIO, "call.wav", "audio/wav"), "media/call-9.wav").blobKey()).isEqualTo("media/call-9.wav");
        Asset registered = assets.register(NewAsset.of(AssetType.AUDIO, "other.wav", "audio/wav").clientKey("call-10"), "media/other.wav");
        assertThat(registered.clientKey()).isEqualTo("call-10");
        assertThat(assets.get(registered.id())).contains(registered);
    }

    @Test
    @DisplayName("8 creates with one clientKey from two Atlas instances at once: the same bytes give all the same one asset, one row, one blob;"
            + " other bytes are a ConflictException naming clientKey; no bytes or intents are left behind")
    void concurrentCreatesWithOneClientKey() throws Exception {
        AssetStore second = reopen(b -> b.blobStore(blobs).clock(clock)).tenant("acme").assets();
        byte[] bytes = "the upload".getBytes(StandardCharsets.UTF_8);
        for (int round = 0; round < 3; round++) {
            String key = "race-" + round;
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<Object>> futures = new ArrayList<>();
            try {
                for (int t = 0; t < 8; t++) {
                    AssetStore s = t % 2 == 0 ? assets : second;
                    byte[] content = t == 7 ? "different".getBytes(StandardCharsets.UTF_8) : bytes;
                    futures.add(pool.submit(() -> {
                        go.await();
                        try {
                            return s.create(png().clientKey(key), content);
                        } catch (dev.atlas.ConflictException e) {
                            return e.field();
                        }
                    }));
                }
                go.countDown();
                List<Object> outcomes = new ArrayList<>();
                for (java.util.concurrent.Future<Object> f : futures) {
                    outcomes.add(f.get(60, java.util.concurrent.TimeUnit.SECONDS));
                }
                List<UUID> ids = outcomes.stream().filter(o -> o instanceof Asset).map(o -> ((Asset) o).id()).distinct().toList();
                assertThat(ids).hasSize(1);
                Asset winner = assets.require(ids.get(0));
                long conflicts = outcomes.stream().filter("clientKey"::equals).count();
                // The odd one out conflicts unless it won, and then the seven others do.
                assertThat(conflicts).isEqualTo(winner.sha256().equals(sha256(bytes)) ? 1 : 7);
                assertThat(outcomes.size() - conflicts).isEqualTo(8 - conflicts);
            } finally {
                pool.shutdown();
            }
        }
        assertThat(rows("assets")).isEqualTo(3);
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).hasSize(3);
    }

    @Test
    @DisplayName("getAll reads the live assets among many ids in one statement per 512 ids, by id in the order first given; an unknown,"
            + " deleted or another tenant's id is absent, one given twice is read once; null is refused naming assetIds or assetIds[i]"
            + " before any statement")
    void getAllReadsManyInOneStatement() {
        Asset a = assets.create(png(), new byte[] {1});
        Asset b = assets.create(NewAsset.of(AssetType.TEXT, "b.txt", "text/plain"), new byte[] {2});
        Asset gone = assets.create(png(), new byte[] {3});
        assets.delete(gone.id());
        Asset theirs = atlas.tenant("globex").assets().create(png(), new byte[] {4});
        UUID unknown = UUID.randomUUID();

        var read = StatementCounter.count(atlas, () -> assets.getAll(List.of(b.id(), theirs.id(), a.id(), gone.id(), unknown, b.id())));
        assertThat(read.statements()).isEqualTo(1);
        assertThat(read.result()).containsExactly(Map.entry(b.id(), b), Map.entry(a.id(), a));
        assertThat(read.result().get(b.id())).isEqualTo(assets.get(b.id()).orElseThrow());
        assertThat(atlas.tenant("globex").assets().getAll(List.of(a.id(), theirs.id()))).containsExactly(Map.entry(theirs.id(), theirs));

        List<UUID> many = new ArrayList<>();
        for (int i = 0; i < 1100; i++) {
            many.add(UUID.randomUUID());
        }
        many.add(700, a.id());
        var large = StatementCounter.count(atlas, () -> assets.getAll(many));
        assertThat(large.statements()).isEqualTo(3);
        assertThat(large.result()).containsExactly(Map.entry(a.id(), a));

        var none = StatementCounter.count(atlas, () -> assets.getAll(List.of()));
        assertThat(none.statements()).isZero();
        assertThat(none.result()).isEmpty();
        List<UUID> withNull = new ArrayList<>(List.of(a.id()));
        withNull.add(null);
        assertThat(StatementCounter.count(atlas, () -> {
            assertField("assetIds", () -> assets.getAll(null));
            assertField("assetIds[1]", () -> assets.getAll(withNull));
            return null;
        }).statements()).isZero();
        assertThatThrownBy(() -> read.result().put(unknown, a)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("getAll at the statement boundaries: 513 and 1025 distinct ids (duplicates not counted) take 2 and 3 statements,"
            + " the id alone in the last statement is found, a soft-deleted asset and another tenant's mixed in are absent"
            + " wherever they fall, and the padding of a short statement matches nothing else")
    void getAllAtStatementBoundaries() {
        Asset a = assets.create(png(), new byte[] {1});
        Asset b = assets.create(png(), new byte[] {2});
        Asset gone = assets.create(png(), new byte[] {3});
        assets.delete(gone.id());
        Asset theirs = atlas.tenant("globex").assets().create(png(), new byte[] {4});

        List<UUID> ids513 = new ArrayList<>();
        for (int i = 0; i < 510; i++) {
            ids513.add(UUID.randomUUID());
        }
        ids513.addAll(List.of(gone.id(), theirs.id(), gone.id(), theirs.id(), a.id()));
        var read513 = StatementCounter.count(atlas, () -> assets.getAll(ids513));
        assertThat(read513.statements()).isEqualTo(2);
        assertThat(read513.result()).containsExactly(Map.entry(a.id(), a));

        List<UUID> ids1025 = new ArrayList<>(List.of(a.id()));
        for (int i = 0; i < 1021; i++) {
            ids1025.add(UUID.randomUUID());
            if (i == 300) {
                ids1025.addAll(List.of(a.id(), gone.id()));
            }
            if (i == 700) {
                ids1025.addAll(List.of(theirs.id(), a.id()));
            }
        }
        ids1025.add(b.id());
        ids1025.add(a.id());
        var read1025 = StatementCounter.count(atlas, () -> assets.getAll(ids1025));
        assertThat(read1025.statements()).isEqualTo(3);
        assertThat(read1025.result()).containsExactly(Map.entry(a.id(), a), Map.entry(b.id(), b));

        // 3 ids padded to 4 (the last repeated): another tenant's or a deleted id there still finds nothing.
        assertThat(assets.getAll(List.of(b.id(), a.id(), theirs.id()))).containsExactly(Map.entry(b.id(), b), Map.entry(a.id(), a));
        assertThat(assets.getAll(List.of(gone.id(), b.id(), gone.id(), gone.id(), gone.id()))).containsExactly(Map.entry(b.id(), b));
        assertThat(atlas.tenant("globex").assets().getAll(List.of(a.id(), b.id(), gone.id(), theirs.id(), a.id())))
                .containsExactly(Map.entry(theirs.id(), theirs));
    }

    @Test
    @DisplayName("getBySha256 finds the tenant's oldest live asset holding those bytes (hex in either case); none, a deleted one or another"
            + " tenant's is empty; a value that is not 64 hex digits is refused naming sha256")
    void getBySha256() throws Exception {
        byte[] bytes = "same bytes".getBytes(StandardCharsets.UTF_8);
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        assertThat(assets.getBySha256(hex)).isEmpty();
        Asset theirs = atlas.tenant("globex").assets().create(png(), bytes);
        assertThat(assets.getBySha256(hex)).isEmpty();
        Asset first = assets.create(png(), bytes);
        clock.advanceMicros(5);
        Asset second = assets.create(NewAsset.of(AssetType.TEXT, "copy.txt", "text/plain"), bytes);
        assertThat(first.sha256()).isEqualTo(hex);
        assertThat(assets.getBySha256(hex)).contains(first);
        assertThat(assets.getBySha256(hex.toUpperCase(java.util.Locale.ROOT))).contains(first);
        assets.delete(first.id());
        assertThat(assets.getBySha256(hex)).contains(second);
        assets.delete(second.id());
        assertThat(assets.getBySha256(hex)).isEmpty();
        assertThat(atlas.tenant("globex").assets().getBySha256(hex)).contains(theirs);
        assertField("sha256", () -> assets.getBySha256(null));
        assertField("sha256", () -> assets.getBySha256(""));
        assertField("sha256", () -> assets.getBySha256(hex.substring(1)));
        assertField("sha256", () -> assets.getBySha256(hex.substring(1) + "g"));
        assertField("sha256", () -> assets.getBySha256(hex + "' OR '1'='1"));
    }

    @Test
    @DisplayName("an asset attached by an instance whose clock runs an hour behind comes after the ones attached before it:"
            + " forMessage keeps the attachment order across clock skew, 1 µs after the latest")
    void laggingAttachKeepsAttachmentOrder() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.assistant("two charts"));
        Asset a = assets.create(png(), "a".getBytes(StandardCharsets.UTF_8));
        Asset b = assets.create(png(), "b".getBytes(StandardCharsets.UTF_8));
        AttachedAsset first = assets.attach(m.id(), a.id(), Map.of());
        AssetStore lagging = reopen(b2 -> b2.blobStore(blobs).clock(new MutableClock(clock.instant().minus(Duration.ofHours(1)))))
                .tenant("acme").assets();
        AttachedAsset second = lagging.attach(m.id(), b.id(), Map.of());
        assertThat(second.attachedAt()).isEqualTo(first.attachedAt().plusNanos(1_000));
        assertThat(assets.forMessage(m.id())).extracting(x -> x.asset().id()).containsExactly(a.id(), b.id());
        assertThat(lagging.attach(m.id(), a.id(), Map.of("again", true)).attachedAt()).isEqualTo(first.attachedAt());
        assertThat(assets.forMessage(m.id())).extracting(AttachedAsset::attachedAt).containsExactly(first.attachedAt(), second.attachedAt());
    }

    @Test
    @DisplayName("forMessage(id, limit, cursor) pages a message's live attachments in attachment order (a re-attach keeping its place,"
            + " a deleted asset left out, one detached and attached again listed again at its new place), exactly as forMessage lists them; a cursor of another message or listing, a bad limit, and"
            + " an unknown, foreign or deleted message behave as documented")
    void forMessagePages() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.assistant("every page of the report"));
        Message other = acme.conversations().append(c.id(), NewMessage.assistant("another"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-image"));
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Asset a = assets.create(png().execution(exec.id(), null), new byte[] {(byte) i});
            assets.attach(m.id(), a.id(), Map.of("page", i));
            ids.add(a.id());
        }
        assets.attach(m.id(), ids.get(1), Map.of("page", "one again"));
        assets.delete(ids.remove(2));
        assets.attach(other.id(), ids.get(0), Map.of());
        List<AttachedAsset> all = assets.forMessage(m.id());
        assertThat(all).extracting(x -> x.asset().id()).containsExactlyElementsOf(ids);
        assertThat(all.get(1).attachmentMetadata()).isEqualTo(Map.of("page", "one again"));
        for (int size : new int[] {1, 3, 4, 1000}) {
            List<AttachedAsset> seen = new ArrayList<>();
            String cursor = null;
            do {
                dev.atlas.Page<AttachedAsset> p = assets.forMessage(m.id(), size, cursor);
                assertThat(p.items().size()).isLessThanOrEqualTo(size);
                seen.addAll(p.items());
                cursor = p.nextCursor().orElse(null);
            } while (cursor != null);
            assertThat(seen).as("pages of " + size).containsExactlyElementsOf(all);
        }
        // Between pages: a re-attach keeps its place, a new attachment comes last, a deleted asset drops out.
        dev.atlas.Page<AttachedAsset> first = assets.forMessage(m.id(), 1, null);
        assertThat(first.items()).containsExactly(all.get(0));
        assets.attach(m.id(), ids.get(0), Map.of("page", "zero again"));
        assets.attach(m.id(), ids.get(1), Map.of("page", "one once more"));
        Asset newer = assets.create(png(), new byte[] {7});
        assets.attach(m.id(), newer.id(), Map.of());
        assets.delete(ids.get(2));
        // Detached and attached again, the first page's asset is a new attachment: listed again, last.
        assertThat(assets.detach(m.id(), ids.get(0))).isTrue();
        assets.attach(m.id(), ids.get(0), Map.of("page", "zero, new"));
        dev.atlas.Page<AttachedAsset> rest = assets.forMessage(m.id(), 1000, first.nextCursor().orElseThrow());
        assertThat(rest.items()).extracting(x -> x.asset().id()).containsExactly(ids.get(1), ids.get(3), newer.id(), ids.get(0));
        assertThat(rest.items().get(0).attachmentMetadata()).isEqualTo(Map.of("page", "one once more"));
        assertThat(rest.hasMore()).isFalse();
        // Refusals.
        String next = first.nextCursor().orElseThrow();
        assertThat(assets.forMessage(other.id(), 1, null).hasMore()).isFalse();
        assertField("cursor", () -> assets.forMessage(other.id(), 1, next));
        assertField("cursor", () -> assets.forMessage(m.id(), 1, "not-a-cursor"));
        String executionCursor = assets.byExecution(exec.id(), 1, null).nextCursor().orElseThrow();
        assertField("cursor", () -> assets.forMessage(m.id(), 1, executionCursor));
        assertField("limit", () -> assets.forMessage(m.id(), 0, null));
        assertField("limit", () -> assets.forMessage(m.id(), 1001, null));
        assertField("messageId", () -> assets.forMessage(null, 10, null));
        UUID unknown = UUID.randomUUID();
        assertThatThrownBy(() -> assets.forMessage(unknown, 10, null)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("message " + unknown + " not found");
        Conversation theirConversation = atlas.tenant("globex").conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message theirs = atlas.tenant("globex").conversations().append(theirConversation.id(), NewMessage.assistant("theirs"));
        assertThatThrownBy(() -> assets.forMessage(theirs.id(), 10, null)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("message " + theirs.id() + " not found");
        // A message gone between pages is not found on the next page, not read as one without attachments.
        acme.conversations().delete(c.id());
        assertThatThrownBy(() -> assets.forMessage(m.id(), 1, next)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("message " + m.id() + " not found");
    }

    @Test
    @DisplayName("assets attach to messages with attachment metadata; attaching again replaces it; deleted assets drop out")
    void attachToMessages() throws Exception {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.assistant("here is your chart"));
        Asset a = assets.create(png(), "a".getBytes(StandardCharsets.UTF_8));
        Asset b = assets.create(png(), "b".getBytes(StandardCharsets.UTF_8));
        assets.attach(m.id(), a.id(), Map.of("tool", "render_chart"));
        assets.attach(m.id(), b.id(), Map.of());
        AttachedAsset again = assets.attach(m.id(), a.id(), Map.of("tool", "render_chart_v2"));
        assertThat(again.attachmentMetadata()).isEqualTo(Map.of("tool", "render_chart_v2"));
        List<AttachedAsset> attached = assets.forMessage(m.id());
        assertThat(attached).extracting(x -> x.asset().id()).containsExactly(a.id(), b.id());
        assertThat(attached.get(0).attachmentMetadata()).isEqualTo(Map.of("tool", "render_chart_v2"));
        assertThat(attached.get(0).asset()).isEqualTo(a);
        assets.delete(a.id());
        assertThat(assets.forMessage(m.id())).extracting(x -> x.asset().id()).containsExactly(b.id());
        assertThat(assets.get(a.id())).isEmpty();
        assertThatThrownBy(() -> assets.open(a.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> assets.delete(a.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> assets.attach(m.id(), a.id(), Map.of())).isInstanceOf(NotFoundException.class);
        assertThat(rows("message_assets")).isEqualTo(2);
    }

    @Test
    @DisplayName("detach removes one attachment and keeps the asset, its bytes and its other attachments; a retry is false and writes"
            + " nothing; another tenant's message or asset fails exactly as an unknown one, naming messageId (first) or assetId; a"
            + " soft-deleted asset is detached too; a part detached no longer goes with its conversation's purge; detached from its"
            + " last message an asset can be discarded; re-attached it comes last; no message event either way")
    void detachKeepsTheAsset() throws Exception {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.assistant("three charts"));
        Message other = acme.conversations().append(c.id(), NewMessage.assistant("the same chart again"));
        Asset a = assets.create(png(), "a".getBytes(StandardCharsets.UTF_8));
        Asset part = assets.create(png(), "part".getBytes(StandardCharsets.UTF_8));
        Asset shared = assets.create(png(), "shared".getBytes(StandardCharsets.UTF_8));
        Asset keptPart = assets.create(png(), "kept part".getBytes(StandardCharsets.UTF_8));
        AttachedAsset first = assets.attach(m.id(), a.id(), Map.of("caption", "wrong file"));
        assets.attachPart(m.id(), part.id());
        assets.attach(m.id(), shared.id(), Map.of());
        assets.attach(other.id(), shared.id(), Map.of("again", true));
        assets.attachPart(other.id(), keptPart.id());
        List<Object> events = List.copyOf(acme.conversations().events(m.id()).items());

        assertThat(assets.detach(m.id(), a.id())).isTrue();
        assertThat(assets.forMessage(m.id())).extracting(x -> x.asset().id()).containsExactly(part.id(), shared.id());
        assertThat(assets.get(a.id())).contains(a);
        assertOpens(assets, a.id(), "a".getBytes(StandardCharsets.UTF_8));
        // A retry, and an asset the message never held: false, nothing written.
        assertThat(assets.detach(m.id(), a.id())).isFalse();
        assertThat(assets.detach(other.id(), a.id())).isFalse();
        assertThat(rows("message_assets")).isEqualTo(4);
        // Detached from one message, the asset keeps its attachment to the other, metadata and all.
        assertThat(assets.detach(m.id(), shared.id())).isTrue();
        assertThat(assets.forMessage(other.id())).extracting(x -> x.asset().id(), AttachedAsset::attachmentMetadata)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(shared.id(), Map.of("again", true)),
                        org.assertj.core.groups.Tuple.tuple(keptPart.id(), Map.of(AttachedAsset.PART, true)));
        // Re-attached: a new attachment, after the ones made before it.
        AttachedAsset again = assets.attach(m.id(), a.id(), Map.of());
        assertThat(again.attachedAt()).isAfter(first.attachedAt());
        assertThat(assets.forMessage(m.id())).extracting(x -> x.asset().id()).containsExactly(part.id(), a.id());
        assertThat(acme.conversations().events(m.id()).items()).isEqualTo(events);

        // Another tenant's ids fail exactly as ids that exist nowhere, naming the argument; their attachment is untouched.
        Tenant globex = atlas.tenant("globex");
        Message theirs = globex.conversations().append(globex.conversations().create(NewConversation.of(Owner.user("bob"), "support")).id(),
                NewMessage.user("theirs"));
        Asset theirAsset = globex.assets().create(png(), new byte[] {9});
        globex.assets().attach(theirs.id(), theirAsset.id(), Map.of());
        UUID unknown = UUID.randomUUID();
        for (UUID id : List.of(theirs.id(), unknown)) {
            assertThat(refusal(NotFoundException.class, () -> assets.detach(id, a.id()))).hasMessage("messageId: message " + id + " not found")
                    .extracting(NotFoundException::field).isEqualTo(java.util.Optional.of("messageId"));
            assertThat(refusal(NotFoundException.class, () -> assets.detach(id, theirAsset.id())))
                    .hasMessage("messageId: message " + id + " not found");
        }
        for (UUID id : List.of(theirAsset.id(), unknown)) {
            assertThat(refusal(NotFoundException.class, () -> assets.detach(m.id(), id))).hasMessage("assetId: asset " + id + " not found")
                    .extracting(NotFoundException::field).isEqualTo(java.util.Optional.of("assetId"));
        }
        assertThat(refusal(NotFoundException.class, () -> globex.assets().detach(theirs.id(), a.id())))
                .hasMessage("assetId: asset " + a.id() + " not found");
        assertThat(globex.assets().forMessage(theirs.id())).extracting(x -> x.asset().id()).containsExactly(theirAsset.id());

        // A soft-deleted asset's attachment (no longer listed) is detached too; attached to nothing, it can be discarded.
        assets.delete(shared.id());
        assertThat(refusal(dev.atlas.ConflictException.class, () -> assets.discard(shared.id()))).hasMessage("assetId: asset " + shared.id()
                + " is attached to a message, so something may refer to it; detach it from its messages first, or delete it and let"
                + " retention's purge of deleted assets remove it");
        assertThat(assets.detach(other.id(), shared.id())).isTrue();
        assets.discard(shared.id());
        assertThat(allBlobs()).extracting(BlobInfo::key).doesNotContain(shared.blobKey());

        // A part detached no longer goes with its message: the conversation's purge takes the part still attached only.
        assertThat(assets.detach(m.id(), part.id())).isTrue();
        acme.conversations().archive(c.id());
        clock.advanceMicros(2);
        acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeArchivedAfter(Duration.ofNanos(1000)));
        assertThat(acme.conversations().get(c.id())).isEmpty();
        assertThat(assets.get(keptPart.id())).isEmpty();
        assertThat(assets.get(part.id())).contains(part);
        assertThat(assets.get(a.id())).contains(a);
        assertThat(rows("message_assets")).isEqualTo(1); // globex's
        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactlyInAnyOrder(a.blobKey(), part.blobKey(), theirAsset.blobKey());
    }

    @Test
    @DisplayName("a message of a soft-deleted conversation is not found by attach, detach and forMessage (as by every message read), with"
            + " the message an unknown id gets, and nothing is written; restoring the conversation brings its attachments back")
    void messagesOfDeletedConversationsAreNotFound() {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.assistant("here is your chart"));
        Asset a = assets.create(png(), "a".getBytes(StandardCharsets.UTF_8));
        Asset b = assets.create(png(), "b".getBytes(StandardCharsets.UTF_8));
        assets.attach(m.id(), a.id(), Map.of("tool", "render_chart"));
        acme.conversations().delete(c.id());
        assertThat(acme.conversations().getMessage(m.id())).isEmpty();
        String notFound = "message " + m.id() + " not found";
        // A write names the argument that carried the id; the read of the message's own attachments names none.
        assertThatThrownBy(() -> assets.attach(m.id(), b.id(), Map.of())).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("messageId: " + notFound);
        assertThat(refusal(NotFoundException.class, () -> assets.attach(m.id(), a.id(), Map.of("tool", "other"))).field()).contains("messageId");
        assertThat(refusal(NotFoundException.class, () -> assets.forMessage(m.id()))).hasMessage(notFound)
                .extracting(NotFoundException::field).isEqualTo(java.util.Optional.empty());
        assertThat(refusal(NotFoundException.class, () -> assets.detach(m.id(), a.id()))).hasMessage("messageId: " + notFound);
        assertThat(rows("message_assets")).isEqualTo(1);
        acme.conversations().restore(c.id());
        assertThat(assets.forMessage(m.id())).singleElement().satisfies(x -> {
            assertThat(x.asset().id()).isEqualTo(a.id());
            assertThat(x.attachmentMetadata()).isEqualTo(Map.of("tool", "render_chart"));
        });
    }

    @Test
    @DisplayName("a stream that fails midway leaves no row and no blob, not even a temporary file")
    void failingStream() throws Exception {
        InputStream broken = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ > 100_000) {
                    throw new IOException("connection reset by upload client");
                }
                return 7;
            }
        };
        assertThatThrownBy(() -> assets.create(png(), broken)).isInstanceOf(StorageException.class)
                .hasMessageContaining("connection reset");
        assertThat(rows("assets")).isZero();
        assertThat(allBlobs()).isEmpty();
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
    }

    @Test
    @DisplayName("an unknown or mismatched execution or tool call is refused before any byte is written; a failed write leaves nothing")
    void referencesCheckedBeforeBytes() throws IOException {
        assertThatThrownBy(() -> assets.create(png().execution(UUID.randomUUID(), null), "x".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(NotFoundException.class);
        ExecutionHandle e1 = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        ExecutionHandle e2 = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        UUID callOfE2 = e2.step().toolCall("c", "t", "{}").id();
        assertThatThrownBy(() -> assets.create(png().execution(e1.id(), callOfE2), "x".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidInputException.class);
        assertThat(blobs.puts).isZero();
        blobs.failPut = true;
        assertThatThrownBy(() -> assets.create(png(), "x".getBytes(StandardCharsets.UTF_8))).isInstanceOf(StorageException.class);
        blobs.failPut = false;
        blobs.failAfterPut = true;
        assertThatThrownBy(() -> assets.create(png(), "y".getBytes(StandardCharsets.UTF_8))).isInstanceOf(StorageException.class)
                .hasMessageContaining("acknowledgement");
        assertThat(rows("assets")).isZero();
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).isEmpty();
    }

    /** Makes the file of {@code key} look {@code age} old to the blob store (as a skewed file server or S3 multipart timestamps do). */
    private void backdate(String key, Duration age) {
        try {
            Files.setLastModifiedTime(dir.resolve("blobs").resolve(key),
                    java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(age)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String onlyKey() {
        try {
            return allBlobs().stream().map(BlobInfo::key).reduce((a, b) -> {
                throw new AssertionError("more than one blob: " + a + ", " + b);
            }).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    @DisplayName("bytes whose row commits later than minAge after they were written survive a cleanup that runs meanwhile")
    void slowCommitSurvivesCleanup() throws Exception {
        List<OrphanCleanup> meanwhile = new java.util.ArrayList<>();
        blobs.afterPut = () -> {
            // Bytes written, row not yet committed: the file already looks older than minAge,
            // and Atlas's clock moves on by more than minAge (intents age on the database's clock).
            backdate(onlyKey(), Duration.ofHours(2));
            clock.set(clock.instant().plus(Duration.ofHours(2)));
            meanwhile.add(assets.cleanupOrphanBlobs(Duration.ofHours(1)));
        };
        Asset a = assets.create(png(), "slow".getBytes(StandardCharsets.UTF_8));
        assertThat(meanwhile).singleElement().satisfies(c -> assertThat(c.removedKeys()).isEmpty());
        try (InputStream in = assets.open(a.id())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("slow");
        }
        assertThat(assets.cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactly(a.blobKey());
    }

    @Test
    @DisplayName("an upload still unfinished when cleanup takes its intent is refused, never recorded without its bytes")
    void uploadOutlastingMinAgeIsRefused() throws Exception {
        List<OrphanCleanup> meanwhile = new java.util.ArrayList<>();
        blobs.afterPut = () -> meanwhile.add(assets.cleanupOrphanBlobs(Duration.ZERO));
        assertThatThrownBy(() -> assets.create(png(), "too slow".getBytes(StandardCharsets.UTF_8))).isInstanceOf(StorageException.class)
                .hasMessageContaining("cleanupOrphanBlobs");
        assertThat(meanwhile).singleElement().satisfies(c -> assertThat(c.removedKeys()).hasSize(1));
        assertThat(rows("assets")).isZero();
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).isEmpty();
    }

    @Test
    @DisplayName("an upload from an instance whose clock runs two hours behind survives a cleanup with a one-hour minAge that runs while"
            + " its bytes are written: an intent's age is judged by the database's clock, not the uploader's")
    void laggingUploaderSurvivesCleanup() throws Exception {
        AssetStore lagging = reopen(b -> b.blobStore(blobs).clock(new MutableClock(clock.instant().minus(Duration.ofHours(2)))))
                .tenant("acme").assets();
        List<OrphanCleanup> meanwhile = new java.util.ArrayList<>();
        blobs.afterPut = () -> meanwhile.add(assets.cleanupOrphanBlobs(Duration.ofHours(1)));
        Asset a = lagging.create(png(), "lagging".getBytes(StandardCharsets.UTF_8));
        assertThat(meanwhile).singleElement().satisfies(c -> assertThat(c.removedKeys()).isEmpty());
        try (InputStream in = assets.open(a.id())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("lagging");
        }
        assertThat(rows("blob_intents")).isZero();
    }

    @Test
    @DisplayName("a restored copy of the database sharing the blob directory removes none of the original's blobs")
    void restoredCopyRemovesNothing() throws Exception {
        String installation = ((JdbiAtlas) atlas).db().installationId();
        // The copy: a backup taken before any asset was stored, restored beside the original.
        Atlas copy = reopen(b -> b.tablePrefix("copy_").blobStore(blobs).clock(clock));
        ((JdbiAtlas) copy).db().write(h -> AdHoc.on(((JdbiAtlas) copy).db(), h, "UPDATE copy_installation SET id = :id").bind("id", installation).update());
        Asset first = assets.create(png(), "first".getBytes(StandardCharsets.UTF_8));
        Asset second = assets.create(png().execution(acme.executions().start(ExecutionSpec.text("openai", "gpt-4o")).id(), null),
                "second".getBytes(StandardCharsets.UTF_8));
        clock.set(clock.instant().plus(Duration.ofDays(30)));
        backdate(first.blobKey(), Duration.ofDays(30));

        assertThat(copy.tenant("acme").assets().cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertThat(copy.tenant("acme").assets().cleanupOrphanBlobs(Duration.ofHours(1)).removedKeys()).isEmpty();

        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactlyInAnyOrder(first.blobKey(), second.blobKey());
        try (InputStream a = assets.open(first.id()); InputStream b = assets.open(second.id())) {
            assertThat(new String(a.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("first");
            assertThat(new String(b.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("second");
        }
    }

    @Test
    @DisplayName("temporary files of uploads a crash interrupted are removed once older than minAge; an Error leaves none")
    void abandonedTemporaryFiles() throws Exception {
        Path tmp = dir.resolve("blobs").resolve(".tmp");
        Path mine = temporaryFilesOf(assets.create(png(), "x".getBytes(StandardCharsets.UTF_8)));
        Path crashed = crashedUpload(mine);
        Path running = Files.writeString(mine.resolve("put-running.part"), "an upload in progress");

        OrphanCleanup cleanup = assets.cleanupOrphanBlobs(Duration.ofHours(1));

        assertThat(cleanup.removedTemporaryFiles()).isEqualTo(1);
        assertThat(cleanup.removedKeys()).isEmpty();
        assertThat(crashed).doesNotExist();
        assertThat(running).exists();
        Files.delete(running);

        Error stopped = new Error("upload thread stopped");
        InputStream dying = new InputStream() {
            int n;

            @Override
            public int read() {
                if (n++ > 10_000) {
                    throw stopped;
                }
                return 1;
            }
        };
        assertThatThrownBy(() -> assets.create(png(), dying)).isSameAs(stopped);
        try (Stream<Path> files = Files.walk(tmp)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
        assertThat(rows("assets")).isEqualTo(1);
        assertThat(rows("blob_intents")).isZero();
    }

    /** Where {@link LocalDirectoryBlobStore} keeps the temporary files of puts beside {@code asset}'s key. */
    private Path temporaryFilesOf(Asset asset) throws IOException {
        String key = asset.blobKey();
        return Files.createDirectories(dir.resolve("blobs").resolve(".tmp").resolve(key.substring(0, key.lastIndexOf('/'))));
    }

    /** A temporary file as a crash two hours ago left it. */
    private static Path crashedUpload(Path temporaryFiles) throws IOException {
        Path crashed = Files.writeString(temporaryFiles.resolve("put-crashed.part"), "half an upload");
        Files.setLastModifiedTime(crashed, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(Duration.ofHours(2))));
        return crashed;
    }

    @Test
    @DisplayName("a tenant's cleanupOrphanBlobs removes and counts only its own uploads' temporary files: another tenant's, even abandoned or in progress with minAge 0, stay and are not counted")
    void temporaryFilesOfAnotherTenantAreLeftAlone() throws Exception {
        AssetStore globex = atlas.tenant("globex").assets();
        Path theirs = temporaryFilesOf(globex.create(png(), "theirs".getBytes(StandardCharsets.UTF_8)));
        Path theirCrash = crashedUpload(theirs);
        Path theirUpload = Files.writeString(theirs.resolve("put-running.part"), "an upload in progress");
        Path myCrash = crashedUpload(temporaryFilesOf(assets.create(png(), "mine".getBytes(StandardCharsets.UTF_8))));

        assertThat(assets.cleanupOrphanBlobs(Duration.ZERO)).isEqualTo(new OrphanCleanup(List.of(), 1));
        assertThat(myCrash).doesNotExist();
        assertThat(theirCrash).exists();
        assertThat(theirUpload).exists();

        assertThat(globex.cleanupOrphanBlobs(Duration.ofHours(1))).isEqualTo(new OrphanCleanup(List.of(), 1));
        assertThat(theirCrash).doesNotExist();
        assertThat(theirUpload).exists();
    }

    @Test
    @DisplayName("two Atlas databases sharing one blob directory never remove each other's blobs as orphans")
    void sharedBlobDirectory() throws Exception {
        Asset mine = assets.create(png(), "mine".getBytes(StandardCharsets.UTF_8));
        // Another Atlas schema (its own tables and installation id), same tenant name, same directory.
        AssetStore neighbour = reopen(b -> b.tablePrefix("neighbour_").blobStore(blobs)).tenant("acme").assets();
        Asset theirs = neighbour.create(png(), "theirs".getBytes(StandardCharsets.UTF_8));

        assertThat(assets.cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertThat(neighbour.cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();

        assertThat(mine.blobKey()).isNotEqualTo(theirs.blobKey());
        try (InputStream a = assets.open(mine.id()); InputStream b = neighbour.open(theirs.id())) {
            assertThat(new String(a.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("mine");
            assertThat(new String(b.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("theirs");
        }
    }

    @Test
    @DisplayName("orphan cleanup removes exactly this tenant's blobs whose upload recorded an intent older than minAge and never got its row")
    void orphanCleanup() throws Exception {
        Asset kept = assets.create(png(), "kept".getBytes(StandardCharsets.UTF_8));
        Asset softDeleted = assets.create(png(), "deleted".getBytes(StandardCharsets.UTF_8));
        assets.delete(softDeleted.id());
        // A genuine orphan: the bytes were written, the row never was, and the blob store could not
        // delete them then (as after a crash between the two).
        blobs.failAfterPut = true;
        blobs.failDelete = true;
        assertThatThrownBy(() -> assets.create(png(), "orphan".getBytes(StandardCharsets.UTF_8))).isInstanceOf(StorageException.class);
        assertThatThrownBy(() -> atlas.tenant("globex").assets().create(png(), "theirs".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(StorageException.class);
        blobs.failAfterPut = false;
        blobs.failDelete = false;
        // Bytes Atlas never recorded an intent for, under this tenant's prefix: not provably an orphan.
        String prefix = kept.blobKey().substring(0, kept.blobKey().lastIndexOf('/'));
        String unknown = prefix + "/" + UUID.randomUUID();
        blobs.put(unknown, new ByteArrayInputStream(new byte[] {1}));
        List<String> before = allBlobs().stream().map(BlobInfo::key).toList();
        assertThat(before).hasSize(5);
        assertThat(rows("blob_intents")).isEqualTo(2);

        // Intents age on the database's clock: Atlas's clock moving on makes none older.
        clock.set(clock.instant().plus(Duration.ofHours(2)));
        assertThat(assets.cleanupOrphanBlobs(Duration.ofHours(1)).count()).isZero();
        OrphanCleanup cleanup = assets.cleanupOrphanBlobs(Duration.ZERO);

        assertThat(cleanup.removedKeys()).singleElement().satisfies(k -> {
            assertThat(k).startsWith(prefix + "/");
            assertThat(k).isNotEqualTo(unknown);
            assertThat(before).contains(k);
        });
        assertThat(allBlobs()).hasSize(4).extracting(BlobInfo::key).doesNotContain(cleanup.removedKeys().get(0))
                .contains(kept.blobKey(), softDeleted.blobKey(), unknown);
        assertThat(rows("blob_intents")).isEqualTo(1);
        try (InputStream in = assets.open(kept.id())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("kept");
        }
        assertThat(assets.cleanupOrphanBlobs(Duration.ZERO).count()).isZero();
        assertThat(atlas.tenant("globex").assets().cleanupOrphanBlobs(Duration.ZERO).count()).isEqualTo(1);
        assertThat(rows("blob_intents")).isZero();
    }

    @Test
    @DisplayName("bytes of a purged asset that the purge could not delete are removed by the next orphan cleanup")
    void purgeLeftoversAreCleanedUp() throws Exception {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-image").conversation(c.id()));
        Asset generated = assets.create(png().execution(exec.id(), null), "generated".getBytes(StandardCharsets.UTF_8));
        Asset upload = assets.create(png(), "upload".getBytes(StandardCharsets.UTF_8));
        exec.complete();
        acme.conversations().archive(c.id());
        clock.set(clock.instant().plus(Duration.ofDays(91)));
        blobs.failDelete = true;
        acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(90)));
        blobs.failDelete = false;
        assertThat(assets.get(generated.id())).isEmpty();
        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactlyInAnyOrder(generated.blobKey(), upload.blobKey());

        assertThat(assets.cleanupOrphanBlobs(Duration.ofDays(365)).removedKeys()).containsExactly(generated.blobKey());
        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactly(upload.blobKey());
        assertThat(rows("blob_intents")).isZero();
    }

    private Path external(String key, byte[] bytes) throws IOException {
        Path file = dir.resolve("blobs").resolve(key);
        Files.createDirectories(file.getParent());
        return Files.write(file, bytes);
    }

    @Test
    @DisplayName("register records bytes already in the blob store without writing them: size and SHA-256 computed by Atlas; purged with the asset")
    void registerExistingBytes() throws Exception {
        byte[] bytes = new byte[200_003];
        new Random(7).nextBytes(bytes);
        Path file = external("media/u1/clip.mp3", bytes);
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "voice"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "tts").conversation(c.id()));

        Asset a = assets.register(NewAsset.of(AssetType.AUDIO, "clip.mp3", "audio/mpeg").execution(exec.id(), null).metadata(Map.of("s", 3)),
                "media/u1/clip.mp3");

        assertThat(blobs.puts).isZero();
        assertThat(a.blobKey()).isEqualTo("media/u1/clip.mp3");
        assertThat(a.sizeBytes()).isEqualTo(bytes.length);
        assertThat(a.sha256()).isEqualTo(sha256(bytes));
        assertThat(a.owner()).isEqualTo(Owner.user("alice"));
        assertThat(assets.get(a.id())).contains(a);
        assertThat(assets.byExecution(exec.id())).containsExactly(a);
        try (InputStream in = assets.open(a.id())) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
        assertThatThrownBy(() -> assets.register(NewAsset.of(AssetType.AUDIO, "again.mp3", "audio/mpeg"), "media/u1/clip.mp3"))
                .isInstanceOfSatisfying(dev.atlas.ConflictException.class, e -> assertThat(e.field()).isEqualTo("blobKey"));
        // A plain register: the key's holders (by the key, and the stored keys with a segment ending in . that Windows opens as
        // it) read by one statement before the bytes and once more in the write, then the insert; PostgreSQL takes the key's lock
        // too (before alias33's fix: 2 more, the dotted keys read apart).
        external("media/u1/plain.mp3", bytes);
        StatementCounter.Counted<Asset> plain = StatementCounter.count(atlas, () -> assets.register(NewAsset.of(AssetType.AUDIO,
                "plain.mp3", "audio/mpeg"), "media/u1/plain.mp3"));
        assertThat(plain.statements()).isEqualTo(database.name().equals("PostgreSQL") ? 4 : 3);
        assertThat(assets.get(plain.result().id())).contains(plain.result());

        assets.delete(a.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        var report = acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1)));
        assertThat(report.counts()).containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L);
        assertThat(Files.exists(file)).isFalse();
    }

    @Test
    @DisplayName("register refuses path traversal, absolute paths and Atlas's own keys (another tenant's included) naming blobKey; a missing key is NotFound; nothing is written")
    void registerRefusals() throws Exception {
        Files.writeString(dir.resolve("outside.txt"), "secret");
        external("ok/file.txt", "fine".getBytes(StandardCharsets.UTF_8));
        Asset atlasOwn = atlas.tenant("globex").assets().create(png(), new byte[] {9});
        long before = rows("assets");
        for (String key : List.of("../outside.txt", "ok/../../outside.txt", "/etc/passwd", "ok/./file.txt", "./ok/file.txt", "ok\\file.txt",
                "ok//file.txt", "ok/file.txt/", ".tmp/x", " ", atlasOwn.blobKey(), atlasOwn.blobKey().substring(0, atlasOwn.blobKey().lastIndexOf('/')))) {
            assertThatThrownBy(() -> assets.register(png(), key)).as(key)
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("blobKey"));
        }
        assertThatThrownBy(() -> assets.register(png(), "ok/missing.txt"))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.field()).contains("blobKey"));
        ExecutionHandle theirs = atlas.tenant("globex").executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        assertThatThrownBy(() -> assets.register(png().execution(theirs.id(), null), "ok/file.txt")).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> assets.register(null, "ok/file.txt")).isInstanceOf(InvalidInputException.class);
        assertThat(rows("assets")).isEqualTo(before);
        assertThat(blobs.puts).isEqualTo(1);
        assertThat(Files.readString(dir.resolve("outside.txt"))).isEqualTo("secret");
    }

    private static <T extends Throwable> T refusal(Class<T> type, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
        assertThat(t).isInstanceOf(type);
        return type.cast(t);
    }

    /**
     * An asset of {@code bytes} whose stored key is {@code key} (a segment ending in . that register refuses), as versions before
     * schema 17 or an import of their files stored it: registered under another key, then renamed.
     */
    private Asset storedAs(String key, byte[] bytes) throws Exception {
        Path file = external(key + "-registered", bytes);
        Asset a = assets.register(png(), key + "-registered");
        Files.delete(file);
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("UPDATE atlas_assets SET blob_key = ? WHERE tenant_id = 'acme' AND blob_key = ?")) {
            ps.setString(1, key);
            ps.setString(2, a.blobKey());
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        return a;
    }

    @Test
    @DisplayName("blob30: keys naming one file on Windows (scans/report. and scans/report, or another case) are two files on Linux:"
            + " a purged spelling's file stays while another spelling's row lives, and goes with the last of them, so no file is"
            + " left behind and no named bytes are deleted; a retention dry run counts each spelling's file, as the real run then deletes")
    void aliasSpellingsAreEachDeletedOnceNoRowNamesTheirFile() throws Exception {
        byte[] bytes = "the report".getBytes(StandardCharsets.UTF_8);
        dev.atlas.retention.RetentionPolicy purge = dev.atlas.retention.RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1));
        // Both spellings of a pair purged by one run: two files where they are two (here), and the dry run says so.
        Path old = external("scans/old", bytes);
        Path oldDotted = external("scans/old.", bytes);
        Asset oldRow = assets.register(png(), "scans/old");
        Asset oldAlias = storedAs("scans/old.", bytes);
        assets.delete(oldRow.id());
        assets.delete(oldAlias.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        assertThat(acme.retention().runRetention(purge.dryRun(true)).counts()).as("dry run")
                .containsEntry("assets.deleted", 2L).containsEntry("asset_blobs.deleted", 2L);
        assertThat(acme.retention().runRetention(purge).counts()).as("real run")
                .containsEntry("assets.deleted", 2L).containsEntry("asset_blobs.deleted", 2L);
        assertThat(old).doesNotExist();
        assertThat(oldDotted).doesNotExist();

        // One spelling discarded while the other's row lives: its file is kept (Windows opens the other's bytes under it), its
        // purge pending; the other's purge later deletes both, and its dry run counts both.
        Path report = external("scans/report", bytes);
        Path dotted = external("scans/report.", bytes);
        Asset plain = assets.register(png(), "scans/report");
        Asset alias = storedAs("scans/report.", bytes);
        assets.discard(plain.id());
        assertThat(Files.readAllBytes(report)).isEqualTo(bytes);
        assertThat(Files.readAllBytes(dotted)).isEqualTo(bytes);
        assertThat(refusal(dev.atlas.ConflictException.class, () -> assets.register(png(), "scans/report")).field()).isEqualTo("blobKey");
        assertThat(assets.cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertThat(Files.readAllBytes(report)).isEqualTo(bytes);
        assets.delete(alias.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        assertThat(acme.retention().runRetention(purge.dryRun(true)).counts()).as("dry run")
                .containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 2L);
        assertThat(acme.retention().runRetention(purge).counts()).as("real run")
                .containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 2L);
        assertThat(report).doesNotExist();
        assertThat(dotted).doesNotExist();
        assertThat(rows("blob_intents")).isZero();
        // The key is free again.
        external("scans/report", bytes);
        assertThat(assets.register(png(), "scans/report").blobKey()).isEqualTo("scans/report");
    }

    @Test
    @DisplayName("a registered blob key belongs to one tenant: another tenant's register of it (any ASCII case) fails exactly like a missing blob, reads nothing, and the key is free again once the owner's purge removed the bytes")
    void registeredKeyIsExclusiveAcrossTenants() throws Exception {
        AssetStore globex = atlas.tenant("globex").assets();
        byte[] acmeBytes = "acme's recording".getBytes(StandardCharsets.UTF_8);
        Path file = external("shared/k.bin", acmeBytes);
        Asset mine = assets.register(png(), "shared/k.bin");
        long before = rows("assets");

        String missing = refusal(NotFoundException.class, () -> globex.register(png(), "shared/missing.bin")).getMessage();
        for (String key : List.of("shared/k.bin", "SHARED/K.BIN", "Shared/k.bin")) {
            NotFoundException e = refusal(NotFoundException.class, () -> globex.register(png(), key));
            assertThat(e.field()).as(key).contains("blobKey");
            assertThat(e.getMessage()).as(key).isEqualTo(missing.replace("shared/missing.bin", key));
        }
        assertThat(rows("assets")).isEqualTo(before);

        // The owner deletes its asset; a purge that cannot delete the bytes leaves them pending removal: still held.
        assets.delete(mine.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        blobs.failDelete = true;
        acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1)));
        blobs.failDelete = false;
        assertThat(Files.readAllBytes(file)).isEqualTo(acmeBytes);
        assertThat(refusal(NotFoundException.class, () -> globex.register(png(), "shared/k.bin")).getMessage())
                .isEqualTo(missing.replace("shared/missing.bin", "shared/k.bin"));
        assertThat(refusal(dev.atlas.ConflictException.class, () -> assets.register(png(), "shared/k.bin")).field()).isEqualTo("blobKey");
        assertThat(assets.cleanupOrphanBlobs(Duration.ofDays(365)).removedKeys()).containsExactly("shared/k.bin");
        assertThat(Files.exists(file)).isFalse();

        // New bytes the application puts under the released key may be registered by any tenant.
        byte[] globexBytes = "globex's own file".getBytes(StandardCharsets.UTF_8);
        external("shared/k.bin", globexBytes);
        Asset theirs = globex.register(png(), "shared/k.bin");
        try (InputStream in = globex.open(theirs.id())) {
            assertThat(in.readAllBytes()).isEqualTo(globexBytes);
        }
        assertThat(theirs.sha256()).isEqualTo(sha256(globexBytes));
        assertThat(refusal(NotFoundException.class, () -> assets.register(png(), "shared/k.bin")).getMessage())
                .isEqualTo(missing.replace("shared/missing.bin", "shared/k.bin"));
    }

    @Test
    @DisplayName("one tenant registering a key it already holds (live, soft-deleted, or in another ASCII case) is a ConflictException on blobKey; nothing is written")
    void sameTenantRegistersAKeyOnce() throws Exception {
        external("media/a.bin", new byte[] {1, 2, 3});
        Asset first = assets.register(png(), "media/a.bin");
        long before = rows("assets");
        assertThat(refusal(dev.atlas.ConflictException.class, () -> assets.register(png(), "media/a.bin")).field()).isEqualTo("blobKey");
        assertThat(refusal(dev.atlas.ConflictException.class, () -> assets.register(png(), "MEDIA/A.bin")).field()).isEqualTo("blobKey");
        assets.delete(first.id());
        assertThat(refusal(dev.atlas.ConflictException.class, () -> assets.register(png(), "media/a.bin")).field()).isEqualTo("blobKey");
        assertThat(rows("assets")).isEqualTo(before);
        assertThat(blobs.puts).isZero();
    }

    @Test
    @DisplayName("register refuses, naming blobKey, every key the blob store could not take or that could alias another: empty, NUL, too long, a segment the store refuses, a trailing dot, a Windows device name, Atlas's layout in another case; a directory is not a blob")
    void registerRefusesHostileKeys() throws Exception {
        external("ok/file.txt", "fine".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(dir.resolve("blobs").resolve("a/b/c/d/e/f/g/h"));
        Files.writeString(dir.resolve("blobs").resolve("a/b/c/d/e/f/g/h/i.txt"), "deep");
        Files.createDirectories(dir.resolve("blobs").resolve(".hidden"));
        Files.writeString(dir.resolve("blobs").resolve(".hidden/x.txt"), "hidden");
        Files.writeString(dir.resolve("blobs").resolve("s".repeat(200)), "long segment");
        Asset atlasOwn = atlas.tenant("globex").assets().create(png(), new byte[] {9});
        long before = rows("assets");
        for (String key : List.of("", "ok/\u0000file.txt", "ok/" + "x".repeat(1_000), "a/b/c/d/e/f/g/h/i.txt", ".hidden/x.txt", "s".repeat(200),
                "ok/file.txt.", "ok./file.txt", "ok/caf\u00e9.txt", "C:/ok/file.txt", "~/ok", atlasOwn.blobKey().toUpperCase(java.util.Locale.ROOT),
                ".TMP/x", ".Tmp")) {
            assertThat(refusal(InvalidInputException.class, () -> assets.register(png(), key)).field()).as(key).isEqualTo("blobKey");
        }
        // A key the blob store refuses is shown escaped: a control character in it never reaches the message raw.
        InvalidInputException controls = refusal(InvalidInputException.class, () -> assets.register(png(), "ok/\u001b[31mred\nline"));
        assertThat(controls.field()).isEqualTo("blobKey");
        assertThat(controls.getMessage()).contains("ok/\\u001b[31mred\\u000aline").doesNotContain("\u001b").doesNotContain("\n");
        // Device names are the application's own files to register (a put refuses them as new keys): without bytes, not found.
        for (String key : List.of("ok", "con", "NUL.txt", "ok/aux.tar.gz", "com1/x", "LPT9")) {
            assertThat(refusal(NotFoundException.class, () -> assets.register(png(), key)).field()).as(key).contains("blobKey");
        }
        assertThat(rows("assets")).isEqualTo(before);
        assertThat(blobs.puts).isEqualTo(1);
    }

    @Test
    @DisplayName("two tenants registering the same key at the same moment: exactly one holds it, the other gets NotFoundException on blobKey")
    void concurrentRegistrationsOfOneKey() throws Exception {
        AssetStore globex = atlas.tenant("globex").assets();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 20; i++) {
                String key = "race/" + i + ".bin";
                external(key, new byte[] {(byte) i});
                var start = new java.util.concurrent.CyclicBarrier(2);
                List<java.util.concurrent.Future<Object>> results = new java.util.ArrayList<>();
                for (AssetStore s : List.of(assets, globex)) {
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            return s.register(png(), key);
                        } catch (NotFoundException e) {
                            return e;
                        }
                    }));
                }
                List<Object> outcomes = new java.util.ArrayList<>();
                for (var r : results) {
                    outcomes.add(r.get());
                }
                assertThat(outcomes).as(key).filteredOn(Asset.class::isInstance).hasSize(1);
                assertThat(outcomes).as(key).filteredOn(NotFoundException.class::isInstance).hasSize(1)
                        .allSatisfy(e -> assertThat(((NotFoundException) e).field()).contains("blobKey"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("without a blob store the default local directory is <dataDirectory>/assets")
    void defaultDirectory() throws Exception {
        Path data = dir.resolve("data");
        Atlas second = reopen(b -> b.dataDirectory(data));
        Asset a = second.tenant("acme").assets().create(png(), "local".getBytes(StandardCharsets.UTF_8));
        assertThat(second.config().assetDirectory()).isEqualTo(data.resolve("assets"));
        assertThat(Files.readString(data.resolve("assets").resolve(a.blobKey()))).isEqualTo("local");
    }

    @Test
    @DisplayName("mime types are type/subtype with optional parameters (RFC 6838/9110), kept as given; anything else, a header injection included, is InvalidInputException on mimeType")
    void mimeTypes() throws Exception {
        for (String mime : List.of("image/png", "audio/webm;codecs=opus", "text/plain; charset=\"utf-8\"", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/ld+json", "IMAGE/SVG+XML")) {
            Asset a = assets.create(NewAsset.of(AssetType.FILE, "f", mime), new byte[] {1});
            assertThat(assets.get(a.id()).orElseThrow().mimeType()).isEqualTo(mime);
        }
        long before = rows("assets");
        for (String mime : List.of("png", "image/", "/png", "image/png/x", "image/png\r\nSet-Cookie: a=b", "text/html\n", "image /png", "image/p ng",
                "image/png; charset", "image/png;", "text/plain; charset=\"a\nb\"", "\u00e9/png", "image/png\u0000", "", " ", "x".repeat(300),
                "'; DROP TABLE atlas_assets; --", "../../etc/passwd")) {
            assertField("mimeType", () -> NewAsset.of(AssetType.FILE, "f", mime));
        }
        assertThat(rows("assets")).isEqualTo(before);
    }

    private static void assertField(String field, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo(field));
    }

    @Test
    @DisplayName("open racing a purge of the asset fails as for a missing asset (NotFoundException); bytes missing under a live asset stay a StorageException")
    void openRacingPurge() throws Exception {
        Asset a = assets.create(png(), new byte[] {1, 2, 3});
        blobs.beforeOpen = () -> {
            assets.delete(a.id());
            clock.set(clock.instant().plus(Duration.ofDays(2)));
            acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1)));
        };
        NotFoundException gone = refusal(NotFoundException.class, () -> assets.open(a.id()));
        assertThat(gone.entity()).isEqualTo("asset");
        assertThat(gone.id()).isEqualTo(a.id());

        Asset live = assets.create(png(), new byte[] {4});
        Files.delete(dir.resolve("blobs").resolve(live.blobKey()));
        assertThat(refusal(StorageException.class, () -> assets.open(live.id()))).hasMessageContaining(live.blobKey());
    }

    @Test
    @DisplayName("bytes changed on disk under a live asset (same length, truncated, grown) are a StorageException naming the asset when"
            + " read to their end, never handed over as the asset's content; intact bytes read, skipped or read in part pass")
    void corruptedBlobIsRefusedOnRead() throws Exception {
        Asset a = assets.create(png(), "hello world".getBytes(StandardCharsets.UTF_8));
        Path file = dir.resolve("blobs").resolve(a.blobKey());
        try (InputStream in = assets.open(a.id())) {
            assertThat(in.skip(6)).isEqualTo(6);
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("world");
        }
        try (InputStream in = assets.open(a.id())) {
            assertThat(in.readNBytes(5)).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
        }
        for (String changed : List.of("hello WORLD", "hello", "hello world!")) {
            Files.writeString(file, changed);
            try (InputStream in = assets.open(a.id())) {
                assertThatThrownBy(in::readAllBytes).as(changed).isInstanceOf(StorageException.class)
                        .hasMessageContaining(a.id().toString()).hasMessageContaining(a.blobKey());
            }
        }
    }

    @Test
    @DisplayName("a blob key read from the asset row (changed by hand or another tool) reaches open's and the verified read's"
            + " messages escaped: no line break or terminal escape")
    void blobKeyOfTheRowIsEscapedInMessages() throws Exception {
        Asset a = assets.create(png(), "hello world".getBytes(StandardCharsets.UTF_8));
        String hostile = a.blobKey() + "\nERROR \u001b[31m";
        try (java.sql.Connection c = database.dataSource().getConnection();
             java.sql.PreparedStatement ps = c.prepareStatement("UPDATE atlas_assets SET blob_key = ? WHERE tenant_id = 'acme' AND blob_key = ?")) {
            ps.setString(1, hostile);
            ps.setString(2, a.blobKey());
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        String shown = a.blobKey() + "\\u000aERROR \\u001b[31m";
        assertThat(refusal(StorageException.class, () -> assets.open(a.id())).getMessage())
                .startsWith("blob store failed to open " + shown + ": ").doesNotContain("\n").doesNotContain("\u001b");
        blobs.openKey = k -> k.equals(hostile) ? a.blobKey() : k;
        Files.writeString(dir.resolve("blobs").resolve(a.blobKey()), "hello WORLD");
        try (InputStream in = assets.open(a.id())) {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(in::readAllBytes)).isInstanceOf(StorageException.class)
                    .hasMessage("blob " + shown + " of asset " + a.id() + " holds bytes whose SHA-256 is not the one recorded"
                            + " (changed or damaged in the blob store); its content is not handed over");
        } finally {
            blobs.openKey = null;
        }
    }

    @Test
    @DisplayName("a reader that takes exactly the recorded size (readNBytes, readFully) and never asks for the end still gets a"
            + " StorageException for changed bytes of that length; intact bytes pass, and a grown blob fails at the first byte past them;"
            + " a read with bad arguments is the caller's IndexOutOfBoundsException or NullPointerException, as any InputStream's, and the"
            + " stream reads on")
    void readingExactlyTheRecordedSizeIsChecked() throws Exception {
        byte[] content = "hello world".getBytes(StandardCharsets.UTF_8);
        Asset a = assets.create(png(), content);
        Path file = dir.resolve("blobs").resolve(a.blobKey());
        try (InputStream in = assets.open(a.id())) {
            // The caller's mistake, never the blob store failing, nor a stream failed for good.
            assertThatThrownBy(() -> in.read(new byte[4], 3, 2)).isExactlyInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> in.read(null, 0, 1)).isExactlyInstanceOf(NullPointerException.class);
            assertThat(in.readNBytes(content.length)).isEqualTo(content);
            assertThat(in.read()).isEqualTo(-1);
        }
        Files.writeString(file, "hello WORLD");
        try (InputStream in = assets.open(a.id())) {
            assertThatThrownBy(() -> in.readNBytes(content.length)).isInstanceOf(StorageException.class)
                    .hasMessageContaining(a.id().toString()).hasMessageContaining("SHA-256");
        }
        try (java.io.DataInputStream in = new java.io.DataInputStream(assets.open(a.id()))) {
            assertThatThrownBy(() -> in.readFully(new byte[content.length])).isInstanceOf(StorageException.class)
                    .hasMessageContaining(a.id().toString());
        }
        Files.writeString(file, "hello world!");
        try (InputStream in = assets.open(a.id())) {
            assertThat(in.readNBytes(content.length)).isEqualTo(content);
            assertThatThrownBy(in::read).isInstanceOf(StorageException.class).hasMessageContaining("more than the 11 bytes recorded");
        }
    }

    @Test
    @DisplayName("every method treats another tenant's assets, messages and executions as missing")
    void tenantIsolation() {
        Tenant globex = atlas.tenant("globex");
        Conversation c = globex.conversations().create(NewConversation.of(Owner.user("bob"), "support"));
        Message theirMessage = globex.conversations().append(c.id(), NewMessage.user("hi"));
        ExecutionHandle theirExec = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        Asset theirs = globex.assets().create(png().execution(theirExec.id(), null), new byte[] {1});
        Asset mine = assets.create(png(), new byte[] {2});

        assertThat(assets.get(theirs.id())).isEmpty();
        assertThatThrownBy(() -> assets.open(theirs.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> assets.delete(theirs.id())).isInstanceOf(NotFoundException.class);
        assertThat(assets.byExecution(theirExec.id())).isEmpty();
        assertThatThrownBy(() -> assets.attach(theirMessage.id(), mine.id(), Map.of())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> assets.forMessage(theirMessage.id())).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> assets.create(png().execution(theirExec.id(), null), new byte[] {3}))
                .isInstanceOf(NotFoundException.class);
        assertThat(assets.cleanupOrphanBlobs(Duration.ZERO).count()).isZero();
        assertThat(globex.assets().get(theirs.id())).isPresent();
        assertThat(globex.assets().byExecution(theirExec.id())).hasSize(1);
    }

    @Test
    @DisplayName("create and register with another tenant's or an unknown execution or tool call name the field, with the same message for both; nothing is written")
    void foreignIdsNameTheField() throws Exception {
        Tenant globex = atlas.tenant("globex");
        ExecutionHandle theirExec = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        ExecutionHandle mine = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o")).step();
        UUID theirCall = step.toolCall("c1", "lookup", "{}").id();
        external("ok/file.txt", new byte[] {1});
        UUID unknown = UUID.randomUUID();
        for (UUID id : List.of(theirExec.id(), unknown)) {
            for (org.assertj.core.api.ThrowableAssert.ThrowingCallable call : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    () -> assets.create(png().execution(id, null), new byte[] {1}), () -> assets.register(png().execution(id, null), "ok/file.txt"))) {
                NotFoundException e = refusal(NotFoundException.class, call);
                assertThat(e.field()).contains("executionId");
                assertThat(e.getMessage()).isEqualTo("executionId: execution " + id + " not found");
            }
        }
        for (UUID id : List.of(theirCall, unknown)) {
            NotFoundException e = refusal(NotFoundException.class, () -> assets.create(png().execution(mine.id(), id), new byte[] {1}));
            assertThat(e.field()).contains("toolCallId");
            assertThat(e.getMessage()).isEqualTo("toolCallId: tool call " + id + " not found");
        }
        assertThat(rows("assets")).isZero();
        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactly("ok/file.txt");
    }

    @Test
    @DisplayName("an asset vector must name a live asset of this tenant: another tenant's asset is refused exactly like an unknown id")
    void assetVectorsNeedOwnAsset() {
        Search search = acme.search();
        Asset theirs = atlas.tenant("globex").assets().create(png(), new byte[] {1});
        UUID random = UUID.randomUUID();
        NotFoundException unknown = catchThrowableOfType(NotFoundException.class,
                () -> search.upsertAssetVector(random, null, "m", new float[] {1, 0}));
        NotFoundException foreign = catchThrowableOfType(NotFoundException.class,
                () -> search.upsertAssetVector(theirs.id(), null, "m", new float[] {1, 0}));
        assertThat(unknown).isNotNull();
        assertThat(foreign).isNotNull();
        assertThat(unknown.entity()).isEqualTo("asset");
        assertThat(unknown.field()).contains("assetId");
        assertThat(foreign.entity()).isEqualTo("asset");
        assertThat(foreign.field()).contains("assetId");
        assertThat(foreign.getMessage()).isEqualTo(unknown.getMessage().replace(random.toString(), theirs.id().toString()));
        assertThat(rows("vectors")).isZero();
        assertThat(search.dimension("m")).isZero();
        Asset mine = assets.create(png(), new byte[] {2});
        search.upsertAssetVector(mine.id(), null, "m", new float[] {1, 0});
        assertThat(search.similar(SemanticQuery.of(SearchTarget.ASSET, "m", new float[] {1, 0}))).extracting(SearchHit::id)
                .containsExactly(mine.id());
    }

    @Test
    @DisplayName("a deleted asset no longer matches semantic search, and no vector can be stored for it")
    void deletedAssetLeavesSemanticSearch() {
        Search search = acme.search();
        Asset kept = assets.create(png(), new byte[] {1});
        Asset deleted = assets.create(png(), new byte[] {2});
        search.upsertAssetVector(kept.id(), null, "m", new float[] {1, 0});
        search.upsertAssetVector(deleted.id(), null, "m", new float[] {1, 0.1f});
        search.upsertAssetVector(deleted.id(), null, "other-model", new float[] {1, 0, 0});
        SemanticQuery query = SemanticQuery.of(SearchTarget.ASSET, "m", new float[] {1, 0.1f});
        assertThat(search.similar(query)).extracting(SearchHit::id).containsExactly(deleted.id(), kept.id());

        assets.delete(deleted.id());

        assertThat(search.similar(query)).extracting(SearchHit::id).containsExactly(kept.id());
        assertThat(search.similar(SemanticQuery.of(SearchTarget.ASSET, "other-model", new float[] {1, 0, 0}))).isEmpty();
        assertThatThrownBy(() -> search.upsertAssetVector(deleted.id(), null, "m", new float[] {1, 0}))
                .isInstanceOf(NotFoundException.class).satisfies(e -> assertThat(((NotFoundException) e).field()).contains("assetId"));
        assertThat(search.similar(query)).extracting(SearchHit::id).containsExactly(kept.id());
    }

    // ---- adversarial probes: a demanding user of the public API -----------------------------

    @Test
    @DisplayName("metadata nested beyond the JSON depth limit, or holding NUL or a lone surrogate, is InvalidInputException on metadata before any intent or byte is written")
    void hostileMetadataIsRefusedBeforeAnyWrite() {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(StoredJsonContract.nested(10_000), Map.of("k", "nul\u0000"), Map.of("k", "\uD800"))) {
            assertField("metadata", () -> assets.create(png().metadata(bad), new byte[] {1}));
        }
        assertThat(blobs.puts).isZero();
        assertThat(rows("blob_intents")).isZero();
        assertThat(rows("assets")).isZero();
    }

    @Test
    @DisplayName("a zero-byte asset is stored, sized 0 with the SHA-256 of nothing, and opens empty")
    void zeroByteAsset() throws Exception {
        Asset a = assets.create(NewAsset.of(AssetType.FILE, "empty.bin", "application/octet-stream"), new byte[0]);
        assertThat(a.sizeBytes()).isZero();
        assertThat(a.sha256()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(assets.require(a.id())).isEqualTo(a);
        assertOpens(assets, a.id(), new byte[0]);
    }

    @Test
    @DisplayName("attaching another tenant's asset to my message fails exactly as an unknown asset does; their message with my asset exactly as an unknown message; nothing is written")
    void crossTenantAttachRevealsNothing() {
        Tenant globex = atlas.tenant("globex");
        Conversation theirConversation = globex.conversations().create(NewConversation.of(Owner.user("bob"), "support"));
        Message theirMessage = globex.conversations().append(theirConversation.id(), NewMessage.user("hi"));
        Asset theirAsset = globex.assets().create(png(), new byte[] {1});
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message mine = acme.conversations().append(c.id(), NewMessage.user("hello"));
        Asset myAsset = assets.create(png(), new byte[] {2});
        UUID unknown = UUID.randomUUID();
        for (UUID id : List.of(theirAsset.id(), unknown)) {
            assertThat(refusal(NotFoundException.class, () -> assets.attach(mine.id(), id, Map.of()))).hasMessage("assetId: asset " + id + " not found")
                    .extracting(NotFoundException::field).isEqualTo(java.util.Optional.of("assetId"));
            assertThat(refusal(NotFoundException.class, () -> assets.attachPart(mine.id(), id))).hasMessage("assetId: asset " + id + " not found")
                    .extracting(NotFoundException::field).isEqualTo(java.util.Optional.of("assetId"));
            // Both unknown: the message is looked up first.
            assertThat(refusal(NotFoundException.class, () -> assets.attach(unknown, id, Map.of()))).hasMessage("messageId: message " + unknown + " not found");
        }
        for (UUID id : List.of(theirMessage.id(), unknown)) {
            assertThat(refusal(NotFoundException.class, () -> assets.attach(id, myAsset.id(), Map.of()))).hasMessage("messageId: message " + id + " not found")
                    .extracting(NotFoundException::field).isEqualTo(java.util.Optional.of("messageId"));
        }
        assertThat(rows("message_assets")).isZero();
    }

    @Test
    @DisplayName("an upload whose execution is purged while its bytes are written fails with NotFoundException on executionId, as if the execution had been gone before; no row, blob or intent is left")
    void createRacingPurgeOfItsExecution() throws Exception {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-image").conversation(c.id()));
        exec.complete();
        acme.conversations().archive(c.id());
        clock.advanceMicros(2);
        blobs.afterPut = () -> acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeArchivedAfter(Duration.ofNanos(1000)));
        NotFoundException e = refusal(NotFoundException.class, () -> assets.create(png().execution(exec.id(), null), new byte[] {1, 2, 3}));
        assertThat(e.field()).contains("executionId");
        assertThat(e.getMessage()).isEqualTo("executionId: execution " + exec.id() + " not found");
        assertThat(acme.conversations().get(c.id())).isEmpty();
        assertThat(rows("assets")).isZero();
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).isEmpty();
    }

    @Test
    @DisplayName("an upload whose thread is interrupted midway (an executor shut down) is a StorageException naming the interrupted"
            + " write, with the thread still interrupted; no row, bytes or temporary file are left, and the next cleanup leaves no intent")
    void interruptedUploadLeavesNothing() throws Exception {
        InputStream interrupting = new java.io.FilterInputStream(new ByteArrayInputStream(new byte[100_000])) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                Thread.currentThread().interrupt();
                return super.read(b, off, len);
            }
        };
        StorageException e;
        try {
            e = refusal(StorageException.class, () -> assets.create(png(), interrupting));
        } finally {
            assertThat(Thread.interrupted()).isTrue();
        }
        assertThat(e.getMessage()).startsWith("blob store failed to write ").endsWith(": java.nio.channels.ClosedByInterruptException");
        assertThat(rows("assets")).isZero();
        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
        // Its intent is dropped, or kept for the cleanup when the interrupted thread could not reach the database.
        assets.cleanupOrphanBlobs(Duration.ZERO);
        assertThat(rows("blob_intents")).isZero();
    }

    @Test
    @DisplayName("a content stream that throws midway is reported as the caller's stream failing, not the blob store: a StorageException whose cause is the stream's own exception, naming no blob key; nothing is left")
    void callersStreamFailureIsTheCause() throws Exception {
        IOException reset = new IOException("connection reset by upload client");
        InputStream broken = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n++ >= 5000) {
                    throw reset;
                }
                return 1;
            }
        };
        StorageException e = refusal(StorageException.class, () -> assets.create(png(), broken));
        assertThat(e.getCause()).isSameAs(reset);
        assertThat(e.isRetryable()).isFalse();
        assertThat(e.getMessage()).isEqualTo("reading the asset's content stream failed: connection reset by upload client");
        IllegalStateException own = new IllegalStateException("decryption failed");
        InputStream failing = new InputStream() {
            @Override
            public int read() {
                throw own;
            }
        };
        assertThat(refusal(StorageException.class, () -> assets.create(png(), failing)).getCause()).isSameAs(own);
        blobs.failPut = true;
        assertThat(refusal(StorageException.class, () -> assets.create(png(), new byte[] {1})).getMessage()).startsWith("blob store failed to write ");
        // A blob store's exception without a text (an interrupted channel's, say) is named by its class, never 'null'.
        blobs.putFailure = null;
        assertThat(refusal(StorageException.class, () -> assets.create(png(), new byte[] {1})).getMessage()).startsWith("blob store failed to write ")
                .endsWith(": java.io.IOException");
        blobs.putFailure = "disk full";
        blobs.failPut = false;
        assertThat(rows("assets")).isZero();
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).isEmpty();
    }

    @Test
    @DisplayName("a file's own name is kept exactly as given, whatever its script, spaces or dots, Windows device names and controls other than CR and LF included (Atlas never makes a file of it)")
    void filenamesRoundTripExactly() throws Exception {
        for (String filename : new String[] {"Ünïcödé 报告 (final) v2.PDF", "CON", "nul.txt", "...", ".env", "a..b", " leading and trailing ",
                "emoji \uD83D\uDE00.png", "invoice\u202Efdp.exe", "\u200F\u202Bright-to-left\u202C", "quote\"s;and=semis.txt", "%2e%2e%2fetc", "C:evil.png", "tab\tand \u001b[2J escape", "x".repeat(255)}) {
            Asset a = assets.create(NewAsset.of(AssetType.FILE, filename, null), new byte[] {1});
            assertThat(a.filename()).isEqualTo(filename);
            assertThat(assets.require(a.id()).filename()).as(filename).isEqualTo(filename);
        }
    }

    @Test
    @DisplayName("a 20 MiB stream of non-repeating bytes is read back byte-exact with its size and SHA-256")
    void largeStreamRoundTrip() throws Exception {
        long size = 20L * 1024 * 1024 + 3;
        MessageDigest expected = MessageDigest.getInstance("SHA-256");
        Asset a = assets.create(png(), new java.security.DigestInputStream(generated(size, 99), expected));
        assertThat(a.sizeBytes()).isEqualTo(size);
        assertThat(a.sha256()).isEqualTo(HexFormat.of().formatHex(expected.digest()));
        try (InputStream in = assets.open(a.id()); InputStream want = generated(size, 99)) {
            byte[] x = new byte[65536];
            byte[] y = new byte[65536];
            long at = 0;
            int n;
            while ((n = in.readNBytes(x, 0, x.length)) > 0) {
                assertThat(want.readNBytes(y, 0, n)).isEqualTo(n);
                assertThat(java.util.Arrays.equals(x, 0, n, y, 0, n)).as("bytes at %d", at).isTrue();
                at += n;
            }
            assertThat(at).isEqualTo(size);
            assertThat(want.read()).isEqualTo(-1);
        }
    }

    // ---- discard: an asset nothing ever referred to goes at once, row and bytes -------------

    @Test
    @DisplayName("discard removes a never-attached asset (live or already soft-deleted) at once, row, vectors and bytes; an attached one is a ConflictException on assetId and stays; another tenant's fails exactly as an unknown id")
    void discardRemovesANeverAttachedAssetAtOnce() throws Exception {
        Asset live = assets.create(png(), "live".getBytes(StandardCharsets.UTF_8));
        Asset deleted = assets.create(png(), "deleted".getBytes(StandardCharsets.UTF_8));
        Asset attached = assets.create(png(), "attached".getBytes(StandardCharsets.UTF_8));
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.user("see attached"));
        assets.attach(m.id(), attached.id(), Map.of());
        acme.search().upsertAssetVector(live.id(), null, "m", new float[] {1, 0});
        assets.delete(deleted.id());
        Asset theirs = atlas.tenant("globex").assets().create(png(), "theirs".getBytes(StandardCharsets.UTF_8));

        assets.discard(live.id());
        assets.discard(deleted.id());

        assertThat(assets.get(live.id())).isEmpty();
        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactlyInAnyOrder(attached.blobKey(), theirs.blobKey());
        assertThat(rows("assets")).isEqualTo(2);
        assertThat(rows("vectors")).isZero();
        assertThat(rows("blob_intents")).isZero();
        for (UUID id : List.of(live.id(), theirs.id(), UUID.randomUUID())) {
            assertThatThrownBy(() -> assets.discard(id)).isExactlyInstanceOf(NotFoundException.class).hasMessage("asset " + id + " not found");
        }
        dev.atlas.ConflictException refused = refusal(dev.atlas.ConflictException.class, () -> assets.discard(attached.id()));
        assertThat(refused.field()).isEqualTo("assetId");
        assertOpens(assets, attached.id(), "attached".getBytes(StandardCharsets.UTF_8));
        assertThat(assets.forMessage(m.id())).extracting(x -> x.asset().id()).containsExactly(attached.id());
        assertOpens(atlas.tenant("globex").assets(), theirs.id(), "theirs".getBytes(StandardCharsets.UTF_8));
        clock.advanceMicros(2);
        Map<String, Long> purged = acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none()
                .purgeDeletedAssetsAfter(Duration.ofNanos(1000))).counts();
        assertThat(purged.getOrDefault("assets.deleted", 0L)).isZero();
        assertThat(purged.getOrDefault("asset_blobs.deleted", 0L)).isZero();
    }

    @Test
    @DisplayName("bytes a discard could not delete are removed by the next orphan cleanup, whatever its minAge; the discard itself succeeds")
    void discardLeftoversAreCleanedUp() throws Exception {
        Asset a = assets.create(png(), "bytes".getBytes(StandardCharsets.UTF_8));
        blobs.failDelete = true;
        blobs.deleteFailure = "unavailable\nERROR forged \u001b[31m";
        String log;
        try (LogCapture capture = LogCapture.start()) {
            assets.discard(a.id());
            log = capture.text();
        } finally {
            blobs.failDelete = false;
            blobs.deleteFailure = "blob store unavailable";
        }
        // The blob store's text reaches the log escaped: one line, no terminal escape.
        assertThat(log).contains("could not delete discarded asset blob " + a.blobKey()
                + "; cleanupOrphanBlobs will retry: java.io.IOException: unavailable\\u000aERROR forged \\u001b[31m")
                .doesNotContain("\u001b").doesNotContain("\nERROR forged");
        assertThat(assets.get(a.id())).isEmpty();
        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactly(a.blobKey());
        assertThat(assets.cleanupOrphanBlobs(Duration.ofDays(365)).removedKeys()).containsExactly(a.blobKey());
        assertThat(allBlobs()).isEmpty();
        assertThat(rows("blob_intents")).isZero();
    }

    @Test
    @DisplayName("an owner erase's 'could not delete erased asset blob' warning escapes the blob store's text, as discard and retention do")
    void eraseLeftoverWarningIsEscaped() throws Exception {
        Owner alice = Owner.user("alice");
        Asset a = assets.create(png().owner(alice), "bytes".getBytes(StandardCharsets.UTF_8));
        blobs.failDelete = true;
        blobs.deleteFailure = "unavailable\nERROR forged \u001b[31m";
        String log;
        try (LogCapture capture = LogCapture.start()) {
            acme.portability().eraseOwner(alice, false);
            log = capture.text();
        } finally {
            blobs.failDelete = false;
            blobs.deleteFailure = "blob store unavailable";
        }
        assertThat(log).contains("could not delete erased asset blob " + a.blobKey()
                + "; cleanupOrphanBlobs will retry: java.io.IOException: unavailable\\u000aERROR forged \\u001b[31m")
                .doesNotContain("\u001b").doesNotContain("\nERROR forged");
    }

    @Test
    @DisplayName("a blob store's exception text reaches the StorageException escaped and cut after 300 code points, and its cause (and a"
            + " failed cleanup's suppressed exception) is a copy with that text: a logged stack trace never prints the raw megabyte")
    void blobStoreTextIsBounded() throws Exception {
        blobs.putFailure = "x".repeat(1_000_000);
        blobs.failPut = true;
        StorageException e;
        try {
            e = refusal(StorageException.class, () -> assets.create(png(), new byte[] {1}));
        } finally {
            blobs.failPut = false;
            blobs.putFailure = "disk full";
        }
        String shown = "x".repeat(300) + "\u2026";
        assertThat(e.getMessage()).startsWith("blob store failed to write ").endsWith(": " + shown);
        assertThat(e.getMessage().length()).isLessThan(400 + shown.length());
        assertThat(e.getCause()).isExactlyInstanceOf(RuntimeException.class).hasMessage("java.io.IOException: " + shown).hasNoCause();
        assertThat(e.getCause().getStackTrace()).isNotEmpty();
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).isEmpty();
        // A text that reads as it is shown keeps the blob store's exception itself as the cause.
        blobs.failPut = true;
        try {
            assertThat(refusal(StorageException.class, () -> assets.create(png(), new byte[] {1})).getCause())
                    .isExactlyInstanceOf(java.io.IOException.class).hasMessage("disk full");
            // The delete that cleans up after the failed put fails too: it is suppressed, scrubbed the same way.
            blobs.failDelete = true;
            blobs.deleteFailure = "unavailable\n" + "y".repeat(1_000_000);
            StorageException both = refusal(StorageException.class, () -> assets.create(png(), new byte[] {1}));
            assertThat(both.getSuppressed()).hasSize(1);
            assertThat(both.getSuppressed()[0]).isExactlyInstanceOf(RuntimeException.class)
                    .hasMessage("java.io.IOException: unavailable\\u000a" + "y".repeat(288) + "\u2026");
        } finally {
            blobs.failPut = false;
            blobs.failDelete = false;
            blobs.deleteFailure = "blob store unavailable";
        }
        // Its intent stays for cleanupOrphanBlobs; no bytes were written.
        assertThat(rows("blob_intents")).isEqualTo(1);
        assertThat(allBlobs()).isEmpty();
    }

    @Test
    @DisplayName("open racing a discard (the row read, the bytes not yet opened) is a NotFoundException, as for an asset gone before the call")
    void openRacingDiscard() {
        Asset a = assets.create(png(), "bytes".getBytes(StandardCharsets.UTF_8));
        blobs.beforeOpen = () -> assets.discard(a.id());
        assertThatThrownBy(() -> assets.open(a.id())).isExactlyInstanceOf(NotFoundException.class).hasMessage("asset " + a.id() + " not found");
    }

    @Test
    @DisplayName("a read racing a discard by another instance, on a blob store that cannot read deleted bytes further (an object store),"
            + " is a NotFoundException on the asset, as open racing it is, whether the store's stream then fails or ends early; a live"
            + " asset's read the blob store fails is a StorageException naming the key and the asset, caused by the store's exception;"
            + " an open the store answers with no stream is a StorageException; never the store's IOException or a partial content")
    void readRacingDiscardOnAStoreThatLosesDeletedBytes() throws Exception {
        Atlas secondAtlas = reopen(b -> b.blobStore(blobs).clock(clock));
        AssetStore second = secondAtlas.tenant("acme").assets();
        byte[] bytes = new byte[20_000];
        new Random(5).nextBytes(bytes);
        for (boolean endsEarly : new boolean[] {false, true}) {
            Asset a = assets.create(png(), bytes);
            Path file = dir.resolve("blobs").resolve(a.blobKey());
            blobs.openStream = (key, in) -> new java.io.FilterInputStream(in) {
                private int reads;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (reads++ == 1) {
                        second.discard(a.id());
                    }
                    if (!Files.exists(file)) {
                        if (endsEarly) {
                            return -1;
                        }
                        throw new IOException("NoSuchKey: the object was deleted");
                    }
                    return super.read(b, off, Math.min(len, 1000));
                }
            };
            try (InputStream in = assets.open(a.id())) {
                byte[] first = new byte[1000];
                assertThat(in.read(first)).isEqualTo(1000);
                assertThat(first).isEqualTo(java.util.Arrays.copyOf(bytes, 1000));
                assertThat(org.assertj.core.api.Assertions.catchThrowable(in::readAllBytes)).as("ends early: " + endsEarly)
                        .isExactlyInstanceOf(NotFoundException.class).hasMessage("asset " + a.id() + " not found");
                // Once failed, it stays failed.
                assertThat(org.assertj.core.api.Assertions.catchThrowable(in::read)).isExactlyInstanceOf(NotFoundException.class);
            } finally {
                blobs.openStream = null;
            }
        }
        Asset live = assets.create(png(), bytes);
        IOException lost = new IOException("connection reset\nERROR forged");
        blobs.openStream = (key, in) -> new java.io.FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                throw lost;
            }
        };
        try (InputStream in = assets.open(live.id())) {
            StorageException e = refusal(StorageException.class, in::readAllBytes);
            assertThat(e).hasMessage("blob store failed to read " + live.blobKey() + " of asset " + live.id()
                    + ": connection reset\\u000aERROR forged");
            assertThat(e.getCause()).hasMessage("java.io.IOException: connection reset\\u000aERROR forged");
        }
        blobs.openStream = (key, in) -> null;
        assertThat(refusal(StorageException.class, () -> assets.open(live.id()))).hasMessage("blob store's open of " + live.blobKey()
                + " returned no stream");
        blobs.openStream = null;
        assertOpens(assets, live.id(), bytes);
        // Once the instance that opened the stream is closed, it cannot tell whether the asset is live: a failed read is the store's failure.
        Asset discarded = assets.create(png(), bytes);
        blobs.openStream = (key, in) -> new java.io.FilterInputStream(in) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                throw new IOException("NoSuchKey: the object was deleted");
            }
        };
        try (InputStream in = second.open(discarded.id())) {
            assets.discard(discarded.id());
            secondAtlas.close();
            assertThat(refusal(StorageException.class, in::readAllBytes)).hasMessage("blob store failed to read " + discarded.blobKey()
                    + " of asset " + discarded.id() + ": NoSuchKey: the object was deleted");
        } finally {
            blobs.openStream = null;
        }
    }

    @Test
    @DisplayName("attach racing discard of one asset: either the attach wins (the discard is a ConflictException on assetId, the bytes stay) or the discard wins (the attach is NotFoundException on the asset, no attachment, no bytes); never a storage error")
    void attachRacingDiscard() throws Exception {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.user("see attached"));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 15; i++) {
                Asset a = assets.create(png(), new byte[] {(byte) i});
                var start = new java.util.concurrent.CyclicBarrier(2);
                var attach = pool.submit(() -> {
                    start.await();
                    try {
                        return (Object) assets.attach(m.id(), a.id(), Map.of());
                    } catch (NotFoundException e) {
                        assertThat(e).hasMessage("assetId: asset " + a.id() + " not found");
                        return e;
                    }
                });
                var discard = pool.submit(() -> {
                    start.await();
                    try {
                        assets.discard(a.id());
                        return (Object) "discarded";
                    } catch (dev.atlas.ConflictException e) {
                        assertThat(e.field()).isEqualTo("assetId");
                        return e;
                    }
                });
                Object attached = attach.get();
                Object discarded = discard.get();
                boolean keys = allBlobs().stream().anyMatch(b -> b.key().equals(a.blobKey()));
                if (attached instanceof AttachedAsset) {
                    assertThat(discarded).as("round %d", i).isInstanceOf(dev.atlas.ConflictException.class);
                    assertThat(keys).isTrue();
                    assertThat(assets.get(a.id())).contains(a);
                } else {
                    assertThat(discarded).as("round %d", i).isEqualTo("discarded");
                    assertThat(keys).isFalse();
                    assertThat(assets.get(a.id())).isEmpty();
                }
            }
            assertThat(rows("message_assets")).isEqualTo(assets.forMessage(m.id()).size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("detach racing discard of the asset it detaches: the discard either finds the attachment"
            + " (ConflictException on assetId, the asset and bytes stay) or comes after the detach and removes the asset; the detach"
            + " always detaches; never a storage error")
    void detachRacingDiscard() throws Exception {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.user("wrong file attached"));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 8; i++) {
                Asset a = assets.create(png(), new byte[] {(byte) i});
                assets.attach(m.id(), a.id(), Map.of());
                var start = new java.util.concurrent.CyclicBarrier(2);
                var detach = pool.submit(() -> {
                    start.await();
                    return assets.detach(m.id(), a.id());
                });
                var discard = pool.submit(() -> {
                    start.await();
                    try {
                        assets.discard(a.id());
                        return (Object) "discarded";
                    } catch (dev.atlas.ConflictException e) {
                        assertThat(e.field()).isEqualTo("assetId");
                        return e;
                    }
                });
                assertThat(detach.get()).as("round %d", i).isTrue();
                Object discarded = discard.get();
                boolean bytes = allBlobs().stream().anyMatch(b -> b.key().equals(a.blobKey()));
                if (discarded instanceof dev.atlas.ConflictException) {
                    assertThat(bytes).isTrue();
                    assertThat(assets.get(a.id())).contains(a);
                } else {
                    assertThat(bytes).isFalse();
                    assertThat(assets.get(a.id())).isEmpty();
                }
            }
            assertThat(rows("message_assets")).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("attach is idempotent under concurrency too: two attaches of one asset to one message at the same moment both succeed, leaving one attachment with one writer's metadata")
    void concurrentAttachesOfOnePair() throws Exception {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 15; i++) {
                Message m = acme.conversations().append(c.id(), NewMessage.user("photo " + i));
                Asset a = assets.create(png(), new byte[] {(byte) i});
                var start = new java.util.concurrent.CyclicBarrier(2);
                List<java.util.concurrent.Future<AttachedAsset>> attaches = new ArrayList<>();
                for (String who : List.of("first", "second")) {
                    attaches.add(pool.submit(() -> {
                        start.await();
                        return assets.attach(m.id(), a.id(), Map.of("by", who));
                    }));
                }
                for (var f : attaches) {
                    assertThat(f.get().asset().id()).isEqualTo(a.id());
                }
                assertThat(assets.forMessage(m.id())).singleElement()
                        .satisfies(x -> assertThat(x.attachmentMetadata().get("by")).isIn("first", "second"));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("attach racing retention's purge of the message's conversation either attaches (and the purge then takes the attachment) or is NotFoundException on the message; never a storage error")
    void attachRacingConversationPurge() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 20; i++) {
                Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
                Message m = acme.conversations().append(c.id(), NewMessage.user("photo " + i));
                Asset a = assets.create(png(), new byte[] {(byte) i});
                acme.conversations().archive(c.id());
                clock.advanceMicros(2);
                var start = new java.util.concurrent.CyclicBarrier(2);
                var purge = pool.submit(() -> {
                    start.await();
                    return acme.retention().runRetention(dev.atlas.retention.RetentionPolicy.none().purgeArchivedAfter(Duration.ofNanos(1000)));
                });
                var attach = pool.submit(() -> {
                    start.await();
                    try {
                        return (Object) assets.attach(m.id(), a.id(), Map.of());
                    } catch (NotFoundException e) {
                        assertThat(e).hasMessage("messageId: message " + m.id() + " not found");
                        return e;
                    }
                });
                purge.get();
                assertThat(attach.get()).as("round %d", i).isInstanceOfAny(AttachedAsset.class, NotFoundException.class);
                assertThat(acme.conversations().get(c.id())).isEmpty();
                assertThat(assets.get(a.id())).contains(a);
            }
            assertThat(rows("message_assets")).isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@code size} pseudo-random bytes from {@code seed}, generated as read: never held in memory. */
    private static InputStream generated(long size, long seed) {
        return new InputStream() {
            long at;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (at == size) {
                    return -1;
                }
                int n = (int) Math.min(len, size - at);
                for (int i = 0; i < n; i++, at++) {
                    // A byte of each position alone, so any read sizes give the same sequence.
                    long x = (at + seed) * 0x9E3779B97F4A7C15L;
                    b[off + i] = (byte) ((x ^ (x >>> 29)) >>> 56);
                }
                return n;
            }
        };
    }

    /** Delegates to a real store, counting calls and failing puts on demand. */
    public static final class FlakyBlobStore implements BlobStore {
        private final BlobStore delegate;
        volatile boolean failPut;
        /** Writes the bytes, then reports a failure (as a timeout after a completed upload would). */
        volatile boolean failAfterPut;
        volatile boolean failDelete;
        /** Runs after the bytes are in place and before put returns: the row is not written yet. */
        volatile Runnable afterPut;
        /** How many puts reached the delegate. */
        public volatile int puts;
        /** Runs once when the next open starts: the asset row has been read, the bytes not yet. */
        volatile Runnable beforeOpen;
        volatile int deletes;
        /** When set, put reads and stores only this many bytes of the content (a store with a bug). */
        volatile int shortRead = -1;
        /** When set, put reports this instead of what it stored (a store that reports an ETag, say). */
        volatile java.util.function.UnaryOperator<StoredBlob> misreport;
        /** The message of the IOException a failing put throws. */
        volatile String putFailure = "disk full";
        /** The message of the IOException a failing delete throws. */
        volatile String deleteFailure = "blob store unavailable";
        /** When set, open reads the key this maps the asked key to (a row whose key was changed by hand). */
        volatile java.util.function.UnaryOperator<String> openKey;
        /** When set, open hands back what this makes of the delegate's stream (a store whose reads fail). */
        volatile java.util.function.BiFunction<String, InputStream, InputStream> openStream;

        /** Delegates to {@code delegate}. */
        public FlakyBlobStore(BlobStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public StoredBlob put(String key, InputStream content) throws IOException {
            if (failPut) {
                throw new IOException(putFailure);
            }
            StoredBlob b = delegate.put(key, shortRead < 0 ? content : new ByteArrayInputStream(content.readNBytes(shortRead)));
            java.util.function.UnaryOperator<StoredBlob> lie = misreport;
            if (lie != null) {
                b = lie.apply(b);
            }
            puts++;
            Runnable hook = afterPut;
            if (hook != null) {
                afterPut = null;
                hook.run();
            }
            if (failAfterPut) {
                throw new IOException("timed out waiting for the upload's acknowledgement");
            }
            return b;
        }

        @Override
        public InputStream open(String key) throws IOException {
            Runnable hook = beforeOpen;
            if (hook != null) {
                beforeOpen = null;
                hook.run();
            }
            java.util.function.UnaryOperator<String> map = openKey;
            InputStream in = delegate.open(map == null ? key : map.apply(key));
            java.util.function.BiFunction<String, InputStream, InputStream> wrap = openStream;
            return wrap == null ? in : wrap.apply(key, in);
        }

        @Override
        public boolean delete(String key) throws IOException {
            deletes++;
            if (failDelete) {
                throw new IOException(deleteFailure);
            }
            return delegate.delete(key);
        }

        @Override
        public List<BlobInfo> list(String prefix) throws IOException {
            return delegate.list(prefix);
        }

        @Override
        public int removeAbandonedTemporaryFiles(java.time.Instant olderThan) throws IOException {
            return delegate.removeAbandonedTemporaryFiles(olderThan);
        }

        @Override
        public int removeAbandonedTemporaryFiles(String keyPrefix, java.time.Instant olderThan) throws IOException {
            return delegate.removeAbandonedTemporaryFiles(keyPrefix, olderThan);
        }
    }

    @Test
    @DisplayName("issue 15: an export imported into another tenant keeps its blob keys and shares the bytes: purging, erasing or cleaning up the copy deletes none (0, a dry run the same) and the original still opens; the last row's erase deletes them (1); a third tenant is untouched")
    void importedCopySharesBytesUntilTheLastRowGoes() throws Exception {
        Tenant gamma = atlas.tenant("gamma");
        Tenant globex = atlas.tenant("globex");
        Owner alice = Owner.user("alice");
        byte[] bytes = "acme's photo of parcel 77".getBytes(StandardCharsets.UTF_8);
        Asset original = assets.create(png().owner(alice), bytes);
        byte[] theirBytes = "globex's own".getBytes(StandardCharsets.UTF_8);
        Asset theirs = globex.assets().create(png().owner(alice), theirBytes);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        acme.portability().exportTo(out, dev.atlas.portability.ExportScope.tenant());
        byte[] file = out.toByteArray();
        dev.atlas.retention.RetentionPolicy purge = dev.atlas.retention.RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1));
        Path bytesOnDisk = dir.resolve("blobs").resolve(original.blobKey());

        // 1. Retention purges gamma's deleted copy.
        gamma.portability().importFrom(new ByteArrayInputStream(file));
        assertThat(gamma.assets().get(original.id()).orElseThrow().blobKey()).isEqualTo(original.blobKey());
        gamma.assets().delete(original.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        for (boolean dryRun : new boolean[] {true, false}) {
            assertThat(gamma.retention().runRetention(purge.dryRun(dryRun)).counts()).as("dry run " + dryRun)
                    .isEqualTo(Map.of("assets.deleted", 1L));
            assertOpens(assets, original.id(), bytes);
        }

        // 2. Erasing gamma's owner of the copy.
        gamma.portability().importFrom(new ByteArrayInputStream(file));
        for (boolean dryRun : new boolean[] {true, false}) {
            assertThat(gamma.portability().eraseOwner(alice, dryRun).counts()).as("dry run " + dryRun).isEqualTo(Map.of("assets", 1L));
            assertOpens(assets, original.id(), bytes);
        }

        // 3. A purge of the copy whose byte delete would fail, then cleanupOrphanBlobs in both tenants.
        gamma.portability().importFrom(new ByteArrayInputStream(file));
        gamma.assets().delete(original.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        blobs.failDelete = true;
        gamma.retention().runRetention(purge);
        blobs.failDelete = false;
        assertThat(gamma.assets().cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertThat(assets.cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertOpens(assets, original.id(), bytes);

        // The last row naming the key goes: now its bytes do.
        for (boolean dryRun : new boolean[] {true, false}) {
            assertThat(acme.portability().eraseOwner(alice, dryRun).counts()).as("dry run " + dryRun)
                    .isEqualTo(Map.of("assets", 1L, "asset_blobs", 1L));
            assertThat(Files.exists(bytesOnDisk)).as("dry run " + dryRun).isEqualTo(dryRun);
        }
        assertThat(allBlobs().stream().map(BlobInfo::key).toList()).doesNotContain(original.blobKey());
        assertThat(gamma.assets().cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertThat(globex.assets().get(theirs.id())).contains(theirs);
        assertOpens(globex.assets(), theirs.id(), theirBytes);
    }

    @Test
    @DisplayName("a blob store whose put leaves content unread, or reports a size other than the bytes it was given or no lowercase hex SHA-256 (an MD5 ETag), fails create with a StorageException: no row, no bytes, no intent")
    void blobStoreMisreportingItsPutIsRefused() throws Exception {
        byte[] bytes = new byte[1000];
        new Random(3).nextBytes(bytes);
        List<java.util.function.UnaryOperator<StoredBlob>> lies = List.of(
                b -> new StoredBlob(b.key(), b.sizeBytes(), "d41d8cd98f00b204e9800998ecf8427e"),
                b -> new StoredBlob(b.key(), b.sizeBytes(), b.sha256().toUpperCase(java.util.Locale.ROOT)),
                b -> new StoredBlob(b.key(), b.sizeBytes() + 1, b.sha256()),
                b -> new StoredBlob(b.key(), 0, b.sha256()));
        for (java.util.function.UnaryOperator<StoredBlob> lie : lies) {
            blobs.misreport = lie;
            assertThat(refusal(StorageException.class, () -> assets.create(png(), bytes)).getMessage()).startsWith("blob store's put of ");
        }
        blobs.misreport = b -> new StoredBlob(b.key(), b.sizeBytes(), "etag\n\u001b[2J\u2028" + "0".repeat(100));
        assertThat(refusal(StorageException.class, () -> assets.create(png(), bytes)).getMessage())
                .endsWith(" returned 'etag\\u000a\\u001b[2J\\u2028" + "0".repeat(30) + "\u2026' as the SHA-256 (64 lowercase hex digits)");
        blobs.misreport = null;
        blobs.putFailure = "disk full\nERROR forged log line \u001b[31m";
        blobs.failPut = true;
        assertThat(refusal(StorageException.class, () -> assets.create(png(), bytes)).getMessage())
                .endsWith(": disk full\\u000aERROR forged log line \\u001b[31m");
        blobs.failPut = false;
        blobs.shortRead = 10;
        assertThat(refusal(StorageException.class, () -> assets.create(png(), bytes)).getMessage()).startsWith("blob store's put of ");
        blobs.shortRead = -1;
        assertThat(rows("assets")).isZero();
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).isEmpty();
        Asset honest = assets.create(png(), bytes);
        assertThat(honest.sha256()).isEqualTo(sha256(bytes));
        // A put reporting another key than the one it was given (another tenant's, of the very same bytes, a
        // key of its own, none): the row would name bytes that are not this upload's, and leave these unnamed.
        Tenant globex = atlas.tenant("globex");
        Asset theirs = globex.assets().create(png(), bytes);
        for (String lie : java.util.Arrays.asList(theirs.blobKey(), "elsewhere/x", null)) {
            blobs.misreport = b -> new StoredBlob(lie, b.sizeBytes(), b.sha256());
            assertThat(refusal(StorageException.class, () -> assets.create(png(), bytes)).getMessage()).as(lie)
                    .startsWith("blob store's put of ").endsWith(lie == null ? " returned no key"
                            : " returned the key '" + lie + "', not the key it was given");
        }
        blobs.misreport = null;
        assertThat(rows("assets")).isEqualTo(2);
        assertThat(rows("blob_intents")).isZero();
        assertThat(allBlobs()).extracting(BlobInfo::key).containsExactlyInAnyOrder(honest.blobKey(), theirs.blobKey());
        assertOpens(globex.assets(), theirs.id(), bytes);
    }

    // ---- close during an upload -------------------------------------------------------------

    /** {@code bytes} as a stream that, on its first read, says so on {@code reading} and waits for {@code release}. */
    private static InputStream heldAtFirstRead(byte[] bytes, java.util.concurrent.CountDownLatch reading,
            java.util.concurrent.CountDownLatch release) {
        return new java.io.FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (reading.getCount() > 0) {
                    reading.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                }
                return super.read(b, off, len);
            }
        };
    }

    @Test
    @DisplayName("Atlas.close() during an upload waits for it as for any running call: the asset is recorded whole, its intent gone, and the next instance opens it")
    void closeWaitsForAnUploadInProgress() throws Exception {
        byte[] bytes = new byte[200_000];
        new Random(7).nextBytes(bytes);
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<Asset> upload = pool.submit(() -> assets.create(png(), heldAtFirstRead(bytes, reading, release)));
            reading.await();
            Thread closer = new Thread(atlas::close);
            closer.start();
            // Released once close() is waiting for running calls (or, wrongly, has already returned).
            while (closer.isAlive() && closer.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            release.countDown();
            Asset a = upload.get();
            closer.join();
            Atlas next = reopen(b -> b.blobStore(blobs).clock(clock));
            assertThat(next.tenant("acme").assets().require(a.id())).isEqualTo(a);
            assertOpens(next.tenant("acme").assets(), a.id(), bytes);
            assertThat(AdHoc.count(next, "blob_intents")).isZero();
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("an upload still running when close()'s timeout ends fails with AtlasClosedException and leaves no bytes and no row; the next cleanup finds nothing to remove")
    void uploadOutlastingCloseTimeoutLeavesNothing() throws Exception {
        Atlas short_ = reopen(b -> b.blobStore(blobs).clock(clock).closeTimeout(Duration.ZERO));
        AssetStore store = short_.tenant("acme").assets();
        java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<Asset> upload = pool.submit(() -> store.create(png(), heldAtFirstRead(new byte[50_000], reading, release)));
            reading.await();
            short_.close();
            release.countDown();
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(upload::get);
            assertThat(failure).isInstanceOf(java.util.concurrent.ExecutionException.class);
            assertThat(failure.getCause()).isInstanceOf(dev.atlas.AtlasClosedException.class);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        assertThat(allBlobs()).isEmpty();
        assertThat(rows("assets")).isZero();
        assertThat(assets.cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        assertThat(rows("blob_intents")).isZero();
    }

    @Test
    @DisplayName("a delete from an instance whose clock runs an hour behind stamps the asset deleted no earlier than it was stored, so"
            + " retention's purge of deleted assets does not come early by the lag")
    void laggingClockDeleteIsNotPurgedEarly() throws Exception {
        Asset a = assets.create(png(), new byte[] {1, 2, 3});
        java.time.Instant stored = a.createdAt();
        AssetStore lagging = reopen(b -> b.blobStore(blobs).clock(new MutableClock(stored.minus(Duration.ofHours(1)))))
                .tenant("acme").assets();
        lagging.delete(a.id());
        assertThat(assets.get(a.id())).isEmpty();
        dev.atlas.retention.RetentionPolicy purge = dev.atlas.retention.RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1));
        clock.set(stored.plus(Duration.ofDays(1)));
        assertThat(acme.retention().runRetention(purge).counts().getOrDefault("assets.deleted", 0L)).isZero();
        assertThat(allBlobs()).hasSize(1);
        clock.advanceMicros(1);
        assertThat(acme.retention().runRetention(purge).counts()).containsEntry("assets.deleted", 1L).containsEntry("asset_blobs.deleted", 1L);
        assertThat(allBlobs()).isEmpty();
    }

    @Test
    @DisplayName("a blob directory that cannot be written (a file stands where it should be) fails create with a StorageException naming"
            + " the blob store; no row and no bytes; the store works again once the directory can be made, and the next cleanup takes the failed"
            + " upload's intent")
    void unwritableBlobDirectoryLeavesNothing() throws Exception {
        Path root = dir.resolve("not-a-dir");
        Files.writeString(root, "a file");
        AssetStore broken = reopen(b -> b.blobStore(new LocalDirectoryBlobStore(root)).clock(clock)).tenant("acme").assets();
        assertThatThrownBy(() -> broken.create(png(), new byte[] {1, 2}))
                .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getMessage()).startsWith("blob store failed to write "));
        assertThat(rows("assets")).isZero();
        // The bytes' removal failed as the write did, so the intent stays for cleanupOrphanBlobs, as documented.
        assertThat(rows("blob_intents")).isOne();
        Files.delete(root);
        Asset a = broken.create(png(), new byte[] {1, 2});
        assertOpens(broken, a.id(), new byte[] {1, 2});
        broken.cleanupOrphanBlobs(Duration.ZERO);
        assertThat(rows("blob_intents")).isZero();
        assertOpens(broken, a.id(), new byte[] {1, 2});
    }

    @Test
    @DisplayName("deletes of one asset from two instances at once, with opens running: exactly one delete succeeds, the other is a"
            + " NotFoundException; every open reads the whole bytes or is a NotFoundException, never a storage error")
    void concurrentDeletesAndOpens() throws Exception {
        AssetStore second = reopen(b -> b.blobStore(blobs).clock(clock)).tenant("acme").assets();
        byte[] bytes = new byte[100_000];
        new Random(7).nextBytes(bytes);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 5; round++) {
                Asset a = assets.create(png(), bytes);
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                List<java.util.concurrent.Future<String>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    AssetStore s = t % 2 == 0 ? assets : second;
                    boolean deleter = t < 2;
                    results.add(pool.submit(() -> {
                        go.await();
                        try {
                            if (deleter) {
                                s.delete(a.id());
                                return "deleted";
                            }
                            try (InputStream in = s.open(a.id())) {
                                assertThat(in.readAllBytes()).isEqualTo(bytes);
                            }
                            return "read";
                        } catch (NotFoundException e) {
                            return deleter ? "delete not found" : "read not found";
                        }
                    }));
                }
                go.countDown();
                List<String> outcomes = new ArrayList<>();
                for (java.util.concurrent.Future<String> f : results) {
                    outcomes.add(f.get());
                }
                assertThat(outcomes.subList(0, 2)).containsExactlyInAnyOrder("deleted", "delete not found");
                assertThat(outcomes.subList(2, 4)).allMatch(o -> o.equals("read") || o.equals("read not found"));
                assertThat(assets.get(a.id())).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void assertOpens(AssetStore store, UUID id, byte[] expected) throws IOException {
        try (InputStream in = store.open(id)) {
            assertThat(in.readAllBytes()).isEqualTo(expected);
        }
    }
}
