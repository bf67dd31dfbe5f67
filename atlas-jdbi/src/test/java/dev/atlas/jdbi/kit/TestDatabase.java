package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;

import javax.sql.DataSource;
import java.util.function.UnaryOperator;

/**
 * A real database for one test: each {@link #open} call gets a fresh, empty database, so
 * tests never see each other's rows. The contract suites only talk to this interface; a new
 * dialect proves itself by implementing it and subclassing the suites.
 */
public interface TestDatabase {
    /** Opens Atlas on a fresh database, letting the test adjust the builder. */
    Atlas open(UnaryOperator<AtlasBuilder> customize);

    default Atlas open() {
        return open(b -> b);
    }

    /**
     * A fresh, empty database without Atlas's tables, for tests that migrate by hand; it counts
     * as the most recent {@link #open} for {@link #dataSource} and {@link #cleanup}.
     */
    DataSource empty();

    /** A data source on the database of the most recent {@link #open} (not owned by Atlas). */
    DataSource dataSource();

    /** Drops what the last {@link #open} created. */
    void cleanup();

    String name();
}
