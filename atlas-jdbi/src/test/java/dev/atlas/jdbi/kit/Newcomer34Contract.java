package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallQuery;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/, through the public API: assets streamed in and read
 * back byte-exact (0 bytes, 50 MB never held in memory, a stream that dies midway), assistant
 * revisions published from two instances at once, a credential key rotated while another thread
 * decrypts, a voice transcript checkpointed with duplicate and out-of-order turns, one execution with
 * 1,000 tool calls, retention run while an upload is in flight; hostile input and another tenant's
 * ids on each of those calls.
 */
public abstract class Newcomer34Contract extends AtlasContract {
    private static final byte[] K1 = TestKeys.key("newcomer34-k1");
    private static final byte[] K2 = TestKeys.key("newcomer34-k2");
    private Path dir;
    private LocalDirectoryBlobStore blobs;

    protected Newcomer34Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            dir = Files.createTempDirectory("atlas-newcomer34");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        blobs = new LocalDirectoryBlobStore(dir.resolve("blobs"));
        return super.configure(builder).blobStore(blobs).credentialKeys(CredentialKeys.of("k1", K1));
    }

    @AfterEach
    void removeDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Deterministic bytes generated on the fly, so a 50 MB upload is never an array in the test. */
    private static final class Generated extends InputStream {
        private final long size;
        private final long failAt;
        private final CountDownLatch reachedHalf;
        private final CountDownLatch resume;
        private long pos;

        Generated(long size, long failAt, CountDownLatch reachedHalf, CountDownLatch resume) {
            this.size = size;
            this.failAt = failAt;
            this.reachedHalf = reachedHalf;
            this.resume = resume;
        }

        static Generated of(long size) {
            return new Generated(size, -1, null, null);
        }

        static byte at(long i) {
            return (byte) ((i * 31 + (i >>> 13)) & 0xff);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (failAt >= 0 && pos >= failAt) {
                throw new IOException("connection reset by upload client");
            }
            if (reachedHalf != null && pos >= size / 2 && reachedHalf.getCount() > 0) {
                reachedHalf.countDown();
                try {
                    if (!resume.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("never resumed");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            }
            if (pos >= size) {
                return -1;
            }
            int n = (int) Math.min(len, Math.min(size - pos, 64 * 1024));
            if (failAt >= 0) {
                n = (int) Math.min(n, failAt - pos);
            }
            if (reachedHalf != null && pos < size / 2) {
                n = (int) Math.min(n, size / 2 - pos);
            }
            for (int i = 0; i < n; i++) {
                b[off + i] = at(pos + i);
            }
            pos += n;
            return n;
        }
    }

    private static String sha256Generated(long size) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Generated.of(size)) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Reads the stored bytes back in chunks and checks each against the generator, without an array of the whole. */
    private static long verifyGenerated(InputStream in) throws IOException {
        long pos = 0;
        byte[] buf = new byte[64 * 1024];
        try (in) {
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != Generated.at(pos + i)) {
                        throw new AssertionError("byte " + (pos + i) + " differs");
                    }
                }
                pos += n;
            }
        }
        return pos;
    }

    private List<Path> blobFiles() throws IOException {
        Path root = dir.resolve("blobs");
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field()
                : t instanceof NotFoundException n ? n.field().orElse("-") : "?";
        return t.getClass().getSimpleName() + " on " + field;
    }

    private static String outcome(Runnable call) {
        return describe(catchThrowable(call::run));
    }

    @Test
    void emptyAndFiftyMegabyteStreamsReadBackByteExact() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Asset empty = acme.assets().create(NewAsset.of(AssetType.FILE, "empty.bin", "application/octet-stream"), InputStream.nullInputStream());
        assertThat(empty.sizeBytes()).isZero();
        assertThat(empty.sha256()).isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        try (InputStream in = acme.assets().open(empty.id())) {
            assertThat(in.readAllBytes()).isEmpty();
        }
        long size = 50L * 1024 * 1024;
        Asset big = acme.assets().create(NewAsset.of(AssetType.FILE, "big.bin", "application/octet-stream"), Generated.of(size));
        assertThat(big.sizeBytes()).isEqualTo(size);
        assertThat(big.sha256()).isEqualTo(sha256Generated(size));
        assertThat(verifyGenerated(acme.assets().open(big.id()))).isEqualTo(size);
        assertThat(acme.assets().getBySha256(big.sha256())).map(Asset::id).contains(big.id());
        // Another tenant sees neither, by id nor by checksum.
        Tenant globex = atlas.tenant("globex");
        assertThat(globex.assets().get(big.id())).isEmpty();
        assertThat(globex.assets().getBySha256(big.sha256())).isEmpty();
        Throwable open = catchThrowable(() -> globex.assets().open(big.id()));
        assertThat(describe(open)).startsWith("NotFoundException");
        assertThat(open.getMessage()).doesNotContain("acme").doesNotContain(big.blobKey());
    }

    @Test
    void aStreamThatDiesMidwayStoresNothingAndLeavesNoBlobFile() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Throwable cut = catchThrowable(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "cut.bin", "application/octet-stream")
                .clientKey("upload-1"), new Generated(8L * 1024 * 1024, 3L * 1024 * 1024 + 7, null, null)));
        assertThat(cut).isInstanceOf(StorageException.class).hasRootCauseMessage("connection reset by upload client");
        assertThat(blobFiles()).isEmpty();
        assertThat(acme.assets().cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        // The same client key, retried with the whole stream, stores once, byte-exact.
        long size = 8L * 1024 * 1024;
        Asset whole = acme.assets().create(NewAsset.of(AssetType.FILE, "cut.bin", "application/octet-stream").clientKey("upload-1"),
                Generated.of(size));
        assertThat(verifyGenerated(acme.assets().open(whole.id()))).isEqualTo(size);
        assertThat(blobFiles()).hasSize(1);
    }

    @Test
    void retentionRunWhileAnUploadIsInFlightLeavesTheUploadWhole() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Asset old = acme.assets().create(NewAsset.of(AssetType.FILE, "old.bin", "application/octet-stream"), new byte[] {1, 2, 3});
        acme.assets().delete(old.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        long size = 4L * 1024 * 1024;
        CountDownLatch half = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Asset> upload = pool.submit(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "live.bin", "application/octet-stream"),
                    new Generated(size, -1, half, resume)));
            assertThat(half.await(60, TimeUnit.SECONDS)).isTrue();
            var report = acme.retention().runRetention(RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1))
                    .purgeDetachedExecutionsAfter(Duration.ofDays(1)));
            resume.countDown();
            Asset live = upload.get(60, TimeUnit.SECONDS);
            // Only the soft-deleted asset and its bytes: the upload in flight has no row yet and its bytes are not counted.
            assertThat(report.counts()).isEqualTo(Map.of("assets.deleted", 1L, "asset_blobs.deleted", 1L));
            assertThat(acme.assets().get(old.id())).isEmpty();
            assertThat(verifyGenerated(acme.assets().open(live.id()))).isEqualTo(size);
            assertThat(blobFiles()).hasSize(1);
        } finally {
            resume.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void revisionsPublishedFromTwoInstancesAtOnceAreNumberedWithoutGapOrDuplicate() throws Exception {
        Tenant acme = atlas.tenant("acme");
        var bot = acme.assistants().create(AssistantSpec.of("support", "Support bot"));
        Atlas other = reopen(b -> b.clock(clock));
        Tenant acme2 = other.tenant("acme");
        int each = 10;
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<List<Integer>>> runs = new ArrayList<>();
            for (Tenant t : List.of(acme, acme2)) {
                runs.add(pool.submit(() -> {
                    start.await(60, TimeUnit.SECONDS);
                    List<Integer> numbers = new ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        numbers.add(t.assistants().publish(bot.id(), NewRevision.of("prompt " + t.atlas().hashCode() + "/" + i, Map.of("i", i)))
                                .number());
                    }
                    return numbers;
                }));
            }
            List<Integer> all = new ArrayList<>();
            for (Future<List<Integer>> r : runs) {
                List<Integer> mine = r.get(120, TimeUnit.SECONDS);
                assertThat(mine).isSorted();
                all.addAll(mine);
            }
            assertThat(all).containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 2 * each).boxed().toList());
        } finally {
            pool.shutdownNow();
        }
        assertThat(acme.assistants().revisions(bot.id())).extracting(AssistantRevision::number)
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 2 * each).boxed().toList());
        assertThat(acme.assistants().currentRevision(bot.id())).map(AssistantRevision::number).contains(2 * each);
        // Another tenant can neither publish to nor read this assistant.
        Tenant globex = atlas.tenant("globex");
        Throwable publish = catchThrowable(() -> globex.assistants().publish(bot.id(), NewRevision.of("hijack", Map.of())));
        assertThat(describe(publish)).startsWith("NotFoundException");
        assertThat(publish.getMessage()).doesNotContain("acme").doesNotContain("support");
        Throwable read = catchThrowable(() -> globex.assistants().revisions(bot.id()));
        assertThat(describe(read)).startsWith("NotFoundException");
        assertThat(read.getMessage()).doesNotContain("acme").doesNotContain("support");
        assertThat(acme.assistants().revisions(bot.id())).hasSize(2 * each);
        assertThat(outcome(() -> acme.assistants().publish(bot.id(), NewRevision.of("a\u0000b", Map.of()))))
                .isEqualTo("InvalidInputException on systemPrompt");
        assertThat(outcome(() -> acme.assistants().publish(bot.id(), NewRevision.of("a\uD800b", Map.of()))))
                .isEqualTo("InvalidInputException on systemPrompt");
        assertThat(acme.assistants().revisions(bot.id())).hasSize(2 * each);
    }

    @Test
    void aKeyRotatedWhileAnotherThreadDecryptsNeverYieldsAWrongOrMissingSecret() throws Exception {
        Owner user = Owner.of("user", "42");
        Tenant acme = atlas.tenant("acme");
        int count = 50;
        for (int i = 0; i < count; i++) {
            acme.credentials().upsert(user, "svc-" + i, "sk-" + i + "-\u00e9\uD83D\uDE00");
        }
        Atlas rotated = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k1", K1).with("k2", K2).primary("k2")));
        Atlas reader = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k1", K1).with("k2", K2)));
        CountDownLatch reading = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> reads = pool.submit(() -> {
                int n = 0;
                for (int round = 0; round < 3; round++) {
                    for (int i = 0; i < count; i++) {
                        String s = reader.tenant("acme").credentials().get(user, "svc-" + i).orElseThrow().reveal();
                        assertThat(s).isEqualTo("sk-" + i + "-\u00e9\uD83D\uDE00");
                        n++;
                        reading.countDown();
                    }
                }
                return n;
            });
            assertThat(reading.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(rotated.tenant("acme").credentials().reEncrypt()).isEqualTo(count);
            assertThat(reads.get(120, TimeUnit.SECONDS)).isEqualTo(3 * count);
        } finally {
            pool.shutdownNow();
        }
        Atlas onlyK2 = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k2", K2)));
        for (int i = 0; i < count; i++) {
            assertThat(onlyK2.tenant("acme").credentials().get(user, "svc-" + i).orElseThrow().reveal())
                    .isEqualTo("sk-" + i + "-\u00e9\uD83D\uDE00");
        }
        // Another tenant: same owner and name read nothing; hostile names are refused by field.
        assertThat(atlas.tenant("globex").credentials().get(user, "svc-0")).isEmpty();
        assertThat(outcome(() -> acme.credentials().upsert(user, "a\u0000b", "x"))).startsWith("InvalidInputException on name");
        assertThat(outcome(() -> acme.credentials().upsert(user, "svc", "x\uDC00"))).isEqualTo("InvalidInputException on secret");
    }

    @Test
    void aTranscriptCheckpointedWithDuplicateAndOutOfOrderTurnsReadsBackAsLastWritten() {
        Tenant acme = atlas.tenant("acme");
        VoiceCall call = acme.voiceCalls().start(NewVoiceCall.of("sess-1", "openai", "gpt-4o-realtime"));
        List<VoiceTurn> first = List.of(VoiceTurn.user("hello"), VoiceTurn.assistant("hi"), VoiceTurn.assistant("hi"));
        acme.voiceCalls().checkpoint(call.id(), first);
        acme.voiceCalls().checkpoint(call.id(), first);
        // A late, older segment arriving after a newer one: the docs say the last checkpoint wins.
        List<VoiceTurn> older = List.of(VoiceTurn.assistant("hi"), VoiceTurn.user("hello"));
        assertThat(acme.voiceCalls().checkpoint(call.id(), older).transcript()).isEqualTo(older);
        assertThat(acme.voiceCalls().require(call.id()).transcript()).isEqualTo(older);
        List<VoiceTurn> last = List.of(VoiceTurn.user("hello \"\\\n\t\u0001"), VoiceTurn.assistant("\uD83D\uDE00 bye"));
        VoiceCall done = acme.voiceCalls().complete(call.id(), last);
        assertThat(done.transcript()).isEqualTo(last);
        assertThat(acme.voiceCalls().require(call.id()).transcript()).isEqualTo(last);
        assertThat(outcome(() -> acme.voiceCalls().checkpoint(call.id(), first))).startsWith("ConflictException")
                .isNotEqualTo("no exception");
        assertThat(acme.voiceCalls().require(call.id()).transcript()).isEqualTo(last);
        assertThat(outcome(() -> VoiceTurn.user("a\u0000b"))).isEqualTo("InvalidInputException on content");
        assertThat(outcome(() -> VoiceTurn.user("a\uDFFFb"))).isEqualTo("InvalidInputException on content");
        // Another tenant's id on a write and a read.
        Tenant globex = atlas.tenant("globex");
        VoiceCall theirs = globex.voiceCalls().start(NewVoiceCall.of("sess-1", "openai", "gpt-4o-realtime"));
        Throwable write = catchThrowable(() -> acme.voiceCalls().checkpoint(theirs.id(), first));
        assertThat(describe(write)).startsWith("NotFoundException");
        assertThat(write.getMessage()).doesNotContain("globex");
        assertThat(acme.voiceCalls().get(theirs.id())).isEmpty();
        assertThat(globex.voiceCalls().require(theirs.id()).transcript()).isEmpty();
        assertThat(acme.voiceCalls().bySession("sess-1")).extracting(VoiceCall::id).containsExactly(call.id());
    }

    @Test
    void anExecutionWithAThousandToolCallsKeepsEveryOneInOrder() {
        Tenant acme = atlas.tenant("acme");
        int calls = 1000;
        UUID id = acme.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            StepHandle step = exec.step();
            for (int i = 0; i < calls; i++) {
                step.toolCall("call_" + i, i % 2 == 0 ? "lookup" : "search", "{\"i\":" + i + "}").complete("{\"ok\":" + i + "}");
            }
            step.finish(null, FinishReason.TOOL_CALLS);
            exec.step().finish("done", FinishReason.STOP);
            return exec.id();
        });
        ExecutionTree tree = acme.executions().tree(id).orElseThrow();
        assertThat(tree.steps()).hasSize(2);
        ExecutionStep first = tree.steps().get(0);
        assertThat(first.toolCalls()).hasSize(calls);
        for (int i = 0; i < calls; i++) {
            ToolCall c = first.toolCalls().get(i);
            assertThat(c.providerCallId()).isEqualTo("call_" + i);
            assertThat(c.arguments()).isEqualTo("{\"i\":" + i + "}");
            assertThat(c.result()).isEqualTo("{\"ok\":" + i + "}");
        }
        List<ToolCall> lookups = new ArrayList<>();
        String cursor = null;
        do {
            var page = acme.executions().toolCalls(ToolCallQuery.forTool("lookup").limit(100).after(cursor));
            lookups.addAll(page.items());
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(lookups).hasSize(calls / 2);
        assertThat(lookups).extracting(ToolCall::id).doesNotHaveDuplicates();
        assertThat(atlas.tenant("globex").executions().tree(id)).isEmpty();
        assertThat(atlas.tenant("globex").executions().toolCalls(ToolCallQuery.forTool("lookup")).items()).isEmpty();
    }

    @Test
    void hostileValuesOnSettingsAssistantsAssetsAndToolQueries() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        var settings = acme.settings().create("prefs", "Preferences", null);
        Map<String, Object> values = new java.util.LinkedHashMap<>();
        values.put("max", Long.MAX_VALUE);
        values.put("text", "\u00e9\uD83D\uDE00 \"quote\" \\ \n");
        var r1 = acme.settings().publish(settings.id(), values, "v1", null);
        assertThat(r1.number()).isEqualTo(1);
        var read = acme.settings().getRevision(settings.id(), 1).orElseThrow().values();
        // A fraction that would not read back exactly is refused, naming the field, and nothing is published.
        assertThat(outcome(() -> acme.settings().publish(settings.id(), Map.of("big", new java.math.BigDecimal("123456789012345678901234567890.123456789")),
                null, null))).startsWith("InvalidInputException on values");
        assertThat(((Number) read.get("max")).longValue()).isEqualTo(Long.MAX_VALUE);
        assertThat(read.get("text")).isEqualTo("\u00e9\uD83D\uDE00 \"quote\" \\ \n");
        assertThat(outcome(() -> acme.settings().publish(settings.id(), Map.of("k", "a\u0000b"), null, null)))
                .startsWith("InvalidInputException on values");
        assertThat(outcome(() -> acme.settings().publish(settings.id(), Map.of("k\uD800", "x"), null, null)))
                .startsWith("InvalidInputException on values");
        assertThat(outcome(() -> acme.settings().publish(settings.id(), Map.of("k", Double.NaN), null, null)))
                .startsWith("InvalidInputException on values");
        Object deep = "leaf";
        for (int i = 0; i < 5000; i++) {
            deep = List.of(deep);
        }
        Object deepest = deep;
        assertThat(outcome(() -> acme.settings().publish(settings.id(), Map.of("k", deepest), null, null)))
                .startsWith("InvalidInputException on values");
        assertThat(outcome(() -> acme.settings().publish(settings.id(), Map.of("k", "x"), "l\u0000", null)))
                .startsWith("InvalidInputException on label");
        Throwable theirs = catchThrowable(() -> globex.settings().publish(settings.id(), Map.of("k", "x"), null, null));
        assertThat(describe(theirs)).startsWith("NotFoundException");
        assertThat(theirs.getMessage()).doesNotContain("acme").doesNotContain("prefs");
        assertThat(globex.settings().getRevision(settings.id(), 1)).isEmpty();
        assertThat(acme.settings().getRevision(settings.id(), 2)).isEmpty();

        assertThat(outcome(() -> AssistantSpec.of("bot", "Bot").temperature(new java.math.BigDecimal("1E+400"))))
                .startsWith("InvalidInputException on temperature");
        assertThat(outcome(() -> acme.assistants().create(AssistantSpec.of("bot", "B\u0000ot")))).startsWith("InvalidInputException on name");
        assertThat(outcome(() -> acme.assistants().create(AssistantSpec.of("bot", "Bot").tools(List.of("a\uDC00")))))
                .startsWith("InvalidInputException on tools");
        var bot = acme.assistants().create(AssistantSpec.of("bot", "Bot"));
        assertThat(outcome(() -> acme.assistants().publish(bot.id(), NewRevision.of("p", Map.of("k", deepest)))))
                .startsWith("InvalidInputException on settings");
        assertThat(acme.assistants().revisions(bot.id())).isEmpty();

        assertThat(outcome(() -> NewAsset.of(AssetType.FILE, "a\u0000.bin", "application/octet-stream"))).startsWith("InvalidInputException on filename");
        assertThat(outcome(() -> NewAsset.of(AssetType.FILE, "a\uD800.bin", "application/octet-stream"))).startsWith("InvalidInputException on filename");
        Asset mine = acme.assets().create(NewAsset.of(AssetType.FILE, "a.bin", "application/octet-stream")
                .metadata(Map.of("big", new java.math.BigDecimal("1e-30"))), new byte[] {0, 1, 2});
        assertThat(acme.assets().getBySha256(mine.sha256().toUpperCase(java.util.Locale.ROOT))).map(Asset::id).contains(mine.id());
        assertThat(outcome(() -> acme.assets().getBySha256("%"))).startsWith("InvalidInputException on sha256");
        var convo = globex.conversations().create(dev.atlas.conversation.NewConversation.of(Owner.of("user", "1"), "support"));
        var msg = globex.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("hi"));
        Throwable attach = catchThrowable(() -> acme.assets().attach(msg.id(), mine.id(), Map.of()));
        assertThat(describe(attach)).startsWith("NotFoundException on message");
        assertThat(attach.getMessage()).doesNotContain("globex");
        Throwable attach2 = catchThrowable(() -> globex.assets().attach(msg.id(), mine.id(), Map.of()));
        assertThat(describe(attach2)).startsWith("NotFoundException on asset");
        assertThat(globex.assets().forMessage(msg.id())).isEmpty();
        Throwable delete = catchThrowable(() -> globex.assets().delete(mine.id()));
        assertThat(describe(delete)).startsWith("NotFoundException");
        assertThat(acme.assets().require(mine.id()).isDeleted()).isFalse();

        acme.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            StepHandle step = exec.step();
            step.toolCall("c1", "lookup", "{}").complete("{}");
            step.finish(null, FinishReason.STOP);
            return null;
        });
        assertThat(acme.executions().toolCalls(ToolCallQuery.forTool("look%")).items()).isEmpty();
        assertThat(acme.executions().toolCalls(ToolCallQuery.forTool("look_p")).items()).isEmpty();
        assertThat(acme.executions().toolCalls(ToolCallQuery.forTool("lookup")).items()).hasSize(1);
        assertThat(outcome(() -> acme.voiceCalls().start(NewVoiceCall.of("s\u0000", "openai", "m")))).startsWith("InvalidInputException on sessionId");
        acme.voiceCalls().start(NewVoiceCall.of("sess_1", "openai", "m"));
        assertThat(acme.voiceCalls().bySession("sess%")).isEmpty();
        assertThat(acme.voiceCalls().bySession("sessx1")).isEmpty();
    }

    @Test
    void orphanCleanupDuringAnUploadLeavesNeitherARowNorBytes() throws Exception {
        Tenant acme = atlas.tenant("acme");
        long size = 2L * 1024 * 1024;
        CountDownLatch half = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Asset> upload = pool.submit(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "live.bin", "application/octet-stream")
                    .clientKey("up-1"), new Generated(size, -1, half, resume)));
            assertThat(half.await(60, TimeUnit.SECONDS)).isTrue();
            clock.set(clock.instant().plus(Duration.ofHours(1)));
            acme.assets().cleanupOrphanBlobs(Duration.ZERO);
            resume.countDown();
            Throwable failed = catchThrowable(() -> upload.get(60, TimeUnit.SECONDS));
            assertThat(failed).isInstanceOf(java.util.concurrent.ExecutionException.class).cause().isInstanceOf(StorageException.class);
        } finally {
            resume.countDown();
            pool.shutdownNow();
        }
        // The failed upload removed its own bytes: no second cleanup needed.
        assertThat(blobFiles()).isEmpty();
        assertThat(acme.assets().cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
        // The retry with the same client key stores the bytes whole.
        Asset again = acme.assets().create(NewAsset.of(AssetType.FILE, "live.bin", "application/octet-stream").clientKey("up-1"),
                Generated.of(size));
        assertThat(verifyGenerated(acme.assets().open(again.id()))).isEqualTo(size);
        assertThat(blobFiles()).hasSize(1);
        // Another tenant's delete of this tenant's credential finds none and removes nothing.
        Owner user = Owner.of("user", "42");
        acme.credentials().upsert(user, "openai", "sk-acme");
        Throwable delete = catchThrowable(() -> atlas.tenant("globex").credentials().delete(user, "openai"));
        assertThat(describe(delete)).isEqualTo("NotFoundException on name");
        assertThat(delete.getMessage()).doesNotContain("acme");
        assertThat(acme.credentials().get(user, "openai").orElseThrow().reveal()).isEqualTo("sk-acme");
    }
}
