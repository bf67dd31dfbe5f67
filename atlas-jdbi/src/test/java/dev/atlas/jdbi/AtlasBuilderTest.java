package dev.atlas.jdbi;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.atlas.Atlas;
import dev.atlas.AtlasClosedException;
import dev.atlas.ConfigurationException;
import dev.atlas.DatabaseKind;
import dev.atlas.Owner;
import dev.atlas.conversation.NewConversation;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtlasBuilderTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("credentials with sqlite(Path) or dataSource(DataSource), where Atlas cannot use them, are reported by config() with the other problems instead of being ignored; null credentials are no setting")
    void credentialsWithoutAJdbcUrlAreRefused() {
        String expected = "credentials(user, password) apply to jdbcUrl(String) only: a SQLite file has no users, and a"
                + " DataSource logs in with its own settings";
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("c.db")).credentials("app", "pw").historyLimit(0).config())
                .isInstanceOf(dev.atlas.ConfigurationException.class).hasMessageContaining(expected)
                .hasMessageContaining("historyLimit must be between 1 and 1000, was 0").hasMessageNotContaining("pw");
        assertThatThrownBy(() -> Atlas.builder().dataSource(new org.sqlite.SQLiteDataSource()).credentials(null, "pw").config())
                .isInstanceOf(dev.atlas.ConfigurationException.class).hasMessage(expected);
        assertThat(Atlas.builder().sqlite(dir.resolve("c.db")).credentials(null, null).config().username()).isNull();
    }

    @Test
    @DisplayName("maxPoolSize(int) with dataSource(DataSource), a pool Atlas does not size, is reported by config() with the other"
            + " problems instead of being ignored (as the Spring Boot starter refuses atlas.max-pool-size there); the pools Atlas creates take it")
    void maxPoolSizeWithADataSourceIsRefused() {
        String expected = "maxPoolSize(int) sizes the pool Atlas creates for sqlite(Path) or jdbcUrl(String): with dataSource(DataSource)"
                + " Atlas uses the application's pool as it is; size that pool instead, or remove maxPoolSize";
        assertThatThrownBy(() -> Atlas.builder().dataSource(new org.sqlite.SQLiteDataSource()).maxPoolSize(4).config())
                .isInstanceOf(dev.atlas.ConfigurationException.class).hasMessage(expected);
        assertThatThrownBy(() -> Atlas.builder().maxPoolSize(10).dataSource(new org.sqlite.SQLiteDataSource()).historyLimit(0).config())
                .isInstanceOf(dev.atlas.ConfigurationException.class).hasMessageContaining(expected)
                .hasMessageContaining("historyLimit must be between 1 and 1000, was 0");
        assertThat(Atlas.builder().dataSource(new org.sqlite.SQLiteDataSource()).config().dataSource()).isNotNull();
        assertThat(Atlas.builder().sqlite(dir.resolve("p.db")).maxPoolSize(4).config().maxPoolSize()).isEqualTo(4);
    }

    @Test
    @DisplayName("Atlas.sqlite opens a new file in a new directory, migrated and ready")
    void sqliteOneCall() {
        Path file = dir.resolve("nested/dir/agent.db");
        try (Atlas atlas = Atlas.sqlite(file)) {
            assertThat(atlas.databaseKind()).isEqualTo(DatabaseKind.SQLITE);
            atlas.conversations().create(NewConversation.of(Owner.user("1")));
        }
        assertThat(Files.exists(file)).isTrue();
        try (Atlas again = Atlas.sqlite(file)) {
            assertThat(again.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items()).hasSize(1);
        }
    }

    @Test
    @DisplayName("an in-memory SQLite URL works from many threads: Atlas keeps its one connection")
    void inMemorySqlite() throws Exception {
        try (Atlas atlas = Atlas.builder().jdbcUrl("jdbc:sqlite::memory:").build()) {
            var convo = atlas.conversations().create(NewConversation.of(Owner.user("1")));
            var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                var futures = new java.util.ArrayList<java.util.concurrent.Future<?>>();
                for (int i = 0; i < 40; i++) {
                    int n = i;
                    futures.add(pool.submit(() -> atlas.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("m" + n))));
                    futures.add(pool.submit(() -> atlas.conversations().history(convo.id())));
                }
                for (var f : futures) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            assertThat(atlas.conversations().require(convo.id()).lastSequence()).isEqualTo(40);
        }
    }

    @Test
    @DisplayName("jdbc:sqlite: with an empty path (SQLite's private temporary database) is one database: every call sees the migrated tables")
    void emptySqlitePathIsOneDatabase() {
        try (Atlas atlas = Atlas.builder().jdbcUrl("jdbc:sqlite:").build()) {
            var convo = atlas.conversations().create(NewConversation.of(Owner.user("1")));
            for (int i = 0; i < 12; i++) {
                assertThat(atlas.conversations().require(convo.id()).id()).isEqualTo(convo.id());
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("close() while a write is mid-transaction waits for it: the write commits, then later calls fail with AtlasClosedException")
    void closeWaitsForAWriteInFlight(String dialect) throws Exception {
        closeWaits(dialect, false);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("close() from an interrupted thread (an executor shutting down) still waits for the write in flight, and keeps the thread's interrupt")
    void interruptedCloseStillWaits(String dialect) throws Exception {
        closeWaits(dialect, true);
    }

    private void closeWaits(String dialect, boolean interruptedCloser) throws Exception {
        String name = "close_inflight_" + (interruptedCloser ? "interrupted_" : "") + ProcessHandle.current().pid();
        Atlas atlas = dialect.equals("SQLite") ? Atlas.sqlite(dir.resolve(name + ".db")) : Atlas.builder()
                .jdbcUrl(dev.atlas.jdbi.kit.PostgresTestDatabase.createDatabase(name))
                .credentials("postgres", "postgres").build();
        var keptInterrupt = new java.util.concurrent.atomic.AtomicBoolean();
        var convo = atlas.conversations().create(NewConversation.of(Owner.user("1")));
        var db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        var inside = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        var writer = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            var write = writer.submit(() -> db.write(h -> {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return "committed";
            }));
            inside.await();
            Thread closer = new Thread(() -> {
                if (interruptedCloser) {
                    Thread.currentThread().interrupt();
                }
                atlas.close();
                keptInterrupt.set(Thread.currentThread().isInterrupted());
            }, "closer");
            closer.start();
            while (closer.getState() == Thread.State.NEW || closer.getState() == Thread.State.RUNNABLE) {
                Thread.onSpinWait(); // until close() waits for something
            }
            assertThat(closer.isAlive()).as("close() waits for the write in flight").isTrue();
            // A second close (a shutdown hook beside try-with-resources) returns only once the first has finished.
            Thread second = new Thread(atlas::close, "second closer");
            second.start();
            while (second.getState() == Thread.State.NEW || second.getState() == Thread.State.RUNNABLE) {
                Thread.onSpinWait();
            }
            assertThat(second.isAlive()).as("the second close() waits for the first").isTrue();
            assertThatThrownBy(() -> atlas.conversations().get(convo.id())).isInstanceOf(AtlasClosedException.class);
            release.countDown();
            assertThat(write.get()).isEqualTo("committed");
            closer.join();
            second.join();
            assertThat(keptInterrupt.get()).isEqualTo(interruptedCloser);
            assertThatThrownBy(() -> atlas.conversations().get(convo.id())).isInstanceOf(AtlasClosedException.class);
        } finally {
            release.countDown();
            writer.shutdown();
        }
    }

    private static java.util.Set<String> poolThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("atlas")).collect(java.util.stream.Collectors.toSet());
    }

    @Test
    @DisplayName("an SQLite path under a file, a directory, a file that is no database, or an unknown PostgreSQL database is a ConfigurationException naming it, and leaves no pool thread behind")
    void unopenableDatabases() throws Exception {
        Path plain = Files.writeString(dir.resolve("plain"), "x");
        Path junk = Files.writeString(dir.resolve("junk.db"), "not an SQLite database, only text long enough to fill a header page");
        String unknown = dev.atlas.jdbi.kit.PostgresTestDatabase.server().getJdbcUrl("postgres", "no_such_database");
        var before = poolThreads();
        assertThatThrownBy(() -> Atlas.sqlite(plain.resolve("a.db"))).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(plain.resolve("a.db").toString()).hasMessageContaining("SQLITE_CANTOPEN");
        assertThatThrownBy(() -> Atlas.sqlite(dir)).isInstanceOf(ConfigurationException.class).hasMessageContaining("SQLITE_CANTOPEN");
        assertThatThrownBy(() -> Atlas.sqlite(junk)).isInstanceOf(ConfigurationException.class).hasMessageContaining("SQLITE_NOTADB");
        assertThatThrownBy(() -> Atlas.builder().jdbcUrl(unknown).credentials("postgres", "postgres").build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("no_such_database");
        assertThat(poolThreads()).isEqualTo(before);
    }

    @Test
    @DisplayName("a dataDirectory that is a file (or under one) fails build() with a ConfigurationException naming dataDirectory and"
            + " the path, before a pool opens; it built, and the first asset failed with a StorageException 'Not a directory'")
    void dataDirectoryThatIsAFileFailsTheBuild() throws Exception {
        Path plain = Files.writeString(dir.resolve("plain"), "x");
        var before = poolThreads();
        for (Path bad : new Path[] {plain, plain.resolve("below")}) {
            assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("data.db")).dataDirectory(bad).build())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessage("dataDirectory " + bad.toAbsolutePath() + " cannot hold Atlas's files: " + plain.toAbsolutePath()
                            + " is a file, not a directory");
        }
        assertThat(poolThreads()).isEqualTo(before);
        assertThat(dir.resolve("data.db")).doesNotExist();
        // A blob store of the application's own: the data directory holds nothing then, and is not looked at.
        try (Atlas atlas = Atlas.builder().sqlite(dir.resolve("data.db")).dataDirectory(plain)
                .blobStore(new dev.atlas.asset.LocalDirectoryBlobStore(dir.resolve("blobs"))).build()) {
            assertThat(atlas.tenant("t").assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "a.png", "image/png"),
                    new byte[] {1}).sizeBytes()).isEqualTo(1);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("tenant ids are exact: ids differing in case (Turkish dotted/dotless i too) or Unicode normalization are separate tenants, up to the maximum length")
    void tenantIdsAreExact(String dialect) {
        String[] ids = {"Acme", "acme", "ACME", "I", "i", "\u0131", "\u0130", "\u00e9", "e\u0301",
                "a".repeat(dev.atlas.Limits.MAX_TENANT_LENGTH), "\ud83d\ude00"};
        try (Atlas atlas = dialect.equals("SQLite") ? Atlas.sqlite(dir.resolve("tenants.db"))
                : Atlas.builder().jdbcUrl(dev.atlas.jdbi.kit.PostgresTestDatabase.createDatabase("tenants_" + ProcessHandle.current().pid()))
                        .credentials("postgres", "postgres").build()) {
            for (String id : ids) {
                atlas.tenant(id).conversations().create(NewConversation.of(Owner.user("1")).title(id));
            }
            for (String id : ids) {
                assertThat(atlas.tenant(id).conversations().list(dev.atlas.conversation.ConversationQuery.all()).items())
                        .as(id).extracting(c -> c.title()).containsExactly(id);
            }
            assertThatThrownBy(() -> atlas.tenant("a".repeat(dev.atlas.Limits.MAX_TENANT_LENGTH + 1)))
                    .isInstanceOf(dev.atlas.InvalidInputException.class).hasMessageContaining("tenantId");
        }
    }

    @Test
    @DisplayName("after close(), stores obtained before fail with AtlasClosedException, even a retention run with nothing to do; closing twice does nothing")
    void storesFailTypedAfterClose() {
        Atlas atlas = Atlas.sqlite(dir.resolve("closed.db"));
        var tenant = atlas.tenant("acme");
        var convo = tenant.conversations().create(NewConversation.of(Owner.user("1")));
        atlas.close();
        atlas.close();
        assertThatThrownBy(() -> tenant.conversations().get(convo.id())).isInstanceOf(AtlasClosedException.class);
        assertThatThrownBy(() -> tenant.tasks().claim(java.time.Duration.ofSeconds(5))).isInstanceOf(AtlasClosedException.class);
        assertThatThrownBy(() -> tenant.retention().runRetention(dev.atlas.retention.RetentionPolicy.none()))
                .isInstanceOf(AtlasClosedException.class);
        assertThatThrownBy(() -> atlas.usageReport(dev.atlas.execution.UsageGroup.TENANT, java.time.Instant.EPOCH, java.time.Instant.now()))
                .isInstanceOf(AtlasClosedException.class);
    }

    @Test
    @DisplayName("one SQLite file opened as an absolute path, a relative one and a symlink is one database with one asset directory: each instance reads the others' rows and asset bytes")
    void oneFileSpelledThreeWays() throws Exception {
        Path abs = dir.resolve("shared.db").toAbsolutePath();
        Path link = Files.createSymbolicLink(dir.resolve("link.db"), abs);
        Path relative = Path.of("").toAbsolutePath().relativize(abs);
        try (Atlas a = Atlas.sqlite(abs); Atlas b = Atlas.sqlite(relative); Atlas c = Atlas.sqlite(link)) {
            var convo = a.conversations().create(NewConversation.of(Owner.user("1")));
            b.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("from b"));
            c.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("from c"));
            assertThat(a.conversations().history(convo.id())).extracting(m -> m.content()).containsExactly("from b", "from c");
            var viaLink = c.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "a.png", "image/png"), "png".getBytes());
            var viaRelative = b.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "b.png", "image/png"), "b".getBytes());
            try (var in = a.assets().open(viaLink.id()); var in2 = c.assets().open(viaRelative.id())) {
                assertThat(in.readAllBytes()).isEqualTo("png".getBytes());
                assertThat(in2.readAllBytes()).isEqualTo("b".getBytes());
            }
            assertThat(c.config().assetDirectory()).isEqualTo(a.config().assetDirectory()).isEqualTo(b.config().assetDirectory());
        }
    }

    /**
     * Before, the asset directory was named after a symlink's own name. An installation that opened
     * its file through a link keeps reading the bytes stored there, also once an instance opened on
     * the real path has created the real-path directory (which used to win and hide them).
     */
    @Test
    void assetsStoredUnderAnOldSymlinkDirectoryStayReadable() throws Exception {
        Path real = dir.resolve("kept.db").toAbsolutePath();
        Path link = Files.createSymbolicLink(dir.resolve("kept-link.db"), real);
        try (Atlas first = Atlas.sqlite(real)) {
            first.conversations().create(NewConversation.of(Owner.user("1")));
        }
        Files.createDirectories(dir.resolve("kept-link.db-assets")); // where an earlier version put the link's assets
        java.util.UUID stored;
        try (Atlas viaLink = Atlas.sqlite(link)) {
            stored = viaLink.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "old.bin", "application/octet-stream"),
                    "old bytes".getBytes()).id();
        }
        try (Atlas viaReal = Atlas.sqlite(real)) {
            viaReal.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "new.bin", "application/octet-stream"),
                    "new bytes".getBytes());
        }
        assertThat(dir.resolve("kept.db-assets")).isDirectory();
        try (Atlas viaLink = Atlas.sqlite(link); var in = viaLink.assets().open(stored)) {
            assertThat(in.readAllBytes()).isEqualTo("old bytes".getBytes());
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("under a tr-TR locale in Pacific/Kiritimati and an ar-EG locale in America/St_Johns, opening, writing, reading times back, searching 'Istanbul' and exporting behave as in UTC with ASCII digits")
    void exoticDefaultLocaleAndZone(String dialect) throws Exception {
        java.util.Locale locale = java.util.Locale.getDefault();
        java.util.TimeZone zone = java.util.TimeZone.getDefault();
        try {
            String[][] settings = {{"tr-TR", "Pacific/Kiritimati"}, {"ar-EG", "America/St_Johns"}};
            for (String[] setting : settings) {
                java.util.Locale.setDefault(java.util.Locale.forLanguageTag(setting[0]));
                java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone(setting[1]));
                String name = "locale_" + setting[0].replace('-', '_').toLowerCase(java.util.Locale.ROOT) + "_" + ProcessHandle.current().pid();
                java.time.Instant start = java.time.Instant.now();
                try (Atlas atlas = dialect.equals("SQLite") ? Atlas.sqlite(dir.resolve(name + ".db"))
                        : Atlas.builder().jdbcUrl(dev.atlas.jdbi.kit.PostgresTestDatabase.createDatabase(name)).credentials("postgres", "postgres").build()) {
                    var tenant = atlas.tenant("\u0130stanbul");
                    var convo = tenant.conversations().create(NewConversation.of(Owner.user("1")).title("ILIK"));
                    tenant.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("Istanbul 123"));
                    assertThat(tenant.search().text(dev.atlas.search.TextQuery.messages("istanbul"))).hasSize(1);
                    var stored = tenant.conversations().require(convo.id());
                    assertThat(stored.createdAt()).isEqualTo(convo.createdAt()).isBetween(start.minusSeconds(1), java.time.Instant.now());
                    var out = new java.io.ByteArrayOutputStream();
                    tenant.portability().exportTo(out, dev.atlas.portability.ExportScope.tenant());
                    assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("\"ILIK\"").doesNotContainPattern("[\\u0660-\\u0669]");
                }
            }
        } finally {
            java.util.Locale.setDefault(locale);
            java.util.TimeZone.setDefault(zone);
        }
    }

    @Test
    @DisplayName("tenant views used from many threads at once: each tenant sees exactly its own rows")
    void tenantViewsFromManyThreads() throws Exception {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("threads.db"))) {
            var threads = java.util.concurrent.Executors.newFixedThreadPool(8);
            var start = new java.util.concurrent.CountDownLatch(1);
            var work = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            try {
                for (int i = 0; i < 64; i++) {
                    String id = (i % 2 == 0 ? "T" : "t") + (i % 8);
                    work.add(threads.submit(() -> {
                        start.await();
                        atlas.tenant(id).conversations().create(NewConversation.of(Owner.user("1")).title(id));
                        return atlas.tenant(id).conversations().list(dev.atlas.conversation.ConversationQuery.all()).items();
                    }));
                }
                start.countDown();
                for (var f : work) {
                    f.get();
                }
            } finally {
                threads.shutdown();
            }
            for (int i = 0; i < 8; i++) {
                String id = (i % 2 == 0 ? "T" : "t") + i;
                assertThat(atlas.tenant(id).conversations().list(dev.atlas.conversation.ConversationQuery.all()).items())
                        .as(id).hasSize(8).allSatisfy(c -> assertThat(c.title()).isEqualTo(id));
                assertThat(atlas.tenant(id)).isSameAs(atlas.tenant(id));
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"SQLite", "PostgreSQL"})
    @DisplayName("close() racing 8 threads of appends and reads: every call succeeds or fails with AtlasClosedException, and every append that returned is stored")
    void closeRacingManyThreads(String dialect) throws Exception {
        Path file = dir.resolve("race.db");
        String url = dialect.equals("SQLite") ? null : dev.atlas.jdbi.kit.PostgresTestDatabase.createDatabase("close_race_" + ProcessHandle.current().pid());
        java.util.function.Supplier<Atlas> open = () -> url == null ? Atlas.sqlite(file)
                : Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").build();
        Atlas atlas = open.get();
        var convo = atlas.conversations().create(NewConversation.of(Owner.user("1")));
        var threads = java.util.concurrent.Executors.newFixedThreadPool(8);
        var started = new java.util.concurrent.CountDownLatch(8);
        var appended = new java.util.concurrent.atomic.AtomicInteger();
        var unexpected = new java.util.concurrent.ConcurrentLinkedQueue<Throwable>();
        try {
            for (int t = 0; t < 8; t++) {
                int n = t;
                threads.submit(() -> {
                    started.countDown();
                    for (int i = 0; ; i++) {
                        try {
                            if (n % 2 == 0) {
                                atlas.conversations().append(convo.id(), dev.atlas.conversation.NewMessage.user("m"));
                                appended.incrementAndGet();
                            } else {
                                atlas.conversations().history(convo.id());
                            }
                        } catch (AtlasClosedException closed) {
                            return;
                        } catch (Throwable other) {
                            unexpected.add(other);
                            return;
                        }
                    }
                });
            }
            started.await();
            while (appended.get() < 20 && unexpected.isEmpty()) {
                Thread.onSpinWait();
            }
            atlas.close();
            threads.shutdown();
            assertThat(threads.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } finally {
            threads.shutdownNow();
        }
        assertThat(unexpected).isEmpty();
        try (Atlas again = open.get()) {
            assertThat(again.conversations().require(convo.id()).lastSequence()).isEqualTo(appended.get());
        }
    }

    @Test
    @DisplayName("the shorthands on Atlas are the default tenant's stores")
    void defaultTenantShorthands() {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("shorthand.db"))) {
            var c = atlas.conversations().create(NewConversation.of(Owner.user("1")));
            atlas.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> null);
            atlas.memories().create(dev.atlas.memory.NewMemory.fact(Owner.user("1"), "likes tea"));
            var tenant = atlas.tenant(Atlas.DEFAULT_TENANT);
            assertThat(tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).hasSize(1);
            assertThat(tenant.memories().list(dev.atlas.memory.MemoryQuery.all()).items()).hasSize(1);
            assertThat(atlas.tenant("other").executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).isEmpty();
            // The README's "atlas.conversations(), atlas.executions(), atlas.memories() …": every store of a tenant view.
            var plain = atlas.settings().create("plain-chat", "Plain chat", Owner.user("1"));
            assertThat(tenant.settings().get(plain.id())).contains(plain);
            var out = new java.io.ByteArrayOutputStream();
            assertThat(atlas.portability().exportTo(out, dev.atlas.portability.ExportScope.tenant()).exported())
                    .containsEntry("conversation", 1L).containsEntry("settings", 1L);
        }
    }

    @Test
    @DisplayName("an invalid table prefix is rejected with what is allowed")
    void badPrefix() {
        for (String bad : new String[] {"Atlas_", "1x", "a-b", "", "x;drop table y", "a".repeat(31)}) {
            assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("p.db")).tablePrefix(bad).config())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("lowercase letters, digits and underscores");
        }
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("p.db")).tablePrefix(null).config())
                .isInstanceOf(ConfigurationException.class);
    }

    @Test
    @DisplayName("a blank or NUL-holding database user is refused when configured, naming username; null means none, and a later valid call clears it")
    void blankUsernameRefused() {
        for (String bad : new String[] {"", " ", "\t", "app\u0000"}) {
            assertThatThrownBy(() -> Atlas.builder().jdbcUrl("jdbc:postgresql://localhost/app").credentials(bad, "pw").config())
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("username must be a database user name: not blank, no NUL (null for none)");
        }
        assertThat(Atlas.builder().jdbcUrl("jdbc:postgresql://localhost/app").credentials(" ", "pw").credentials("app", "pw").config()
                .username()).isEqualTo("app");
        assertThat(Atlas.builder().jdbcUrl("jdbc:postgresql://localhost/app").credentials(null, null).config().username()).isNull();
    }

    @Test
    @DisplayName("building without a database, or with two, fails and says what to set")
    void exactlyOneSource() {
        assertThatThrownBy(() -> Atlas.builder().build()).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("exactly one of");
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).jdbcUrl("jdbc:sqlite:x").build())
                .isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> Atlas.builder().jdbcUrl("jdbc:mysql://x").build()).isInstanceOf(ConfigurationException.class)
                .hasMessage("jdbcUrl must start with jdbc:sqlite: or jdbc:postgresql:, was jdbc:mysql://x");
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).historyLimit(0).build())
                .isInstanceOf(ConfigurationException.class).hasMessage("historyLimit must be between 1 and 1000, was 0");
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).maxPoolSize(0).build())
                .isInstanceOf(ConfigurationException.class).hasMessage("maxPoolSize must be between 1 and 1000, was 0");
    }

    @Test
    @DisplayName("pgvectorIndex defaults to m 16 / ef_construction 64, and refuses values outside pgvector's bounds naming the setting")
    void pgvectorIndex() {
        assertThat(Atlas.builder().sqlite(dir.resolve("a.db")).config().pgvectorM()).isEqualTo(16);
        assertThat(Atlas.builder().sqlite(dir.resolve("a.db")).config().pgvectorEfConstruction()).isEqualTo(64);
        assertThat(Atlas.builder().sqlite(dir.resolve("a.db")).pgvectorIndex(32, 200).config().pgvectorM()).isEqualTo(32);
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).pgvectorIndex(1, 64).build())
                .isInstanceOf(ConfigurationException.class).hasMessage("pgvectorM must be between 2 and 100, was 1");
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).pgvectorIndex(32, 40).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("pgvectorEfConstruction must be between 4 and 1000 and at least 2 * pgvectorM (64), was 40");
    }

    @Test
    @DisplayName("pgvectorEfSearch defaults to 100, accepts 1..1000 and refuses anything else naming the setting")
    void pgvectorEfSearch() {
        assertThat(Atlas.builder().sqlite(dir.resolve("a.db")).config().pgvectorEfSearch()).isEqualTo(100);
        assertThat(Atlas.builder().sqlite(dir.resolve("a.db")).pgvectorEfSearch(400).config().pgvectorEfSearch()).isEqualTo(400);
        assertThat(Atlas.builder().sqlite(dir.resolve("a.db")).pgvectorEfSearch(1000).config().pgvectorEfSearch()).isEqualTo(1000);
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).pgvectorEfSearch(0).build())
                .isInstanceOf(ConfigurationException.class).hasMessage("pgvectorEfSearch must be between 1 and 1000, was 0");
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).pgvectorEfSearch(1001).build())
                .isInstanceOf(ConfigurationException.class).hasMessage("pgvectorEfSearch must be between 1 and 1000, was 1001");
    }

    @Test
    @DisplayName("an unreachable database fails at build time with a ConfigurationException")
    void unreachable() {
        assertThatThrownBy(() -> Atlas.builder().jdbcUrl("jdbc:postgresql://127.0.0.1:1/none").build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("127.0.0.1:1");
    }

    @Test
    @DisplayName("a data source the application supplied is never closed by Atlas")
    void suppliedPoolStaysOpen() {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:sqlite:" + dir.resolve("host.db") + "?journal_mode=WAL");
        try (HikariDataSource host = new HikariDataSource(hc)) {
            Atlas atlas = Atlas.builder().dataSource(host).build();
            var store = atlas.conversations();
            store.create(NewConversation.of(Owner.user("1")));
            atlas.close();
            assertThatThrownBy(() -> store.create(NewConversation.of(Owner.user("1")))).isInstanceOf(AtlasClosedException.class)
                    .hasMessageContaining("closed");
            assertThat(host.isClosed()).isFalse();
            assertThatThrownBy(() -> atlas.tenant("x")).isInstanceOf(AtlasClosedException.class);
        }
    }

    @Test
    @DisplayName("the configuration's toString never shows the password")
    void passwordHidden() {
        var config = Atlas.builder().jdbcUrl("jdbc:postgresql://h/db").credentials("u", "s3cret").config();
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    // ---- secrets never leave through configuration, messages or toString (issue 10.10) ------

    private static final String URL_PASSWORD = "url-pw-7Hq2";
    private static final String PASSWORD = "builder-pw-9Zx4";

    private static String stackTrace(Throwable t) {
        java.io.StringWriter out = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }

    @Test
    @DisplayName("AtlasConfig.toString masks the password, a password in the URL's user-info and every secret URL parameter")
    void configToStringMasksUrlSecrets() {
        var config = Atlas.builder().jdbcUrl("jdbc:postgresql://app:" + URL_PASSWORD + "@db:5432/app?user=app&password=" + URL_PASSWORD
                + "&sslpassword=" + URL_PASSWORD + "&ssl=true").credentials("app", PASSWORD).config();
        assertThat(config.toString())
                .contains("jdbcUrl=jdbc:postgresql://app:****@db:5432/app?user=app&password=****&sslpassword=****&ssl=true, username=app,")
                .doesNotContain(URL_PASSWORD).doesNotContain(PASSWORD);
        assertThat(config.password()).hasToString("Secret[****]");
    }

    @Test
    @DisplayName("a rejected jdbcUrl is quoted with its secrets masked")
    void rejectedUrlMasked() {
        assertThatThrownBy(() -> Atlas.builder().jdbcUrl("jdbc:mysql://app:" + URL_PASSWORD + "@db/app?password=" + URL_PASSWORD).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("jdbcUrl must start with jdbc:sqlite: or jdbc:postgresql:, was jdbc:mysql://app:****@db/app?password=****");
    }

    @Test
    @DisplayName("a failed connection's exception and its whole cause chain hold neither the password nor the URL's secrets")
    void connectionFailureMasked() {
        for (String url : new String[] {"jdbc:postgresql://127.0.0.1:1/none?password=" + URL_PASSWORD,
                "jdbc:postgresql://app:" + URL_PASSWORD + "@127.0.0.1:1/none"}) {
            // slf4j-simple (the tests' logger) writes to the current System.err: capture what the pool logs.
            java.io.PrintStream err = System.err;
            java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
            System.setErr(new java.io.PrintStream(logged, true, java.nio.charset.StandardCharsets.UTF_8));
            Throwable thrown;
            try {
                thrown = org.assertj.core.api.Assertions.catchThrowable(() -> Atlas.builder().jdbcUrl(url).credentials("app", PASSWORD).build());
            } finally {
                System.setErr(err);
            }
            assertThat(thrown).isInstanceOf(ConfigurationException.class);
            assertThat(stackTrace(thrown)).contains(url.replace(URL_PASSWORD, "****"))
                    .doesNotContain(URL_PASSWORD).doesNotContain(PASSWORD);
            assertThat(logged.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain(URL_PASSWORD).doesNotContain(PASSWORD);
        }
    }

    @Test
    @DisplayName("Atlas.config() holds no password, a masked URL, and credential keys that expose ids only")
    void configOfOpenInstanceHasNoSecrets() {
        String database = "atlas_cfg_" + ProcessHandle.current().pid() + "_" + System.nanoTime();
        String url = dev.atlas.jdbi.kit.PostgresTestDatabase.createDatabase(database) + "&password=" + URL_PASSWORD;
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        try (Atlas atlas = Atlas.builder().jdbcUrl(url).credentials("postgres", PASSWORD)
                .credentialKeys(dev.atlas.credential.CredentialKeys.of("k1", key)).build()) {
            var config = atlas.config();
            assertThat(config.password()).isNull();
            assertThat(config.jdbcUrl()).isEqualTo(url.replace(URL_PASSWORD, "****"));
            assertThat(config.credentialKeys().ids()).containsExactly("k1");
            assertThat(config.toString()).doesNotContain(URL_PASSWORD).doesNotContain(PASSWORD)
                    .doesNotContain(java.util.HexFormat.of().formatHex(key));
            // No public method of CredentialKeys hands out key material.
            assertThat(java.util.Arrays.stream(dev.atlas.credential.CredentialKeys.class.getMethods())
                    .map(java.lang.reflect.Method::getGenericReturnType).map(java.lang.reflect.Type::getTypeName)
                    .filter(t -> t.contains("Key>") || t.contains("javax.crypto") || t.contains("java.security") || t.equals("byte[]")))
                    .isEmpty();
            atlas.credentials().upsert(Owner.user("1"), "openai", "sk-1");
            assertThat(atlas.credentials().get(Owner.user("1"), "openai").orElseThrow().reveal()).isEqualTo("sk-1");
        }
    }

    @Test
    @DisplayName("Secret's hash code is not the plaintext's, and equal secrets still hash alike")
    void secretHashIsKeyed() {
        for (String plain : new String[] {"hunter2", "sk-live-1234567890", ""}) {
            assertThat(dev.atlas.credential.Secret.of(plain).hashCode()).isNotEqualTo(plain.hashCode())
                    .isEqualTo(dev.atlas.credential.Secret.of(plain).hashCode());
            assertThat(dev.atlas.credential.Secret.of(plain)).isEqualTo(dev.atlas.credential.Secret.of(plain)).hasToString("Secret[****]");
        }
    }

    // ---- SQLite files are owner-only (issue 10.11) -------------------------------------

    @Test
    @DisplayName("the SQLite database, -wal and -shm files Atlas creates are readable by their owner only (0600)")
    void sqliteFilesOwnerOnly() throws Exception {
        Path viaPath = dir.resolve("owner/agent.db");
        Path viaUrl = dir.resolve("url.db");
        try (Atlas a = Atlas.sqlite(viaPath); Atlas b = Atlas.builder().jdbcUrl("jdbc:sqlite:" + viaUrl).build()) {
            for (Atlas atlas : new Atlas[] {a, b}) {
                var c = atlas.conversations().create(NewConversation.of(Owner.user("1")));
                atlas.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("written"));
            }
            for (Path db : new Path[] {viaPath, viaUrl}) {
                for (String suffix : new String[] {"", "-wal", "-shm"}) {
                    Path f = db.resolveSibling(db.getFileName() + suffix);
                    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                            .as(f.toString()).isEqualTo("rw-------");
                }
            }
        }
    }

    @Test
    @DisplayName("a file: URL names the file SQLite opens: %HH decoded, a localhost authority dropped; that file is owner-only"
            + " and no stray file is made under the encoded name")
    void sqliteFileUrlsAreDecodedAsSqliteDecodesThem() throws Exception {
        Path spaced = dir.resolve("a b é.db");
        String encoded = dir.toAbsolutePath().toUri().getRawPath() + "a%20b%20%C3%A9.db";
        Path local = dir.resolve("local.db");
        try (Atlas a = Atlas.builder().jdbcUrl("jdbc:sqlite:file:" + encoded).build();
             Atlas b = Atlas.builder().jdbcUrl("jdbc:sqlite:file://localhost" + local.toAbsolutePath().toUri().getRawPath()).build()) {
            for (Atlas atlas : new Atlas[] {a, b}) {
                atlas.conversations().create(NewConversation.of(Owner.user("1")));
            }
            for (Path db : new Path[] {spaced, local}) {
                assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(db)))
                        .as(db.toString()).isEqualTo("rw-------");
            }
            try (var listing = Files.list(dir)) {
                assertThat(listing.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".db")).sorted().toList())
                        .containsExactly("a b é.db", "local.db");
            }
            assertThat(Path.of("localhost")).doesNotExist();
        }
    }

    // ---- a host-supplied SQLite pool gets Atlas's settings or is refused (issue 11.6) ------

    private static HikariDataSource hostPool(Path file, String params) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:sqlite:" + file + params);
        hc.setMaximumPoolSize(1);
        return new HikariDataSource(hc);
    }

    private record Settings(String foreignKeys, int busyTimeout, String transactionMode) {}

    private static Settings settings(java.sql.Connection c) throws java.sql.SQLException {
        org.sqlite.SQLiteConnection sc = c.unwrap(org.sqlite.SQLiteConnection.class);
        try (var s = c.createStatement(); var rs = s.executeQuery("PRAGMA foreign_keys")) {
            rs.next();
            return new Settings(rs.getString(1), sc.getBusyTimeout(), sc.getConnectionConfig().getTransactionMode().name());
        }
    }

    @Test
    @DisplayName("a host SQLite pool without busy timeout, foreign keys or IMMEDIATE transactions gets them on Atlas's connections (foreign keys for writes), and keeps its own")
    void hostPoolGetsSettingsPerConnection() throws Exception {
        try (HikariDataSource host = hostPool(dir.resolve("host.db"), "?journal_mode=WAL");
             Atlas atlas = Atlas.builder().dataSource(host).build()) {
            var c = atlas.conversations().create(NewConversation.of(Owner.user("1")));
            atlas.conversations().append(c.id(), dev.atlas.conversation.NewMessage.user("written through the host pool"));
            var db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
            dev.atlas.jdbi.internal.sql.HandleCallback<Settings> read = h -> {
                try {
                    return settings(h.getConnection());
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            };
            // Foreign keys matter to writes only, so only write transactions switch them on.
            assertThat(db.write(read)).isEqualTo(new Settings("1", 10_000, "IMMEDIATE"));
            assertThat(db.read(read)).isEqualTo(new Settings("0", 10_000, "IMMEDIATE"));
            try (var hostConnection = host.getConnection()) {
                assertThat(settings(hostConnection)).isEqualTo(new Settings("0", 3_000, "DEFERRED"));
            }
            assertThat(atlas.conversations().history(c.id())).hasSize(1);
        }
    }

    @Test
    @DisplayName("a host SQLite pool whose database is not in WAL mode is refused before any write, saying how to set it")
    void hostPoolWithoutWalRefused() throws Exception {
        Path file = dir.resolve("rollback.db");
        try (HikariDataSource host = hostPool(file, "")) {
            assertThatThrownBy(() -> Atlas.builder().dataSource(host).build()).isInstanceOf(ConfigurationException.class)
                    .hasMessage("the supplied SQLite DataSource's database runs journal_mode=delete, and Atlas needs journal_mode=WAL"
                            + " (readers never block the writer). WAL is a property of the database file, so Atlas does not change it"
                            + " for you: add journal_mode=WAL to the pool's JDBC URL (jdbc:sqlite:app.db?journal_mode=WAL) or"
                            + " SQLiteConfig.setJournalMode(JournalMode.WAL), or run PRAGMA journal_mode=WAL once on the database");
            try (var c = host.getConnection(); var s = c.createStatement(); var rs = s.executeQuery("SELECT COUNT(*) FROM sqlite_master")) {
                rs.next();
                assertThat(rs.getInt(1)).as("nothing was created").isZero();
            }
        }
    }

    @Test
    @DisplayName("execution listeners add up in the order given; a null one is refused naming the setting, even followed by a valid one")
    void executionListeners() {
        dev.atlas.execution.ExecutionListener first = new dev.atlas.execution.ExecutionListener() {};
        dev.atlas.execution.ExecutionListener second = new dev.atlas.execution.ExecutionListener() {};
        assertThat(Atlas.builder().sqlite(dir.resolve("a.db")).config().executionListeners()).isEmpty();
        assertThat(Atlas.builder().sqlite(dir.resolve("a.db")).executionListener(first).executionListener(second).config()
                .executionListeners()).containsExactly(first, second);
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("a.db")).executionListener(null).executionListener(first).build())
                .isInstanceOf(ConfigurationException.class).hasMessage("executionListener must not be null");
    }

    // ---- typed errors and every invalid setting at once (issue 11.5) ---------------------

    @Test
    @DisplayName("builder.clock(null) is a ConfigurationException naming the clock, not a NullPointerException")
    void nullClock() {
        assertThatThrownBy(() -> Atlas.builder().sqlite(dir.resolve("c.db")).clock(null).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("clock must not be null: pass a java.time.Clock, for example Clock.systemUTC()");
    }

    @Test
    @DisplayName("every invalid setting is reported at once, in the order set, in one ConfigurationException")
    void allProblemsAtOnce() {
        assertThatThrownBy(() -> Atlas.builder().tablePrefix("Bad").historyLimit(0).maxPoolSize(0).clock(null).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("5 settings are invalid: tablePrefix 'Bad' is invalid: use 1 to 30 characters of lowercase letters, digits"
                        + " and underscores, starting with a letter (for example 'atlas_'); historyLimit must be between 1 and 1000,"
                        + " was 0; maxPoolSize must be between 1 and 1000, was 0; clock must not be null: pass a java.time.Clock,"
                        + " for example Clock.systemUTC(); exactly one of sqlite(Path), jdbcUrl(String) or dataSource(DataSource)"
                        + " must be set, 0 were");
        // A later valid value replaces an earlier invalid one.
        assertThat(Atlas.builder().sqlite(dir.resolve("ok.db")).historyLimit(0).historyLimit(20).config().historyLimit()).isEqualTo(20);
    }

    @Test
    @DisplayName("AtlasMigrations refuses a bad prefix or a null data source with a ConfigurationException")
    void migrationsTyped() {
        assertThatThrownBy(() -> dev.atlas.migrations.AtlasMigrations.of(null)).isInstanceOf(ConfigurationException.class)
                .hasMessage("dataSource must not be null");
        assertThatThrownBy(() -> dev.atlas.migrations.AtlasMigrations.of(new org.sqlite.SQLiteDataSource()).tablePrefix("Bad"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("tablePrefix 'Bad' is invalid: use 1 to 30 characters of lowercase letters, digits and underscores,"
                        + " starting with a letter (for example 'atlas_')");
    }
}
