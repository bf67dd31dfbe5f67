package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
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
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
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
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/ (session 38): retention runs stopped between the holders of a
 * shared part, writes into deleted conversations, and hostile input across conversations and messages.
 */
public abstract class Newcomer38cContract extends AtlasContract {
    private Path dir;

    protected Newcomer38cContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            dir = Files.createTempDirectory("atlas-newcomer38c");
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

    private long blobFiles() throws IOException {
        Path root = dir.resolve("blobs");
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The exception's type and the field it names: what a caller can act on. */
    private static String refusal(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field() : t instanceof NotFoundException n ? n.field().orElse("no field") : "?";
        return t.getClass().getSimpleName() + " " + field;
    }

    // ---- retention: a run stopped between the holders of a shared part ------------------------

    /** How the first run ends at its {@code at}-th question: a stop signal, or an exception (a crash of the worker). */
    enum Ending { SIGNAL, CRASH }

    /** Where the second holder of the part is: another archived conversation (a later batch), or a long-deleted message (a later rule). */
    enum SecondHolder { PURGED_CONVERSATION, LONG_DELETED_MESSAGE }

    @Test
    @DisplayName("A run stopped or crashing at any point between the holders of a shared part, then a completed run: the part goes"
            + " with its last holder (rows and bytes), or stays, attachment unchanged, for a message the runs keep; both holder orders,"
            + " a later batch or a later rule")
    void runStoppedBetweenTheHoldersOfAPart() throws IOException {
        Tenant acme = atlas.tenant("acme");
        RetentionPolicy purge = RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).batchSize(1);
        int scenarios = 0;
        for (SecondHolder second : SecondHolder.values()) {
            // One conversation per batch; the long-deleted message in a later rule.
            RetentionPolicy policy = second == SecondHolder.PURGED_CONVERSATION ? purge : purge.hardDeleteAfter(Duration.ofDays(1));
            for (boolean partFirst : List.of(true, false)) {
                // A keeper matters where the part's holder goes first (its other holders take the part over): with the part last,
                // the keeper holds it when its holder goes, as in Newcomer36Contract#aPartAttachedElsewhereStaysForTheOtherMessage.
                for (boolean keeper : partFirst ? List.of(false, true) : List.of(false)) {
                    // A crash leaves what a stop signal leaves (the transaction it would have started never begins): once, without a
                    // keeper, is enough to show the next run finishes from there.
                    for (Ending ending : keeper ? List.of(Ending.SIGNAL) : List.of(Ending.values())) {
                        for (int at = 1; ; at++) {
                            String as = second + ", part first " + partFirst + ", keeper " + keeper + ", " + ending + " at " + at;
                            long blobsBefore = blobFiles();
                            Asset image = acme.assets().create(NewAsset.of(AssetType.IMAGE, "i.png", "image/png"), bytes(as));
                            Conversation first = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
                            Message one = acme.conversations().append(first.id(), NewMessage.user("holder one"));
                            Conversation other = acme.conversations().create(NewConversation.of(Owner.user("bob"), "x"));
                            Message two = acme.conversations().append(other.id(), NewMessage.user("holder two"));
                            Message live = acme.conversations().append(other.id(), NewMessage.user("stays"));
                            if (partFirst) {
                                acme.assets().attachPart(one.id(), image.id());
                                acme.assets().attach(two.id(), image.id(), Map.of("as", "upload"));
                            } else {
                                acme.assets().attach(one.id(), image.id(), Map.of("as", "upload"));
                                acme.assets().attachPart(two.id(), image.id());
                            }
                            Message kept = null;
                            if (keeper) {
                                Conversation k = acme.conversations().create(NewConversation.of(Owner.user("carol"), "x"));
                                kept = acme.conversations().append(k.id(), NewMessage.user("keeps it"));
                                acme.assets().attach(kept.id(), image.id(), Map.of("by", "carol"));
                            }
                            acme.conversations().archive(first.id());
                            if (second == SecondHolder.PURGED_CONVERSATION) {
                                acme.conversations().archive(other.id());
                            } else {
                                acme.conversations().deleteMessage(two.id());
                            }
                            clock.set(clock.instant().plus(Duration.ofDays(2)));
                            int stopAt = at;
                            int[] asked = {0};
                            BooleanSupplier stop = () -> {
                                if (++asked[0] == stopAt) {
                                    if (ending == Ending.CRASH) {
                                        throw new IllegalStateException("worker died");
                                    }
                                    return true;
                                }
                                return false;
                            };
                            Throwable crashed = catchThrowable(() -> acme.retention().runRetention(policy, stop));
                            boolean reached = asked[0] >= at;
                            if (ending == Ending.CRASH) {
                                assertThat(crashed != null).as(as).isEqualTo(reached);
                            } else {
                                assertThat(crashed).as(as).isNull();
                            }
                            RetentionReport rest = acme.retention().runRetention(policy);
                            assertThat(rest.stopped()).as(as).isFalse();
                            assertThat(acme.conversations().get(first.id())).as(as).isEmpty();
                            assertThat(acme.conversations().getMessage(two.id())).as(as).isEmpty();
                            assertThat(acme.conversations().getMessage(live.id()).isPresent()).as(as)
                                    .isEqualTo(second == SecondHolder.LONG_DELETED_MESSAGE);
                            if (keeper) {
                                assertThat(acme.assets().forMessage(kept.id())).as(as)
                                        .extracting(a -> a.asset().id(), AttachedAsset::attachmentMetadata)
                                        .containsExactly(org.assertj.core.groups.Tuple.tuple(image.id(), Map.of("by", "carol")));
                                try (var in = acme.assets().open(image.id())) {
                                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as(as).isEqualTo(as);
                                }
                                assertThat(blobFiles()).as(as).isEqualTo(blobsBefore + 1);
                            } else {
                                assertThat(acme.assets().get(image.id())).as(as).isEmpty();
                                assertThat(blobFiles()).as(as).isEqualTo(blobsBefore);
                            }
                            scenarios++;
                            if (!reached) {
                                break;
                            }
                        }
                    }
                }
            }
        }
        // Each of the 10 combinations stopped before its 1st, 2nd, ... transaction until a run was not stopped: before the first
        // holder's, between the two, after the second, and once not at all.
        assertThat(scenarios).isGreaterThanOrEqualTo(10 * 4);
    }

