package dev.atlas.jdbi;

import dev.atlas.AtlasBuilder;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.jdbi.kit.AdHoc;
import dev.atlas.jdbi.kit.AssetStoreContract.FlakyBlobStore;
import dev.atlas.jdbi.kit.RefusedBeforeSql;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Assets: bad input is refused naming the field, with no SQL run and no blob written (moved from AssetStoreContract). */
class AssetInputValidationTest extends RefusedBeforeSql {
    @TempDir
    static Path dir;
    private FlakyBlobStore blobs;

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        blobs = new FlakyBlobStore(new LocalDirectoryBlobStore(dir.resolve("blobs")));
        return super.configure(builder).blobStore(blobs);
    }

    @Test
    @DisplayName("bad input is rejected naming the field before any blob or row is written")
    void badInput() throws IOException {
        AssetStore assets = freshTenant().assets();
        refused("filename", () -> NewAsset.of(AssetType.IMAGE, "a\u0000.png", "image/png"));
        refused("filename", () -> NewAsset.of(AssetType.IMAGE, " ", "image/png"));
        // A filename is the file's own name, served back (Content-Disposition, a download's name):
        // no path in it, and no line break that would split a header.
        for (String filename : new String[] {"../../etc/passwd", "/etc/passwd", "a/b.png", "C:\\Windows\\win.ini", "..\\x.png", "..", ".",
                "a\r\nSet-Cookie: x=y.png", "cr\r.png", "lf\n.png"}) {
            refused("filename", () -> NewAsset.of(AssetType.IMAGE, filename, "image/png"));
            refused("filename", () -> new NewAsset(AssetType.IMAGE, filename, null, null, null, null, null, null, Map.of()));
        }
        // Lone surrogates and NUL anywhere in the text an asset records, as in all other text.
        refused("filename", () -> NewAsset.of(AssetType.IMAGE, "a\ud800.png", "image/png"));
        refused("filename", () -> NewAsset.of(AssetType.IMAGE, "\udc00", "image/png"));
        refused("description", () -> NewAsset.of(AssetType.IMAGE, "a.png", "image/png").description("x\u0000y"));
        refused("description", () -> NewAsset.of(AssetType.IMAGE, "a.png", "image/png").description("x\udbff"));
        refused("clientKey", () -> NewAsset.of(AssetType.IMAGE, "a.png", "image/png").clientKey("k\ud800"));
        refused("clientKey", () -> NewAsset.of(AssetType.IMAGE, "a.png", "image/png").clientKey("k\u0000"));
        refused("agent", () -> NewAsset.of(AssetType.IMAGE, "a.png", "image/png").agent("a\u0000"));
        refused("mimeType", () -> NewAsset.of(AssetType.IMAGE, "a.png", "image/png\u0000"));
        refused("type", () -> AssetType.of("picture"));
        refused("executionId", () -> new NewAsset(AssetType.IMAGE, "a.png", null, null, null, null, UUID.randomUUID(), null, Map.of()));
        refused("mimeType", () -> NewAsset.of(AssetType.IMAGE, "a.png", "x".repeat(300)));
        refused("metadata", () -> assets.create(NewAsset.of(AssetType.IMAGE, "chart.png", "image/png").metadata(Map.of("self", new Object() {
            @SuppressWarnings("unused")
            public Object getSelf() {
                return this;
            }
        })), new byte[] {1}));
        refused("minAge", () -> assets.cleanupOrphanBlobs(Duration.ofSeconds(-1)));
        // atlas.part decides whether retention deletes the asset with its message: only a boolean says.
        for (Object notABoolean : new Object[] {"true", 1, "yes", Map.of()}) {
            refused("attachmentMetadata", () -> assets.attach(UUID.randomUUID(), UUID.randomUUID(), Map.of("atlas.part", notABoolean)));
        }
        java.util.Map<String, Object> nullPart = new java.util.HashMap<>();
        nullPart.put("atlas.part", null);
        refused("attachmentMetadata", () -> assets.attach(UUID.randomUUID(), UUID.randomUUID(), nullPart));
        assertThat(AdHoc.count(atlas, "message_assets")).isZero();
        assertThat(AdHoc.count(atlas, "assets")).isZero();
        assertThat(blobs.list("")).isEmpty();
        assertThat(blobs.puts).isZero();
    }
}
