package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.ConfigurationException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import jakarta.annotation.PreDestroy;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** Start-up and shutdown of the starter on its own SQLite pool, as an application meets them. */
class AtlasStarterStartUpTest {
    @TempDir
    Path dir;
    @TempDir
    static Path ownDir;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    private static ConfigurableApplicationContext start(Class<?> app, String... properties) {
        return new SpringApplicationBuilder(app).web(WebApplicationType.NONE)
                .properties("spring.autoconfigure.exclude=org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration")
                .properties(properties).run();
    }

    /** The Atlas exception that stopped start-up (Spring wraps it in bean creation exceptions). */
    private static Throwable failureOfStart(Class<?> app, String... properties) {
        Throwable t = catchThrowable(() -> start(app, properties).close());
        assertThat(t).as("start-up must fail").isNotNull();
        while (t != null && !(t instanceof dev.atlas.AtlasException)) {
            t = t.getCause();
        }
        return t;
    }

    @Test
    @DisplayName("an atlas.sqlite-path Atlas cannot open fails start-up with a ConfigurationException naming the property and the file")
    void unopenableSqlitePathIsNamedAsTheProperty() throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        Path db = file.resolve("atlas.db");
        Throwable t = failureOfStart(App.class, "atlas.sqlite-path=" + db);
        assertThat(t).isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("atlas.sqlite-path: could not open a connection pool for " + db + ": ");
    }

    @Test
    @DisplayName("an atlas.url nobody answers fails start-up naming atlas.url, with the password masked")
    void unreachableUrlIsNamedAsTheProperty() {
        Throwable t = failureOfStart(App.class, "atlas.url=jdbc:postgresql://127.0.0.1:1/app?password=hunter2", "atlas.username=app",
                "atlas.password=s3cret-pw");
        assertThat(t).isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("atlas.url: could not open a connection pool for jdbc:postgresql://127.0.0.1:1/app?password=****")
                .hasMessageContaining("Connection to 127.0.0.1:1 refused");
        for (Throwable c = t; c != null; c = c.getCause()) {
            assertThat(c.getMessage()).doesNotContain("hunter2").doesNotContain("s3cret-pw");
        }
        // A raw '#' in the URL's user-info password (not percent-encoded) is the password's, up to the last '@'.
        Throwable raw = failureOfStart(App.class, "atlas.url=jdbc:postgresql://app:hun#ter2@127.0.0.1:1/app");
        assertThat(raw).isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("atlas.url: could not open a connection pool for jdbc:postgresql://app:****@127.0.0.1:1/app: ");
        for (Throwable c = raw; c != null; c = c.getCause()) {
            assertThat(c.getMessage()).doesNotContain("hun").doesNotContain("ter2");
        }
    }

    @Test
    @DisplayName("atlas.username or atlas.password without atlas.url fails start-up naming them, instead of being ignored")
    void credentialsWithoutUrlAreRefused() {
        Throwable t = failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("a.db"), "atlas.username=app", "atlas.password=s3cret-pw");
        assertThat(t).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.username and atlas.password apply to atlas.url only, which is not set: set atlas.url, or remove them");
    }

    @Test
    @DisplayName("atlas.close-timeout sets how long close() waits for calls in flight (10s, 0, 1h); unset it is 30 s."
            + " atlas.health-timeout sets how long the atlas health component waits for the database (2s, 1ms, 1m); unset it is"
            + " 500 ms; 0, a negative value or more than 1 minute fails start-up naming the property, before the database is created")
    void closeAndHealthTimeoutProperties() {
        // One start-up per pair of values: the two settings are read apart, so a start-up checks one of each.
        for (String[] c : new String[][] {{"10s", "PT10S", "2s", "PT2S"}, {"0", "PT0S", "1ms", "PT0.001S"}, {"1h", "PT1H", "1m", "PT1M"},
                {null, "PT30S", null, "PT0.5S"}}) {
            List<String> properties = new ArrayList<>(List.of("atlas.sqlite-path=" + dir.resolve("timeouts.db")));
            if (c[0] != null) {
                properties.add("atlas.close-timeout=" + c[0]);
                properties.add("atlas.health-timeout=" + c[2]);
            }
            try (ConfigurableApplicationContext ctx = start(App.class, properties.toArray(String[]::new))) {
                assertThat(ctx.getBean(Atlas.class).config().closeTimeout()).as(c[0]).hasToString(c[1]);
                AtlasHealthIndicator indicator = ctx.getBean("atlasHealthIndicator", AtlasHealthIndicator.class);
                assertThat(indicator.timeout()).as(c[2]).hasToString(c[3]);
                // The check's read ran once during start-up (pool, statement and classes warm), before any check was asked:
                // the first probe is not the one that pays for them against the timeout.
                assertThat(indicator.warmUpRead()).as(c[2]).isNotNull().isCompleted();
            }
        }
        // Under spring.main.lazy-initialization=true: lazyInitializationStillChecksAndMigratesAtStartUp.
        // management.health.atlas.enabled=false (Actuator's switch of a health component): no indicator, no start-up read.
        try (ConfigurableApplicationContext ctx = start(App.class, "atlas.sqlite-path=" + dir.resolve("health.db"),
                "management.health.atlas.enabled=false")) {
            assertThat(ctx.containsBean("atlasHealthIndicator")).isFalse();
        }
        // The start-up read's warning shows its cause escaped: a driver's message may carry a line break that forges a log line.
        assertThat(AtlasHealthIndicator.startUpReadFailed(new IllegalStateException("no\nINFO forged")))
                .isEqualTo("Atlas health: the start-up read failed; the checks report it: java.lang.IllegalStateException: no\\u000aINFO forged");
        // 0 at start-up; the others through the check start-up runs, on the settings as Boot binds them.
        assertThat(failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("a.db"), "atlas.health-timeout=0"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.health-timeout must be greater than 0 and at most 1 minute, was 0 s");
        for (String[] c : new String[][] {{"-5s", "-5 s"}, {"61s", "61 s"}}) {
            assertThat(catchThrowable(() -> AtlasAutoConfiguration.healthTimeout("atlas.health-timeout", AtlasStarterNewcomerTest.bound(
                    "atlas.sqlite-path=" + dir.resolve("a.db"), "atlas.health-timeout=" + c[0]).getHealthTimeout())))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessage("atlas.health-timeout must be greater than 0 and at most 1 minute, was " + c[1]);
        }
        assertThat(dir.resolve("a.db")).doesNotExist();
    }

    @Test
    @DisplayName("a negative or longer than 1 hour atlas.close-timeout fails start-up with a ConfigurationException naming the property")
    void badCloseTimeoutIsNamedAsTheProperty() {
        assertThat(failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("a.db"), "atlas.close-timeout=-5s"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.close-timeout must be between 0 (do not wait) and 1 hour, was -5 s");
        assertThat(failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("a.db"), "atlas.close-timeout=2h"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.close-timeout must be between 0 (do not wait) and 1 hour, was 7200 s");
    }

    @Test
    @DisplayName("an atlas.data-directory under a regular file fails start-up naming the property, not at the first asset")
    void dataDirectoryUnderAFileIsNamedAsTheProperty() throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "x");
        Throwable t = failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("a.db"), "atlas.data-directory=" + file.resolve("blobs"));
        assertThat(t).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.data-directory " + file.resolve("blobs") + " cannot be a directory: " + file + " is a file");
    }

    @Test
    @DisplayName("atlas.sqlite-path and atlas.data-directory starting with ~/ are in the user's home (user.home), as a shell"
            + " writes them, not in a directory named ~ under the working directory; ~name/ (another user's home) and an"
            + " atlas.url of jdbc:sqlite:~/... (passed to the driver as it is) fail start-up naming the setting")
    void tildeMeansTheUsersHome() throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path strayTilde = Path.of("~").toAbsolutePath();
        assertThat(strayTilde).doesNotExist();
        String userHome = System.getProperty("user.home");
        System.setProperty("user.home", home.toString());
        try {
            try (ConfigurableApplicationContext ctx = start(App.class, "atlas.sqlite-path=~/agent.db", "atlas.data-directory=~/blobs")) {
                Tenant tenant = ctx.getBean(Tenant.class);
                tenant.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "a.png", "image/png"),
                        new byte[] {1, 2, 3});
            }
            assertThat(home.resolve("agent.db")).isRegularFile();
            try (var files = Files.walk(home.resolve("blobs"))) {
                assertThat(files.filter(Files::isRegularFile).map(p -> p.toFile().length())).containsExactly(3L);
            }
            assertThat(strayTilde).doesNotExist();

            // Refused by the checks start-up runs before Atlas opens anything (called directly: a context start each cost 0.7 s).
            assertThat(catchThrowable(() -> AtlasAutoConfiguration.inHome("atlas.sqlite-path", Path.of("~bob/agent.db"), "a file")))
                    .isExactlyInstanceOf(ConfigurationException.class)
                    .hasMessage("atlas.sqlite-path ~bob/agent.db: only ~ and ~/ (the home of the user running the application)"
                            + " are expanded, not ~name: write the full path, or ./~bob/agent.db for a file of that name");
            assertThat(catchThrowable(() -> AtlasAutoConfiguration.inHome("atlas.data-directory", Path.of("~bob/blobs"), "a directory")))
                    .isExactlyInstanceOf(ConfigurationException.class)
                    .hasMessage("atlas.data-directory ~bob/blobs: only ~ and ~/ (the home of the user running the application)"
                            + " are expanded, not ~name: write the full path, or ./~bob/blobs for a directory of that name");
            for (String url : List.of("jdbc:sqlite:~/agent.db", "jdbc:sqlite:file:~/agent.db?journal_mode=WAL")) {
                assertThat(catchThrowable(() -> AtlasAutoConfiguration.refuseTildeInSqliteUrl(url)))
                        .isExactlyInstanceOf(ConfigurationException.class)
                        .hasMessage("atlas.url " + url + ": the SQLite driver does not expand ~ (it would make a directory"
                                + " named ~ in the working directory): write the full path, or set atlas.sqlite-path=~/agent.db instead");
            }
            // The path as written otherwise: relative to the working directory, a ~ inside a name kept.
            assertThat(AtlasAutoConfiguration.inHome("atlas.sqlite-path", Path.of("data/a~b.db"), "a file")).isEqualTo(Path.of("data/a~b.db"));
            assertThat(AtlasAutoConfiguration.inHome("atlas.sqlite-path", Path.of("~"), "a file")).isEqualTo(home);
            AtlasAutoConfiguration.refuseTildeInSqliteUrl("jdbc:sqlite:data/a~b.db");
            AtlasAutoConfiguration.refuseTildeInSqliteUrl("jdbc:postgresql://db/~app");
            assertThat(strayTilde).doesNotExist();
        } finally {
            System.setProperty("user.home", userHome);
        }
    }

    @Test
    @DisplayName("a credential key of the wrong length fails start-up naming atlas.credential-keys.<id>, never the key")
    void shortCredentialKeyIsNamedAsTheProperty() {
        Throwable t = failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("a.db"),
                "atlas.credential-keys.k1=AAAAAAAAAAAAAAAAAAAAAA==");
        assertThat(t).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.credential-keys.k1: credential key 'k1' must be 32 bytes (AES-256), was 16 bytes");
    }

    @Test
    @DisplayName("with several credential keys the primary is atlas.credential-primary-key, whatever order the property sources (an"
            + " environment variable's, say) list the keys in; several keys without it, or a primary that is not among them, fail"
            + " start-up naming the property and never a key")
    void credentialPrimaryKeyIsExplicit() {
        String oldKey = java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32));
        String newKey = java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32));
        // The new key arrives from a source Spring consults first (a system property here, an
        // environment variable in production), the old one from the application's own properties.
        System.setProperty("atlas.credential-keys.k-old", oldKey);
        try {
            try (ConfigurableApplicationContext ctx = start(App.class, "atlas.sqlite-path=" + dir.resolve("a.db"),
                    "atlas.credential-keys.k-new=" + newKey, "atlas.credential-primary-key=k-new")) {
                assertThat(ctx.getBean(Atlas.class).config().credentialKeys().primaryId()).isEqualTo("k-new");
                assertThat(ctx.getBean(Tenant.class).credentials().upsert(Owner.user("1"), "openai", "sk").keyId()).isEqualTo("k-new");
            }
            Throwable unnamed = failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("b.db"), "atlas.credential-keys.k-new=" + newKey);
            assertThat(unnamed).isInstanceOf(ConfigurationException.class)
                    .hasMessage("atlas.credential-primary-key is required with several atlas.credential-keys ([k-new, k-old]): name the key"
                            + " new credentials are encrypted with (the order of property sources is not reliable)");
            // The others through the check start-up runs, on the settings as Boot binds them (the system property's key merged).
            Throwable unknown = catchThrowable(() -> primaryKeyChecked("atlas.sqlite-path=" + dir.resolve("c.db"),
                    "atlas.credential-keys.k-new=" + newKey, "atlas.credential-primary-key=k-neu"));
            assertThat(unknown).isInstanceOf(ConfigurationException.class)
                    .hasMessage("atlas.credential-primary-key: credential key id 'k-neu' is not among [k-new, k-old]");
            for (Throwable t : List.of(unnamed, unknown)) {
                assertThat(t.getMessage()).doesNotContain(oldKey).doesNotContain(newKey);
            }
        } finally {
            System.clearProperty("atlas.credential-keys.k-old");
        }
        Throwable withoutKeys = catchThrowable(() -> primaryKeyChecked("atlas.sqlite-path=" + dir.resolve("d.db"), "atlas.credential-primary-key=k1"));
        assertThat(withoutKeys).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.credential-primary-key: credential key id 'k1' is not among []");
    }

    /** The credential keys start-up makes of the settings {@code properties} bind to. */
    private static dev.atlas.credential.CredentialKeys primaryKeyChecked(String... properties) {
        AtlasProperties bound = AtlasStarterNewcomerTest.bound(properties);
        return AtlasAutoConfiguration.credentialKeys(bound.getCredentialKeys(), bound.getCredentialPrimaryKey());
    }

    @Test
    @DisplayName("a misspelt atlas.* property fails start-up naming it and the setting meant, instead of Atlas silently using its default file")
    void misspeltPropertyIsNamed() {
        Path fallback = AtlasAutoConfiguration.DEFAULT_SQLITE.toAbsolutePath();
        boolean existedBefore = Files.exists(fallback);
        Throwable t = failureOfStart(App.class, "atlas.sqlite-pth=" + dir.resolve("typo.db"), "atlas.tennant=acme",
                "atlas.credential-keys.k1=" + java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32)));
        assertThat(t).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.sqlite-pth is not an Atlas setting (did you mean atlas.sqlite-path?);"
                        + " atlas.tennant is not an Atlas setting (did you mean atlas.tenant?)");
        assertThat(Files.exists(fallback)).isEqualTo(existedBefore);
        assertThat(dir.resolve("typo.db")).doesNotExist();
        Throwable nested = failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("n.db"), "atlas.tenant.id=acme");
        assertThat(nested).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.tenant.id is not an Atlas setting (did you mean atlas.tenant?)");
    }

    @Test
    @DisplayName("relaxed property names bind: atlas.sqlitePath, atlas.table_prefix; an atlas.* key near no Atlas setting (an Apache"
            + " Atlas client's atlas.rest.address) and atlas.* system properties that are not Spring settings (Atlas's"
            + " -Datlas.vectors.exact, its benchmarks') do not stop start-up")
    void relaxedNamesAndForeignAtlasKeys() {
        // One start-up: each setting is read on its own, and a foreign key that stopped start-up would fail it naming the key.
        Path file = dir.resolve("relaxed.db");
        System.setProperty("atlas.bench.probe", "1");
        try (ConfigurableApplicationContext ctx = start(App.class, "atlas.sqlitePath=" + file, "atlas.table_prefix=rx_",
                "atlas.rest.address=http://localhost:21000")) {
            Atlas atlas = ctx.getBean(Atlas.class);
            atlas.conversations().create(NewConversation.of(Owner.user("1")));
            assertThat(atlas.config().sqliteFile()).isEqualTo(file);
            assertThat(atlas.config().tablePrefix()).isEqualTo("rx_");
        } finally {
            System.clearProperty("atlas.bench.probe");
        }
    }

    @Test
    @DisplayName("with atlas.sqlite-path Atlas has its own pool and leaves the application's SQLite pool as configured (no WAL)")
    void ownPoolLeavesTheApplicationsSqlitePoolAlone() {
        Path app = dir.resolve("app.db");
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=jdbc:sqlite:" + app, "spring.flyway.enabled=false", "spring.liquibase.enabled=false",
                        "atlas.sqlitePath=" + dir.resolve("own.db"))
                .run()) {
            ctx.getBean(Atlas.class).conversations().create(NewConversation.of(Owner.user("1")));
            var jdbc = new org.springframework.jdbc.core.JdbcTemplate(ctx.getBean(javax.sql.DataSource.class));
            assertThat(jdbc.queryForObject("PRAGMA journal_mode", String.class)).isEqualTo("delete");
            assertThat(((com.zaxxer.hikari.HikariDataSource) ctx.getBean(javax.sql.DataSource.class)).getJdbcUrl())
                    .isEqualTo("jdbc:sqlite:" + app);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class WithBlobStore {
        @Bean
        dev.atlas.asset.BlobStore sharedBlobs() {
            return new dev.atlas.asset.LocalDirectoryBlobStore(ownDir.resolve("shared-blobs"));
        }
    }

    /** {@link WithBlobStore} and a second store, neither {@code @Primary}. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class WithTwoBlobStores {
        @Bean
        dev.atlas.asset.BlobStore sharedBlobs() {
            return new dev.atlas.asset.LocalDirectoryBlobStore(ownDir.resolve("shared-blobs"));
        }

        @Bean
        dev.atlas.asset.BlobStore reportBlobs() {
            return new dev.atlas.asset.LocalDirectoryBlobStore(ownDir.resolve("report-blobs"));
        }
    }

    @Test
    @DisplayName("a BlobStore bean (an S3 store shared by every instance, say) holds Atlas's asset bytes; two and none @Primary fail"
            + " start-up naming them, before the database is made, instead of keeping the bytes in a local directory")
    void blobStoreBeanIsUsed() throws Exception {
        Throwable failure = catchThrowable(() -> start(WithTwoBlobStores.class, "atlas.sqlite-path=" + dir.resolve("two.db")).close());
        assertThat(org.assertj.core.util.Throwables.getRootCause(failure)).isExactlyInstanceOf(ConfigurationException.class)
                .hasMessage("the application has 2 BlobStore beans (reportBlobs, sharedBlobs) and none is @Primary: mark the one"
                        + " Atlas should keep asset bytes in @Primary");
        assertThat(dir.resolve("two.db")).doesNotExist();

        try (ConfigurableApplicationContext ctx = start(WithBlobStore.class, "atlas.sqlite-path=" + dir.resolve("blobs.db"))) {
            Tenant tenant = ctx.getBean(Tenant.class);
            var asset = tenant.assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.IMAGE, "a.png", "image/png"),
                    new byte[] {1, 2, 3});
            try (var in = tenant.assets().open(asset.id())) {
                assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
            }
        }
        try (var files = Files.walk(ownDir.resolve("shared-blobs"))) {
            assertThat(files.filter(Files::isRegularFile).map(p -> p.toFile().length())).contains(3L);
        }
        assertThat(dir.resolve("blobs.db-assets")).doesNotExist();
    }

    @Test
    @DisplayName("two contexts on one SQLite file in one JVM (a devtools restart overlapping the old context) share it; a third sees both")
    void twoContextsOnOneFile() {
        Path file = dir.resolve("shared.db");
        ConfigurableApplicationContext first = start(App.class, "atlas.sqlite-path=" + file);
        ConfigurableApplicationContext second = start(App.class, "atlas.sqlite-path=" + file);
        Conversation c = first.getBean(Atlas.class).conversations().create(NewConversation.of(Owner.user("1")));
        second.getBean(Atlas.class).conversations().append(c.id(), NewMessage.user("from the second"));
        first.close();
        assertThat(second.getBean(Atlas.class).conversations().history(c.id())).hasSize(1);
        second.close();
        try (ConfigurableApplicationContext third = start(App.class, "atlas.sqlite-path=" + file)) {
            assertThat(third.getBean(Atlas.class).conversations().history(c.id())).hasSize(1);
        }
    }

    /**
     * Devtools restarts close the context and start a new one in the same JVM: each close leaves
     * no Atlas thread (its pool's, the WAL checkpointer) and no open connection, which SQLite shows
     * by removing the -wal and -shm files when the last one closes.
     */
    @Test
    void restartsInOneJvmLeaveNoThreadNorConnectionBehind() throws Exception {
        Path file = dir.resolve("restarts.db");
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        for (int i = 0; i < 3; i++) {
            try (ConfigurableApplicationContext ctx = start(App.class, "atlas.sqlite-path=" + file)) {
                Tenant tenant = ctx.getBean(Tenant.class);
                Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("1")));
                tenant.conversations().append(c.id(), NewMessage.user("run " + i));
            }
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (!before.contains(t) && t.getName().startsWith("atlas")) {
                    // An executor's worker may still be returning from its last task. A bound only a thread that never
                    // ends reaches: on 2 loaded cores a thread's last steps can wait seconds for a core.
                    t.join(120_000);
                    assertThat(t.isAlive()).as("run " + i + ": thread " + t.getName()).isFalse();
                }
            }
            assertThat(Path.of(file + "-wal")).as("run " + i).doesNotExist();
            assertThat(Path.of(file + "-shm")).as("run " + i).doesNotExist();
        }
        try (Atlas atlas = Atlas.builder().sqlite(file).build()) {
            assertThat(atlas.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items()).hasSize(3);
        }
    }

    static final List<String> SHUTDOWN = new ArrayList<>();

    /** A bean that writes through Atlas when the context closes. */
    static class Farewell {
        private final Tenant tenant;

        Farewell(Tenant tenant) {
            this.tenant = tenant;
        }

        @PreDestroy
        void bye() {
            Conversation c = tenant.conversations().create(NewConversation.of(Owner.user("1")));
            tenant.conversations().append(c.id(), NewMessage.user("bye"));
            SHUTDOWN.add(c.id().toString());
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class WithFarewell {
        @Bean
        Farewell farewell(Tenant tenant) {
            return new Farewell(tenant);
        }
    }

    @Test
    @DisplayName("a bean that writes through Tenant in @PreDestroy runs before Atlas closes; the context closes cleanly")
    void beansUsingAtlasCloseFirst() {
        SHUTDOWN.clear();
        Path file = dir.resolve("farewell.db");
        start(WithFarewell.class, "atlas.sqlite-path=" + file).close();
        assertThat(SHUTDOWN).hasSize(1);
        try (Atlas atlas = Atlas.sqlite(file)) {
            assertThat(atlas.conversations().history(java.util.UUID.fromString(SHUTDOWN.get(0)))).hasSize(1);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class OwnAtlas {
        static Atlas made;

        @Bean
        Atlas myAtlas() {
            made = Atlas.sqlite(ownDir.resolve("own.db"));
            return made;
        }
    }

    @Test
    @DisplayName("an application's own Atlas bean wins; the Tenant bean is on it")
    void ownAtlasBeanWins() {
        try (ConfigurableApplicationContext ctx = start(OwnAtlas.class, "atlas.tenant=t1")) {
            assertThat(ctx.getBean(Atlas.class)).isSameAs(OwnAtlas.made);
            assertThat(ctx.getBeansOfType(Atlas.class)).hasSize(1);
            assertThat(ctx.getBean(Tenant.class).id()).isEqualTo("t1");
        }
        assertThat(ownDir.resolve("own.db")).exists();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class Telemetry {
        static final io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter SPANS = io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();

        @org.springframework.context.annotation.Bean
        dev.atlas.opentelemetry.AtlasTelemetry atlasTelemetry() {
            io.opentelemetry.sdk.OpenTelemetrySdk sdk = io.opentelemetry.sdk.OpenTelemetrySdk.builder()
                    .setTracerProvider(io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                            .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(SPANS)).build())
                    .build();
            return dev.atlas.opentelemetry.AtlasTelemetry.create(sdk);
        }
    }

    @Test
    @DisplayName("an AtlasTelemetry bean is all the OpenTelemetry export needs (docs/opentelemetry.md): a recorded execution with a tool call is exported as its span and the tool's child span")
    void atlasTelemetryBeanExportsSpans() {
        Telemetry.SPANS.reset();
        try (ConfigurableApplicationContext ctx = start(Telemetry.class, "atlas.sqlite-path=" + dir.resolve("otel.db"))) {
            Tenant tenant = ctx.getBean(Tenant.class);
            dev.atlas.conversation.Conversation c = tenant.conversations().create(dev.atlas.conversation.NewConversation.of(dev.atlas.Owner.user("42")));
            tenant.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
                dev.atlas.execution.StepHandle step = exec.step();
                step.toolCall("call-1", "lookup", "{\"q\":\"x\"}").complete("found");
                step.finish(null, null, dev.atlas.execution.FinishReason.TOOL_CALLS, dev.atlas.execution.Usage.of(10, 5));
                return "done";
            });
        }
        List<io.opentelemetry.sdk.trace.data.SpanData> spans = Telemetry.SPANS.getFinishedSpanItems();
        assertThat(spans).extracting(io.opentelemetry.sdk.trace.data.SpanData::getName).containsExactlyInAnyOrder("execute_tool lookup", "chat gpt-4o");
        io.opentelemetry.sdk.trace.data.SpanData chat = spans.stream().filter(s -> s.getName().equals("chat gpt-4o")).findFirst().orElseThrow();
        io.opentelemetry.sdk.trace.data.SpanData tool = spans.stream().filter(s -> s.getName().equals("execute_tool lookup")).findFirst().orElseThrow();
        assertThat(tool.getParentSpanId()).isEqualTo(chat.getSpanId());
    }
    /** An application's listener that reads what Atlas stored: it needs the Tenant bean, made from the Atlas bean it listens to. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class ListenerUsingTheTenant {
        static final List<String> heard = java.util.Collections.synchronizedList(new ArrayList<>());

        @Bean
        dev.atlas.execution.ExecutionListener failureReport(Tenant tenant) {
            return new dev.atlas.execution.ExecutionListener() {
                @Override
                public void failed(String tenantId, dev.atlas.execution.Execution execution) {
                    heard.add(execution.error() + " / steps " + tenant.executions().tree(execution.id()).orElseThrow().steps().size());
                }
            };
        }
    }

    @Test
    @DisplayName("an ExecutionListener bean that needs the Tenant bean (to read what was stored) starts and hears the executions;"
            + " it was a circular reference at start-up")
    void listenerBeanUsingTheTenantStarts() {
        ListenerUsingTheTenant.heard.clear();
        try (ConfigurableApplicationContext ctx = start(ListenerUsingTheTenant.class, "atlas.sqlite-path=" + dir.resolve("l.db"))) {
            Tenant tenant = ctx.getBean(Tenant.class);
            catchThrowable(() -> tenant.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"), exec -> {
                exec.step();
                throw new IllegalStateException("provider down");
            }));
            assertThat(ListenerUsingTheTenant.heard).containsExactly("provider down / steps 1");
        }
    }
    /** Three listener beans in @Order: the first throws, the second overflows its stack, the third hears everything. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class ThrowingListeners {
        static final List<String> heard = java.util.Collections.synchronizedList(new ArrayList<>());

        @Bean
        @org.springframework.core.annotation.Order(1)
        dev.atlas.execution.ExecutionListener throwing() {
            return new dev.atlas.execution.ExecutionListener() {
                @Override
                public void started(String tenantId, dev.atlas.execution.Execution execution) {
                    heard.add("throwing started");
                    throw new IllegalStateException("listener bug");
                }

                @Override
                public void completed(String tenantId, dev.atlas.execution.Execution execution) {
                    heard.add("throwing completed");
                    throw new IllegalStateException("listener bug");
                }
            };
        }

        @Bean
        @org.springframework.core.annotation.Order(2)
        dev.atlas.execution.ExecutionListener recursing() {
            return new dev.atlas.execution.ExecutionListener() {
                @Override
                public void completed(String tenantId, dev.atlas.execution.Execution execution) {
                    heard.add("recursing completed");
                    recurse(0);
                }

                private int recurse(int n) {
                    return recurse(n + 1) + 1;
                }
            };
        }

        @Bean
        @org.springframework.core.annotation.Order(3)
        dev.atlas.execution.ExecutionListener counting() {
            return new dev.atlas.execution.ExecutionListener() {
                @Override
                public void started(String tenantId, dev.atlas.execution.Execution execution) {
                    heard.add("counting started " + tenantId);
                }

                @Override
                public void completed(String tenantId, dev.atlas.execution.Execution execution) {
                    heard.add("counting completed " + execution.status().name());
                }
            };
        }
    }

    @Test
    @DisplayName("ExecutionListener beans are called as Atlas calls its own listeners (ExecutionListener Javadoc): in @Order, one that"
            + " throws or overflows its stack is swallowed, the later ones still hear the event, and the recording returns as stored")
    void throwingListenerBeansNeverBreakARecording() {
        ThrowingListeners.heard.clear();
        try (ConfigurableApplicationContext ctx = start(ThrowingListeners.class, "atlas.sqlite-path=" + dir.resolve("t.db"),
                "atlas.tenant=acme")) {
            Tenant tenant = ctx.getBean(Tenant.class);
            String answer = tenant.executions().record(dev.atlas.execution.ExecutionSpec.text("openai", "gpt-4o"), exec -> "done");
            assertThat(answer).isEqualTo("done");
            assertThat(tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items())
                    .extracting(dev.atlas.execution.Execution::status).containsExactly(dev.atlas.execution.ExecutionStatus.COMPLETED);
        }
        assertThat(ThrowingListeners.heard).containsExactly("throwing started", "counting started acme", "throwing completed",
                "recursing completed", "counting completed COMPLETED");
    }

    @Test
    @DisplayName("spring.main.lazy-initialization=true: Atlas is still made at start-up, so a misspelt atlas.* setting fails start-up"
            + " naming it (not the first request) and the database is migrated before the application serves; the atlas health"
            + " indicator is made, and its start-up read done, at start-up too")
    void lazyInitializationStillChecksAndMigratesAtStartUp() throws Exception {
        assertThat(failureOfStart(App.class, "spring.main.lazy-initialization=true", "atlas.sqlite-path=" + dir.resolve("z.db"),
                "atlas.histroy-limit=5")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.histroy-limit is not an Atlas setting (did you mean atlas.history-limit?)");
        Path file = dir.resolve("lazy.db");
        try (ConfigurableApplicationContext ctx = start(App.class, "spring.main.lazy-initialization=true", "atlas.sqlite-path=" + file)) {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
                 java.sql.ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM sqlite_master WHERE name = 'atlas_conversations'")) {
                assertThat(r.next() && r.getInt(1) == 1).as("atlas_conversations exists once started").isTrue();
            }
            // The indicator was made by the first health check, which then waited for the start-up read (up to 1 minute)
            // instead of answering within atlas.health-timeout: it is made, and read, at start-up.
            assertThat(ctx.getBeanFactory().containsSingleton("atlasHealthIndicator")).isTrue();
            AtlasHealthIndicator indicator = ctx.getBean("atlasHealthIndicator", AtlasHealthIndicator.class);
            assertThat(indicator.warmUpRead()).isNotNull().isCompleted();
            assertThat(indicator.health().getStatus()).isEqualTo(org.springframework.boot.actuate.health.Status.UP);
        }
    }
    @Test
    @DisplayName("an atlas.spring-ai.* setting without atlas-spring-ai on the class path fails start-up naming the module to add;"
            + " it was ignored with a warning that it was no Atlas setting, so nothing was recorded and nobody said why")
    void springAiSettingWithoutTheModuleNamesIt() {
        assertThat(failureOfStart(App.class, "atlas.sqlite-path=" + dir.resolve("m.db"), "atlas.spring-ai.agent=support",
                "atlas.springAi.advisors=false")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.spring-ai.agent is a setting of atlas-spring-ai, which is not on the class path: add the dependency"
                        + " dev.atlas:atlas-spring-ai, or remove the setting; atlas.springai.advisors is a setting of atlas-spring-ai, which is"
                        + " not on the class path: add the dependency dev.atlas:atlas-spring-ai, or remove the setting");
        assertThat(dir.resolve("m.db")).doesNotExist();
    }
}
