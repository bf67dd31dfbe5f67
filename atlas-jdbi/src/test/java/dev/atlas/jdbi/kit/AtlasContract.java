package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import javax.sql.DataSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
    // A race test may reopen on its worker threads.
    private final List<Atlas> extra = new CopyOnWriteArrayList<>();
    private final List<StatementRecorder> recorders = new CopyOnWriteArrayList<>();

    protected AtlasContract(TestDatabase database) {
        this.database = database;
    }

    /** Adjusts the builder of the per-test instance: by default it runs on {@link #clock}. */
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return builder.clock(clock);
    }

    /** Called before the per-test instance opens, so a suite may ask its database for more than the default (a fresh copy, say). */
    protected void beforeOpen(org.junit.jupiter.api.TestInfo test) {
    }

    @BeforeEach
    void openAtlas(org.junit.jupiter.api.TestInfo test) {
        beforeOpen(test);
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
        // Before the cleanup, which ends every session left on the database and may hand it to the next test.
        pools.values().forEach(HikariDataSource::close);
        pools.clear();
        database.cleanup();
        if (!misses.isEmpty()) {
            throw new AssertionError("statements without a tenant predicate:\n" + String.join("\n", misses));
        }
    }

    /**
     * A second instance on the same database, as another process would run it, closed after the
     * test. On PostgreSQL it borrows from {@link #pooledDatabase}, never from the per-test instance's pool.
     */
    protected Atlas reopen(UnaryOperator<AtlasBuilder> customize) {
        Atlas a = customize.apply(Atlas.builder().dataSource(pooledDatabase())).build();
        extra.add(a);
        recorders.add(StatementRecorder.attach(a));
        return a;
    }

    /**
     * The test's database through a pool on PostgreSQL, as an application's pool would hand it out:
     * the kit's data source opens a new session per connection, which was a quarter of the race
     * tests' time (thread samples). One pool per database the kit points at ({@link
     * TestDatabase#empty} moves it), made on first use, none opened ahead, closed after the test's
     * instances. HikariCP puts back auto-commit, isolation and read-only and rolls back what a
     * borrower left open; Atlas sets no other session state (its advisory locks are the
     * transaction's). On SQLite, the kit's data source as it is.
     */
    protected DataSource pooledDatabase() {
        DataSource kits = database.dataSource();
        if (!(kits instanceof org.postgresql.ds.common.BaseDataSource pg)) {
            return kits;
        }
        return pools.computeIfAbsent(pg.getUrl(), url -> {
            HikariConfig config = new HikariConfig();
            config.setDataSource(kits);
            config.setPoolName("atlas-contract-shared");
            // As many sessions at once as the test's threads need, as unpooled: a smaller cap
            // would queue a race's writers behind each other and change what the race tests.
            config.setMaximumPoolSize(MAX_SHARED);
            config.setMinimumIdle(0);
            return new HikariDataSource(config);
        });
    }

    private static final int MAX_SHARED = 24;
    private final Map<String, HikariDataSource> pools = new ConcurrentHashMap<>();

    /** What a late write did: "accepted", or the exception's class with the entity and id a NotFoundException names. */
    protected static String lateOutcome(Runnable write) {
        Throwable x = org.assertj.core.api.Assertions.catchThrowable(write::run);
        return x == null ? "accepted" : x instanceof dev.atlas.NotFoundException n ? "NotFoundException " + n.entity() + " " + n.id()
                : x.getClass().getSimpleName() + ": " + x.getMessage();
    }
}
