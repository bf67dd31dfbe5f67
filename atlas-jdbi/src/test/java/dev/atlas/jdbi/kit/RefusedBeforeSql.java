package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasException;
import dev.atlas.InvalidInputException;
import dev.atlas.Tenant;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of the dialect-free input-validation tests (issue 14). Bad input is refused in Java before
 * any SQL runs, so it needs no database of its own and no second dialect: these tests run once,
 * on one Atlas per class over a copy of the migrated SQLite template, and prove "before any
 * write" instead of assuming it: every refusal must run no statement at all, counted by the
 * statement runner ({@link StatementCounter}) and at the JDBC level ({@link CountingDataSource}).
 * A refusal that needs a lookup (an unknown or foreign id, a closed conversation) is not
 * validation and stays in the per-dialect contracts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class RefusedBeforeSql {
    /** The instance's clock, starting at a time with non-zero microseconds. */
    protected final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:15:30.123456Z"));
    /** The instance shared by the class's tests; each test works in its own {@link #freshTenant()}. */
    protected Atlas atlas;
    private final SqliteTestDatabase database = new SqliteTestDatabase();
    private final List<Atlas> extra = new ArrayList<>();
    private CountingDataSource counting;
    private int tenants;

    /** Adjusts the builder of the shared instance: by default it runs on {@link #clock}. */
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return builder.clock(clock);
    }

    @BeforeAll
    void openAtlas() {
        database.open().close(); // a copy of the migrated template, with its own installation id
        counting = new CountingDataSource(database.dataSource());
        atlas = configure(Atlas.builder().dataSource(counting.dataSource())).build();
    }

    @AfterAll
    void closeAtlas() {
        extra.forEach(Atlas::close);
        if (atlas != null) {
            atlas.close();
        }
        database.cleanup();
    }

    /** The shared database, for checks that read it directly (not counted). */
    protected javax.sql.DataSource dataSource() {
        return database.dataSource();
    }

    /** A tenant no other test has written to, so "nothing was written" checks see this test's rows only. */
    protected Tenant freshTenant() {
        return atlas.tenant("t" + (++tenants));
    }

    /** Another instance on the same database (closed after the class), adjusted by {@code customize}. */
    protected Atlas another(java.util.function.UnaryOperator<AtlasBuilder> customize) {
        // On the counting data source too: the JDBC count of a refusal covers this instance as well.
        Atlas a = customize.apply(Atlas.builder().dataSource(counting.dataSource())).build();
        extra.add(a);
        return a;
    }

    /**
     * Runs {@code call}, which must throw exactly {@link InvalidInputException} naming {@code field}
     * without running any SQL statement.
     */
    protected InvalidInputException refused(String field, ThrowingCallable call) {
        InvalidInputException e = refused(InvalidInputException.class, call);
        assertThat(e.field()).as("field named by %s", e.getMessage()).isEqualTo(field);
        return e;
    }

    /** Runs {@code call}, which must throw exactly {@code type} without running any SQL statement. */
    protected <E extends AtlasException> E refused(Class<E> type, ThrowingCallable call) {
        Outcome outcome = run(call);
        assertThat(outcome.thrown()).as("what the call threw").isExactlyInstanceOf(type);
        assertThat(outcome.statements()).as("SQL statements run before refusing (%s)", outcome.thrown().getMessage()).isZero();
        return type.cast(outcome.thrown());
    }

    /** What a call threw (null if it returned) and how many statements it ran, by either count. */
    public record Outcome(Throwable thrown, long statements) {}

    /** Runs {@code call} on this thread, counting the statements the shared instance runs meanwhile. */
    protected Outcome run(ThrowingCallable call) {
        counting.reset();
        StatementCounter.Counted<Throwable> counted = StatementCounter.count(atlas, () -> {
            try {
                call.call();
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        return new Outcome(counted.result(), Math.max(counted.statements(), counting.statements()));
    }
}
