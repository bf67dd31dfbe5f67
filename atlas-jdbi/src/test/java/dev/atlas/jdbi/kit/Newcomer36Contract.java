package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallStatus;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/, across assets, voice transcripts and executions:
 * the same bytes under two names, an asset deleted while a message holds it, a read racing a purge,
 * transcripts rewritten out of order and a call lasting over a year, a 20-step tool loop with a
 * failed step, streamed usage reported twice, costs at unusual prices, a conversation erased
 * mid-loop and two instances claiming one queued execution; another tenant's ids and hostile text
 * on every call.
 */
public abstract class Newcomer36Contract extends AtlasContract {
    private Path dir;

    protected Newcomer36Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            dir = Files.createTempDirectory("atlas-newcomer36");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return super.configure(builder).blobStore(new LocalDirectoryBlobStore(dir.resolve("blobs")));
    }

    @AfterEach
    void removeDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
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

    /** The exception's type and the field it names: what a caller can act on. */
    private static String describe(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field()
                : t instanceof NotFoundException n ? n.field().orElse("-")
                : t instanceof ConflictException c ? c.field()
                : t instanceof IllegalTransitionException x ? x.field() : "?";
        return t.getClass().getSimpleName() + " on " + field;
    }

    private static String outcome(Runnable call) {
        return describe(catchThrowable(call::run));
    }

    /** A refusal of another tenant's id must read as one of an id that exists nowhere: nothing of the owner leaks. */
    private static void revealsNothing(Runnable foreign, Runnable unknown, UUID foreignId, UUID unknownId) {
        Throwable a = catchThrowable(foreign::run);
        Throwable b = catchThrowable(unknown::run);
        assertThat(describe(a)).isEqualTo(describe(b)).startsWith("NotFoundException");
        assertThat(a.getMessage().replace(foreignId.toString(), "<id>")).isEqualTo(b.getMessage().replace(unknownId.toString(), "<id>"));
        assertThat(a.getMessage()).doesNotContain("acme");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- assets ----------------------------------------------------------------------------

    @Test
    @DisplayName("The same bytes under two names are two assets with their own bytes: purging one leaves the other readable byte-exact")
    void sameBytesUnderTwoNames() throws Exception {
        Tenant acme = atlas.tenant("acme");
        byte[] content = bytes("same bytes \u0000 twice");
        Asset first = acme.assets().create(NewAsset.of(AssetType.FILE, "résumé 📄.txt", "text/plain; charset=utf-8"), content);
        clock.set(clock.instant().plus(Duration.ofMillis(1)));
        Asset second = acme.assets().create(NewAsset.of(AssetType.FILE, "copy.txt", "text/plain"), content);
        assertThat(second.id()).isNotEqualTo(first.id());
        assertThat(second.sha256()).isEqualTo(first.sha256());
        assertThat(second.blobKey()).isNotEqualTo(first.blobKey());
        assertThat(acme.assets().require(first.id()).filename()).isEqualTo("résumé 📄.txt");
        assertThat(acme.assets().getBySha256(first.sha256().toUpperCase())).map(Asset::id).contains(first.id());
        assertThat(atlas.tenant("globex").assets().getBySha256(first.sha256())).isEmpty();

        acme.assets().delete(first.id());
        assertThat(acme.assets().getBySha256(first.sha256())).map(Asset::id).contains(second.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        var report = acme.retention().runRetention(RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1)));
        assertThat(report.counts()).isEqualTo(Map.of("assets.deleted", 1L, "asset_blobs.deleted", 1L));
        try (InputStream in = acme.assets().open(second.id())) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(blobFiles()).hasSize(1);
        assertThat(outcome(() -> acme.assets().open(first.id()))).isEqualTo("NotFoundException on -");
    }

    @Test
    @DisplayName("Names and content types with NUL, lone surrogates, paths and header injection are refused naming the field, nothing stored")
    void hostileNamesAndContentTypes() throws Exception {
        Tenant acme = atlas.tenant("acme");
        byte[] b = bytes("x");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "a\u0000b.txt", "text/plain"), b))).isEqualTo("InvalidInputException on filename");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "\uD800.png", "image/png"), b))).isEqualTo("InvalidInputException on filename");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "../../etc/passwd", "text/plain"), b))).isEqualTo("InvalidInputException on filename");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "..", "text/plain"), b))).isEqualTo("InvalidInputException on filename");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "C:\\x.txt", "text/plain"), b))).isEqualTo("InvalidInputException on filename");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "a\r\nSet-Cookie: x.txt", "text/plain"), b))).isEqualTo("InvalidInputException on filename");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "a.png", "image/png\u0000"), b))).isEqualTo("InvalidInputException on mimeType");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "a.png", "image/png\r\nX-Evil: 1"), b))).isEqualTo("InvalidInputException on mimeType");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "a.png", "image/\uD800"), b))).isEqualTo("InvalidInputException on mimeType");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "a.png", "image/png").description("d\uDFFF"), b))).isEqualTo("InvalidInputException on description");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "a.png", "image/png").metadata(Map.of("k\u0000", 1)), b))).startsWith("InvalidInputException on metadata");
        assertThat(outcome(() -> acme.assets().create(NewAsset.of(AssetType.FILE, "a.png", "image/png").clientKey("k\uD800"), b))).isEqualTo("InvalidInputException on clientKey");
        assertThat(blobFiles()).isEmpty();
        assertThat(acme.assets().cleanupOrphanBlobs(Duration.ZERO).removedKeys()).isEmpty();
    }

    @Test
    @DisplayName("An asset deleted while a message holds it leaves the message's list; another tenant's ids on every asset call reveal nothing")
    void deletedAttachedAssetAndAnotherTenantsIds() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        Message msg = acme.conversations().append(convo.id(), NewMessage.user("see attached"));
        Asset png = acme.assets().create(NewAsset.of(AssetType.IMAGE, "chart.png", "image/png"), new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        Asset pdf = acme.assets().create(NewAsset.of(AssetType.FILE, "empty.pdf", "application/pdf"), new byte[0]);
        acme.assets().attach(msg.id(), png.id(), Map.of("n", 1));
        acme.assets().attach(msg.id(), pdf.id(), Map.of("n", 2));
        acme.assets().delete(png.id());
        assertThat(acme.assets().forMessage(msg.id())).extracting(a -> a.asset().id()).containsExactly(pdf.id());
        // Still attached: discard is refused until it is detached.
        assertThat(outcome(() -> acme.assets().discard(png.id()))).isEqualTo("ConflictException on assetId");
        assertThat(acme.assets().detach(msg.id(), png.id())).isTrue();
        acme.assets().discard(png.id());
        assertThat(outcome(() -> acme.assets().open(png.id()))).isEqualTo("NotFoundException on -");

        Conversation theirs = globex.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        Message theirMsg = globex.conversations().append(theirs.id(), NewMessage.user("mine"));
        Asset theirAsset = globex.assets().create(NewAsset.of(AssetType.FILE, "g.txt", "text/plain"), bytes("g"));
        UUID unknown = UUID.randomUUID();
        revealsNothing(() -> globex.assets().open(pdf.id()), () -> globex.assets().open(unknown), pdf.id(), unknown);
        revealsNothing(() -> globex.assets().delete(pdf.id()), () -> globex.assets().delete(unknown), pdf.id(), unknown);
        revealsNothing(() -> globex.assets().discard(pdf.id()), () -> globex.assets().discard(unknown), pdf.id(), unknown);
        revealsNothing(() -> globex.assets().attach(theirMsg.id(), pdf.id(), Map.of()), () -> globex.assets().attach(theirMsg.id(), unknown, Map.of()),
                pdf.id(), unknown);
        revealsNothing(() -> globex.assets().attach(msg.id(), theirAsset.id(), Map.of()), () -> globex.assets().attach(unknown, theirAsset.id(), Map.of()),
                msg.id(), unknown);
        revealsNothing(() -> globex.assets().detach(msg.id(), pdf.id()), () -> globex.assets().detach(unknown, pdf.id()), msg.id(), unknown);
        revealsNothing(() -> globex.assets().forMessage(msg.id()), () -> globex.assets().forMessage(unknown), msg.id(), unknown);
        // Writes naming another tenant's execution store nothing, not even bytes.
        Execution run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o")).complete();
        int files = blobFiles().size();
        revealsNothing(() -> globex.assets().create(NewAsset.of(AssetType.FILE, "x.txt", "text/plain").execution(run.id(), null), bytes("x")),
                () -> globex.assets().create(NewAsset.of(AssetType.FILE, "x.txt", "text/plain").execution(unknown, null), bytes("x")), run.id(), unknown);
        assertThat(blobFiles()).hasSize(files);
        assertThat(globex.assets().get(pdf.id())).isEmpty();
        assertThat(acme.assets().forMessage(msg.id())).extracting(a -> a.asset().id()).containsExactly(pdf.id());
        try (InputStream in = acme.assets().open(pdf.id())) {
            assertThat(in.readAllBytes()).isEmpty();
        }
    }

    @Test
    @DisplayName("A part of one message that another owner's message also holds stays for that message, bytes and all, when retention"
            + " deletes the first message or purges its conversation; a dry run counts the same; a part nobody else holds goes")
    void aPartAttachedElsewhereStaysForTheOtherMessage() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Conversation alices = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Conversation bobs = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message inline = acme.conversations().append(alices.id(), NewMessage.user("an inline image"));
        Message forwarded = acme.conversations().append(bobs.id(), NewMessage.user("the image, forwarded"));
        byte[] png = bytes("png \u0000 bytes");
        Asset image = acme.assets().create(NewAsset.of(AssetType.IMAGE, "i.png", "image/png"), png);
        Asset alone = acme.assets().create(NewAsset.of(AssetType.IMAGE, "alone.png", "image/png"), bytes("alone"));
        acme.assets().attachPart(inline.id(), image.id());
        acme.assets().attachPart(inline.id(), alone.id());
        acme.assets().attach(forwarded.id(), image.id(), Map.of("fwd", true));
        acme.conversations().deleteMessage(inline.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy hardDelete = RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(1));
        Map<String, Long> expected = Map.of("messages.deleted", 1L, "assets.deleted", 1L, "asset_blobs.deleted", 1L,
                "message_assets.deleted", 2L);
        assertThat(acme.retention().runRetention(hardDelete.dryRun(true)).counts()).containsAllEntriesOf(expected)
                .doesNotContainKey("vectors.deleted");
        assertThat(acme.retention().runRetention(hardDelete).counts()).containsAllEntriesOf(expected);
        assertThat(acme.assets().get(alone.id())).isEmpty();
        assertThat(acme.assets().forMessage(forwarded.id())).extracting(a -> a.asset().id(), a -> a.attachmentMetadata())
                .containsExactly(org.assertj.core.groups.Tuple.tuple(image.id(), Map.of("fwd", true)));
        try (InputStream in = acme.assets().open(image.id())) {
            assertThat(in.readAllBytes()).isEqualTo(png);
        }
        assertThat(blobFiles()).hasSize(1);

        // The same through a purge of the whole conversation holding it as a part.
        Conversation carols = acme.conversations().create(NewConversation.of(Owner.user("carol"), "x"));
        Message again = acme.conversations().append(carols.id(), NewMessage.user("inline again"));
        acme.assets().attachPart(again.id(), image.id());
        acme.conversations().archive(carols.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1));
        Map<String, Long> purged = Map.of("conversations.deleted", 1L, "messages.deleted", 1L, "message_assets.deleted", 1L);
        assertThat(acme.retention().runRetention(purge.dryRun(true)).counts()).containsAllEntriesOf(purged).doesNotContainKey("assets.deleted");
        assertThat(acme.retention().runRetention(purge).counts()).containsAllEntriesOf(purged).doesNotContainKey("assets.deleted");
        assertThat(acme.assets().forMessage(forwarded.id())).extracting(a -> a.asset().id()).containsExactly(image.id());
        try (InputStream in = acme.assets().open(image.id())) {
            assertThat(in.readAllBytes()).isEqualTo(png);
        }
    }

    @Test
    @DisplayName("A read that opened an asset before a purge deleted it reads the whole bytes; the next open is NotFoundException and no bytes stay")
    void readingWhileAPurgeDeletesTheAsset() throws Exception {
        Tenant acme = atlas.tenant("acme");
        byte[] content = new byte[256 * 1024];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31 + 7);
        }
        Asset a = acme.assets().create(NewAsset.of(AssetType.FILE, "big.bin", "application/octet-stream"), new ByteArrayInputStream(content));
        InputStream in = acme.assets().open(a.id());
        byte[] head = in.readNBytes(1000);
        acme.assets().delete(a.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        var report = acme.retention().runRetention(RetentionPolicy.none().purgeDeletedAssetsAfter(Duration.ofDays(1)));
        assertThat(report.counts()).isEqualTo(Map.of("assets.deleted", 1L, "asset_blobs.deleted", 1L));
        byte[] rest = in.readAllBytes();
        in.close();
        byte[] all = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, all, head.length, rest.length);
        assertThat(all).isEqualTo(content);
        assertThat(outcome(() -> acme.assets().open(a.id()))).isEqualTo("NotFoundException on -");
        assertThat(blobFiles()).isEmpty();
    }

    // ---- voice calls -----------------------------------------------------------------------

    @Test
    @DisplayName("A transcript rewritten out of order reads back as written; a call lasting over a year has its exact duration; another tenant's call is not found on reads and writes")
    void voiceTranscriptsAndAnotherTenantsCall() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "voice"));
        VoiceCall call = acme.voiceCalls().start(NewVoiceCall.of("rt_\u00e9\uD83D\uDE00", "openai", "gpt-realtime").conversation(convo.id())
                .metadata(Map.of("n", new java.math.BigInteger("1" + "0".repeat(40)))));
        List<VoiceTurn> late = List.of(VoiceTurn.assistant("second \uD83D\uDE00"), VoiceTurn.user("first"), VoiceTurn.user("first"), VoiceTurn.assistant(""));
        acme.voiceCalls().checkpoint(call.id(), late);
        assertThat(acme.voiceCalls().require(call.id()).transcript()).isEqualTo(late);
        // A shorter, older transcript after it: the last write wins, whole.
        acme.voiceCalls().checkpoint(call.id(), List.of(VoiceTurn.user("first")));
        assertThat(acme.voiceCalls().require(call.id()).transcript()).containsExactly(VoiceTurn.user("first"));

        assertThat(outcome(() -> VoiceTurn.user("a\u0000b"))).isEqualTo("InvalidInputException on content");
        assertThat(outcome(() -> VoiceTurn.user("a\uD800b"))).isEqualTo("InvalidInputException on content");
        assertThat(outcome(() -> acme.voiceCalls().summarize(call.id(), "s\uDC00"))).isEqualTo("InvalidInputException on summary");
        assertThat(outcome(() -> NewVoiceCall.of("s\u0000", "openai", "m"))).isEqualTo("InvalidInputException on sessionId");

        UUID unknown = UUID.randomUUID();
        List<VoiceTurn> theirs = List.of(VoiceTurn.user("globex writes here"));
        revealsNothing(() -> globex.voiceCalls().checkpoint(call.id(), theirs), () -> globex.voiceCalls().checkpoint(unknown, theirs), call.id(), unknown);
        revealsNothing(() -> globex.voiceCalls().complete(call.id(), theirs), () -> globex.voiceCalls().complete(unknown, theirs), call.id(), unknown);
        revealsNothing(() -> globex.voiceCalls().fail(call.id()), () -> globex.voiceCalls().fail(unknown), call.id(), unknown);
        revealsNothing(() -> globex.voiceCalls().summarize(call.id(), "x"), () -> globex.voiceCalls().summarize(unknown, "x"), call.id(), unknown);
        revealsNothing(() -> globex.voiceCalls().start(NewVoiceCall.of("s", "openai", "m").conversation(convo.id())),
                () -> globex.voiceCalls().start(NewVoiceCall.of("s", "openai", "m").conversation(unknown)), convo.id(), unknown);
        assertThat(globex.voiceCalls().get(call.id())).isEmpty();
        assertThat(globex.voiceCalls().bySession(call.sessionId())).isEmpty();
        assertThat(globex.voiceCalls().list(dev.atlas.voice.VoiceCallQuery.all()).items()).isEmpty();

        Duration long_ = Duration.ofDays(400).plusMillis(123);
        clock.set(clock.instant().plus(long_));
        VoiceCall done = acme.voiceCalls().complete(call.id(), List.of(VoiceTurn.user("first"), VoiceTurn.assistant("bye")));
        assertThat(done.status()).isEqualTo(VoiceCallStatus.COMPLETED);
        assertThat(done.durationMs()).isEqualTo(long_.toMillis());
        assertThat(acme.voiceCalls().require(call.id())).isEqualTo(done);
        assertThat(done.metadata()).isEqualTo(Map.of("n", new java.math.BigInteger("1" + "0".repeat(40))));
        assertThat(outcome(() -> acme.voiceCalls().complete(call.id(), List.of()))).isEqualTo("IllegalTransitionException on status");
    }

    @Test
    @DisplayName("A voice call started without an owner belongs to whom its conversation or execution belongs, so erasing that owner"
            + " takes it with its transcript; a call given another owner stays, unlinked")
    void aVoiceCallWithoutAnOwnerGoesWithTheOwnerItWasFor() {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Owner bob = Owner.user("bob");
        Conversation hers = acme.conversations().create(NewConversation.of(alice, "voice"));
        Conversation his = acme.conversations().create(NewConversation.of(bob, "voice"));
        Execution loose = acme.executions().start(ExecutionSpec.text("openai", "rt").owner(alice)).complete();
        Execution inHers = acme.executions().start(ExecutionSpec.text("openai", "rt").conversation(hers.id())).complete();
        var voice = acme.voiceCalls();
        VoiceCall onLoose = voice.start(NewVoiceCall.of("s1", "openai", "rt").execution(loose.id()));
        VoiceCall onInHers = voice.start(NewVoiceCall.of("s2", "openai", "rt").execution(inHers.id()));
        VoiceCall inHerConversation = voice.start(NewVoiceCall.of("s3", "openai", "rt").conversation(hers.id()));
        // Where it took place first: in Bob's conversation on her execution it is his.
        VoiceCall inHisOnHers = voice.start(NewVoiceCall.of("s4", "openai", "rt").conversation(his.id()).execution(loose.id()));
        VoiceCall givenBob = voice.start(NewVoiceCall.of("s5", "openai", "rt").owner(bob).execution(loose.id()));
        VoiceCall nobodys = voice.start(NewVoiceCall.of("s6", "openai", "rt"));
        assertThat(List.of(onLoose, onInHers, inHerConversation, inHisOnHers, givenBob, nobodys)).extracting(VoiceCall::owner)
                .containsExactly(alice, alice, alice, bob, bob, null);
        assertThat(voice.require(onLoose.id()).owner()).isEqualTo(alice);
        voice.complete(onLoose.id(), List.of(VoiceTurn.user("my voice, my words")));

        var counts = acme.portability().eraseOwner(alice, false).counts();
        assertThat(counts).containsEntry("voice_calls", 3L).containsEntry("voice_calls_unlinked", 2L);
        assertThat(voice.get(onLoose.id())).isEmpty();
        assertThat(voice.get(onInHers.id())).isEmpty();
        assertThat(voice.get(inHerConversation.id())).isEmpty();
        assertThat(voice.require(inHisOnHers.id()).executionId()).isNull();
        assertThat(voice.require(givenBob.id()).executionId()).isNull();
        assertThat(voice.require(nobodys.id()).owner()).isNull();
    }

    @Test
    @DisplayName("An asset produced by an execution without a conversation belongs to the execution's owner unless given one")
    void anAssetOfAnOwnersLooseExecutionIsTheirs() {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Conversation bobs = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Execution loose = acme.executions().start(ExecutionSpec.text("openai", "img").owner(alice)).complete();
        Execution inBobs = acme.executions().start(ExecutionSpec.text("openai", "img").conversation(bobs.id())).complete();
        Execution nobodys = acme.executions().start(ExecutionSpec.text("openai", "img")).complete();
        NewAsset png = NewAsset.of(AssetType.IMAGE, "a.png", "image/png");
        assertThat(acme.assets().create(png.execution(loose.id(), null), bytes("a")).owner()).isEqualTo(alice);
        assertThat(acme.assets().create(png.execution(inBobs.id(), null), bytes("b")).owner()).isEqualTo(Owner.user("bob"));
        assertThat(acme.assets().create(png.execution(nobodys.id(), null), bytes("c")).owner()).isNull();
        assertThat(acme.assets().create(png.execution(loose.id(), null).owner(Owner.user("carol")), bytes("d")).owner())
                .isEqualTo(Owner.user("carol"));
    }

    // ---- executions ------------------------------------------------------------------------

    @Test
    @DisplayName("A 20-step tool loop with a failed step keeps every step and call in order, bills the finished steps exactly and replays only complete rounds")
    void twentyStepToolLoopWithAFailedStep() {
        Tenant acme = atlas.tenant("acme");
        // Unusual prices: the smallest a price may be, and 6 decimals just under a million.
        acme.prices().create(ModelPrice.of("openai", "o-loop", "0.000001", "999999.999999", Instant.parse("2026-01-01T00:00:00Z")));
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(convo.id(), NewMessage.user("loop please"));
        UUID[] id = new UUID[1];
        String answer = acme.executions().record(ExecutionSpec.text("openai", "o-loop").conversation(convo.id()), exec -> {
            id[0] = exec.id();
            StepHandle last = null;
            for (int i = 1; i <= 20; i++) {
                StepHandle step = exec.step();
                assertThat(step.sequence()).isEqualTo(i);
                var call = step.toolCall("call_" + i, "lookup", "{\"i\":" + i + ",\"big\":1" + "0".repeat(400) + "}");
                if (i == 13) {
                    call.fail("tool crashed \u0000 \uD800");
                    step.fail("rate limited \u0000 \uD800");
                    continue;
                }
                call.complete("result " + i + " \uD83D\uDE00");
                if (i < 20) {
                    step.finish("round " + i, null, FinishReason.TOOL_CALLS, Usage.of(100, 10));
                } else {
                    step.finish("done", null, FinishReason.STOP, Usage.of(100, 10));
                    last = step;
                }
            }
            exec.reply(last, "done");
            return "done";
        });
        assertThat(answer).isEqualTo("done");
        ExecutionTree tree = acme.executions().tree(id[0]).orElseThrow();
        assertThat(tree.steps()).extracting(ExecutionStep::sequence).containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 20).boxed().toList());
        ExecutionStep failed = tree.steps().get(12);
        assertThat(failed.status()).isEqualTo(ExecutionStatus.FAILED);
        assertThat(failed.error()).isEqualTo("rate limited \uFFFD \uFFFD");
        assertThat(failed.toolCalls().get(0).error()).isEqualTo("tool crashed \uFFFD \uFFFD");
        assertThat(tree.steps().get(0).toolCalls().get(0).arguments()).isEqualTo("{\"i\":1,\"big\":1" + "0".repeat(400) + "}");
        assertThat(tree.steps().get(4).toolCalls().get(0).result()).isEqualTo("result 5 \uD83D\uDE00");
        Execution run = tree.execution();
        assertThat(run.status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(run.usage()).isEqualTo(new Usage(1900L, 190L, null, null, null));
        // 1900 × 0.000001 / 10⁶ + 190 × 999999.999999 / 10⁶
        assertThat(run.cost()).isEqualByComparingTo(new BigDecimal("0.0000000019").add(new BigDecimal("189.99999999981")));
        // The replay holds the 19 complete tool rounds up to and including the reply's own step, never the failed one.
        var history = acme.executions().historyWithTools(convo.id(), 50);
        assertThat(history).hasSize(2);
        assertThat(history.get(1).toolSteps()).extracting(ExecutionStep::sequence)
                .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20);
        var report = acme.executions().usageReport(dev.atlas.execution.UsageGroup.MODEL, Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2030-01-01T00:00:00Z"));
        assertThat(report).hasSize(1);
        assertThat(report.get(0).cost()).isEqualByComparingTo(run.cost());
        assertThat(atlas.tenant("globex").executions().usageReport(dev.atlas.execution.UsageGroup.MODEL, Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2030-01-01T00:00:00Z"))).isEmpty();
    }

    @Test
    @DisplayName("Streamed usage reported twice keeps the last report, billed exactly; the first token is the first reported")
    void streamingUsageReportedTwice() {
        Tenant acme = atlas.tenant("acme");
        acme.prices().create(ModelPrice.of("anthropic", "s", "3.000001", "15", Instant.parse("2026-01-01T00:00:00Z")).cached("0.3").cacheWrite("3.75"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.of(dev.atlas.execution.ExecutionType.STREAM, "anthropic", "s"));
        clock.set(clock.instant().plus(Duration.ofMillis(250)));
        exec.firstToken();
        exec.usage(new Usage(1000L, 1L, null, 500L, 200L));
        clock.set(clock.instant().plus(Duration.ofMillis(250)));
        exec.firstToken();
        exec.usage(new Usage(1000L, 777L, 5L, 500L, 200L));
        assertThat(outcome(() -> exec.usage(Usage.of(-1, 0)))).isEqualTo("InvalidInputException on usage.inputTokens");
        assertThat(outcome(() -> Usage.of(dev.atlas.Limits.MAX_TOKEN_COUNT, 0).plus(Usage.of(1, 0)))).isEqualTo("InvalidInputException on usage.inputTokens");
        Execution done = exec.complete();
        assertThat(done.usage()).isEqualTo(new Usage(1000L, 777L, 5L, 500L, 200L));
        assertThat(done.firstTokenMs()).isEqualTo(250L);
        // 1000 × 3.000001 + 777 × 15 + 500 × 0.3 + 200 × 3.75, per million
        BigDecimal expected = new BigDecimal("3000.001").add(new BigDecimal("11655")).add(new BigDecimal("150")).add(new BigDecimal("750"))
                .divide(new BigDecimal("1000000"));
        assertThat(done.cost()).isEqualByComparingTo(expected);
        assertThat(acme.executions().require(done.id()).cost()).isEqualByComparingTo(expected);
        assertThat(outcome(() -> exec.usage(Usage.of(1, 1)))).isEqualTo("ConflictException on executionId");

        // Input and output reported in separate events (a stream's start, then its end): each call replaces the whole usage,
        // so the last one carries both counts; a count it leaves out is not kept from the earlier call.
        ExecutionHandle split = acme.executions().start(ExecutionSpec.of(dev.atlas.execution.ExecutionType.STREAM, "anthropic", "s"));
        split.usage(new Usage(1000L, null, null, null, null));
        split.usage(new Usage(null, 777L, null, null, null));
        assertThat(split.complete().usage()).isEqualTo(new Usage(null, 777L, null, null, null));
    }

    @Test
    @DisplayName("A conversation erased mid-loop: the loop's next write fails typed naming the execution, record rethrows it, nothing of the run stays")
    void conversationErasedMidLoop() {
        Tenant acme = atlas.tenant("acme");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        UUID[] id = new UUID[1];
        Throwable thrown = catchThrowable(() -> acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()), exec -> {
            id[0] = exec.id();
            StepHandle first = exec.step();
            first.toolCall("c1", "lookup", "{}").complete("ok");
            first.finish("r1", null, FinishReason.TOOL_CALLS, Usage.of(10, 1));
            acme.portability().eraseConversation(convo.id(), false);
            StepHandle second = exec.step();
            second.finish("r2", FinishReason.STOP);
            return "unreachable";
        }));
        assertThat(lateOutcome(() -> {
            throw (RuntimeException) thrown;
        })).isEqualTo("NotFoundException execution " + id[0]);
        assertThat(describe(thrown)).isEqualTo("NotFoundException on executionId");
        assertThat(thrown).hasMessage("executionId: execution " + id[0] + " not found");
        assertThat(acme.executions().get(id[0])).isEmpty();
        assertThat(acme.executions().tree(id[0])).isEmpty();
        assertThat(acme.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("Two instances resuming one queued execution at once: one records it, the other is refused; a cancel from the other ends the run for both")
    void twoInstancesRecordingIntoOneExecution() throws Exception {
        Atlas other = reopen(b -> b.clock(clock));
        Tenant onA = atlas.tenant("acme");
        Tenant onB = other.tenant("acme");
        Execution queued = onA.executions().create(ExecutionSpec.text("openai", "gpt-4o"));
        onA.executions().queue(queued.id());
        CyclicBarrier both = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Object> a = pool.submit(() -> {
                both.await(30, TimeUnit.SECONDS);
                try {
                    return onA.executions().resume(queued.id());
                } catch (RuntimeException e) {
                    return e;
                }
            });
            Future<Object> b = pool.submit(() -> {
                both.await(30, TimeUnit.SECONDS);
                try {
                    return onB.executions().resume(queued.id());
                } catch (RuntimeException e) {
                    return e;
                }
            });
            List<Object> results = new ArrayList<>(List.of(a.get(60, TimeUnit.SECONDS), b.get(60, TimeUnit.SECONDS)));
            List<ExecutionHandle> handles = results.stream().filter(ExecutionHandle.class::isInstance).map(ExecutionHandle.class::cast).toList();
            List<Throwable> refused = results.stream().filter(Throwable.class::isInstance).map(Throwable.class::cast).toList();
            assertThat(handles).hasSize(1);
            assertThat(refused).extracting(Newcomer36Contract::describe).containsExactly("IllegalTransitionException on status");
            ExecutionHandle h = handles.get(0);
            StepHandle s = h.step();
            s.finish("one", FinishReason.STOP);
            // The other instance cancels it; the holder's next writes learn it, typed.
            onB.executions().cancel(queued.id());
            assertThat(outcome(h::step)).isEqualTo("ConflictException on executionId");
            assertThat(outcome(h::complete)).isEqualTo("ConflictException on executionId");
            assertThat(onA.executions().require(queued.id())).isEqualTo(onB.executions().require(queued.id()));
            assertThat(onA.executions().require(queued.id()).status()).isEqualTo(ExecutionStatus.CANCELLED);
            UUID unknown = UUID.randomUUID();
            revealsNothing(() -> other.tenant("globex").executions().cancel(queued.id()), () -> other.tenant("globex").executions().cancel(unknown),
                    queued.id(), unknown);
            revealsNothing(() -> other.tenant("globex").executions().resume(queued.id()), () -> other.tenant("globex").executions().resume(unknown),
                    queued.id(), unknown);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("Hostile execution input is refused naming the field before anything is written")
    void hostileExecutionInput() {
        Tenant acme = atlas.tenant("acme");
        assertThat(outcome(() -> ExecutionSpec.text("openai", "gpt\u0000"))).isEqualTo("InvalidInputException on model");
        assertThat(outcome(() -> ExecutionSpec.text("open\uD800ai", "gpt"))).isEqualTo("InvalidInputException on provider");
        assertThat(outcome(() -> ModelPrice.of("openai", "m", "1e400", "1", Instant.EPOCH))).isEqualTo("InvalidInputException on inputPerMillion");
        assertThat(outcome(() -> ModelPrice.of("openai", "m", "0.0000001", "1", Instant.EPOCH))).isEqualTo("InvalidInputException on inputPerMillion");
        assertThat(outcome(() -> ModelPrice.of("openai", "m", "-1", "1", Instant.EPOCH))).isEqualTo("InvalidInputException on inputPerMillion");
        assertThat(outcome(() -> ModelPrice.of("openai", "m", "NaN", "1", Instant.EPOCH))).isEqualTo("InvalidInputException on inputPerMillion");
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt"));
        StepHandle step = exec.step();
        assertThat(outcome(() -> step.toolCall("c", "t", "{\"a\":1,}"))).isEqualTo("InvalidInputException on arguments");
        assertThat(outcome(() -> step.toolCall("c", "t", "{\"a\":\"\\u0000\"}"))).isEqualTo("InvalidInputException on arguments");
        assertThat(outcome(() -> step.toolCall("c", "t", "[".repeat(100) + "]".repeat(100)))).isEqualTo("InvalidInputException on arguments");
        assertThat(outcome(() -> step.toolCall("c", "t\u0000", "{}"))).isEqualTo("InvalidInputException on name");
        assertThat(outcome(() -> step.finish("a\u0000", FinishReason.STOP))).isEqualTo("InvalidInputException on content");
        assertThat(outcome(() -> exec.metadata(Map.of("k", "\uD800")))).startsWith("InvalidInputException on metadata");
        step.finish("ok", FinishReason.STOP);
        Execution done = exec.complete();
        assertThat(acme.executions().tree(done.id()).orElseThrow().toolCalls()).isEmpty();
        UUID unknown = UUID.randomUUID();
        Tenant globex = atlas.tenant("globex");
        assertThat(globex.executions().get(done.id())).isEmpty();
        assertThat(globex.executions().tree(done.id())).isEmpty();
        revealsNothing(() -> globex.executions().require(done.id()), () -> globex.executions().require(unknown), done.id(), unknown);
        revealsNothing(() -> globex.executions().start(ExecutionSpec.text("openai", "gpt").conversation(done.id())),
                () -> globex.executions().start(ExecutionSpec.text("openai", "gpt").conversation(unknown)), done.id(), unknown);
        assertThat(globex.assets().byExecution(done.id())).isEmpty();
    }
}
