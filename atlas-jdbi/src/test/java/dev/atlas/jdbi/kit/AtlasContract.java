package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Base of every contract suite: a fresh Atlas on a fresh database before each test, closed and
 * dropped after it. Subclasses for a dialect only pass their {@link TestDatabase}.
 */
public abstract class AtlasContract {
    protected final TestDatabase database;
    /** The clock of the per-test Atlas (see {@link #configure}), starting at a time with non-zero microseconds. */
    protected final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:15:30.123456Z"));
    protected Atlas atlas;
    private final List<Atlas> extra = new ArrayList<>();
    private final List<StatementRecorder> recorders = new ArrayList<>();

    protected AtlasContract(TestDatabase database) {
        this.database = database;
    }

    /** Adjusts the builder of the per-test instance: by default it runs on {@link #clock}. */
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return builder.clock(clock);
    }

    @BeforeEach
    void openAtlas() {
        atlas = database.open(this::configure);
        recorders.add(StatementRecorder.attach(atlas));
    }

    /**
     * Closes what the test opened, then checks every statement the test made Atlas run: each one
     * on a tenant table carries the tenant ({@link TenantPredicateCheck}), so the whole kit, on
     * both dialects, is the workload of that check.
     */
    @AfterEach
    void closeAtlas() {
        List<String> misses = new ArrayList<>();
        String prefix = atlas == null ? "atlas_" : atlas.config().tablePrefix();
        for (StatementRecorder r : recorders) {
            misses.addAll(TenantPredicateCheck.misses(r.recorded(), prefix));
        }
        for (Atlas a : extra) {
            a.close();
        }
        if (atlas != null) {
            atlas.close();
        }
        database.cleanup();
        if (!misses.isEmpty()) {
            throw new AssertionError("statements without a tenant predicate:\n" + String.join("\n", misses));
        }
    }

    /** A second instance on the same database, closed after the test. */
    protected Atlas reopen(UnaryOperator<AtlasBuilder> customize) {
        Atlas a = customize.apply(Atlas.builder().dataSource(database.dataSource())).build();
        extra.add(a);
        recorders.add(StatementRecorder.attach(a));
        return a;
    }

    /** What a late write did: "accepted", or the exception's class with the entity and id a NotFoundException names. */
    protected static String lateOutcome(Runnable write) {
        Throwable x = org.assertj.core.api.Assertions.catchThrowable(write::run);
        return x == null ? "accepted" : x instanceof dev.atlas.NotFoundException n ? "NotFoundException " + n.entity() + " " + n.id()
                : x.getClass().getSimpleName() + ": " + x.getMessage();
    }
}
