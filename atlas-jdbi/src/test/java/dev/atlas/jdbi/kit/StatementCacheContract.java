package dev.atlas.jdbi.kit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The statement runner's prepared statements, kept per pooled connection across borrows on both
 * databases (reads and writes), and across write transactions on SQLite's held write connection.
 */
public abstract class StatementCacheContract extends AtlasContract {
    protected StatementCacheContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("a batch abandoned after add() (a store refusing mid-batch) leaves nothing queued on the cached statement: the next batch"
            + " on it writes only its own rows")
    void abandonedBatchRowsDoNotLeakIntoTheNextBatch() {
        Db db = ((JdbiAtlas) atlas).db();
        db.write(h -> (Object) AdHoc.execute(h, "CREATE TABLE probe_rows (v TEXT NOT NULL)"));
        Statement insert = new Catalogue(db.dialect(), db.prefix()).crossTenant("test.probeInsert", "a test table without tenants",
                "INSERT INTO probe_rows (v) VALUES (:v)");
        assertThatThrownBy(() -> db.write(h -> {
            Sql.crossTenant(db).on(h, insert).bind("v", "abandoned").add();
            throw new IllegalStateException("refused mid-batch");
        })).hasMessageContaining("refused mid-batch");
        db.write(h -> Sql.crossTenant(db).on(h, insert).bind("v", "kept").add().batch());
        java.util.List<String> rows = db.read(h -> AdHoc.on(db, h, "SELECT v FROM probe_rows ORDER BY v").list((rs, ctx) -> rs.getString(1)));
        assertThat(rows).containsExactly("kept");
    }

    @Test
    @DisplayName("two nested borrows of one connection (an application's transaction handed out twice, as Spring's"
            + " TransactionAwareDataSourceProxy does) never share a statement in use: a read of the same statement made while"
            + " iterating its rows leaves those rows to the outer read")
    void nestedBorrowsOfOneConnectionDoNotShareAStatementInUse() throws Exception {
        Db own = ((JdbiAtlas) atlas).db();
        own.write(h -> AdHoc.execute(h, "CREATE TABLE probe_rows (v TEXT NOT NULL)"));
        own.write(h -> AdHoc.execute(h, "INSERT INTO probe_rows (v) VALUES ('a'), ('b'), ('c')"));
        ApplicationTransactions app = new ApplicationTransactions(database, own.dialect() == Dialect.POSTGRESQL);
        // A bare Db on it (no second Atlas to build): the joining instance's database layer.
        Db db = new Db(app.dataSource(), own.dialect(), own.prefix(), own.clock());
        db.autoCommitOffIsApplications();
        Statement from = new Catalogue(db.dialect(), db.prefix()).crossTenant("test.probeFrom", "a test table without tenants",
                "SELECT v FROM probe_rows WHERE v >= :v ORDER BY v");
        List<String> seen = app.in(Connection.TRANSACTION_READ_COMMITTED, () -> db.read(outer -> {
            List<String> out = new ArrayList<>();
            Sql.crossTenant(db).on(outer, from).bind("v", "a").forEach(Sql.STRING,
                    v -> out.add(v + ":" + db.read(inner -> Sql.crossTenant(db).on(inner, from).bind("v", v).list(Sql.STRING))));
            return out;
        }));
        assertThat(seen).containsExactly("a:[a, b, c]", "b:[b, c]", "c:[c]");
        // The statement stays cached for the connection's next borrow: still one statement, still right.
        List<String> again = app.in(Connection.TRANSACTION_READ_COMMITTED, () -> db.read(h -> Sql.crossTenant(db).on(h, from).bind("v", "b")
                .list(Sql.STRING)));
        assertThat(again).containsExactly("b", "c");
    }

