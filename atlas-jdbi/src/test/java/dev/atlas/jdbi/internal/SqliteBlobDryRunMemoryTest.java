package dev.atlas.jdbi.internal;

import dev.atlas.AtlasBuilder;
import dev.atlas.Tenant;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a dry run of a tenant's erase keeps in memory to count the blob files it would delete, page after page
 * ({@code JdbiPortability.tenantBlobFiles}): dialect-independent logic, so SQLite alone.
 */
class SqliteBlobDryRunMemoryTest extends AtlasContract {
    @TempDir
    Path blobDir;

    SqliteBlobDryRunMemoryTest() {
        super(new SqliteTestDatabase());
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).blobStore(new LocalDirectoryBlobStore(blobDir));
    }

    @Test
    @DisplayName("a dry run's count of blob files forgets a key once every row of the tenant naming it has been counted: keys each"
            + " named by one row leave nothing behind (before: every key the dry run met stayed in memory to the end, so the"
            + " count of a tenant's files grew with its assets)")
    void aDryRunForgetsKeysWhoseRowsItHasAllCounted() {
        Tenant acme = atlas.tenant("acme");
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            keys.add(acme.assets().store(NewAsset.of(AssetType.DOCUMENT, "f" + i + ".txt", "text/plain"),
                    ("bytes " + i).getBytes(StandardCharsets.UTF_8)).blobKey());
        }
        Db db = ((JdbiAtlas) atlas).db();
        Sql sql = new Sql(db, new TenantId("acme"));
        BlobReaper.Going going = BlobReaper.Going.eachRowOnce();
        long files = 0;
        for (String key : keys) {
            // One page per key, as a large tenant's pages go.
            files += db.read(h -> BlobReaper.unnamedAfter(sql, h, List.of(key), going));
        }
        assertThat(files).isEqualTo(5);
        assertThat(going.remembered()).isZero();
    }
}
