package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.SearchText;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * Hand-written JDBC writing exactly the rows {@code ConversationStore.append} writes for a plain
 * message (conversation counter update, message row, "created" audit event), in one
 * transaction; the baseline of the append benchmark. Also bulk-seeds long conversations with
 * the same rows, in batches.
 */
final class RawJdbc {
    static final String PREFIX = "atlas_";

    private static final String NEXT_SEQUENCE = "UPDATE " + PREFIX + "conversations SET last_sequence = last_sequence + 1,"
            + " last_message_at = ?, activity_at = ?, updated_at = ?, title = COALESCE(title, ?),"
            + " status = CASE WHEN status = 'archived' THEN 'open' ELSE status END"
            + " WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL AND status != 'closed' RETURNING last_sequence";
    private static final String INSERT_MESSAGE = "INSERT INTO " + PREFIX + "messages (tenant_id, id, conversation_id, sequence, role,"
            + " content_type, content, status, is_active, metadata, created_at, updated_at, search_text)"
            + " VALUES (?, ?, ?, ?, ?, 'text', ?, 'delivered', TRUE, ?, ?, ?, ?)";
    /**
     * PostgreSQL: the same rows in one statement (data-modifying WITH) in auto-commit mode, one round
     * trip in all, as Atlas sends a plain append there; SQLite has no data-modifying WITH.
     */
    private static final String APPEND_ONE_STATEMENT = "WITH s AS (" + NEXT_SEQUENCE + "), m AS (INSERT INTO " + PREFIX + "messages (tenant_id, id, conversation_id, sequence, role,"
            + " content_type, content, status, is_active, metadata, created_at, updated_at, search_text)"
            + " SELECT ?, ?, ?, s.last_sequence, ?, 'text', ?, 'delivered', TRUE, ?, ?, ?, ? FROM s RETURNING sequence),"
            + " e AS (INSERT INTO " + PREFIX + "message_events (tenant_id, id, conversation_id, message_id, type, details, created_at)"
            + " SELECT ?, ?, ?, ?, 'created', jsonb_build_object('sequence', m.sequence, 'role', CAST(? AS text), 'status', 'delivered'), ?"
            + " FROM m) SELECT last_sequence FROM s";
    static final String INSERT_EVENT = "INSERT INTO " + PREFIX + "message_events (tenant_id, id, conversation_id, message_id,"
            + " type, details, created_at) VALUES (?, ?, ?, ?, 'created', ?, ?)";

    private final DataSource dataSource;
    private final Dialect dialect;
    private final String tenant;

