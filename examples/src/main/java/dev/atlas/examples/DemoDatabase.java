package dev.atlas.examples;

import dev.atlas.Atlas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the demo keeps its data, from the command line:
 * <ul>
 *   <li>no argument: the SQLite file {@code atlas-data/demo.db}, deleted first (with its
 *       {@code -wal}, {@code -shm} and asset directory) so every run tells the same story;</li>
 *   <li>a file path: that SQLite file, likewise deleted first;</li>
 *   <li>a JDBC URL, optionally followed by user and password: that database, left as it is; the
 *       run uses a new tenant id, so runs never collide.</li>
 * </ul>
 */
record DemoDatabase(Path sqliteFile, String jdbcUrl, String user, String password, String tenantId) {

    static DemoDatabase from(String... args) {
        if (args.length == 0) {
            return sqlite(Path.of("atlas-data", "demo.db"));
        }
        if (args[0].startsWith("jdbc:")) {
            String user = args.length > 1 ? args[1] : null;
            String password = args.length > 2 ? args[2] : null;
            return new DemoDatabase(null, args[0], user, password, "acme-" + System.currentTimeMillis());
        }
        return sqlite(Path.of(args[0]));
    }

    private static DemoDatabase sqlite(Path file) {
        return new DemoDatabase(file, null, null, null, "acme");
    }

    /** Opens Atlas, starting from an empty SQLite file when the demo owns the file. */
    Atlas open() {
        if (sqliteFile == null) {
            return Atlas.builder().jdbcUrl(jdbcUrl).credentials(user, password).build();
        }
        deleteSqliteFiles();
        return Atlas.sqlite(sqliteFile);
    }

    void printLocation(Atlas atlas) {
        System.out.println();
        if (sqliteFile != null) {
            System.out.printf("Database file:   %s%n", sqliteFile.toAbsolutePath().normalize());
        } else {
            // Without the query string, where a password may be.
            System.out.printf("Database:        %s (tenant %s)%n", jdbcUrl.replaceFirst("\\?.*", ""), tenantId);
        }
        System.out.printf("Asset directory: %s%n", atlas.config().assetDirectory().toAbsolutePath().normalize());
    }

    private void deleteSqliteFiles() {
        try {
            for (String suffix : List.of("", "-wal", "-shm")) {
                Files.deleteIfExists(sqliteFile.resolveSibling(sqliteFile.getFileName() + suffix));
            }
            // Ask the library where this file's assets go rather than repeat its naming rule.
            deleteTree(Atlas.builder().sqlite(sqliteFile).config().assetDirectory());
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the previous demo database " + sqliteFile, e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