    @Test
    @DisplayName("on a pool of one connection each statement is prepared once and reused by later reads and writes, with the kit's"
            + " statement recorder attached (which notes each run); a cached read still"
            + " sees another instance's later write, works after another connection adds a column to its table, and leaves no read"
            + " open behind it (SQLite: a TRUNCATE checkpoint completes; PostgreSQL: an ALTER TABLE needs no wait)")
    void statementsArePreparedOncePerPooledConnectionAndHoldNothingOpen() throws Exception {
        DataSource server = database.dataSource();
        Map<String, Integer> prepares = new TreeMap<>();
        boolean[] counting = {false};
        HikariConfig config = new HikariConfig();
        config.setMaximumPoolSize(1);
        config.setDataSource(new Unpooled(() -> counting(server.getConnection(), prepares, counting)));
        try (HikariDataSource pool = new HikariDataSource(config); Atlas cached = Atlas.builder().dataSource(pool).migrate(false).build()) {
            counting[0] = true;
            // As every kit suite runs (AtlasContract): recording the SQL keeps the statements shared.
            StatementRecorder recorder = StatementRecorder.attach(cached);
            ConversationStore store = cached.tenant("acme").conversations();
            UUID c = store.create(NewConversation.of(Owner.user("u"))).id();
            List<UUID> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ids.add(store.append(c, NewMessage.user("message " + i)).id());
                assertThat(store.history(c, 100)).extracting(Message::id).containsExactlyElementsOf(ids);
            }
            counting[0] = false;
            // Every statement prepared once: before, SQLite prepared each per call (5 appends, 5 histories).
            assertThat(prepares).isNotEmpty();
            assertThat(prepares).allSatisfy((sql, n) -> assertThat(n).as(sql).isEqualTo(1));
            // ...and the recorder still notes every run of them: one history statement per call.
            List<String> history = recorder.recorded().stream().filter(r -> r.callers().contains("JdbiConversationStore#history"))
                    .map(StatementRecorder.Recorded::sql).toList();
            assertThat(history).hasSize(5);
            assertThat(prepares).containsEntry(history.get(0).strip(), 1);

            // Another instance's write (the test's own, on its own pool): the cached history statement reads the database as it is now.
            ids.add(atlas.tenant("acme").conversations().append(c, NewMessage.user("from elsewhere")).id());
            assertThat(store.history(c, 100)).extracting(Message::id).containsExactlyElementsOf(ids);

            String prefix = atlas.config().tablePrefix();
            try (Connection other = server.getConnection(); java.sql.Statement s = other.createStatement()) {
                if (db(cached).dialect() == Dialect.POSTGRESQL) {
                    // A pooled connection left inside a transaction that read the table would hold a lock ALTER TABLE waits for.
                    s.execute("SET lock_timeout = '2s'");
                }
                // A schema change by another connection (a newer version migrating): cached statements are re-prepared by the database.
                s.execute("ALTER TABLE " + prefix + "messages ADD COLUMN probe_note TEXT");
            }
            ids.add(store.append(c, NewMessage.user("after the change")).id());
            assertThat(store.history(c, 100)).extracting(Message::id).containsExactlyElementsOf(ids);

            if (db(cached).dialect() == Dialect.SQLITE) {
                // A cached statement left stepping would hold its read snapshot: the log could then not be reset.
                try (Connection other = server.getConnection(); java.sql.Statement s = other.createStatement()) {
                    s.execute("PRAGMA busy_timeout = 2000");
                    try (ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
                        assertThat(rs.next()).isTrue();
                        assertThat(List.of(rs.getInt(1), rs.getInt(2), rs.getInt(3))).containsExactly(0, 0, 0);
                    }
                }
                Path file = atlas.config().sqliteFile();
                assertThat(Files.size(Path.of(file + "-wal"))).isZero();
            }
        }
    }

    private static Db db(Atlas a) {
        return ((JdbiAtlas) a).db();
    }

    /**
     * {@code target}, counting each statement text prepared on it while {@code counting[0]} (transaction control
     * and PRAGMAs aside); it unwraps to itself, so what Atlas prepares on the pooled connection is counted.
     */
    private Connection counting(Connection target, Map<String, Integer> prepares, boolean[] counting) {
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
                    String sql = ((String) args[0]).strip();
                    if (counting[0] && sql.matches("(?is)(SELECT|INSERT|UPDATE|DELETE|WITH)\\b.*")) {
                        synchronized (prepares) {
                            prepares.merge(sql, 1, Integer::sum);
                        }
                    }
                }
                return result;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
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
