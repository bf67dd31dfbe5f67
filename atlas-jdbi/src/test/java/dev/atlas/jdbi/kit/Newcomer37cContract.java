package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
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
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

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
}
