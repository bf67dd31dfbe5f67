package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Sql;

import java.util.List;

/** An {@code IN} list of any length for the statement runner: {@code :name0, :name1, …}, rendered and bound in step. */
public final class InList {
    private InList() {}

    /** The markers of {@code n} values named {@code name}; {@code NULL} for none, which matches no row. */
    public static String marks(String name, int n) {
        if (n == 0) {
            return "NULL";
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append(i == 0 ? ":" : ", :").append(name).append(i);
        }
        return out.toString();
    }

    /** Binds {@code values} to the markers {@link #marks} made. */
    public static Sql.Call bind(Sql.Call call, String name, List<?> values) {
        for (int i = 0; i < values.size(); i++) {
            call.bind(name + i, values.get(i));
        }
        return call;
    }
}
