package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An operator backing a tenant up with {@code atlas export}: asset bytes are not in the file (docs/portability.md, "Not
 * in the file"), and the command says so where the operator looks, on stderr, naming the directory that holds them, so
 * a backup script's log shows what else to copy. A tenant without assets gets no note.
 */
class CliAssetBytesTest {
    @Test
    void anExportHoldingAssetsSaysTheirBytesAreNotInTheFile(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("agent.db");
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            Tenant acme = atlas.tenant("acme");
            var c = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
            var m = acme.conversations().append(c.id(), NewMessage.user("here is the map"));
            acme.assets().attach(m.id(), acme.assets().create(NewAsset.of(AssetType.IMAGE, "map.png", "image/png"), new byte[] {1, 2}).id(),
                    java.util.Map.of());
            acme.assets().create(NewAsset.of(AssetType.FILE, "b.bin", "application/octet-stream"), new byte[] {3});
            atlas.tenant("globex").conversations().create(NewConversation.of(Owner.user("7"), "support"));
        }
        Path file = dir.resolve("acme.jsonl");
        Cli.Result r = Cli.run("--db", db.toString(), "-t", "acme", "export", "-o", file.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.err()).isEqualTo("exporting tenant acme ...\n"
                + "atlas: note: the file holds the rows of 2 assets, not their bytes: copy them from " + assets(db)
                + " with it, into the asset directory of the database it is imported into (its --data-dir)\n");

        Cli.Result none = Cli.run("--db", db.toString(), "-t", "globex", "export", "-o", dir.resolve("globex.jsonl").toString());
        assertThat(none.err()).isEqualTo("exporting tenant globex ...\n");

        Cli.Result one = Cli.run("--db", db.toString(), "-t", "acme", "export", "-o", "-", "--owner", "user:42");
        assertThat(one.err()).isEqualTo("exporting tenant acme ...\n" + note(db, 1));
        assertThat(note(db, 1)).isEqualTo("atlas: note: the file holds the row of 1 asset, not its bytes: copy them from " + assets(db)
                + " with it, into the asset directory of the database it is imported into (its --data-dir)\n");
    }

    /**
     * Restoring the export into a fresh database elsewhere (another host, a PostgreSQL): the asset rows import, their
     * bytes do not come with them, and the viewer then fails every download. The import says how many of the file's live
     * assets have no bytes in the target's asset directory, and names it; once they are copied there, it says nothing.
     */
    @Test
    void anImportWhoseAssetsHaveNoBytesHereSaysHowManyAndWhere(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("agent.db");
        java.util.UUID kept;
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            Tenant acme = atlas.tenant("acme");
            kept = acme.assets().create(NewAsset.of(AssetType.IMAGE, "map.png", "image/png"), new byte[] {1, 2}).id();
            acme.assets().create(NewAsset.of(AssetType.FILE, "b.bin", "application/octet-stream"), new byte[] {3});
            acme.assets().delete(acme.assets().create(NewAsset.of(AssetType.FILE, "gone.bin", "application/octet-stream"), new byte[] {4}).id());
        }
        Path file = dir.resolve("acme.jsonl");
        assertThat(Cli.run("--db", db.toString(), "-t", "acme", "export", "-o", file.toString()).exitCode()).isZero();
        Path restored = java.nio.file.Files.createDirectory(dir.resolve("restored"));
        Path copy = restored.resolve("copy.db");
        Cli.Result r = Cli.run("--db", copy.toString(), "-t", "acme", "import", "-i", file.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).isEqualTo("importing into tenant acme ...\n"
                + "atlas: warning: 2 of the file's assets have no bytes in " + assets(copy) + ": copy them there from the asset directory of"
                + " the database it was exported from (the same blob keys), or their downloads fail\n");
        assertThat(missing(copy, 1)).isEqualTo("atlas: warning: 1 of the file's assets has no bytes in " + assets(copy)
                + ": copy them there from the asset directory of the database it was exported from (the same blob keys), or their downloads fail\n");

        // The bytes copied over (the file names are the blob keys): the same import says nothing more.
        Path from = assets(db);
        try (var walk = java.nio.file.Files.walk(from)) {
            for (Path p : walk.filter(java.nio.file.Files::isRegularFile).toList()) {
                Path to = assets(copy).resolve(from.relativize(p).toString());
                java.nio.file.Files.createDirectories(to.getParent());
                java.nio.file.Files.copy(p, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Cli.Result again = Cli.run("--db", copy.toString(), "-t", "acme", "import", "-i", file.toString());
        assertThat(again.err()).isEqualTo("importing into tenant acme ...\n");
        try (Atlas atlas = Atlas.sqlite(copy); java.io.InputStream in = atlas.tenant("acme").assets().open(kept)) {
            assertThat(in.readAllBytes()).containsExactly(1, 2);
        }
    }

    /** The note an export of {@code assets} assets from the SQLite file {@code db} (its default asset directory) ends stderr with. */
    static String note(Path db, int assets) throws java.io.IOException {
        return "atlas: note: the file holds " + (assets == 1 ? "the row of 1 asset, not its" : "the rows of " + assets + " assets, not their")
                + " bytes: copy them from " + assets(db) + " with it, into the asset directory of the database it is imported into (its --data-dir)\n";
    }

    /** The warning an import into the SQLite file {@code db} ends stderr with when {@code assets} of the file's assets have no bytes there. */
    static String missing(Path db, int assets) throws java.io.IOException {
        return missingIn(assets(db), assets);
    }

    /** {@link #missing} for the asset directory {@code dir}. */
    static String missingIn(Path dir, int assets) {
        return "atlas: warning: " + assets + " of the file's assets " + (assets == 1 ? "has" : "have") + " no bytes in " + dir
                + ": copy them there from the asset directory of the database it was exported from (the same blob keys), or their downloads fail\n";
    }

    private static Path assets(Path db) throws java.io.IOException {
        return db.toRealPath().resolveSibling(db.getFileName() + "-assets");
    }
}