    RawJdbc(DataSource dataSource, Dialect dialect, String tenant) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.tenant = tenant;
    }

    /** Appends a delivered text message in its own transaction and returns its sequence. */
    long append(UUID conversationId, String role, String content) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                long seq = appendOn(c, conversationId, role, content);
                c.commit();
                return seq;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("raw append failed", e);
        }
    }

    /** The three statements of an append on {@code c}, inside the caller's transaction. */
    long appendOn(Connection c, UUID conversationId, String role, String content) throws SQLException {
        UUID id = Ids.next();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        String title = "user".equals(role) ? (content.length() > 80 ? content.substring(0, 80) : content) : null;
        long seq;
        try (PreparedStatement ps = c.prepareStatement(NEXT_SEQUENCE)) {
            dialect.bindInstant(ps, 1, now);
            dialect.bindInstant(ps, 2, now);
            dialect.bindInstant(ps, 3, now);
            ps.setString(4, title);
            ps.setString(5, tenant);
            dialect.bindUuid(ps, 6, conversationId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("no open conversation " + conversationId);
                }
                seq = rs.getLong(1);
            }
        }
        try (PreparedStatement ps = c.prepareStatement(INSERT_MESSAGE)) {
            bindMessage(ps, conversationId, id, seq, role, content, now);
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement(INSERT_EVENT)) {
            bindEvent(ps, conversationId, id, seq, role, now);
            ps.executeUpdate();
        }
        return seq;
    }

    private void bindMessage(PreparedStatement ps, UUID conversationId, UUID id, long seq, String role, String content, Instant now)
            throws SQLException {
        ps.setString(1, tenant);
        dialect.bindUuid(ps, 2, id);
        dialect.bindUuid(ps, 3, conversationId);
        ps.setLong(4, seq);
        ps.setString(5, role);
        ps.setString(6, content);
        dialect.bindJson(ps, 7, "{}");
        dialect.bindInstant(ps, 8, now);
        dialect.bindInstant(ps, 9, now);
        // The same work as Atlas: the full-text column is part of the row (migration V8).
        ps.setString(10, SearchText.index(content));
    }

    void bindEvent(PreparedStatement ps, UUID conversationId, UUID messageId, long seq, String role, Instant now)
            throws SQLException {
        ps.setString(1, tenant);
        dialect.bindUuid(ps, 2, Ids.next());
        dialect.bindUuid(ps, 3, conversationId);
        dialect.bindUuid(ps, 4, messageId);
        dialect.bindJson(ps, 5, "{\"sequence\":" + seq + ",\"role\":\"" + role + "\",\"status\":\"delivered\"}");
        dialect.bindInstant(ps, 6, now);
    }

    /**
     * Adds {@code count} delivered messages (alternating user/assistant) with their "created"
     * events to an empty conversation, in batched transactions, and moves its counter to match:
     * the rows {@code count} appends would have written.
     */
    void seed(Connection c, UUID conversationId, int count) throws SQLException {
        c.setAutoCommit(false);
        Instant start = Instant.now().minusSeconds(count).truncatedTo(ChronoUnit.MICROS);
        int chunk = 5_000;
        try (PreparedStatement msg = c.prepareStatement(INSERT_MESSAGE); PreparedStatement evt = c.prepareStatement(INSERT_EVENT)) {
            for (int seq = 1; seq <= count; seq++) {
                String role = seq % 2 == 1 ? "user" : "assistant";
                Instant at = start.plus(seq, ChronoUnit.MILLIS);
                UUID id = Ids.next();
                bindMessage(msg, conversationId, id, seq, role, Messages.content(seq), at);
                msg.addBatch();
                bindEvent(evt, conversationId, id, seq, role, at);
                evt.addBatch();
                if (seq % chunk == 0 || seq == count) {
                    msg.executeBatch();
                    evt.executeBatch();
                    c.commit();
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + PREFIX + "conversations SET last_sequence = ?, last_message_at = ?,"
                + " activity_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND last_sequence = 0")) {
            Instant last = start.plus(count, ChronoUnit.MILLIS);
            ps.setLong(1, count);
            dialect.bindInstant(ps, 2, last);
            dialect.bindInstant(ps, 3, last);
            dialect.bindInstant(ps, 4, last);
            ps.setString(5, tenant);
            dialect.bindUuid(ps, 6, conversationId);
            if (ps.executeUpdate() != 1) {
                throw new IllegalStateException("conversation " + conversationId + " was not empty");
            }
        }
        c.commit();
    }

    /** Raw JDBC on one held connection with the three statements prepared once: the real ceiling of an append. */
    Held held() throws SQLException {
        return new Held(dataSource.getConnection(), false);
    }

    /** PostgreSQL: {@link #held()} sending the append as one statement in auto-commit mode ({@link #APPEND_ONE_STATEMENT}). */
    Held heldOneStatement() throws SQLException {
        if (dialect != Dialect.POSTGRESQL) {
            throw new IllegalStateException("SQLite has no data-modifying WITH");
        }
        return new Held(dataSource.getConnection(), true);
    }

    /**
     * One connection held for its whole life, statements prepared once. On SQLite the transaction
     * is an explicit {@code BEGIN IMMEDIATE} / {@code COMMIT} in auto-commit mode: sqlite-jdbc's
     * {@code commit()} re-begins at once, which takes the write lock a second time per transaction.
     */
    final class Held implements AutoCloseable {
        private final Connection c;
        private final PreparedStatement next;
        private final PreparedStatement message;
        private final PreparedStatement event;
        private final PreparedStatement begin;
        private final PreparedStatement commit;
        private final PreparedStatement rollback;

        private final PreparedStatement one;

        private Held(Connection c, boolean oneStatement) throws SQLException {
            this.c = c;
            boolean sqlite = dialect == Dialect.SQLITE;
            c.setAutoCommit(sqlite || oneStatement);
            one = oneStatement ? c.prepareStatement(APPEND_ONE_STATEMENT) : null;
            next = c.prepareStatement(NEXT_SEQUENCE);
            message = c.prepareStatement(INSERT_MESSAGE);
            event = c.prepareStatement(INSERT_EVENT);
            begin = sqlite ? c.prepareStatement("BEGIN IMMEDIATE") : null;
            commit = sqlite ? c.prepareStatement("COMMIT") : null;
            rollback = sqlite ? c.prepareStatement("ROLLBACK") : null;
        }

        long append(UUID conversationId, String role, String content) {
            if (one != null) {
                return appendOneStatement(conversationId, role, content);
            }
            try {
                if (begin != null) {
                    begin.execute();
                }
                try {
                    UUID id = Ids.next();
                    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
                    String title = "user".equals(role) ? (content.length() > 80 ? content.substring(0, 80) : content) : null;
                    long seq;
                    dialect.bindInstant(next, 1, now);
                    dialect.bindInstant(next, 2, now);
                    dialect.bindInstant(next, 3, now);
                    next.setString(4, title);
                    next.setString(5, tenant);
                    dialect.bindUuid(next, 6, conversationId);
                    try (ResultSet rs = next.executeQuery()) {
                        if (!rs.next()) {
                            throw new IllegalStateException("no open conversation " + conversationId);
                        }
                        seq = rs.getLong(1);
                    }
                    bindMessage(message, conversationId, id, seq, role, content, now);
                    message.executeUpdate();
                    bindEvent(event, conversationId, id, seq, role, now);
                    event.executeUpdate();
                    if (commit != null) {
                        commit.execute();
                    } else {
                        c.commit();
                    }
                    return seq;
                } catch (SQLException | RuntimeException e) {
                    if (rollback != null) {
                        rollback.execute();
                    } else {
                        c.rollback();
                    }
                    throw e;
                }
            } catch (SQLException e) {
                throw new IllegalStateException("raw held append failed", e);
            }
        }

        private long appendOneStatement(UUID conversationId, String role, String content) {
            UUID id = Ids.next();
            Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
            String title = "user".equals(role) ? (content.length() > 80 ? content.substring(0, 80) : content) : null;
            try {
                dialect.bindInstant(one, 1, now);
                dialect.bindInstant(one, 2, now);
                dialect.bindInstant(one, 3, now);
                one.setString(4, title);
                one.setString(5, tenant);
                dialect.bindUuid(one, 6, conversationId);
                one.setString(7, tenant);
                dialect.bindUuid(one, 8, id);
                dialect.bindUuid(one, 9, conversationId);
                one.setString(10, role);
                one.setString(11, content);
                dialect.bindJson(one, 12, "{}");
                dialect.bindInstant(one, 13, now);
                dialect.bindInstant(one, 14, now);
                one.setString(15, SearchText.index(content));
                one.setString(16, tenant);
                dialect.bindUuid(one, 17, Ids.next());
                dialect.bindUuid(one, 18, conversationId);
                dialect.bindUuid(one, 19, id);
                one.setString(20, role);
                dialect.bindInstant(one, 21, now);
                try (ResultSet rs = one.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("no open conversation " + conversationId);
                    }
                    return rs.getLong(1);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("raw held one-statement append failed", e);
            }
        }

        @Override
        public void close() throws SQLException {
            c.setAutoCommit(true);
            c.close();
        }
    }
}
