package dev.atlas.jdbi.newcomer;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * An operations team's failover drill on PostgreSQL, following README "Fails gracefully" and
 * docs/reliability.md as written: the server ends the sessions of an application's pooled connections
 * (a failover, a restart, {@code pg_terminate_backend}) and the application's next calls meet them.
 * Exact, without timing: the pool hands Atlas a connection whose server session is already gone.
 */
class Newcomer18FailoverTest {
    /** A real PostgreSQL data source whose next connections are ones the server has already terminated. */
    static final class FailoverDataSource extends PGSimpleDataSource {
        final Deque<Connection> terminated = new ArrayDeque<>();

        @Override
        public Connection getConnection() throws SQLException {
            Connection dead = terminated.poll();
            return dead != null ? dead : super.getConnection();
        }

        /** Opens a connection, has the server end its session (waiting until it has), and hands it out next. */
        void failOver() throws SQLException {
            Connection c = super.getConnection();
            int pid;
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_backend_pid()")) {
                r.next();
                pid = r.getInt(1);
            }
            try (Connection admin = super.getConnection();
                 PreparedStatement s = admin.prepareStatement("SELECT pg_terminate_backend(?, 30000)")) {
                s.setInt(1, pid);
                try (ResultSet r = s.executeQuery()) {
                    r.next();
                    assertThat(r.getBoolean(1)).as("session ended").isTrue();
                }
            }
            terminated.add(c);
        }
    }

    @Test
    @DisplayName("a connection whose session the server ended: a keyed append and record() fail retryable (nothing stored, the"
            + " repeat stores once); a plain append fails retryable too, before it is sent (Atlas reads a new connection's session first), nothing"
            + " stored; the next calls work on new connections")
    void callsMeetingAConnectionTheServerEnded() throws Exception {
        PostgresTestDatabase database = new PostgresTestDatabase();
        try (Atlas own = database.open()) {
            PGSimpleDataSource base = (PGSimpleDataSource) database.dataSource();
            FailoverDataSource pool = new FailoverDataSource();
            pool.setURL(base.getURL());
            pool.setUser(base.getUser());
            // README's "Opening Atlas" (maxPoolSize(10)) and docs/scaling.md's sizing: the default is 10.
            assertThat(Atlas.builder().jdbcUrl(base.getURL()).config().maxPoolSize()).isEqualTo(10);
            try (Atlas atlas = Atlas.builder().dataSource(pool).build()) {
                ConversationStore store = atlas.tenant("acme").conversations();
                UUID conversation = store.create(NewConversation.of(Owner.user("42"))).id();
                store.append(conversation, NewMessage.user("before"));

                pool.failOver();
                StorageException keyed = catchThrowableOfType(StorageException.class,
                        () -> store.append(conversation, NewMessage.user("keyed").clientId("k1")));
                assertThat(keyed.isRetryable()).isTrue();
                assertThat(keyed.isOutcomeUnknown()).isFalse();
                assertThat(keyed.sqlState()).isEqualTo("57P01");
                assertThat(store.append(conversation, NewMessage.user("keyed").clientId("k1")).sequence()).isEqualTo(2);

                pool.failOver();
                // Atlas's first statement on a connection it has not used before reads the session's id (for close()),
                // so the ended session is met before the append is sent: retryable, and known not stored. A connection
                // lost while the write itself commits is PostgresLostReplyTest's.
                StorageException plain = catchThrowableOfType(StorageException.class, () -> store.append(conversation, NewMessage.user("plain")));
                assertThat(plain.isRetryable()).isTrue();
                assertThat(plain.isOutcomeUnknown()).isFalse();
                assertThat(plain.sqlState()).isEqualTo("57P01");
                assertThat(plain.getMessage()).isEqualTo("database call failed (retryable): FATAL: terminating connection due to administrator command");
                assertThat(store.messages(conversation, 0, 10)).extracting(Message::content).containsExactly("before", "keyed");

                // record(): the execution's start meets the dead connection: retryable, no execution stored.
                ExecutionRecorder executions = atlas.tenant("acme").executions();
                pool.failOver();
                StorageException start = catchThrowableOfType(StorageException.class,
                        () -> executions.record(ExecutionSpec.text("openai", "gpt-4o"), e -> "never called"));
                assertThat(start.isRetryable()).isTrue();
                assertThat(executions.list(ExecutionQuery.all()).items()).isEmpty();
                // The completion meets it: the answer the body returned is lost, the caller gets the retryable failure,
                // and the run is stored as failed with that failure's message, so a retry is a second provider call.
                StorageException completion = catchThrowableOfType(StorageException.class,
                        () -> executions.record(ExecutionSpec.text("openai", "gpt-4o"), e -> {
                            pool.failOver();
                            return "the model's answer";
                        }));
                assertThat(completion.isRetryable()).isTrue();
                Execution stored = executions.list(ExecutionQuery.all()).items().get(0);
                assertThat(stored.status()).isEqualTo(ExecutionStatus.FAILED);
                assertThat(stored.error()).isEqualTo(completion.getMessage());
            }
        } finally {
            database.cleanup();
        }
    }
}
