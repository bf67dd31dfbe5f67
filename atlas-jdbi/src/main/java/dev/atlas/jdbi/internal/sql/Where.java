package dev.atlas.jdbi.internal.sql;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Optional filters of a listing: each present filter adds its declared fragment with
 * {@code AND} and remembers its value; the assembled text goes to {@link Catalogue#render} and the
 * values to the call with {@link #bindTo}.
 */
public final class Where {
    private final StringBuilder text = new StringBuilder();
    private final Map<String, @Nullable Object> values = new LinkedHashMap<>();

    /** Adds {@code fragment} (binding {@code :name}) when {@code value} is not null. */
    public Where and(String fragment, String name, @Nullable Object value) {
        if (value != null) {
            text.append(" AND ").append(fragment);
            values.put(name, value);
        }
        return this;
    }

    /** Adds {@code fragment} (binding nothing) when {@code condition} holds. */
    public Where and(boolean condition, String fragment) {
        if (condition) {
            text.append(" AND ").append(fragment);
        }
        return this;
    }

    /**
     * Adds {@code column IN (:name0, :name1, ...)} for a non-empty {@code values}; nothing when it
     * is null. An empty list matches no row.
     */
    public Where in(String column, String name, @Nullable List<?> list) {
        if (list == null) {
            return this;
        }
        if (list.isEmpty()) {
            text.append(" AND 1 = 0");
            return this;
        }
        List<String> names = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            names.add(":" + name + i);
            values.put(name + i, list.get(i));
        }
        text.append(" AND ").append(column).append(" IN (").append(String.join(", ", names)).append(')');
        return this;
    }

    /** Binds the values of the filters added. */
    public Sql.Call bindTo(Sql.Call call) {
        values.forEach(call::bind);
        return call;
    }

    /** The {@code AND ...} fragments added, to append after a WHERE clause. */
    @Override
    public String toString() {
        return text.toString();
    }
}
