package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.retention.RetentionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/, across conversations, messages, retention and
 * portability: retention's dry run against the real run, paging while branches switch and purges
 * run, idempotent appends from two instances, hostile content and another tenant's ids.
 */
public abstract class Newcomer37cContract extends AtlasContract {
    private Path dir;

    protected Newcomer37cContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            dir = Files.createTempDirectory("atlas-newcomer37c");
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

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    // ---- retention: the dry run says what the real run does ---------------------------------

    @Test
    @DisplayName("A part two purged conversations hold goes with the second, in another batch: the dry run counts it as the real run deletes it")
    void partOfTwoConversationsPurgedInTwoBatches() throws IOException {
        Tenant acme = atlas.tenant("acme");
        Asset image = acme.assets().create(NewAsset.of(AssetType.IMAGE, "i.png", "image/png"), bytes("png"));
        for (String owner : List.of("alice", "bob")) {
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user(owner), "x"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("the image"));
            acme.assets().attachPart(m.id(), image.id());
            acme.conversations().archive(c.id());
        }
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        // One conversation per batch (and per dry-run page): the holders go in different transactions.
        RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).batchSize(1);
        Map<String, Long> expected = Map.of("conversations.deleted", 2L, "messages.deleted", 2L, "message_events.deleted", 2L,
                "message_assets.deleted", 2L, "assets.deleted", 1L, "asset_blobs.deleted", 1L);
        assertThat(acme.retention().runRetention(purge.dryRun(true)).counts()).isEqualTo(expected);
        assertThat(acme.retention().runRetention(purge).counts()).isEqualTo(expected);
        assertThat(acme.assets().get(image.id())).isEmpty();
        assertThat(blobFiles()).isEmpty();
    }

    @Test
    @DisplayName("A part whose other holder a later rule of the same run deletes goes with it, whichever holder held it as the part:"
            + " the outcome does not depend on rule order, and the dry run counts it")
    void partWhoseOtherHolderALaterRuleDeletes() throws IOException {
        Tenant acme = atlas.tenant("acme");
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).hardDeleteAfter(Duration.ofDays(1));
        Map<String, Long> expected = Map.of("conversations.deleted", 1L, "messages.deleted", 2L, "message_events.deleted", 3L,
                "message_assets.deleted", 2L, "assets.deleted", 1L, "asset_blobs.deleted", 1L);
        for (boolean partInPurgedConversation : List.of(true, false)) {
            Asset image = acme.assets().create(NewAsset.of(AssetType.IMAGE, "i.png", "image/png"), bytes("png " + partInPurgedConversation));
            Conversation archived = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
            Message inArchived = acme.conversations().append(archived.id(), NewMessage.user("in the archived conversation"));
            Conversation live = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
            Message deleted = acme.conversations().append(live.id(), NewMessage.user("deleted long ago"));
            Message kept = acme.conversations().append(live.id(), NewMessage.user("kept"));
            if (partInPurgedConversation) {
                acme.assets().attachPart(inArchived.id(), image.id());
                acme.assets().attach(deleted.id(), image.id(), Map.of());
            } else {
                acme.assets().attach(inArchived.id(), image.id(), Map.of());
                acme.assets().attachPart(deleted.id(), image.id());
            }
            acme.conversations().archive(archived.id());
            acme.conversations().deleteMessage(deleted.id());
            clock.set(clock.instant().plus(Duration.ofDays(2)));
            assertThat(acme.retention().runRetention(policy.dryRun(true)).counts()).as("dry run, part in the purged conversation: "
                    + partInPurgedConversation).isEqualTo(expected);
            assertThat(acme.retention().runRetention(policy).counts()).as("part in the purged conversation: " + partInPurgedConversation)
                    .isEqualTo(expected);
            assertThat(acme.assets().get(image.id())).isEmpty();
            assertThat(acme.conversations().getMessage(kept.id())).isPresent();
            assertThat(blobFiles()).isEmpty();
        }
    }

    @Test
    @DisplayName("Old messages of a conversation the same run purges are counted once, as deleted, not also as soft-deleted: the dry run"
            + " reports the real run's counts")
    void oldMessagesOfAPurgedConversationAreNotCountedTwice() {
        Tenant acme = atlas.tenant("acme");
        Conversation archived = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        acme.conversations().append(archived.id(), NewMessage.user("old one"));
        acme.conversations().append(archived.id(), NewMessage.assistant("old two"));
        acme.conversations().archive(archived.id());
        Conversation live = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message old = acme.conversations().append(live.id(), NewMessage.user("old three"));
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        Message fresh = acme.conversations().append(live.id(), NewMessage.user("fresh"));
        RetentionPolicy policy = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).deleteMessagesOlderThan(Duration.ofDays(1));
        Map<String, Long> expected = Map.of("conversations.deleted", 1L, "messages.deleted", 2L, "message_events.deleted", 2L,
                "messages.soft_deleted", 1L);
        assertThat(acme.retention().runRetention(policy.dryRun(true)).counts()).isEqualTo(expected);
        assertThat(acme.retention().runRetention(policy).counts()).isEqualTo(expected);
        assertThat(acme.conversations().getMessage(old.id())).isEmpty();
        assertThat(contents(acme.conversations().history(live.id(), 10))).containsExactly(fresh.content());
    }

    @Test
    @DisplayName("A message naming an execution of another conversation the same run purges goes with its own conversation: not"
            + " reported as detached (kept without the link), whichever batch comes first, in the dry run and the real run alike")
    void messageNamingAnExecutionOfAnotherPurgedConversation() {
        Tenant acme = atlas.tenant("acme");
        // The execution's conversation first: the dry run pages by id and meets it before the message's conversation.
        Conversation withExecution = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Execution run = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(withExecution.id())).complete();
        clock.set(clock.instant().plusMillis(5));
        Conversation naming = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Message answer = acme.conversations().append(naming.id(), NewMessage.assistant("from the other run").execution(run.id(), null));
        Conversation kept = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message keptAnswer = acme.conversations().append(kept.id(), NewMessage.assistant("kept").execution(run.id(), null));
        acme.conversations().archive(withExecution.id());
        acme.conversations().archive(naming.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).batchSize(1);
        Map<String, Long> expected = Map.of("conversations.deleted", 2L, "executions.deleted", 1L, "messages.deleted", 1L,
                "message_events.deleted", 1L, "messages.detached", 1L);
        assertThat(acme.retention().runRetention(purge.dryRun(true)).counts()).isEqualTo(expected);
        assertThat(acme.retention().runRetention(purge).counts()).isEqualTo(expected);
        assertThat(acme.conversations().getMessage(answer.id())).isEmpty();
        assertThat(acme.conversations().requireMessage(keptAnswer.id()).executionId()).isNull();
    }

    // ---- retention: parts kept across batches, races and interrupted runs (review of conv37) ----------

    /** Two archived conversations, each with one message; {@code image} is a part of the first and a plain attachment of the second. */
    private List<Conversation> twoHolders(Tenant acme, Asset image, boolean partFirst) {
        List<Conversation> archived = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("holder " + i));
            if ((i == 0) == partFirst) {
                acme.assets().attachPart(m.id(), image.id());
            } else {
                acme.assets().attach(m.id(), image.id(), Map.of());
            }
            acme.conversations().archive(c.id());
            archived.add(c);
        }
        return archived;
    }

    @Test
    @DisplayName("A part the purge kept for another holder, then attached by another instance to a message the run keeps between"
            + " batches, survives the purge of its last purged holder: the run checks the holders again under the asset's lock")
    void partAttachedByAnotherInstanceBetweenBatchesSurvives() throws IOException {
        Tenant acme = atlas.tenant("acme");
        Atlas other = reopen(b -> b.clock(clock));
        for (boolean partFirst : List.of(true, false)) {
            Asset image = acme.assets().create(NewAsset.of(AssetType.IMAGE, "i.png", "image/png"), bytes("png " + partFirst));
            List<Conversation> archived = twoHolders(acme, image, partFirst);
            Conversation live = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
            Message keeper = acme.conversations().append(live.id(), NewMessage.user("keeps the image"));
            clock.set(clock.instant().plus(Duration.ofDays(2)));
            // Asked before every transaction: the second time, one conversation is purged and the other not yet.
            int[] asked = {0};
            java.util.function.BooleanSupplier between = () -> {
                if (++asked[0] == 2) {
                    assertThat(archived.stream().filter(c -> acme.conversations().get(c.id()).isEmpty())).hasSize(1);
                    other.tenant("acme").assets().attach(keeper.id(), image.id(), Map.of("by", "other instance"));
                }
                return false;
            };
            RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).batchSize(1);
            Map<String, Long> counts = acme.retention().runRetention(purge, between).counts();
            assertThat(asked[0]).as("part first: " + partFirst).isEqualTo(3);
            assertThat(counts).as("part first: " + partFirst).isEqualTo(Map.of("conversations.deleted", 2L, "messages.deleted", 2L,
                    "message_events.deleted", 2L, "message_assets.deleted", 2L));
            assertThat(acme.assets().get(image.id())).as("part first: " + partFirst).isPresent();
            assertThat(acme.assets().forMessage(keeper.id())).extracting(a -> a.asset().id()).containsExactly(image.id());
            try (var in = acme.assets().open(image.id())) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("png " + partFirst);
            }
        }
    }

    @Test
    @DisplayName("A run that fails between batches leaves whole conversations only, keeps every part a kept message holds, and the run"
            + " again finishes the rest exactly as its dry run says")
    void runFailingBetweenBatchesAndRunAgain() throws IOException {
        Tenant acme = atlas.tenant("acme");
        Asset shared = acme.assets().create(NewAsset.of(AssetType.IMAGE, "s.png", "image/png"), bytes("shared"));
        Conversation live = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message keeper = acme.conversations().append(live.id(), NewMessage.user("keeps the shared image"));
        acme.assets().attach(keeper.id(), shared.id(), Map.of());
        List<Conversation> archived = new ArrayList<>();
        List<Asset> own = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
            Message m = acme.conversations().append(c.id(), NewMessage.user("holder " + i));
            Asset mine = acme.assets().create(NewAsset.of(AssetType.IMAGE, "o.png", "image/png"), bytes("own " + i));
            acme.assets().attachPart(m.id(), mine.id());
            acme.assets().attachPart(m.id(), shared.id());
            acme.conversations().archive(c.id());
            archived.add(c);
            own.add(mine);
        }
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).batchSize(1);
        int[] asked = {0};
        Throwable failed = catchThrowable(() -> acme.retention().runRetention(purge, () -> {
            if (++asked[0] == 2) {
                throw new IllegalStateException("the worker was interrupted");
            }
            return false;
        }));
        assertThat(failed).isInstanceOf(IllegalStateException.class).hasMessage("the worker was interrupted");
        // One conversation went whole with its own part (rows and bytes); the other is untouched, its attachments all there.
        List<Integer> gone = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            boolean purged = acme.conversations().get(archived.get(i).id()).isEmpty();
            assertThat(acme.assets().get(own.get(i).id()).isEmpty()).as("own part of conversation " + i).isEqualTo(purged);
            if (purged) {
                gone.add(i);
            } else {
                Message m = acme.conversations().history(archived.get(i).id(), 10).get(0);
                assertThat(acme.assets().forMessage(m.id())).extracting(a -> a.asset().id())
                        .containsExactlyInAnyOrder(own.get(i).id(), shared.id());
            }
        }
        assertThat(gone).hasSize(1);
        assertThat(blobFiles()).hasSize(2);
        Map<String, Long> rest = Map.of("conversations.deleted", 1L, "messages.deleted", 1L, "message_events.deleted", 1L,
                "message_assets.deleted", 2L, "assets.deleted", 1L, "asset_blobs.deleted", 1L);
        assertThat(acme.retention().runRetention(purge.dryRun(true)).counts()).isEqualTo(rest);
        assertThat(acme.retention().runRetention(purge).counts()).isEqualTo(rest);
        assertThat(archived).allSatisfy(c -> assertThat(acme.conversations().get(c.id())).isEmpty());
        assertThat(own).allSatisfy(a -> assertThat(acme.assets().get(a.id())).isEmpty());
        assertThat(acme.assets().forMessage(keeper.id())).extracting(a -> a.asset().id()).containsExactly(shared.id());
        try (var in = acme.assets().open(shared.id())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("shared");
        }
        assertThat(blobFiles()).hasSize(1);
    }

    @Test
    @DisplayName("A purge batch runs as many statements with 39 parts kept for another message as with 1, in the real run and the"
            + " dry run (no statement per part), and the dry run counts what the real run deletes")
    void purgeStatementsDoNotGrowWithKeptParts() throws IOException {
        Tenant acme = atlas.tenant("acme");
        Conversation live = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
        Message keeper = acme.conversations().append(live.id(), NewMessage.user("keeps the shared parts"));
        RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).batchSize(1);
        Map<Integer, List<Integer>> statements = new LinkedHashMap<>();
        for (int kept : List.of(1, 39)) {
            List<Message> holders = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
                holders.add(acme.conversations().append(c.id(), NewMessage.user("holder " + i)));
                acme.conversations().archive(c.id());
            }
            // Two parts that go, with their last holder whichever batch that is: each a part of one holder, a plain attachment
            // of the other, so the first batch takes one over (marks the other holder's attachment a part) whichever holder
            // it reads first. A purge batch reads its conversations in no set order (PostgreSQL's heap order, which a vacuum
            // between the loops changes), and with one such part the plain holder first took nothing over, one statement
            // fewer: CI2 once counted [39, 73] against [39, 74].
            List<UUID> going = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Asset g = acme.assets().create(NewAsset.of(AssetType.IMAGE, "g.png", "image/png"), bytes("going " + kept + " " + i));
                acme.assets().attachPart(holders.get(i).id(), g.id());
                acme.assets().attach(holders.get(1 - i).id(), g.id(), Map.of());
                going.add(g.id());
            }
            List<UUID> keptParts = new ArrayList<>();
            for (int j = 0; j < kept; j++) {
                Asset part = acme.assets().create(NewAsset.of(AssetType.IMAGE, "p.png", "image/png"), bytes("kept " + kept + " " + j));
                for (Message m : holders) {
                    acme.assets().attachPart(m.id(), part.id());
                }
                acme.assets().attach(keeper.id(), part.id(), Map.of());
                keptParts.add(part.id());
            }
            clock.set(clock.instant().plus(Duration.ofDays(2)));
            var dry = StatementCounter.count(atlas, () -> acme.retention().runRetention(purge.dryRun(true)));
            var real = StatementCounter.count(atlas, () -> acme.retention().runRetention(purge));
            statements.put(kept, List.of(dry.statements(), real.statements()));
            System.out.println("purge statements (dry, real) by kept parts: " + statements);
            Map<String, Long> expected = Map.of("conversations.deleted", 2L, "messages.deleted", 2L, "message_events.deleted", 2L,
                    "message_assets.deleted", 4L + 2L * kept, "assets.deleted", 2L, "asset_blobs.deleted", 2L);
            assertThat(dry.result().counts()).as("dry run, kept parts: " + kept).isEqualTo(expected);
            assertThat(real.result().counts()).as("kept parts: " + kept).isEqualTo(expected);
            assertThat(acme.assets().getAll(going)).isEmpty();
            assertThat(acme.assets().forMessage(keeper.id())).extracting(a -> a.asset().id()).containsAll(keptParts);
            assertThat(acme.assets().getAll(keptParts)).hasSize(kept);
        }
        // 38 more kept parts add no statement: a statement per part, or per chunk, would add 38 or more.
        assertThat(statements.get(39)).as("statements (dry run, real run) by kept parts").isEqualTo(statements.get(1));
    }

    // ---- paging while another thread switches branches and purges ----------------------------

    private static List<String> contents(List<Message> page) {
        return page.stream().map(Message::content).toList();
    }

    /** The exception's type, the field it names and its message: what a caller can act on. */
    private static String refusal(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field() : t instanceof ConflictException c ? c.field()
                : t instanceof NotFoundException n ? String.valueOf(n.field()) : "?";
        return t.getClass().getSimpleName() + " " + field;
    }

    @Test
    @DisplayName("Load older never mixes branches nor skips or repeats a message while another thread switches branches, deletes and purges"
            + " between pages: a page continues exactly below its cursor, or is refused on beforeSequence")
    void loadOlderWhileBranchesSwitchAndPurgesRun() {
        Tenant acme = atlas.tenant("acme");
        var conversations = acme.conversations();
        RetentionPolicy purge = RetentionPolicy.none().hardDeleteAfter(Duration.ofDays(1));

        // 1. A branch switched below the cursor that does not hide it (the cursor's message answers nothing): the page below is the
        //    branch shown now, whole, and nothing at or above the cursor comes again.
        Conversation c = conversations.create(NewConversation.of(Owner.user("alice"), "x"));
        Message u1 = conversations.append(c.id(), NewMessage.user("u1"));
        Message a1 = conversations.append(c.id(), NewMessage.assistant("a1").parent(u1.id()));
        conversations.append(c.id(), NewMessage.assistant("a2").parent(u1.id()));
        Message u2 = conversations.append(c.id(), NewMessage.user("u2"));
        conversations.append(c.id(), NewMessage.assistant("a3").parent(u2.id()));
        List<Message> first = conversations.history(c.id(), 2);
        assertThat(contents(first)).containsExactly("u2", "a3");
        conversations.activate(a1.id());
        assertThat(contents(conversations.historyBefore(c.id(), first.get(0).sequence(), 10))).containsExactly("u1", "a1");

        // 2. The cursor's branch switched away, then deleted and purged: refused, never the other branch's page.
        Conversation d = conversations.create(NewConversation.of(Owner.user("alice"), "x"));
        Message q = conversations.append(d.id(), NewMessage.user("q"));
        Message b1 = conversations.append(d.id(), NewMessage.assistant("b1").parent(q.id()));
        Message b2 = conversations.append(d.id(), NewMessage.assistant("b2").parent(q.id()));
        Message f2 = conversations.append(d.id(), NewMessage.user("f2").parent(b2.id()));
        Message g2 = conversations.append(d.id(), NewMessage.assistant("g2").parent(f2.id()));
        List<Message> top = conversations.history(d.id(), 2);
        assertThat(contents(top)).containsExactly("f2", "g2");
        long cursor = top.get(0).sequence();
        conversations.activate(b1.id());
        assertThat(refusal(catchThrowable(() -> conversations.historyBefore(d.id(), cursor, 10)))).isEqualTo("ConflictException beforeSequence");
        for (Message m : List.of(g2, f2, b2)) {
            conversations.deleteMessage(m.id());
        }
        clock.set(clock.instant().plus(Duration.ofDays(2)));
        assertThat(acme.retention().runRetention(purge).count("messages.deleted")).isEqualTo(3);
        assertThat(refusal(catchThrowable(() -> conversations.historyBefore(d.id(), cursor, 10)))).isEqualTo("ConflictException beforeSequence");
        // Read again from the start: the branch shown, whole.
        assertThat(contents(conversations.history(d.id(), 10))).containsExactly("q", "b1");

        // 3. No branch: the cursor's message deleted and purged between pages, the page continues below it, one message at a time,
        //    each exactly once.
        Conversation e = conversations.create(NewConversation.of(Owner.user("bob"), "x"));
        for (int i = 1; i <= 6; i++) {
            conversations.append(e.id(), NewMessage.user("m" + i));
        }
        List<Message> page = conversations.history(e.id(), 1);
        List<String> read = new ArrayList<>(contents(page));
        while (true) {
            Message oldest = page.get(0);
            if (oldest.content().equals("m4")) {
                conversations.deleteMessage(oldest.id());
                clock.set(clock.instant().plus(Duration.ofDays(2)));
                assertThat(acme.retention().runRetention(purge).count("messages.deleted")).isEqualTo(1);
            }
            page = conversations.historyBefore(e.id(), oldest.sequence(), 1);
            if (page.isEmpty()) {
                break;
            }
            read.add(0, page.get(0).content());
        }
        assertThat(read).containsExactly("m1", "m2", "m3", "m4", "m5", "m6");
    }

    // ---- idempotent appends from two instances ---------------------------------------------------

    @Test
    @DisplayName("The same client id appended by two instances at once stores one message both get back; the same id with other"
            + " content is a ConflictException on clientId naming content, and writes nothing")
    void sameClientIdFromTwoInstancesAtOnce() throws Exception {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Atlas other = reopen(b -> b.clock(clock));
        CyclicBarrier start = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 5; round++) {
                String key = "c-" + round;
                List<Future<Message>> sent = new ArrayList<>();
                for (Atlas a : List.of(atlas, other)) {
                    sent.add(pool.submit(() -> {
                        start.await(10, TimeUnit.SECONDS);
                        return a.tenant("acme").conversations().append(c.id(), NewMessage.user("hello \ud83d\ude00").clientId(key));
                    }));
                }
                Message one = sent.get(0).get(30, TimeUnit.SECONDS);
                Message two = sent.get(1).get(30, TimeUnit.SECONDS);
                assertThat(two.id()).isEqualTo(one.id());
                assertThat(two.sequence()).isEqualTo(one.sequence()).isEqualTo(round + 1);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(acme.conversations().messages(c.id(), 0, 100)).hasSize(5);
        Throwable t = catchThrowable(() -> other.tenant("acme").conversations().append(c.id(), NewMessage.user("hello").clientId("c-0")));
        assertThat(refusal(t)).isEqualTo("ConflictException clientId");
        assertThat(t.getMessage()).contains("content").doesNotContain("hello");
        assertThat(acme.conversations().require(c.id()).lastSequence()).isEqualTo(5);
        // Another tenant's append with the same client id to this conversation finds no conversation.
        assertThat(refusal(catchThrowable(() -> atlas.tenant("other").conversations().append(c.id(),
                NewMessage.user("hello \ud83d\ude00").clientId("c-0"))))).startsWith("NotFoundException");
    }

    // ---- hostile content and metadata ----------------------------------------------------------

    @Test
    @DisplayName("NUL, lone surrogates, deep JSON, invalid JSON and oversize content are refused naming the field before any write;"
            + " SQL and LIKE metacharacters, emoji and the largest content read back byte-exact")
    void hostileContentAndMetadata() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Map<String, Object> deep = new LinkedHashMap<>();
        Map<String, Object> at = deep;
        for (int i = 0; i < 70; i++) {
            Map<String, Object> next = new LinkedHashMap<>();
            at.put("k", next);
            at = next;
        }
        Map<String, Object> nulKey = Map.of("a\u0000b", 1);
        Map<String, Object> loneValue = Map.of("a", List.of("x\udc00"));
        // Built inside the call: a factory or a with-method refuses what it can check alone.
        Map<String, java.util.function.Supplier<NewMessage>> refused = new LinkedHashMap<>();
        refused.put("content", () -> NewMessage.user("a\u0000b"));
        refused.put("content ", () -> NewMessage.user("lone \ud800 high"));
        refused.put("content  ", () -> NewMessage.user("lone low \udfff"));
        refused.put("content   ", () -> NewMessage.json(Role.TOOL, "{\"a\": 1,}"));
        refused.put("content    ", () -> NewMessage.json(Role.TOOL, "{\"a\": \"\\u0000\"}"));
        refused.put("content     ", () -> NewMessage.json(Role.TOOL, "[".repeat(70) + "]".repeat(70)));
        refused.put("content      ", () -> NewMessage.user("x".repeat(1_048_577)));
        refused.put("metadata", () -> NewMessage.user("ok").metadata(deep));
        refused.put("metadata ", () -> NewMessage.user("ok").metadata(nulKey));
        refused.put("metadata  ", () -> NewMessage.user("ok").metadata(loneValue));
        refused.put("clientId", () -> NewMessage.user("ok").clientId("c\u0000"));
        refused.put("clientId ", () -> NewMessage.user("ok").clientId("c\ud800"));
        List<String> outcomes = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        refused.forEach((field, m) -> {
            // A metadata key is named as such (Check.map): "metadata key: contains a NUL character ...".
            expected.add(field.trim() + ": InvalidInputException " + (field.equals("metadata ") ? "metadata key" : field.trim()));
            outcomes.add(field.trim() + ": " + refusal(catchThrowable(() -> acme.conversations().append(c.id(), m.get()))));
        });
        assertThat(outcomes).containsExactlyElementsOf(expected);
        assertThat(acme.conversations().require(c.id()).lastSequence()).isZero();
        assertThat(acme.conversations().require(c.id()).title()).isNull();

        String sql = "50% off_ 'x' \\ \" ; DROP TABLE atlas_messages; -- \ud83d\ude00 \u202e \ufeff";
        String big = "\ud83d\ude00".repeat(1_048_576 / 2);
        Message tricky = acme.conversations().append(c.id(), NewMessage.user(sql).metadata(Map.of("k%_", sql, "deep", List.of(Map.of("n",
                new java.math.BigInteger("9".repeat(1000)))))));
        Message largest = acme.conversations().append(c.id(), NewMessage.user(big));
        Message readTricky = acme.conversations().requireMessage(tricky.id());
        assertThat(readTricky.content()).isEqualTo(sql);
        assertThat(readTricky.metadata()).isEqualTo(Map.of("k%_", sql, "deep", List.of(Map.of("n", new java.math.BigInteger("9".repeat(1000))))));
        assertThat(acme.conversations().requireMessage(largest.id()).content()).isEqualTo(big);
    }

    // ---- another tenant's ids on every call -------------------------------------------------------

    @Test
    @DisplayName("Another tenant's conversation and message ids are unknown on every read and write, refused as NotFoundException"
            + " naming nothing of that tenant, and its rows stay as they were")
    void anotherTenantsIdsOnEveryCall() {
        Tenant acme = atlas.tenant("acme");
        Tenant evil = atlas.tenant("evil");
        Conversation theirs = acme.conversations().create(NewConversation.of(Owner.user("alice"), "secret-title"));
        Message question = acme.conversations().append(theirs.id(), NewMessage.user("secret-question").clientId("secret-key"));
        Message answer = acme.conversations().append(theirs.id(), NewMessage.assistant("secret-answer").parent(question.id()));
        Conversation mine = evil.conversations().create(NewConversation.of(Owner.user("mallory"), "mine"));
        List<Message> before = acme.conversations().messages(theirs.id(), 0, 100);
        Conversation convBefore = acme.conversations().require(theirs.id());

        var store = evil.conversations();
        UUID c = theirs.id();
        UUID m = answer.id();
        Map<String, Runnable> calls = new LinkedHashMap<>();
        calls.put("require", () -> store.require(c));
        calls.put("append", () -> store.append(c, NewMessage.user("x").clientId("secret-key")));
        calls.put("appendAll", () -> store.appendAll(c, List.of(NewMessage.user("x"))));
        calls.put("appendWithParent", () -> store.append(mine.id(), NewMessage.assistant("x").parent(question.id())));
        calls.put("history", () -> store.history(c, 10));
        calls.put("historyBefore", () -> store.historyBefore(c, 2, 10));
        calls.put("messages", () -> store.messages(c, 0, 10));
        calls.put("requireMessage", () -> store.requireMessage(m));
        calls.put("siblings", () -> store.siblings(m));
        calls.put("siblingGroups", () -> store.siblingGroups(m));
        calls.put("activate", () -> store.activate(m));
        calls.put("canRetry", () -> store.canRetry(m));
        calls.put("markRead", () -> store.markRead(m));
        calls.put("markAllRead", () -> store.markAllRead(c));
        calls.put("unreadCount", () -> store.unreadCount(c));
        calls.put("edit", () -> store.edit(m, "pwned"));
        calls.put("updateMessageMetadata", () -> store.updateMessageMetadata(m, Map.of("a", 1)));
        calls.put("deleteMessage", () -> store.deleteMessage(m));
        calls.put("restoreMessage", () -> store.restoreMessage(m));
        calls.put("markDelivered", () -> store.markDelivered(m));
        calls.put("events", () -> store.events(m));
        calls.put("updateTitle", () -> store.updateTitle(c, "pwned"));
        calls.put("updateMetadata", () -> store.updateMetadata(c, Map.of("a", 1)));
        calls.put("archive", () -> store.archive(c));
        calls.put("close", () -> store.close(c));
        calls.put("delete", () -> store.delete(c));
        calls.put("restore", () -> store.restore(c));
        calls.put("eraseConversation", () -> evil.portability().eraseConversation(c, false));
        List<String> outcomes = new ArrayList<>();
        for (var call : calls.entrySet()) {
            Throwable t = catchThrowable(call.getValue()::run);
            String text = t == null ? "" : String.valueOf(t.getMessage());
            boolean leaks = text.contains("secret") || text.contains("acme") || text.contains("alice");
            outcomes.add(call.getKey() + ": " + (t == null ? "accepted" : t.getClass().getSimpleName()) + (leaks ? " LEAKS " + text : ""));
        }
        assertThat(outcomes).allSatisfy(o -> assertThat(o).endsWith(": NotFoundException"));
        assertThat(store.get(c)).isEmpty();
        assertThat(store.getMessage(m)).isEmpty();
        assertThat(acme.conversations().messages(theirs.id(), 0, 100)).isEqualTo(before);
        assertThat(acme.conversations().require(theirs.id())).isEqualTo(convBefore);
        assertThat(store.messages(mine.id(), 0, 10)).isEmpty();
    }
}
