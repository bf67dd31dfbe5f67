package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Messages with more attachments than a transcript shows ({@link #SHOWN}):
 * one with exactly that many, one with one more, one with two more and a deleted asset among
 * them. Each asset is a file of one byte named {@code f00.bin} to {@code f22.bin}.
 */
final class Gallery {
    static final String TENANT = "gallery";
    /** Attachments a transcript shows per message (Transcript.ATTACHMENTS_SHOWN). */
    static final int SHOWN = Transcript.ATTACHMENTS_SHOWN;

    UUID conversation;
    /** The live assets, in the order each message lists them (f05 deleted). */
    List<Asset> live;

    /** Opens Atlas through {@code source} and writes tenant {@value #TENANT}: a conversation of three messages, attached as {@link #attach} does. */
    Gallery populate(UnaryOperator<AtlasBuilder> source) {
        try (Atlas atlas = source.apply(Atlas.builder()).build()) {
            Tenant t = atlas.tenant(TENANT);
            conversation = t.conversations().create(NewConversation.of(Owner.user("u"), "gallery").title("Gallery")).id();
            UUID twenty = t.conversations().append(conversation, NewMessage.user("twenty")).id();
            UUID oneMore = t.conversations().append(conversation, NewMessage.assistant("one more")).id();
            UUID twoMore = t.conversations().append(conversation, NewMessage.assistant("two more")).id();
            live = attach(t, twenty, oneMore, twoMore);
        }
        return this;
    }

    /**
     * Stores 23 assets and attaches them: all to {@code twoMore} (f05 then deleted: 22 live), the
     * first 21 live ones to {@code oneMore}, the first 20 live ones to {@code twenty}.
     *
     * @return the 22 live assets in attachment order
     */
    static List<Asset> attach(Tenant t, UUID twenty, UUID oneMore, UUID twoMore) {
        List<Asset> all = new ArrayList<>();
        for (int i = 0; i < SHOWN + 3; i++) {
            Asset a = t.assets().create(NewAsset.of(AssetType.FILE, String.format("f%02d.bin", i), "application/octet-stream"),
                    new byte[] {(byte) i});
            t.assets().attach(twoMore, a.id(), Map.of());
            all.add(a);
        }
        t.assets().delete(all.get(5).id());
        List<Asset> live = new ArrayList<>(all);
        live.remove(5);
        for (int i = 0; i <= SHOWN; i++) {
            t.assets().attach(oneMore, live.get(i).id(), Map.of());
            if (i < SHOWN) {
                t.assets().attach(twenty, live.get(i).id(), Map.of());
            }
        }
        return List.copyOf(live);
    }
}
