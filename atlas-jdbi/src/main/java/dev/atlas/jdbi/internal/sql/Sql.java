package dev.atlas.jdbi.internal.sql;

import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.JsonDoc;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The one way a store runs SQL: bound to one tenant, it binds {@code :t} itself (a caller binding
 * it is a bug and fails), binds named parameters by the positions its {@link Statement} computed
 * once, maps rows with plain JDBC, logs each statement at debug level ({@code dev.atlas.sql}),
 * reports it to the {@link Db}'s statement listener, and hands driver errors to {@link Db}'s
 * translation as {@link SqlFailure}s. Work runs on the handle of the surrounding {@code db.read} or
 * {@code db.write}, inside its transaction.
 */
public final class Sql {
    private static final Logger LOG = LoggerFactory.getLogger("dev.atlas.sql");

    /** Column 1 as a long (0 for SQL NULL). */
    public static final RowMapper<Long> LONG = (rs, ctx) -> rs.getLong(1);
    /** Column 1 as an int (0 for SQL NULL). */
    public static final RowMapper<Integer> INT = (rs, ctx) -> rs.getInt(1);
    /** Column 1 as a string. */
    public static final RowMapper<String> STRING = (rs, ctx) -> rs.getString(1);

    private final Db db;
    private final @Nullable TenantId tenant;

    public Sql(Db db, TenantId tenant) {
        this.db = db;
        this.tenant = tenant;
    }

    private Sql(Db db) {
        this.db = db;
        this.tenant = null;
    }

    /** A runner for operator calls that span tenants: it runs only statements declared {@link Catalogue#crossTenant}. */
    public static Sql crossTenant(Db db) {
        return new Sql(db);
    }

    public @Nullable TenantId tenant() {
        return tenant;
    }

    /**
     * The listing {@code name} under {@code filter}, bound to this runner's tenant (see
     * {@link Cursor#listing}): the tenant is part of every listing's cursors by construction.
     */
    public Cursor.Listing listing(String name, Object... filter) {
        if (tenant == null) {
            throw new IllegalStateException(name + ": a cross-tenant runner hands out no cursors");
        }
        return Cursor.listing(tenant, name, filter);
    }

    public Db db() {
        return db;
    }

    public Dialect dialect() {
        return db.dialect();
    }

    /** Starts a call of {@code statement} on the connection of {@code h}. */
    public Call on(Handle h, Statement statement) {
        check(statement);
        return new Call(h.getConnection(), h, statement);
    }

    /** Starts a call of {@code statement} on {@code connection} (inside a transaction the caller holds). */
    public Call on(Connection connection, Statement statement) {
        check(statement);
        return new Call(connection, null, statement);
    }

    private void check(Statement statement) {
        if (tenant == null && statement.crossTenantReason() == null && statement.has("t")) {
            throw new IllegalStateException(statement.name() + " is tenant-bound; the cross-tenant runner cannot run it");
        }
    }

    /** Column 1 as a UUID, read the way this dialect stores ids. */
    public RowMapper<UUID> uuidColumn() {
        Dialect d = db.dialect();
        return (rs, ctx) -> d.uuid(rs, rs.getMetaData().getColumnLabel(1));
    }

    /** One call of one statement: bind, then run it with one terminal method (which closes it). */
    public final class Call {
        private final @Nullable Handle handle;
        private final Statement statement;
        private final PreparedStatement ps;
        private final boolean[] bound;
        private int batched;

        private Call(Connection connection, @Nullable Handle handle, Statement statement) {
            this.handle = handle;
            this.statement = statement;
            this.bound = new boolean[statement.parameterCount() + 1];
            try {
                this.ps = handle != null ? handle.prepare(statement) : connection.prepareStatement(statement.jdbc());
            } catch (SQLException e) {
                throw new SqlFailure(statement.name(), e);
            }
            if (statement.has("t") && tenant != null) {
                set("t", tenant.value());
            }
        }

        /**
         * Binds {@code value} to every use of {@code :name}: strings, UUIDs, instants and JSON
         * documents the way the dialect stores them; numbers, booleans and bytes as themselves;
         * null as SQL NULL. Enums are refused: bind the text the column stores.
         */
        public Call bind(String name, @Nullable Object value) {
            if (name.equals("t")) {
                throw new IllegalArgumentException(statement.name() + ": the runner binds :t itself");
            }
            return set(name, value);
        }

        private Call set(String name, @Nullable Object value) {
            try {
                for (int i : statement.positions(name)) {
                    bindAt(i, value);
                    bound[i] = true;
                }
            } catch (SQLException e) {
                throw failed(e);
            }
            return this;
        }

