package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * After an import, assets whose bytes cannot be opened in the target's asset directory: only bytes that are not there are
 * "missing" (copy them over); bytes the user may not read, a directory where the blob file should be, or a blob cut short
 * each get their own warning saying what is wrong and what to do, and the rows stay imported (exit 0). A database that
 * fails while the bytes are checked is said as such, never counted as missing bytes.
 */
class CliAssetBytesCausesTest {
    @TempDir
    Path dir;

    private Path restore;

    @AfterEach
    void readableAgain() throws Exception {
        if (restore != null) {
            Files.setPosixFilePermissions(restore, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    /** A source database holding one asset of 3 bytes, exported to a file; returns the export. */
    private Path exported(Path source) {
        try (Atlas atlas = Atlas.sqlite(source)) {
            atlas.tenant("acme").assets().create(NewAsset.of(AssetType.FILE, "a.bin", "application/octet-stream"), new byte[] {1, 2, 3});
        }
        Path file = dir.resolve("acme.jsonl");
        assertThat(Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", file.toString()).exitCode()).isZero();
        return file;
    }

    /** Copies the blob files of {@code from} into the asset directory {@code to}, as an operator would; returns the copies. */
    private static List<Path> copyBlobs(Path from, Path to) throws Exception {
        try (var walk = Files.walk(from)) {
            List<Path> blobs = walk.filter(Files::isRegularFile).toList();
            assertThat(blobs).hasSize(1);
            Path copy = to.resolve(from.relativize(blobs.get(0)).toString());
            Files.createDirectories(copy.getParent());
            Files.copy(blobs.get(0), copy);
            return List.of(copy);
        }
    }

    private record Restore(Path db, Path assets, Path blob) {
    }

    /** A fresh directory with the asset bytes of {@code source} already copied into where copy.db's assets go. */
    private Restore restoreDir(Path source) throws Exception {
        Path restored = Files.createDirectory(dir.resolve("restored")).toRealPath();
        Path assets = restored.resolve("copy.db-assets");
        Path blob = copyBlobs(source.toRealPath().resolveSibling(source.getFileName() + "-assets"), assets).get(0);
        return new Restore(restored.resolve("copy.db"), assets, blob);
    }

    @Test
    void bytesTheUserMayNotReadAreSaidAsPermissionDeniedNotAsMissing() throws Exception {
        Path source = dir.resolve("source.db");
        Path file = exported(source);
        Restore r = restoreDir(source);
        Files.setPosixFilePermissions(r.blob(), PosixFilePermissions.fromString("---------"));
        restore = r.blob();
        Cli.Result result = Cli.runAsUser("--db", r.db().toString(), "-t", "acme", "import", "-i", file.toString());
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).isEqualTo("importing into tenant acme ...\n"
                + "atlas: warning: 1 of the file's assets cannot be read in " + r.assets() + " (permission denied): let the user running"
                + " atlas and the application read its bytes there, or their downloads fail\n");
    }

    @Test
    void aDirectoryWhereTheBlobFileShouldBeIsSaidAsSuch() throws Exception {
        Path source = dir.resolve("source.db");
        Path file = exported(source);
        Restore r = restoreDir(source);
        Files.delete(r.blob());
        Files.createDirectory(r.blob());
        Cli.Result result = Cli.run("--db", r.db().toString(), "-t", "acme", "import", "-i", file.toString());
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).isEqualTo("importing into tenant acme ...\n"
                + "atlas: warning: 1 of the file's assets has a directory where its bytes should be in " + r.assets() + ": replace it with"
                + " the blob file of the same name from the asset directory of the database it was exported from, or their downloads fail\n");
    }

    @Test
    void aBlobCutShortIsSaidAsDamagedNotAsMissing() throws Exception {
        Path source = dir.resolve("source.db");
        Path file = exported(source);
        Restore r = restoreDir(source);
        Files.write(r.blob(), new byte[] {1, 2});
        Cli.Result result = Cli.run("--db", r.db().toString(), "-t", "acme", "import", "-i", file.toString());
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).isEqualTo("importing into tenant acme ...\n"
                + "atlas: warning: 1 of the file's assets has damaged bytes in " + r.assets() + " (not the size its row records): copy them"
                + " again from the asset directory of the database it was exported from, or their downloads fail\n");
    }

    /** The database closed (or failing) while the bytes are checked: said as the check failing, with the database's reason. */
    @Test
    void aDatabaseThatFailsDuringTheCheckIsNotCountedAsMissingBytes() throws Exception {
        Path db = dir.resolve("agent.db");
        UUID id;
        Atlas atlas = Atlas.sqlite(db);
        dev.atlas.asset.AssetStore store = atlas.tenant("acme").assets();
        id = store.create(NewAsset.of(AssetType.FILE, "a.bin", "application/octet-stream"), new byte[] {1}).id();
        Path assets = atlas.config().assetDirectory().toAbsolutePath();
        atlas.close();
        AssetBytes.Outcome outcome = AssetBytes.check(store, assets, List.of(id));
        assertThat(outcome.warnings(assets)).containsExactly("atlas: warning: the rows were imported, but their assets' bytes could not"
                + " be checked: this Atlas instance is closed");
    }
}
