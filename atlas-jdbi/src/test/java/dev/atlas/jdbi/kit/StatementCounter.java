package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.jdbi.internal.JdbiAtlas;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Counts the SQL statements a call runs, through the statement runner's listener (every store statement runs there): for "no N+1" assertions. Test-only. */
public final class StatementCounter {
    private StatementCounter() {}

    /** Runs {@code call} and returns how many statements it executed, with its result. */
    public static <T> Counted<T> count(Atlas atlas, Supplier<T> call) {
        dev.atlas.jdbi.internal.Db db = ((JdbiAtlas) atlas).db();
        AtomicInteger n = new AtomicInteger();
        db.statementListener((name, sql) -> n.incrementAndGet());
        try {
            T result = call.get();
            return new Counted<>(result, n.get());
        } finally {
            db.statementListener(null);
        }
    }

    public record Counted<T>(T result, int statements) {}
}
