package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.jdbi.internal.JdbiAtlas;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.SqlLogger;
import org.jdbi.v3.core.statement.StatementContext;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Counts the SQL statements a call runs, through the statement runner's listener and Jdbi's SqlLogger (stores not yet on the runner): for "no N+1" assertions. Test-only. */
public final class StatementCounter {
    private StatementCounter() {}

    /** Runs {@code call} and returns how many statements it executed, with its result. */
    public static <T> Counted<T> count(Atlas atlas, Supplier<T> call) {
        dev.atlas.jdbi.internal.Db db = ((JdbiAtlas) atlas).db();
        Jdbi jdbi = db.jdbi();
        AtomicInteger n = new AtomicInteger();
        db.statementListener((name, sql) -> n.incrementAndGet());
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
            db.statementListener(null);
        }
    }

    public record Counted<T>(T result, int statements) {}
}
