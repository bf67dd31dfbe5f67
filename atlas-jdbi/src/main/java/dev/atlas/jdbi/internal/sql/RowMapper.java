package dev.atlas.jdbi.internal.sql;

import org.jspecify.annotations.Nullable;

import java.sql.ResultSet;
import java.sql.SQLException;

/** Maps the current row of a result set; the second argument is unused (kept so mappers read {@code (rs, ctx) -> ..}). */
@FunctionalInterface
public interface RowMapper<T> {
    T map(ResultSet rs, @Nullable Object ctx) throws SQLException;
}
