package dev.atlas.jdbi;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * On PostgreSQL a statement is prepared once per pooled connection and reused across borrows, as
 * a hand-written DAO on a held connection does; a pool that closes statements when a connection
 * goes back gets them prepared again, never a closed one.
 */
class PostgresStatementCacheTest {
    private final PostgresTestDatabase database = new PostgresTestDatabase();
    private DataSource server;
    private final AtomicInteger insertsPrepared = new AtomicInteger();

    @BeforeEach
    void migrate() {
        database.open().close();
        server = database.dataSource();
    }

    @AfterEach
    void drop() {
        database.cleanup();
    }

    /** A connection that counts how often the message insert is prepared on it; it unwraps to itself. */
    private Connection counting(Connection target, List<PreparedStatement> prepared) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class}, (proxy, m, args) -> {
            if (m.getName().equals("unwrap") && args[0] == Connection.class) {
                return proxy;
            }
            if (m.getName().equals("isWrapperFor") && args[0] == Connection.class) {
                return true;
            }
            try {
                Object result = m.invoke(target, args);
                if (m.getName().equals("prepareStatement")) {
                    // The statement that inserts the message: on its own, or inside the one statement of a plain append.
                    if (((String) args[0]).contains("INSERT INTO atlas_messages (")) {
                        insertsPrepared.incrementAndGet();
                    }
                    prepared.add((PreparedStatement) result);
                }
                return result;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private static List<UUID> appendTen(Atlas atlas) {
        ConversationStore store = atlas.tenant("acme").conversations();
        UUID c = store.create(NewConversation.of(Owner.user("u"))).id();
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(store.append(c, NewMessage.user("message " + i)).id());
        }
        assertThat(store.history(c, 100)).extracting(m -> m.id()).containsExactlyElementsOf(ids);
        return ids;
    }

    @Test
    void preparedOncePerPooledConnection() {
        HikariConfig config = new HikariConfig();
        config.setMaximumPoolSize(1);
        config.setDataSource(new Unpooled(() -> counting(server.getConnection(), new ArrayList<>())));
        try (HikariDataSource pool = new HikariDataSource(config); Atlas atlas = Atlas.builder().dataSource(pool).build()) {
            appendTen(atlas);
        }
        assertThat(insertsPrepared).hasValue(1);
    }

    @Test
    void statementsAPoolClosedArePreparedAgain() throws SQLException {
        try (Connection physical = server.getConnection()) {
            // A pool handing out the same connection object each time, closing what was prepared on it when it comes back.
            List<PreparedStatement> prepared = new ArrayList<>();
            Connection counted = counting(physical, prepared);
            Connection reused = (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, m, args) -> {
                        if (m.getName().equals("close")) {
                            for (PreparedStatement ps : prepared) {
                                ps.close();
                            }
                            prepared.clear();
                            return null;
                        }
                        if (m.getName().equals("unwrap") && args[0] == Connection.class) {
                            return proxy;
                        }
                        try {
                            return m.invoke(counted, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            try (Atlas atlas = Atlas.builder().dataSource(new Unpooled(() -> reused)).build()) {
                appendTen(atlas);
            }
        }
        assertThat(insertsPrepared).hasValue(10);
    }

    /** A DataSource handing out what {@code open} returns. */
    private record Unpooled(Open open) implements DataSource {
        interface Open {
            Connection get() throws SQLException;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return open.get();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return open.get();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() {
            return Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
