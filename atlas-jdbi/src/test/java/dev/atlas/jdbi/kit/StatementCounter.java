package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.jdbi.internal.JdbiAtlas;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Counts the SQL statements a call runs, through Jdbi's SqlLogger: for "no N+1" assertions. Test-only. */
public final class StatementCounter {
    private StatementCounter() {}

    /** Runs {@code call} and returns how many statements it executed, with its result. */
    public static <T> Counted<T> count(Atlas atlas, Supplier<T> call) {
        Jdbi jdbi = ((JdbiAtlas) atlas).db().jdbi();
        AtomicInteger n = new AtomicInteger();
        jdbi.setSqlLogger(new SqlLogger() {
            @Override
            public void logAfterExecution(StatementContext context) {
                n.incrementAndGet();
            }
        });
        try {
            T result = call.get();
            return new Counted<>(result, n.get());
        } finally {
            jdbi.setSqlLogger(SqlLogger.NOP_SQL_LOGGER);
        }
    }

    public record Counted<T>(T result, int statements) {}
}
