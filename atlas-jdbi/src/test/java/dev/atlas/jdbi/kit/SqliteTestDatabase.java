package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import org.sqlite.SQLiteDataSource;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A fresh SQLite file in a new temporary directory per test. When the test opens Atlas with the
 * default prefix and migrations on, the file starts as a copy of one database migrated once per
 * JVM (with its own installation id), so Atlas finds nothing to apply; otherwise it starts empty.
 */
public final class SqliteTestDatabase implements TestDatabase {
    private static Path template;

    private Path dir;
    private Path file;

    @Override
    public Atlas open(UnaryOperator<AtlasBuilder> customize) {
        newFile();
        AtlasBuilder builder = customize.apply(Atlas.builder().sqlite(file));
        if (Templates.wanted(builder, c -> file.equals(c.sqliteFile()))) {
            copyTemplate();
        }
        return builder.build();
    }

    @Override
    public DataSource empty() {
        newFile();
        // In WAL mode, as Atlas creates its files: Atlas refuses a supplied pool on any other journal mode.
        try (var c = dataSource().getConnection(); var s = c.createStatement()) {
            s.execute("PRAGMA journal_mode=WAL");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return dataSource();
    }

    private void newFile() {
        try {
            dir = Files.createTempDirectory("atlas-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        file = dir.resolve("atlas.db");
    }

    /** The migrated database every copy starts from, made on first use. */
    private static synchronized Path template() {
        if (template == null) {
            try {
                Path file = Files.createTempDirectory("atlas-template").resolve("atlas.db");
                Atlas.builder().sqlite(file).build().close();
                file.toFile().deleteOnExit();
                file.getParent().toFile().deleteOnExit();
                template = file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return template;
    }

    private void copyTemplate() {
        try {
            // Created owner-only first, as Atlas creates a new file; writing keeps those permissions.
            Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            Path source = template();
            Files.write(file, Files.readAllBytes(source));
            Path wal = source.resolveSibling(source.getFileName() + "-wal");
            if (Files.exists(wal)) {
                // Closing the last connection checkpoints and removes it; should one remain, its pages belong to the copy.
                Files.copy(wal, file.resolveSibling(file.getFileName() + "-wal"));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Templates.newInstallationId(dataSource());
    }

    public Path file() {
        return file;
    }

    @Override
    public DataSource dataSource() {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + file);
        return ds;
    }

    @Override
    public void cleanup() {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String name() {
        return "SQLite";
    }

    /** SQLite's plan of {@code jdbc} (positional parameters) on this database: the detail of each EXPLAIN QUERY PLAN row, in order. */
    public java.util.List<String> plan(String jdbc) throws java.sql.SQLException {
        java.util.List<String> rows = new java.util.ArrayList<>();
        try (java.sql.Connection c = dataSource().getConnection(); java.sql.PreparedStatement s = c.prepareStatement("EXPLAIN QUERY PLAN " + jdbc);
             java.sql.ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                rows.add(rs.getString("detail"));
            }
        }
        return rows;
    }
}
