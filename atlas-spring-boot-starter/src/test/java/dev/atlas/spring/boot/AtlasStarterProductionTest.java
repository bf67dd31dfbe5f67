package dev.atlas.spring.boot;

import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.AtlasClosedException;
import dev.atlas.ConfigurationException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The starter as a production application runs it: on PostgreSQL over the application's own HikariCP pool, with
 * Actuator's health, two instances on one database, a graceful shutdown while a call is in flight, relative SQLite
 * paths, and hostile settings refused before anything is migrated.
 */
class AtlasStarterProductionTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    @TempDir
    Path dir;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    private static String freshDatabase() {
        return PostgresTestDatabase.createDatabase("starter_prod_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet());
    }

    private static ConfigurableApplicationContext onPostgres(String url, String... more) {
        return postgresApp(url, more).run();
    }

    private static SpringApplicationBuilder postgresApp(String url, String... more) {
        List<String> props = new ArrayList<>(List.of("spring.datasource.url=" + url, "spring.datasource.username=postgres",
                "spring.datasource.password=postgres", "spring.liquibase.enabled=false", "spring.flyway.enabled=false",
                "atlas.health-timeout=1m"));
        props.addAll(List.of(more));
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE).properties(props.toArray(String[]::new));
    }

    private static ConfigurableApplicationContext start(String... props) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.liquibase.enabled=false", "spring.flyway.enabled=false").properties(props).run();
    }

    private static Connection connect(String url) throws Exception {
        return DriverManager.getConnection(url, "postgres", "postgres");
    }

    private static int atlasTables(String url) throws Exception {
        try (Connection c = connect(url); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'atlas%'")) {
            r.next();
            return r.getInt(1);
        }
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    @Test
    @DisplayName("on PostgreSQL Atlas runs on the application's HikariCP pool (no pool of its own), in atlas.tenant with a space"
            + " inside; the atlas health component is UP")
    void postgresOnTheApplicationsHikariPool() throws Exception {
        String url = freshDatabase();
        try (ConfigurableApplicationContext ctx = onPostgres(url, "atlas.tenant=acme corp")) {
            HikariDataSource pool = ctx.getBean(HikariDataSource.class);
            Tenant tenant = ctx.getBean(Tenant.class);
            Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("1")));
            tenant.conversations().append(c.id(), NewMessage.user("hello"));
            assertThat(c.tenantId()).isEqualTo("acme corp");
            assertThat(ctx.getBean(Atlas.class).defaultTenant().conversations().get(c.id())).isEmpty();
            // Atlas's statements ran on the application's pool: it opened connections for them.
            assertThat(pool.getHikariPoolMXBean().getTotalConnections()).isPositive();
            assertThat(ctx.getBean("atlasHealthIndicator", HealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
        }
        assertThat(atlasTables(url)).isPositive();
    }

    @Test
    @DisplayName("two application instances on one PostgreSQL database append to one conversation at once: every message is"
            + " stored once, sequences 1..n without a gap, each writer's messages in its order")
    void twoContextsAppendToOneConversationAtOnce() throws Exception {
        String url = freshDatabase();
        int perWriter = 15;
        try (ConfigurableApplicationContext first = onPostgres(url); ConfigurableApplicationContext second = onPostgres(url)) {
            Tenant a = first.getBean(Tenant.class);
            Tenant b = second.getBean(Tenant.class);
            Conversation c = a.conversations().create(NewConversation.of(Owner.user("1")));
            CyclicBarrier barrier = new CyclicBarrier(4);
            List<CompletableFuture<Void>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                Tenant t = w % 2 == 0 ? a : b;
                String name = "w" + w;
                writers.add(CompletableFuture.runAsync(() -> {
                    try {
                        barrier.await(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    for (int i = 0; i < perWriter; i++) {
                        t.conversations().append(c.id(), NewMessage.user(name + "-" + i));
                    }
                }, java.util.concurrent.Executors.newSingleThreadExecutor()));
            }
            CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            List<Message> history = b.conversations().history(c.id(), 1000);
            assertThat(history).extracting(Message::sequence)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, 4L * perWriter).boxed().toList());
            for (int w = 0; w < 4; w++) {
                String prefix = "w" + w + "-";
                List<String> mine = history.stream().map(Message::content).filter(s -> s.startsWith(prefix)).toList();
                assertThat(mine).as(prefix).containsExactlyElementsOf(
                        java.util.stream.IntStream.range(0, perWriter).mapToObj(i -> prefix + i).toList());
            }
        }
    }

    @Test
    @DisplayName("closing the context while an append waits on a lock in PostgreSQL: shutdown waits for it, the append returns"
            + " its message and it is stored (Atlas closes before the application's pool); a call after close fails with"
            + " AtlasClosedException")
    // Only a guard against hanging the build if close never reaches its wait: the outcome is decided by the latches.
    @org.junit.jupiter.api.Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shutdownWaitsForAnAppendInFlight() throws Exception {
        String url = freshDatabase();
        ConfigurableApplicationContext ctx = onPostgres(url);
        Tenant tenant = ctx.getBean(Tenant.class);
        Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("1")));
        CompletableFuture<Message> append;
        Thread closer;
        try (Connection blocker = connect(url); Statement s = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            // Inserts wait for this lock: the append is in flight, inside its transaction, until the commit below.
            s.execute("LOCK TABLE atlas_messages IN EXCLUSIVE MODE");
            append = CompletableFuture.supplyAsync(() -> tenant.conversations().append(c.id(), NewMessage.user("in flight")),
                    java.util.concurrent.Executors.newSingleThreadExecutor());
            awaitLockWaiter(url);
            closer = new Thread(ctx::close, "closer");
            closer.start();
            awaitClosingAtlas(closer);
            assertThat(append).isNotDone();
            blocker.commit();
        }
        Message stored = append.get(1, TimeUnit.MINUTES);
        closer.join();
        assertThat(stored.content()).isEqualTo("in flight");
        assertThat(catchThrowable(() -> tenant.conversations().history(c.id()))).isInstanceOf(AtlasClosedException.class);
        try (ConfigurableApplicationContext again = onPostgres(url)) {
            assertThat(again.getBean(Tenant.class).conversations().history(c.id())).extracting(Message::content)
                    .containsExactly("in flight");
        }
    }

    @Test
    @DisplayName("two instances started at once on a fresh PostgreSQL database (a rolling deploy): one migrates, the other waits"
            + " for it; both start and write, and a third start finds nothing to migrate")
    void twoInstancesStartingAtOnceOnAFreshDatabase() throws Exception {
        String url = freshDatabase();
        // Spring Boot initialises its logging system per SpringApplication and not thread-safely (CI saw a
        // ConcurrentModificationException in StructuredLogEncoder); two instances of a rolling deploy are two JVMs.
        // So the starts take turns up to the end of the environment and meet at the barrier before the context
        // refreshes, where the Atlas bean migrates: the race under test.
        Semaphore loggingTurn = new Semaphore(1);
        CyclicBarrier barrier = new CyclicBarrier(2);
        List<CompletableFuture<ConfigurableApplicationContext>> starts = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            starts.add(CompletableFuture.supplyAsync(() -> {
                loggingTurn.acquireUninterruptibly();
                AtomicBoolean turnGiven = new AtomicBoolean();
                try {
                    return postgresApp(url).initializers(context -> {
                        turnGiven.set(true);
                        loggingTurn.release();
                        try {
                            barrier.await(30, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }).run();
                } finally {
                    if (!turnGiven.get()) {
                        loggingTurn.release();
                    }
                }
            }, java.util.concurrent.Executors.newSingleThreadExecutor()));
        }
        List<ConfigurableApplicationContext> contexts = new ArrayList<>();
        try {
            for (CompletableFuture<ConfigurableApplicationContext> s : starts) {
                contexts.add(s.get(3, TimeUnit.MINUTES));
            }
            Conversation c = contexts.get(0).getBean(Tenant.class).conversations().create(NewConversation.of(Owner.user("1")));
            contexts.get(1).getBean(Tenant.class).conversations().append(c.id(), NewMessage.user("from the second"));
            try (ConfigurableApplicationContext third = onPostgres(url, "atlas.migrate=false")) {
                assertThat(third.getBean(Tenant.class).conversations().history(c.id())).extracting(Message::content)
                        .containsExactly("from the second");
            }
        } finally {
            contexts.forEach(ConfigurableApplicationContext::close);
        }
    }

    /** Until a backend of the database waits on a lock: the append has sent its statement. */
    private static void awaitLockWaiter(String url) throws Exception {
        String db = url.substring(url.lastIndexOf('/') + 1).replaceFirst("\\?.*", "");
        try (Connection c = connect(url); Statement s = c.createStatement()) {
            while (true) {
                try (ResultSet r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = '" + db
                        + "' AND wait_event_type = 'Lock'")) {
                    r.next();
                    if (r.getInt(1) > 0) {
                        return;
                    }
                }
                Thread.onSpinWait();
            }
        }
    }

    /** Until the closing thread waits inside Atlas's close for the call in flight. */
    private static void awaitClosingAtlas(Thread closer) {
        while (true) {
            Thread.State state = closer.getState();
            if (state == Thread.State.TIMED_WAITING || state == Thread.State.WAITING) {
                for (StackTraceElement f : closer.getStackTrace()) {
                    if (f.getClassName().equals("dev.atlas.jdbi.internal.Db") && f.getMethodName().equals("close")) {
                        return;
                    }
                }
            }
            assertThat(closer.isAlive()).as("closer still closing").isTrue();
            assertThat(Thread.currentThread().isInterrupted()).as("interrupted by the test's guard timeout").isFalse();
            Thread.onSpinWait();
        }
    }

    @Test
    @DisplayName("a relative atlas.sqlite-path is relative to the working directory, and is the file a relative"
            + " atlas.url=jdbc:sqlite: of the same path opens")
    void relativeSqlitePaths() throws Exception {
        Path base = Path.of("target", "starter-relative-" + UUID.randomUUID());
        Path file = base.resolve("rel.db");
        try {
            UUID id;
            try (ConfigurableApplicationContext ctx = start("atlas.sqlite-path=" + file)) {
                id = ctx.getBean(Tenant.class).conversations().create(NewConversation.of(Owner.user("1"))).id();
            }
            assertThat(file.toAbsolutePath()).isRegularFile();
            try (ConfigurableApplicationContext ctx = start("atlas.sqlite-path=./" + base + "/../" + base.getFileName() + "/rel.db")) {
                assertThat(ctx.getBean(Tenant.class).conversations().get(id)).isPresent();
            }
            try (ConfigurableApplicationContext ctx = start("atlas.url=jdbc:sqlite:" + file)) {
                assertThat(ctx.getBean(Tenant.class).conversations().get(id)).isPresent();
            }
            // A relative atlas.data-directory likewise: the asset's bytes land under the working directory.
            try (ConfigurableApplicationContext ctx = start("atlas.sqlite-path=" + file, "atlas.data-directory=" + base.resolve("blobs"))) {
                ctx.getBean(Tenant.class).assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.DOCUMENT, "a.txt", "text/plain"),
                        new java.io.ByteArrayInputStream("bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            try (var blobs = Files.walk(base.resolve("blobs").toAbsolutePath())) {
                assertThat(blobs.filter(Files::isRegularFile)).isNotEmpty();
            }
        } finally {
            try (var files = Files.exists(base) ? Files.walk(base) : java.util.stream.Stream.<Path>empty()) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @DisplayName("hostile settings on PostgreSQL fail start-up with a ConfigurationException naming the setting, before any"
            + " Atlas table is created: a negative or zero atlas.max-pool-size with atlas.url, a NUL or a control character"
            + " in atlas.tenant, a database Atlas does not run on in atlas.url")
    void hostileSettingsAreNamedBeforeAnythingIsMigrated() throws Exception {
        String url = freshDatabase();
        for (String size : List.of("-1", "0", "-2147483648")) {
            Throwable t = catchThrowable(() -> start("atlas.url=" + url, "atlas.username=postgres", "atlas.password=postgres",
                    "atlas.max-pool-size=" + size).close());
            assertThat(rootCause(t)).as(size).isInstanceOf(ConfigurationException.class).hasMessageContaining("atlas.max-pool-size");
        }
        for (String tenant : List.of("acme\u0000", "ac\u0000me", "acme\u001b[31m", "\u0000")) {
            Throwable t = catchThrowable(() -> onPostgres(url, "atlas.tenant=" + tenant).close());
            assertThat(rootCause(t)).as(tenant).isInstanceOf(ConfigurationException.class).hasMessageStartingWith("atlas.tenant");
        }
        assertThat(atlasTables(url)).isZero();
        Throwable mysql = catchThrowable(() -> start("atlas.url=jdbc:mysql://localhost:3306/app").close());
        assertThat(rootCause(mysql)).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.url must start with jdbc:sqlite: or jdbc:postgresql:, was jdbc:mysql://localhost:3306/app");
        Throwable unreachable = catchThrowable(() -> start("atlas.url=jdbc:postgresql://localhost:1/x?password=secret").close());
        Throwable named = unreachable;
        while (!(named instanceof ConfigurationException)) {
            assertThat(named).as("a ConfigurationException in the chain of %s", unreachable).isNotNull();
            named = named.getCause();
        }
        assertThat(named.getMessage()).startsWith("atlas.url").doesNotContain("secret");
    }
}
