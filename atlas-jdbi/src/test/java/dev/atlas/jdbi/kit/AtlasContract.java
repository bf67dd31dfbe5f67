package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Base of every contract suite: a fresh Atlas on a fresh database before each test, closed and
 * dropped after it. Subclasses for a dialect only pass their {@link TestDatabase}.
 */
public abstract class AtlasContract {
    protected final TestDatabase database;
    protected Atlas atlas;
    private final List<Atlas> extra = new ArrayList<>();

    protected AtlasContract(TestDatabase database) {
        this.database = database;
    }

    /** Override to adjust the builder of the per-test instance. */
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return builder;
    }

    @BeforeEach
    void openAtlas() {
        atlas = database.open(this::configure);
    }

    @AfterEach
    void closeAtlas() {
        for (Atlas a : extra) {
            a.close();
        }
        if (atlas != null) {
            atlas.close();
        }
        database.cleanup();
    }

    /** A second instance on the same database, closed after the test. */
    protected Atlas reopen(UnaryOperator<AtlasBuilder> customize) {
        Atlas a = customize.apply(Atlas.builder().dataSource(database.dataSource())).build();
        extra.add(a);
        return a;
    }
}