        private void bindAt(int i, @Nullable Object value) throws SQLException {
            Dialect d = db.dialect();
            if (value == null) {
                ps.setNull(i, d == Dialect.POSTGRESQL ? Types.OTHER : Types.NULL);
            } else if (value instanceof String s) {
                ps.setString(i, s);
            } else if (value instanceof UUID u) {
                d.bindUuid(ps, i, u);
            } else if (value instanceof Instant t) {
                d.bindInstant(ps, i, t);
            } else if (value instanceof JsonDoc j) {
                d.bindJson(ps, i, j.text());
            } else if (value instanceof Long l) {
                ps.setLong(i, l);
            } else if (value instanceof Integer n) {
                ps.setInt(i, n);
            } else if (value instanceof Boolean b) {
                ps.setBoolean(i, b);
            } else if (value instanceof byte[] b) {
                ps.setBytes(i, b);
            } else if (value instanceof Double x) {
                ps.setDouble(i, x);
            } else if (value instanceof Float x) {
                ps.setFloat(i, x);
            } else if (value instanceof BigDecimal x) {
                ps.setBigDecimal(i, x);
            } else if (value instanceof Short x) {
                ps.setShort(i, x);
            } else {
                throw new IllegalArgumentException(statement.name() + ": cannot bind a " + value.getClass().getName());
            }
        }

        private void requireAllBound() {
            for (int i = 1; i < bound.length; i++) {
                if (!bound[i]) {
                    throw new IllegalStateException(statement.name() + ": parameter " + i + " of " + statement.jdbc() + " is not bound");
                }
            }
        }

        /** Runs an INSERT, UPDATE or DELETE and returns the rows it changed. */
        public int update() {
            requireAllBound();
            long start = System.nanoTime();
            try {
                int n = ps.executeUpdate();
                ran(start, n);
                done();
                return n;
            } catch (SQLException e) {
                throw failed(e);
            }
        }

        /** Every row, mapped. */
        public <T> List<T> list(RowMapper<T> mapper) {
            List<T> out = new ArrayList<>();
            forEach(mapper, out::add);
            return out;
        }

        /**
         * Rows the driver fetches per round trip, for results too big to hold: PostgreSQL streams
         * them only inside a transaction; SQLite always steps row by row.
         */
        public Call fetchSize(int rows) {
            try {
                ps.setFetchSize(rows);
            } catch (SQLException e) {
                throw failed(e);
            }
            return this;
        }

        /** Each row, mapped and handed to {@code sink} as it is read (for results too big to hold). */
        public <T> int forEach(RowMapper<T> mapper, Consumer<? super T> sink) {
            requireAllBound();
            long start = System.nanoTime();
            int n = 0;
            try {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        sink.accept(mapper.map(rs, null));
                        n++;
                    }
                }
                ran(start, n);
                done();
                return n;
            } catch (SQLException e) {
                throw failed(e);
            } catch (RuntimeException | Error e) {
                quietly(true);
                throw e;
            }
        }

        /** The only row, if any; a second row is a bug in the statement. */
        public <T> Optional<T> optional(RowMapper<T> mapper) {
            List<T> rows = list(mapper);
            if (rows.size() > 1) {
                throw new IllegalStateException(statement.name() + " returned " + rows.size() + " rows where at most one was expected");
            }
            return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
        }

        /** The only row; none or several is a bug in the statement. */
        public <T> T one(RowMapper<T> mapper) {
            return optional(mapper).orElseThrow(() -> new IllegalStateException(statement.name() + " returned no row"));
        }

        /** Whether the query returns any row. */
        public boolean exists() {
            return !list((rs, ctx) -> Boolean.TRUE).isEmpty();
        }

        /** Adds the current bindings as one row of a batch; bind the next row after. */
        public Call add() {
            requireAllBound();
            try {
                ps.addBatch();
            } catch (SQLException e) {
                throw failed(e);
            }
            batched++;
            java.util.Arrays.fill(bound, 1, bound.length, false);
            if (statement.has("t") && tenant != null) {
                set("t", tenant.value());
            }
            return this;
        }

        /** Runs the rows {@link #add added}, returning the rows each changed. */
        public int[] batch() {
            long start = System.nanoTime();
            try {
                int[] counts = batched == 0 ? new int[0] : ps.executeBatch();
                ran(start, counts.length);
                done();
                return counts;
            } catch (SQLException e) {
                throw failed(e);
            }
        }

        private void ran(long start, int rows) {
            db.statementRan(statement.name(), statement.jdbc());
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} [{}] {} row(s) in {} µs", statement.name(), tenant == null ? "*" : tenant.value(), rows,
                        (System.nanoTime() - start) / 1_000);
            }
        }

        /** Hands the statement back: a cached one stays prepared for the next call, any other is closed. */
        private void done() throws SQLException {
            if (handle != null) {
                handle.done(statement, ps, false);
            } else {
                ps.close();
            }
        }

        private void quietly(boolean failed) {
            try {
                if (handle != null) {
                    handle.done(statement, ps, failed);
                } else {
                    ps.close();
                }
            } catch (SQLException | RuntimeException ignored) {
                // the statement's own error is the one to report
            }
        }

        private RuntimeException failed(SQLException e) {
            quietly(true);
            return new SqlFailure(statement.name(), e);
        }
    }
}