    // ---- writes into a deleted conversation, or another tenant's -------------------------------

    @Test
    @DisplayName("An append, a reply, an idempotent retry and a list append into a soft-deleted conversation, or into another tenant's, are"
            + " refused with NotFoundException naming conversationId, and write nothing; the idempotent retry does not hand back the stored message")
    void writesIntoADeletedOrForeignConversationNameConversationId() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        Message question = acme.conversations().append(c.id(), NewMessage.user("question").clientId("q-1"));
        Conversation globex = atlas.tenant("globex").conversations().create(NewConversation.of(Owner.user("mallory"), "x"));
        acme.conversations().delete(c.id());
        for (var target : List.of(c.id(), globex.id())) {
            String as = target.equals(c.id()) ? "deleted" : "another tenant's";
            assertThat(refusal(catchThrowable(() -> acme.conversations().append(target, NewMessage.user("more")))))
                    .as(as + ": append").isEqualTo("NotFoundException conversationId");
            assertThat(refusal(catchThrowable(() -> acme.conversations().append(target, NewMessage.assistant("answer")
                    .parent(question.id()))))).as(as + ": reply").isEqualTo("NotFoundException conversationId");
            assertThat(refusal(catchThrowable(() -> acme.conversations().append(target, NewMessage.user("question").clientId("q-1")))))
                    .as(as + ": idempotent retry").isEqualTo("NotFoundException conversationId");
            assertThat(refusal(catchThrowable(() -> acme.conversations().appendAll(target, List.of(NewMessage.user("a"),
                    NewMessage.assistant("b")))))).as(as + ": appendAll").isEqualTo("NotFoundException conversationId");
            assertThat(refusal(catchThrowable(() -> acme.conversations().appendAll(target, List.of()))))
                    .as(as + ": empty appendAll").isEqualTo("NotFoundException conversationId");
        }
        acme.conversations().restore(c.id());
        assertThat(acme.conversations().history(c.id())).extracting(Message::content).containsExactly("question");
        assertThat(atlas.tenant("globex").conversations().history(globex.id())).isEmpty();
    }

    @Test
    @DisplayName("markAllRead of a soft-deleted, unknown or another tenant's conversation is refused with NotFoundException naming"
            + " conversationId, as an append into it is, and marks nothing (the other tenant's messages stay unread)")
    void markAllReadOfADeletedOrForeignConversationNamesConversationId() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "x"));
        acme.conversations().append(c.id(), NewMessage.assistant("unread"));
        Tenant globex = atlas.tenant("globex");
        Conversation theirs = globex.conversations().create(NewConversation.of(Owner.user("mallory"), "x"));
        globex.conversations().append(theirs.id(), NewMessage.assistant("theirs, unread"));
        acme.conversations().delete(c.id());
        for (var target : List.of(c.id(), theirs.id(), java.util.UUID.randomUUID())) {
            assertThat(refusal(catchThrowable(() -> acme.conversations().markAllRead(target)))).as(target.toString())
                    .isEqualTo("NotFoundException conversationId");
        }
        assertThat(globex.conversations().unreadCount(theirs.id())).isEqualTo(1);
        acme.conversations().restore(c.id());
        assertThat(acme.conversations().unreadCount(c.id())).isEqualTo(1);
    }
}
