package dev.atlas.jdbi.reliability;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several Atlas instances opening one database at the same instant, as replicas of one application
 * do at a deployment: threads released by a latch, and child JVMs ({@link StartChild}) on one
 * SQLite file. Every build must succeed, the schema be migrated once (the history rows exactly),
 * and every instance then work. See docs/reliability.md, "Several instances starting on one database".
 */
class ConcurrentStartTest {
    private static final int INSTANCES = 4;

    @TempDir
    Path dir;

    /** Builds {@code n} instances released together; returns each build's Atlas or the exception it threw. */
    private static List<Object> race(int n, IntFunction<AtlasBuilder> builder) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Object>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    AtlasBuilder b = builder.apply(index);
                    ready.countDown();
                    go.await();
                    try {
                        return b.build();
                    } catch (Throwable t) {
                        return t;
                    }
                }));
            }
            ready.await();
            go.countDown();
            List<Object> outcomes = new ArrayList<>();
            for (Future<Object> f : futures) {
                outcomes.add(f.get(120, TimeUnit.SECONDS));
            }
            return outcomes;
        } finally {
            pool.shutdown();
        }
    }

    private static List<Atlas> allBuilt(List<Object> outcomes) {
        List<Atlas> built = new ArrayList<>();
        List<Throwable> failed = new ArrayList<>();
        for (Object o : outcomes) {
            if (o instanceof Atlas a) {
                built.add(a);
            } else {
                failed.add((Throwable) o);
            }
        }
        if (!failed.isEmpty()) {
            built.forEach(Atlas::close);
            AssertionError e = new AssertionError(failed.size() + " of " + outcomes.size() + " builds failed: " + failed.get(0));
            failed.forEach(e::addSuppressed);
            throw e;
        }
        return built;
    }

    /** Every instance appends to one shared conversation; each reads all messages back, numbered 1..n. */
    private static void allWork(List<Atlas> instances) {
        ConversationStore first = instances.get(0).tenant("t").conversations();
        UUID conversation = first.create(NewConversation.of(Owner.user("1"), "race")).id();
        for (int i = 0; i < instances.size(); i++) {
            instances.get(i).tenant("t").conversations().append(conversation, NewMessage.user("from " + i).clientId("c" + i));
        }
        for (Atlas atlas : instances) {
            List<Message> all = atlas.tenant("t").conversations().messages(conversation, 0, 100);
            assertThat(all).extracting(Message::sequence).containsExactlyElementsOf(LongStream.rangeClosed(1, instances.size()).boxed().toList());
        }
    }

    static List<List<String>> rows(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            List<List<String>> rows = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    private static List<List<String>> history(String url, String prefix) throws Exception {
        return rows(url, "SELECT version, type, success FROM " + prefix + "schema_history ORDER BY installed_rank");
    }

    private static List<List<String>> expectedHistory(boolean baseline) {
        List<List<String>> expected = new ArrayList<>();
        if (baseline) {
            expected.add(List.of("0", "BASELINE", "1"));
        }
        // Every bundled version, the newest included: a new migration extends the expectation by itself.
        // (Flyway lists the scripts it resolves against any database; an in-memory SQLite one costs nothing.)
        int newest = org.flywaydb.core.Flyway.configure().dataSource("jdbc:sqlite::memory:", null, null)
                .locations(dev.atlas.migrations.AtlasMigrations.location(dev.atlas.migrations.AtlasMigrations.Dialect.POSTGRESQL))
                .load().info().pending().length;
        for (int v = 1; v <= newest; v++) {
            expected.add(List.of(Integer.toString(v), "SQL", "1"));
        }
        return expected;
    }

    @ParameterizedTest
    @ValueSource(strings = {"atlas_", "app_"})
    @DisplayName("SQLite: instances built at once on a new file all open; the schema is migrated once")
    void sqliteNewFile(String prefix) throws Exception {
        Path file = dir.resolve("new.db");
        List<Atlas> built = allBuilt(race(INSTANCES, i -> Atlas.builder().sqlite(file).tablePrefix(prefix)));
        try {
            List<List<String>> h = history("jdbc:sqlite:" + file, prefix);
            assertThat(h.stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("true", "1"))).toList()).isEqualTo(expectedHistory(false));
            allWork(built);
        } finally {
            built.forEach(Atlas::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"app_"})
    @DisplayName("SQLite: instances built at once on a file holding the host's tables all open; migrated once")
    void sqliteHostFile(String prefix) throws Exception {
        Path file = dir.resolve("host.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.executeUpdate("CREATE TABLE host_orders (id INTEGER PRIMARY KEY)");
        }
        List<Atlas> built = allBuilt(race(INSTANCES, i -> Atlas.builder().sqlite(file).tablePrefix(prefix)));
        try {
            List<List<String>> h = history("jdbc:sqlite:" + file, prefix);
            assertThat(h.stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("true", "1"))).toList()).isEqualTo(expectedHistory(true));
            allWork(built);
        } finally {
            built.forEach(Atlas::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"atlas_", "app_"})
    @DisplayName("PostgreSQL: instances built at once on an empty database all open; the schema is migrated once")
    void postgresEmpty(String prefix) throws Exception {
        String url = PostgresTestDatabase.createDatabase("race_" + prefix + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000);
        List<Atlas> built = allBuilt(race(INSTANCES, i -> Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").tablePrefix(prefix).maxPoolSize(3)));
        try {
            List<List<String>> h = history(url, prefix);
            assertThat(h.stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("t", "1"))).toList()).isEqualTo(expectedHistory(false));
            allWork(built);
        } finally {
            built.forEach(Atlas::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"app_"})
    @DisplayName("PostgreSQL: instances built at once on a database holding the host's tables all open; migrated once")
    void postgresHost(String prefix) throws Exception {
        String url = PostgresTestDatabase.createDatabase("racehost_" + prefix + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000);
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres"); Statement st = c.createStatement()) {
            st.executeUpdate("CREATE TABLE host_orders (id INTEGER PRIMARY KEY)");
        }
        List<Atlas> built = allBuilt(race(INSTANCES, i -> Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").tablePrefix(prefix).maxPoolSize(3)));
        try {
            List<List<String>> h = history(url, prefix);
            assertThat(h.stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("t", "1"))).toList()).isEqualTo(expectedHistory(true));
            allWork(built);
        } finally {
            built.forEach(Atlas::close);
        }
    }

    @Test
    @DisplayName("PostgreSQL: another instance migrating while one is between Flyway's history check and its schema check: both open")
    void postgresMigratedMidway() throws Exception {
        String name = "midway_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000;
        String url = PostgresTestDatabase.createDatabase(name);
        DataSource plain = PostgresTestDatabase.server().getDatabase("postgres", name);
        ExecutorService other = Executors.newSingleThreadExecutor();
        AtomicBoolean fired = new AtomicBoolean();
        AtomicReference<Future<Atlas>> second = new AtomicReference<>();
        // Flyway asks whether Atlas's history table exists, and then whether the schema is empty (the
        // query joining pg_depend). Right before the second question, another instance starts: it
        // either migrates the whole schema or waits for this one; the test goes on once it is done
        // or waiting for a lock.
        DataSource hooked = hook(plain, sql -> {
            if (sql.contains("pg_catalog.pg_depend") && fired.compareAndSet(false, true)) {
                second.set(other.submit(() -> Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").maxPoolSize(3).build()));
                while (!second.get().isDone() && !waitingForAdvisoryLock(plain)) {
                    Thread.sleep(10);
                }
            }
        });
        try (Atlas first = Atlas.builder().dataSource(hooked).build(); Atlas other2 = second.get().get(60, TimeUnit.SECONDS)) {
            assertThat(fired).isTrue();
            assertThat(history(url, "atlas_").stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("t", "1"))).toList())
                    .isEqualTo(expectedHistory(false));
            allWork(List.of(first, other2));
        } finally {
            other.shutdownNow();
        }
    }

    private static boolean waitingForAdvisoryLock(DataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")) {
            return rs.next() && rs.getLong(1) > 0;
        }
    }

    interface SqlHook {
        void before(String sql) throws Exception;
    }

    /** {@code target} whose connections call {@code hook} before preparing each statement. */
    private static DataSource hook(DataSource target, SqlHook hook) {
        return (DataSource) Proxy.newProxyInstance(ConcurrentStartTest.class.getClassLoader(), new Class<?>[] {DataSource.class}, (p, m, args) -> {
            Object result = invoke(target, m, args);
            if (!(result instanceof Connection c)) {
                return result;
            }
            return Proxy.newProxyInstance(ConcurrentStartTest.class.getClassLoader(), new Class<?>[] {Connection.class}, (p2, m2, a2) -> {
                if (m2.getName().equals("prepareStatement") && a2 != null && a2[0] instanceof String sql) {
                    hook.before(sql);
                }
                return invoke(c, m2, a2);
            });
        });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    @DisplayName("PostgreSQL: an instance with a pool of one or two connections opens an empty database")
    void postgresSmallPool(int poolSize) throws Exception {
        String url = PostgresTestDatabase.createDatabase("small_" + poolSize + "_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000);
        try (Atlas atlas = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").maxPoolSize(poolSize).build()) {
            assertThat(history(url, "atlas_").stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("t", "1"))).toList())
                    .isEqualTo(expectedHistory(false));
            allWork(List.of(atlas));
        }
    }

    @Test
    @DisplayName("SQLite: two processes (a web and a worker process) started together on a new file both open, share one conversation, and claim each task once")
    void sqliteProcesses() throws Exception {
        Path file = dir.resolve("shared.db");
        int n = 2;
        List<Process> children = new ArrayList<>();
        List<BufferedReader> outs = new ArrayList<>();
        List<Writer> ins = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                List<String> command = ChildJvm.command(List.of(), StartChild.class, List.of(file.toString(), "p" + i));
                Process child = new ProcessBuilder(command).redirectError(dir.resolve("child" + i + ".err").toFile()).start();
                children.add(child);
                outs.add(new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)));
                ins.add(new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8));
            }
            for (BufferedReader out : outs) {
                assertThat(out.readLine()).isEqualTo("READY");
            }
            tell(ins, "OPEN");
            for (BufferedReader out : outs) {
                assertThat(out.readLine()).isEqualTo("OPENED");
            }
            tell(ins, "GO");
            Set<String> conversationIds = new HashSet<>();
            Map<UUID, Long> acked = new HashMap<>();
            List<UUID> claimed = new ArrayList<>();
            for (BufferedReader out : outs) {
                for (String line = out.readLine(); !"DONE".equals(line); line = out.readLine()) {
                    assertThat(line).as("a child's line").isNotNull().doesNotStartWith("FAILED");
                    String[] f = line.split(" ");
                    switch (f[0]) {
                        case "CONV" -> conversationIds.add(f[1]);
                        case "ACK" -> {
                            assertThat(f[3]).as("a retried append returns the stored message").isEqualTo(f[1]);
                            assertThat(f[4]).isEqualTo(f[2]);
                            assertThat(acked.put(UUID.fromString(f[1]), Long.parseLong(f[2]))).isNull();
                        }
                        case "CLAIMED" -> claimed.add(UUID.fromString(f[1]));
                        default -> throw new AssertionError("unexpected line from a child: " + line);
                    }
                }
            }
            for (Process child : children) {
                assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(child.exitValue()).isZero();
            }
            assertThat(conversationIds).hasSize(1);
            assertThat(claimed).doesNotHaveDuplicates().hasSize(n * StartChild.TASKS);
            assertThat(history("jdbc:sqlite:" + file, "atlas_").stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("true", "1"))).toList())
                    .isEqualTo(expectedHistory(false));
            try (Atlas atlas = Atlas.sqlite(file)) {
                UUID conversation = UUID.fromString(conversationIds.iterator().next());
                List<Message> all = atlas.tenant("t").conversations().messages(conversation, 0, 1000);
                assertThat(all).extracting(Message::sequence)
                        .containsExactlyElementsOf(LongStream.rangeClosed(1, (long) n * StartChild.APPENDS).boxed().toList());
                Map<UUID, Long> stored = new HashMap<>();
                all.forEach(m -> stored.put(m.id(), m.sequence()));
                assertThat(stored).isEqualTo(acked);
                assertThat(atlas.tenant("t").tasks().list(dev.atlas.task.TaskQuery.all().limit(1000)).items())
                        .hasSize(n * StartChild.TASKS)
                        .allSatisfy(t -> assertThat(t.status()).isEqualTo(dev.atlas.task.TaskStatus.COMPLETED));
            }
        } finally {
            children.forEach(Process::destroyForcibly);
        }
    }

    private static void tell(List<Writer> children, String word) throws Exception {
        for (Writer w : children) {
            w.write(word + "\n");
            w.flush();
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @DisplayName("SQLite: instances built at once on a file at V5 (an upgrade) all open; each newer version is applied once")
    void sqliteUpgrade(boolean hostPool) throws Exception {
        Path file = dir.resolve("old.db");
        org.sqlite.SQLiteDataSource plain = new org.sqlite.SQLiteDataSource();
        plain.setUrl("jdbc:sqlite:" + file);
        plain.setJournalMode("WAL");
        org.flywaydb.core.Flyway.configure().configuration(dev.atlas.migrations.AtlasMigrations.of(plain).flyway().getConfiguration())
                .target("5").load().migrate();
        // A host's own pool: WAL, but the driver's defaults otherwise (deferred transactions, its busy timeout).
        List<Atlas> built = allBuilt(race(INSTANCES, i -> hostPool ? Atlas.builder().dataSource(plain) : Atlas.builder().sqlite(file)));
        try {
            assertThat(history("jdbc:sqlite:" + file, "atlas_").stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("true", "1"))).toList())
                    .isEqualTo(expectedHistory(false));
            allWork(built);
        } finally {
            built.forEach(Atlas::close);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    @DisplayName("SQLite on the host's pool: instances built at once on a new file, or on one holding the host's tables, all open; migrated once")
    void sqliteHostPool(boolean hostTables) throws Exception {
        Path file = dir.resolve("hostpool.db");
        org.sqlite.SQLiteDataSource plain = new org.sqlite.SQLiteDataSource();
        plain.setUrl("jdbc:sqlite:" + file);
        plain.setJournalMode("WAL");
        if (hostTables) {
            try (Connection c = plain.getConnection(); Statement st = c.createStatement()) {
                st.executeUpdate("CREATE TABLE host_orders (id INTEGER PRIMARY KEY)");
            }
        }
        List<Atlas> built = allBuilt(race(INSTANCES, i -> Atlas.builder().dataSource(plain)));
        try {
            assertThat(history("jdbc:sqlite:" + file, "atlas_").stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("true", "1"))).toList())
                    .isEqualTo(expectedHistory(hostTables));
            allWork(built);
        } finally {
            built.forEach(Atlas::close);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "directory", "under a file"})
    @DisplayName("a SQLite path that is no database (a text file, a directory, a path under a file) fails at build with a ConfigurationException naming it, and is left as it was")
    void notADatabase(String kind) throws Exception {
        Path path = switch (kind) {
            case "text" -> java.nio.file.Files.writeString(dir.resolve("notes.db"), "meeting notes, not a database\n".repeat(200));
            case "directory" -> java.nio.file.Files.createDirectories(dir.resolve("folder.db"));
            default -> java.nio.file.Files.writeString(dir.resolve("plain.txt"), "x").resolve("inside.db");
        };
        String before = java.nio.file.Files.isRegularFile(path) ? java.nio.file.Files.readString(path) : null;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Atlas.sqlite(path))
                .isInstanceOf(dev.atlas.ConfigurationException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining(kind.equals("text") ? "not a database" : "nable to open");
        if (before != null) {
            assertThat(java.nio.file.Files.readString(path)).isEqualTo(before);
        }
        assertThat(java.nio.file.Files.exists(dir.resolve("notes.db-wal"))).isFalse();
    }

    @Test
    @DisplayName("SQLite: a retention purge in one instance while another appends to the archived conversations on the same file loses no acknowledged message")
    void sqlitePurgeWhileAnotherInstanceAppends() throws Exception {
        Path file = dir.resolve("purge.db");
        dev.atlas.jdbi.kit.MutableClock clock = new dev.atlas.jdbi.kit.MutableClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));
        int total = 120;
        try (Atlas writer = Atlas.builder().sqlite(file).clock(clock).build();
             Atlas purger = Atlas.builder().sqlite(file).clock(clock).build()) {
            ConversationStore conversations = writer.tenant("t").conversations();
            List<UUID> archived = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                UUID id = conversations.create(NewConversation.of(Owner.user("1"), "old")).id();
                conversations.append(id, NewMessage.user("old " + i));
                conversations.archive(id);
                archived.add(id);
            }
            clock.set(clock.instant().plus(java.time.Duration.ofDays(10)));
            Map<UUID, UUID> acknowledged = new java.util.concurrent.ConcurrentHashMap<>();
            CountDownLatch firstAppend = new CountDownLatch(1);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                // Every other conversation gets an append, in purge (id) order, while the purge runs.
                Future<Integer> appends = pool.submit(() -> {
                    int refused = 0;
                    for (int i = 0; i < total; i += 2) {
                        try {
                            acknowledged.put(archived.get(i), conversations.append(archived.get(i), NewMessage.user("new " + i)).id());
                        } catch (dev.atlas.NotFoundException purgedFirst) {
                            refused++;
                        } finally {
                            firstAppend.countDown();
                        }
                    }
                    return refused;
                });
                firstAppend.await();
                dev.atlas.retention.RetentionReport report = purger.tenant("t").retention()
                        .runRetention(dev.atlas.retention.RetentionPolicy.none().purgeArchivedAfter(java.time.Duration.ofDays(1)).batchSize(10));
                int refused = appends.get(60, TimeUnit.SECONDS);
                Set<UUID> remaining = new HashSet<>();
                archived.forEach(id -> purger.tenant("t").conversations().get(id).ifPresent(c -> remaining.add(c.id())));
                assertThat(remaining).as("exactly the conversations with an acknowledged append survive")
                        .containsExactlyInAnyOrderElementsOf(acknowledged.keySet());
                acknowledged.forEach((conversation, message) ->
                        assertThat(purger.tenant("t").conversations().getMessage(message)).as("acknowledged message %s", message).isPresent());
                assertThat(acknowledged.size() + refused).isEqualTo(total / 2);
                assertThat(report.count("conversations.deleted")).isEqualTo(total - remaining.size());
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    @DisplayName("PostgreSQL: instances built at once on a database at V5 (an upgrade) all open; each newer version is applied once")
    void postgresUpgrade() throws Exception {
        String name = "upgrade_" + ProcessHandle.current().pid() + "_" + System.nanoTime() % 100000;
        String url = PostgresTestDatabase.createDatabase(name);
        DataSource plain = PostgresTestDatabase.server().getDatabase("postgres", name);
        org.flywaydb.core.Flyway.configure().configuration(dev.atlas.migrations.AtlasMigrations.of(plain).flyway().getConfiguration())
                .target("5").load().migrate();
        List<Atlas> built = allBuilt(race(INSTANCES, i -> Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").maxPoolSize(3)));
        try {
            assertThat(history(url, "atlas_").stream().map(r -> List.of(r.get(0), r.get(1), r.get(2).replace("t", "1"))).toList())
                    .isEqualTo(expectedHistory(false));
            allWork(built);
        } finally {
            built.forEach(Atlas::close);
        }
    }
}
