package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.jdbi.internal.JdbiAtlas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The viewer streams an asset reading its row once: the metadata it sends in the headers (type,
 * length) is the asset {@code open} returns with the bytes, not a second read that a purge between
 * the two could contradict.
 */
class ViewerAssetStatementsTest {
    @TempDir
    Path dir;

    @Test
    void anAssetDownloadReadsTheAssetRowOnce() throws Exception {
        Path file = dir.resolve("agent.db");
        byte[] png = "not really a png".getBytes(StandardCharsets.UTF_8);
        Asset asset;
        try (Atlas atlas = Atlas.sqlite(file)) {
            asset = atlas.tenant("acme").assets().create(NewAsset.of(AssetType.IMAGE, "chart.png", "image/png"), png);
        }
        Database database = new Database(file.toString(), null, null, "atlas_", null);
        try (Atlas atlas = database.open()) {
            ViewerApi api = new ViewerApi(atlas, database, null);
            AtomicInteger statements = new AtomicInteger();
            ((JdbiAtlas) atlas).db().statementListener((name, sql) -> statements.incrementAndGet());
            ViewerApi.Bytes bytes = api.assetBytes(asset.id().toString(), Map.of("tenant", "acme"), false);
            try (InputStream in = bytes.content()) {
                assertThat(in.readAllBytes()).isEqualTo(png);
            }
            ((JdbiAtlas) atlas).db().statementListener(null);
            assertThat(bytes.mimeType()).isEqualTo("image/png");
            assertThat(bytes.size()).isEqualTo(png.length);
            assertThat(statements.get()).isEqualTo(1);
        }
    }
}
