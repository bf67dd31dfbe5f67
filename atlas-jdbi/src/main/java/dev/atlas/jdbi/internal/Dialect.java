package dev.atlas.jdbi.internal;

import dev.atlas.DatabaseKind;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Every difference between SQLite and PostgreSQL that is not in the migration files: how ids,
 * timestamps and JSON are bound and read. SQL statements are shared; only column types differ
 * (uuid/timestamptz/jsonb on PostgreSQL, text/integer microseconds/checked text on SQLite).
 */
public enum Dialect {
    SQLITE {
        @Override
        public void bindUuid(PreparedStatement ps, int i, UUID id) throws SQLException {
            ps.setString(i, id.toString());
        }

        @Override
        public void bindInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
            ps.setLong(i, toMicros(t));
        }

        @Override
        public void bindJson(PreparedStatement ps, int i, String json) throws SQLException {
            ps.setString(i, json);
        }

        @Override
        Instant instant(ResultSet rs, String alias, String column) throws SQLException {
            // The column's INTEGER affinity stores any whole number as an integer, but keeps text that is no number and a
            // fraction as they are: getLong read '12abc' as 12 and cut 1.5 to 1, a wrong instant and a key that does not
            // order as stored (a listing paging from it read the same rows again).
            Object stored = rs.getObject(alias);
            if (stored == null) {
                return null;
            }
            if (stored instanceof Long || stored instanceof Integer) {
                return fromMicros(((Number) stored).longValue());
            }
            if (stored instanceof Double d && d == Math.rint(d) && d >= -0x1p63 && d < 0x1p63) {
                return fromMicros(d.longValue());
            }
            String type = stored instanceof Double ? "a fraction" : stored instanceof String ? "text" : "a blob";
            throw new dev.atlas.UnreadableRowException(null, null, column + ": stored as " + type
                    + ", not a whole number of microseconds", new IllegalStateException("timestamp stored as " + type));
        }
    },
    POSTGRESQL {
        @Override
        public void bindUuid(PreparedStatement ps, int i, UUID id) throws SQLException {
            ps.setObject(i, id);
        }

        @Override
        public void bindInstant(PreparedStatement ps, int i, Instant t) throws SQLException {
            ps.setObject(i, OffsetDateTime.ofInstant(t.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC));
        }

        @Override
        public void bindJson(PreparedStatement ps, int i, String json) throws SQLException {
            // Types.OTHER sends the text untyped, so the server casts it to the column's jsonb
            // without needing stringtype=unspecified on the URL.
            ps.setObject(i, json, Types.OTHER);
        }

        @Override
        Instant instant(ResultSet rs, String alias, String column) throws SQLException {
            OffsetDateTime t = rs.getObject(alias, OffsetDateTime.class);
            return t == null ? null : t.toInstant();
        }
    };

    public abstract void bindUuid(PreparedStatement ps, int i, UUID id) throws SQLException;

    public abstract void bindInstant(PreparedStatement ps, int i, Instant t) throws SQLException;

    public abstract void bindJson(PreparedStatement ps, int i, String json) throws SQLException;

    /**
     * The timestamp in {@code column}; a value this version cannot read throws {@link dev.atlas.UnreadableRowException}
     * naming the column but no row: a mapper wrapped by {@link Rows#guard} adds the row, any other read uses
     * {@link #instant(ResultSet, String, String, String, String)}.
     */
    public Instant instant(ResultSet rs, String column) throws SQLException {
        return instant(rs, column, column);
    }

    /**
     * The one way to read a timestamp outside a guarded row mapper: a value this version cannot read fails naming
     * {@code table}, the row {@code rowId} and {@code column}, the stored column the value came from, where the
     * statement reads it as the computed {@code alias} (a day's start, the latest of several writes).
     */
    public Instant instant(ResultSet rs, String alias, String table, String column, String rowId) throws SQLException {
        try {
            return instant(rs, alias, column);
        } catch (dev.atlas.UnreadableRowException e) {
            throw Rows.inRow(table, rowId, e);
        }
    }

    /** The timestamp read as {@code alias}; unreadable, it is named as {@code column}'s value. */
    abstract Instant instant(ResultSet rs, String alias, String column) throws SQLException;

    /**
     * A condition true for a timestamp {@code column} whose value is no instant, so it is in no range of instants:
     * SQLite keeps text and blobs in an INTEGER column and sorts them after every number (a range of bound
     * instants never meets them; this reaches them through the same index, the empty text being the least
     * text; a fraction, which orders among the numbers, is not matched). PostgreSQL's timestamptz holds nothing else.
     */
    public String noInstant(String column) {
        return this == SQLITE ? "(" + column + " >= '')" : "FALSE";
    }

    /** {@link #bindUuid}, or SQL NULL typed for the id column (uuid on PostgreSQL, text on SQLite). */
    public void bindOptionalUuid(PreparedStatement ps, int i, UUID id) throws SQLException {
        if (id == null) {
            ps.setNull(i, this == POSTGRESQL ? Types.OTHER : Types.VARCHAR);
        } else {
            bindUuid(ps, i, id);
        }
    }

    /** A nullable number for plain-JDBC statements. */
    public static void bindLong(PreparedStatement ps, int i, Long value) throws SQLException {
        if (value == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, value);
        }
    }

    public UUID uuid(ResultSet rs, String column) throws SQLException {
        String s = rs.getString(column);
        return s == null ? null : UUID.fromString(s);
    }

    public DatabaseKind kind() {
        return this == SQLITE ? DatabaseKind.SQLITE : DatabaseKind.POSTGRESQL;
    }

    // ---- full-text search and locking (memory and search) --------------------------------

    /**
     * FROM clause joining the full-text index to {@code table} (aliased {@code alias}). SQLite
     * matches against the FTS5 table that triggers keep in step with the {@code search_text}
     * column; PostgreSQL against an expression GIN index on it. Binds {@code :q}
     * ({@link #textQuery}) and {@code :t}.
     */
    public String textFrom(String table, String alias, String targetType) {
        if (this == SQLITE) {
            return "<p>search_fts JOIN <p>" + table + " " + alias + " ON " + alias + ".tenant_id = <p>search_fts.tenant_id AND "
                    + alias + ".id = <p>search_fts.target_id AND <p>search_fts.target_type = '" + targetType + "'";
        }
        return "<p>" + table + " " + alias;
    }

    /**
     * The match condition for {@link #textFrom}: the tenant's rows holding every term of
     * {@link #textQuery}. Both indexes hold the row's tenant as a term (migration V23), asked for
     * with the words, so the index reads this tenant's matches only, never another's.
     */
    public String textMatch(String alias) {
        if (this == SQLITE) {
            return "<p>search_fts MATCH ('\"x0' || lower(hex(:t)) || '\" ' || :q)";
        }
        return "array_append(string_to_array(" + alias + ".search_text, ' '), ':' || " + alias + ".tenant_id)"
                + " @> array_append(string_to_array(:q, ' '), ':' || :t)";
    }

    /**
     * The bound query for {@link SearchText} terms (lower-case ASCII letters and digits, so never
     * query syntax): each quoted as an FTS5 string on SQLite, space-separated on PostgreSQL (split
     * into the array the index holds). Both mean "every term".
     */
    public String textQuery(java.util.List<String> terms) {
        if (this == SQLITE) {
            StringBuilder b = new StringBuilder();
            for (String w : terms) {
                b.append(b.length() == 0 ? "" : " ").append('"').append(w).append('"');
            }
            return b.toString();
        }
        return String.join(" ", terms);
    }

    /**
     * {@code expression} compared and sorted by code point, as SQLite's BINARY does: PostgreSQL
     * otherwise uses the database's collation (often {@code en_US.UTF-8}, which ignores case and
     * punctuation at first), and text listings would come back in another order than on SQLite.
     */
    public String binary(String expression) {
        return this == POSTGRESQL ? expression + " COLLATE \"C\"" : expression;
    }

    /**
     * The later of {@code :now} and the timestamp {@code column}: for times that must never move
     * back when a writer's clock is behind (a NULL column gives NULL; wrap it in COALESCE).
     */
    public static String nowOrLater(String column) {
        return "CASE WHEN :now > " + column + " THEN :now ELSE " + column + " END";
    }

    /**
     * A row's new update time, and the time of any change stamped with it (archived, deleted,
     * edited, read): {@link #nowOrLater} of its {@code updated_at}, so no instance's lagging clock
     * dates a change before the row's last one.
     */
    public static final String LATER = nowOrLater("updated_at");

    /**
     * An upsert's new {@code updated_at} for {@code table}'s existing row: the inserted time only
     * when it is later, so a lagging instance's upsert never moves the row's update time back.
     */
    public static String upsertLater(String table) {
        return "CASE WHEN excluded.updated_at > " + table + ".updated_at THEN excluded.updated_at ELSE " + table + ".updated_at END";
    }

    /**
     * An aggregate of the text {@code expression} into a JSON array of strings, in no given order
     * ({@code json_agg} on PostgreSQL, {@code json_group_array} on SQLite): a child table's values
     * read with their parent row in one statement. Over no rows it is NULL on PostgreSQL and
     * {@code []} on SQLite.
     */
    public String jsonArrayOf(String expression) {
        return (this == POSTGRESQL ? "json_agg(" : "json_group_array(") + expression + ")";
    }

    /** The greatest of {@code expressions}, none of them NULL: {@code GREATEST} on PostgreSQL, the scalar {@code MAX} on SQLite. */
    public String greatest(String... expressions) {
        return (this == POSTGRESQL ? "GREATEST(" : "MAX(") + String.join(", ", expressions) + ")";
    }

    /** Row-lock suffix for a SELECT inside a write transaction; SQLite's write lock already serialises writers. */
    public String forUpdate() {
        return this == SQLITE ? "" : " FOR UPDATE";
    }

    static long toMicros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    static Instant fromMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    /**
     * Suffix of a SELECT that locks the rows it returns for this transaction and skips rows other
     * transactions hold, so concurrent claimers each get a different row. SQLite needs none: it
     * has one writer at a time, and {@link Db#write} serialises write transactions.
     */
    public String lockSkipLocked() {
        return this == POSTGRESQL ? " FOR UPDATE SKIP LOCKED" : "";
    }

    /**
     * {@code column} moved by {@code :param} seconds (a time zone's offset from UTC), so that
     * {@link #dayStart} of it is the start of that zone's day, read as if it were UTC's.
     */
    public String plusSeconds(String column, String param) {
        return this == SQLITE ? "(" + column + " + :" + param + " * 1000000)" : "(" + column + " + :" + param + " * INTERVAL '1 second')";
    }

    /**
     * SQL for the start of the UTC day containing the timestamp {@code column}, read back with
     * {@link #instant}: integer arithmetic on SQLite's microseconds (floored, so days before 1970
     * work too), {@code date_trunc} in UTC on PostgreSQL whatever the session time zone.
     */
    public String dayStart(String column) {
        return this == SQLITE
                ? "(" + column + " - ((" + column + " % 86400000000) + 86400000000) % 86400000000)"
                : "(date_trunc('day', " + column + " AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')";
    }

    /**
     * Locking clause for a SELECT that checks a parent row's state before inserting a child: on
     * PostgreSQL the parent cannot change state until the insert commits; SQLite needs none, its
     * writers are already serialised.
     */
    public String forShare() {
        return this == SQLITE ? "" : " FOR SHARE";
    }

    // ---- the database's clock (task leases) ----------------------------------------------

    /**
     * The database's own current time, comparable with a timestamp column. Task leases are set
     * and checked with it, so every worker measures a lease on one clock whatever its JVM's clock
     * says. PostgreSQL: {@code now()}, the transaction's start on the server (a value slightly in
     * the past, which only ever shortens a new lease or delays a takeover). SQLite: the host's
     * clock read by SQLite itself, in whole milliseconds; every process sharing the file runs on
     * that one host, so there is one clock there too.
     */
    public String databaseNow() {
        return this == POSTGRESQL ? "now()" : "(CAST(ROUND(unixepoch('subsec') * 1000) AS INTEGER) * 1000)";
    }

    /**
     * The database's clock when the statement runs, to measure against: PostgreSQL's {@code now()} is its
     * transaction's start, which inside a long transaction would read as a clock running behind.
     */
    public String databaseClock() {
        return this == POSTGRESQL ? "clock_timestamp()" : databaseNow();
    }

    /** The timestamp {@code expression} plus one microsecond, the smallest step both databases store. */
    public String plusOneMicrosecond(String expression) {
        return this == POSTGRESQL ? "(" + expression + " + INTERVAL '1 microsecond')" : "(" + expression + " + 1)";
    }

    /** {@link #databaseNow()} plus the number of microseconds bound to {@code :param}. */
    public String databaseNowPlusMicros(String param) {
        return this == POSTGRESQL
                ? "(now() + :" + param + " * INTERVAL '1 microsecond')"
                : "(" + databaseNow() + " + :" + param + ")";
    }

    /**
     * The rows of the JSON array of ids bound to {@code :param}, as one column comparable with an id column: any number
     * of ids in one bound parameter, where an IN list of bound ids is capped by the databases' parameter limits.
     */
    public String listedIds(String param) {
        return this == POSTGRESQL ? "SELECT CAST(value AS uuid) FROM jsonb_array_elements_text(CAST(:" + param + " AS jsonb))"
                : "SELECT value FROM json_each(:" + param + ")";
    }

    /** The rows {@code (id, message_id)} of the JSON array of [event id, message id] pairs bound to {@code :param}; see {@link #listedIds}. */
    public String listedPairs(String param) {
        return this == POSTGRESQL
                ? "SELECT CAST(p.value ->> 0 AS uuid) AS id, CAST(p.value ->> 1 AS uuid) AS message_id FROM jsonb_array_elements(CAST(:"
                        + param + " AS jsonb)) p"
                : "SELECT json_extract(p.value, '$[0]') AS id, json_extract(p.value, '$[1]') AS message_id FROM json_each(:" + param + ") p";
    }
}
