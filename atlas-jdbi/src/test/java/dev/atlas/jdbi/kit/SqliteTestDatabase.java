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

/** A fresh SQLite file in a new temporary directory per test. */
public final class SqliteTestDatabase implements TestDatabase {
    private Path dir;
    private Path file;

    @Override
    public Atlas open(UnaryOperator<AtlasBuilder> customize) {
        try {
            dir = Files.createTempDirectory("atlas-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        file = dir.resolve("atlas.db");
        return customize.apply(Atlas.builder().sqlite(file)).build();
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
}
