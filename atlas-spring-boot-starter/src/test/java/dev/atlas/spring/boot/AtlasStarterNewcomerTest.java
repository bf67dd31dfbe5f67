package dev.atlas.spring.boot;

import dev.atlas.ConfigurationException;
import dev.atlas.Tenant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** What a newcomer meets with the starter and a property file: each bad value stops start-up naming its property. */
class AtlasStarterNewcomerTest {
    @TempDir
    Path dir;

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
    }

    private static ConfigurableApplicationContext start(String... properties) {
        return new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.autoconfigure.exclude=org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration")
                .properties(properties).run();
    }

    /** The innermost message of the failure that stopped start-up, with the Atlas exception when there is one. */
    private static Throwable failureOfStart(String... properties) {
        Throwable t = catchThrowable(() -> start(properties).close());
        assertThat(t).as("start-up must fail").isNotNull();
        Throwable atlas = t;
        while (atlas != null && !(atlas instanceof dev.atlas.AtlasException)) {
            atlas = atlas.getCause();
        }
        return atlas != null ? atlas : t;
    }

    /**
     * An environment holding {@code properties} as {@link SpringApplicationBuilder#properties} holds them (Boot's default
     * properties, behind the system properties and the environment variables), for the checks start-up runs on it, called
     * directly: each refused value cost a full start-up (0.2 to 0.4 s); one full start-up per check shows it runs at start-up,
     * before Atlas opens anything.
     */
    static org.springframework.core.env.StandardEnvironment environment(String... properties) {
        org.springframework.core.env.StandardEnvironment environment = new org.springframework.core.env.StandardEnvironment();
        java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
        for (String property : properties) {
            // As Boot splits them: at the first ':' or '=', whichever comes first.
            int colon = property.indexOf(':');
            int equals = property.indexOf('=');
            int at = colon < 0 ? equals : equals < 0 ? colon : Math.min(colon, equals);
            map.put(property.substring(0, at), property.substring(at + 1));
        }
        environment.getPropertySources().addLast(new org.springframework.core.env.MapPropertySource("defaultProperties", map));
        org.springframework.boot.context.properties.source.ConfigurationPropertySources.attach(environment);
        return environment;
    }

    /** The exception {@code check} refuses the environment of {@code properties} with (asserted to be one). */
    static Throwable refusedBy(java.util.function.Consumer<org.springframework.core.env.Environment> check, String... properties) {
        Throwable t = catchThrowable(() -> check.accept(environment(properties)));
        assertThat(t).as("the check must refuse it").isNotNull();
        return t;
    }

    /** The settings bound from the environment of {@code properties}, as Boot binds them for the starter. */
    static AtlasProperties bound(String... properties) {
        return org.springframework.boot.context.properties.bind.Binder.get(environment(properties))
                .bindOrCreate("atlas", AtlasProperties.class);
    }

    @Test
    @DisplayName("atlas.table-prefix, atlas.history-limit, atlas.max-pool-size: a bad value fails start-up naming the property,"
            + " before the database file is created")
    void badValuesAreNamedAsTheirProperty() {
        String db = "atlas.sqlite-path=" + dir.resolve("a.db");
        assertThat(failureOfStart(db, "atlas.table-prefix=Bad-")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.table-prefix 'Bad-' is invalid: use 1 to 30 characters of lowercase letters, digits and underscores,"
                        + " starting with a letter (for example 'atlas_')");
        assertThat(failureOfStart(db, "atlas.history-limit=0")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.history-limit must be between 1 and 1000, was 0");
        assertThat(failureOfStart(db, "atlas.max-pool-size=0")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.max-pool-size must be between 1 and 1000, was 0");
        assertThat(dir.resolve("a.db")).doesNotExist();
    }

    @Test
    @DisplayName("an atlas.* value whose \\${...} placeholder is not set (an environment variable missing in this deployment) fails"
            + " start-up naming the property and the placeholder, never the value: Boot binds it as the literal text, so Atlas"
            + " connected with the password '\\${...}', made a file of that name, or used it as the tenant id")
    void unresolvedPlaceholdersAreNamed() {
        String unset = "ATLAS_TEST_UNSET_" + Long.toHexString(System.nanoTime()).toUpperCase(java.util.Locale.ROOT);
        assertThat(System.getenv(unset)).isNull();
        String advice = ", which is not set (no environment variable or property of that name): set it, or give a default with ${"
                + unset + ":...}";
        // A secret is named never, even by its placeholder: its text may be the password itself.
        assertThat(failureOfStart("atlas.url=jdbc:postgresql://127.0.0.1:1/app", "atlas.username=app", "atlas.password=${" + unset + "}"))
                .isInstanceOf(ConfigurationException.class).hasMessage("atlas.password is a ${...} placeholder that is not set (no"
                        + " environment variable or property of that name): set it, or give a default with ${NAME:...}");
        // A default that is itself an unset placeholder: the whole text is still one placeholder, refused the same way.
        // The other cases call the check start-up runs first (before the one above), on the environment start-up would have.
        assertThat(refusedBy(AtlasAutoConfiguration::refuseUnresolved, "atlas.url=jdbc:postgresql://127.0.0.1:1/app", "atlas.username=app",
                "atlas.password=${" + unset + ":${" + unset + "_TOO}}")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.password is a ${...} placeholder that is not set (no environment variable or property of that name):"
                        + " set it, or give a default with ${NAME:...}");
        // A password that holds ${...} in its value, through a placeholder or as written, is a password: Boot binds it as it is.
        for (String[] password : List.of(new String[] {"atlas.password=${ATLAS_TEST_DB_PW}", "ATLAS_TEST_DB_PW=x7${Tr0ub4dor}q"},
                new String[] {"atlas.password=x7${Tr0ub4dor}q", "unrelated=1"})) {
            Throwable refused = failureOfStart("atlas.url=jdbc:postgresql://127.0.0.1:1/app", "atlas.username=app", password[0], password[1]);
            // Past the check: start-up goes on to the server, which is not there.
            assertThat(refused).isInstanceOf(ConfigurationException.class)
                    .hasMessageStartingWith("atlas.url: could not open a connection pool for jdbc:postgresql://127.0.0.1:1/app:");
            for (Throwable t = refused; t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).doesNotContain("Tr0ub4dor");
            }
        }
        assertThat(failureOfStart("atlas.sqlite-path=" + dir.resolve("${" + unset + "}.db"))).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.sqlite-path refers to " + unset + advice);
        assertThat(refusedBy(AtlasAutoConfiguration::refuseUnresolved, "atlas.sqlite-path=" + dir.resolve("t.db"), "atlas.tenant=${" + unset + "}"))
                .isInstanceOf(ConfigurationException.class).hasMessage("atlas.tenant refers to " + unset + advice);
        assertThat(refusedBy(AtlasAutoConfiguration::refuseUnresolved, "atlas.sqlite-path=" + dir.resolve("t.db"),
                "atlas.data-directory=${" + unset + "}/blobs"))
                .isInstanceOf(ConfigurationException.class).hasMessage("atlas.data-directory refers to " + unset + advice);
        // Relaxed forms Boot binds as the same settings: a camel-case key, and an environment variable.
        assertThat(refusedBy(AtlasAutoConfiguration::refuseUnresolved, "atlas.sqlite-path=" + dir.resolve("t.db"), "atlas.tablePrefix=${" + unset + "}"))
                .isInstanceOf(ConfigurationException.class).hasMessage("atlas.table-prefix refers to " + unset + advice);
        org.springframework.core.env.StandardEnvironment variables = environment("atlas.sqlite-path=" + dir.resolve("t.db"));
        variables.getPropertySources().addFirst(new org.springframework.core.env.SystemEnvironmentPropertySource("test-systemEnvironment",
                java.util.Map.of("ATLAS_TENANT", "${" + unset + "}")));
        Throwable fromEnvironment = catchThrowable(() -> AtlasAutoConfiguration.refuseUnresolved(variables));
        assertThat(fromEnvironment).isInstanceOf(ConfigurationException.class).hasMessage("atlas.tenant refers to " + unset + advice);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dir)) {
            assertThat(files).isEmpty();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    @DisplayName("a blank, over-long or space-padded atlas.tenant fails start-up with a ConfigurationException naming atlas.tenant"
            + " before Atlas creates or migrates its database")
    void badTenantIsNamedAsTheProperty() {
        String db = "atlas.sqlite-path=" + dir.resolve("a.db");
        assertThat(failureOfStart(db, "atlas.tenant= ")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.tenant: must not be blank");
        // The others through the check start-up runs (before Atlas opens its database), on the settings as Boot binds them.
        assertThat(catchThrowable(() -> AtlasAutoConfiguration.tenantId(bound(db, "atlas.tenant=" + "x".repeat(200)))))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.tenant: is 200 characters; at most 128 are allowed");
        assertThat(catchThrowable(() -> AtlasAutoConfiguration.tenantId(bound(db, "atlas.tenant=acme\u0020"))))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.tenant: must not start or end with white space");
        assertThat(catchThrowable(() -> AtlasAutoConfiguration.tenantId(bound(db, "atlas.tenant=a\u0007b"))))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.tenant: contains a control character (U+0007) at index 1");
        assertThat(dir.resolve("a.db")).doesNotExist();
    }

    /**
     * {@code atlas.sqlite-path=${ATLAS_DB:}} with the variable unset: the blank path was taken as
     * not set, so Atlas put its data in the default file {@code atlas-data/atlas.db} (or, beside an
     * application DataSource, refused it for want of WAL, the starter having left it alone because
     * the property was set). A blank {@code atlas.sqlite-path} or {@code atlas.url} is refused naming it.
     */
    @Test
    @DisplayName("a blank atlas.sqlite-path, atlas.url or atlas.data-directory, or an atlas.url of jdbc:sqlite: with no file, fails"
            + " start-up naming it, instead of Atlas using its default file or directory, or a temporary database")
    void blankDatabasePropertiesAreRefused() {
        Path fallback = AtlasAutoConfiguration.DEFAULT_SQLITE.toAbsolutePath();
        boolean existedBefore = java.nio.file.Files.exists(fallback);
        assertThat(failureOfStart("atlas.sqlite-path=")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.sqlite-path is blank: name the SQLite file Atlas should use, or remove the property");
        assertThat(failureOfStart("atlas.sqlite-path= ")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.sqlite-path is blank: name the SQLite file Atlas should use, or remove the property");
        assertThat(failureOfStart("atlas.url=")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.url is blank: give a jdbc:sqlite: or jdbc:postgresql: URL, or remove the property");
        // jdbc:sqlite:${ATLAS_DB:} with the variable unset: SQLite's private temporary database, lost at shutdown.
        // The first at start-up, the others through the check start-up runs (refuseBlank) on the environment it would have.
        for (String url : new String[] {"jdbc:sqlite:", "jdbc:sqlite:?journal_mode=WAL", "jdbc:sqlite:file:", "jdbc:sqlite:file://",
                "jdbc:sqlite:file://?mode=rwc"}) {
            assertThat(url.equals("jdbc:sqlite:") ? failureOfStart("atlas.url=" + url)
                    : refusedBy(AtlasAutoConfiguration::refuseBlank, "atlas.url=" + url)).isInstanceOf(ConfigurationException.class)
                    .hasMessage("atlas.url " + url + " names no SQLite file (an empty path is SQLite's private temporary database,"
                            + " lost when Atlas closes): name the file, or write jdbc:sqlite::memory: for a database meant to be lost");
        }
        // ${ATLAS_BLOBS:} unset: the asset bytes went to the default directory, where nobody looks for them.
        for (String blank : new String[] {"", " "}) {
            assertThat(failureOfStart("atlas.sqlite-path=" + dir.resolve("d.db"), "atlas.data-directory=" + blank))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessage("atlas.data-directory is blank: name the directory for asset bytes, or remove the property");
        }
        assertThat(dir.resolve("d.db")).doesNotExist();
        assertThat(java.nio.file.Files.exists(fallback)).isEqualTo(existedBefore);
    }

    @Test
    @DisplayName("a guessed name for an Atlas setting (atlas.jdbc-url, atlas.sqlite, atlas.user) fails start-up naming the setting"
            + " meant, instead of Atlas silently using its default file; one sharing no word with Atlas's settings (atlas.metadata-cache:"
            + " 'data' inside a word is not the word) is only logged")
    void guessedSettingNamesAreNamed() {
        Path fallback = AtlasAutoConfiguration.DEFAULT_SQLITE.toAbsolutePath();
        boolean existedBefore = java.nio.file.Files.exists(fallback);
        assertThat(failureOfStart("atlas.jdbc-url=jdbc:sqlite:" + dir.resolve("g.db"))).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.jdbc-url is not an Atlas setting (did you mean atlas.url?)");
        // The others through the check start-up runs first, on the environment it would have.
        java.util.function.Consumer<org.springframework.core.env.Environment> unknown =
                environment -> AtlasPropertyNames.refuseUnknown(environment, AtlasAutoConfiguration.class.getClassLoader());
        assertThat(refusedBy(unknown, "atlas.jdbcUrl=jdbc:sqlite:" + dir.resolve("g.db"))).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.jdbcurl is not an Atlas setting (did you mean atlas.url?)");
        assertThat(refusedBy(unknown, "atlas.sqlite=" + dir.resolve("g.db"))).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.sqlite is not an Atlas setting (did you mean atlas.sqlite-path?)");
        assertThat(refusedBy(unknown, "atlas.url=jdbc:postgresql://127.0.0.1:1/app", "atlas.user=app", "atlas.pass=pw"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.pass is not an Atlas setting (did you mean atlas.password?);"
                        + " atlas.user is not an Atlas setting (did you mean atlas.username?)");
        assertThat(java.nio.file.Files.exists(fallback)).isEqualTo(existedBefore);
        assertThat(dir.resolve("g.db")).doesNotExist();
        try (ConfigurableApplicationContext ctx = start("atlas.sqlite-path=" + dir.resolve("h.db"), "atlas.enable-tls=true",
                "atlas.metadata-cache=on", "atlas.authentication.method.ldap.url=ldap://x")) {
            assertThat(ctx.getBean(Tenant.class).id()).isEqualTo("default");
        }
    }

    @Test
    @DisplayName("an application DataSource on a database Atlas does not run on (H2) fails start-up saying so and how to give Atlas"
            + " its own database; with atlas.sqlite-path the same application starts")
    void applicationDataSourceOnAnotherDatabase() {
        Throwable t = catchThrowable(() -> new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=jdbc:h2:mem:newcomer", "spring.liquibase.enabled=false").run().close());
        while (t != null && !(t instanceof dev.atlas.AtlasException)) {
            t = t.getCause();
        }
        assertThat(t).isInstanceOf(ConfigurationException.class)
                .hasMessage("Atlas supports SQLite and PostgreSQL; the application's DataSource is h2: give Atlas a database of its own"
                        + " with atlas.sqlite-path (a file) or atlas.url");
        try (ConfigurableApplicationContext ctx = new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("spring.datasource.url=jdbc:h2:mem:newcomer2", "spring.liquibase.enabled=false",
                        "atlas.sqlite-path=" + dir.resolve("own.db")).run()) {
            assertThat(ctx.getBean(Tenant.class).id()).isEqualTo("default");
        }
    }

    @Test
    @DisplayName("an atlas.url of a database Atlas does not run on fails start-up naming atlas.url")
    void urlOfAnotherDatabase() {
        assertThat(failureOfStart("atlas.url=jdbc:h2:mem:x")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.url must start with jdbc:sqlite: or jdbc:postgresql:, was jdbc:h2:mem:x");
        assertThat(failureOfStart("atlas.url=postgresql://localhost/app")).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.url must start with jdbc:sqlite: or jdbc:postgresql:, was postgresql://localhost/app");
    }

    @Test
    @DisplayName("settings from an application.yml file: bound (a credential key map included); a misspelt key there fails start-up naming it")
    void settingsFromAYamlFile() throws Exception {
        String key = java.util.Base64.getEncoder().encodeToString(new java.security.SecureRandom().generateSeed(32));
        Path yml = java.nio.file.Files.writeString(dir.resolve("application.yml"), String.join("\n",
                "atlas:",
                "  sqlite-path: " + dir.resolve("yml.db"),
                "  tenant: acme",
                "  history-limit: 7",
                "  credential-keys:",
                "    k1: " + key,
                ""));
        try (ConfigurableApplicationContext ctx = start("spring.config.location=" + yml.toUri())) {
            Tenant tenant = ctx.getBean(Tenant.class);
            assertThat(tenant.id()).isEqualTo("acme");
            dev.atlas.Atlas atlas = ctx.getBean(dev.atlas.Atlas.class);
            assertThat(atlas.config().sqliteFile()).isEqualTo(dir.resolve("yml.db"));
            assertThat(atlas.config().historyLimit()).isEqualTo(7);
            assertThat(atlas.config().credentialKeys().ids()).containsExactly("k1");
        }
        Path typo = java.nio.file.Files.writeString(dir.resolve("typo.yml"), String.join("\n",
                "atlas:",
                "  sqlite-path: " + dir.resolve("yml.db"),
                "  histroy-limit: 7",
                ""));
        assertThat(failureOfStart("spring.config.location=" + typo.toUri())).isInstanceOf(ConfigurationException.class)
                .hasMessage("atlas.histroy-limit is not an Atlas setting (did you mean atlas.history-limit?)");
    }

    @Test
    @DisplayName("the atlas health component is UP with the database kind, and DOWN with Atlas's exception once Atlas cannot answer")
    void healthUpThenDown() {
        dev.atlas.Atlas atlas = dev.atlas.Atlas.sqlite(dir.resolve("health.db"));
        // A timeout no cold first read on a busy machine reaches: this test is about the outcomes, not the timeout.
        AtlasHealthIndicator indicator = new AtlasHealthIndicator(atlas, java.time.Duration.ofMinutes(1));
        org.springframework.boot.actuate.health.Health up = indicator.health();
        assertThat(up.getStatus()).isEqualTo(org.springframework.boot.actuate.health.Status.UP);
        assertThat(up.getDetails()).containsEntry("database", "sqlite");
        atlas.close();
        org.springframework.boot.actuate.health.Health down = indicator.health();
        assertThat(down.getStatus()).isEqualTo(org.springframework.boot.actuate.health.Status.DOWN);
        assertThat(down.getDetails()).containsEntry("database", "sqlite").containsKey("error");
        assertThat(String.valueOf(down.getDetails().get("error"))).startsWith("dev.atlas.AtlasClosedException: ");
    }

    @Test
    @DisplayName("atlas.url and atlas.sqlite-path together fail start-up naming both, rather than one silently winning")
    void urlAndSqlitePathTogether() {
        Throwable t = failureOfStart("atlas.sqlite-path=" + dir.resolve("b.db"), "atlas.url=jdbc:sqlite:" + dir.resolve("c.db"));
        assertThat(t).isInstanceOf(ConfigurationException.class).hasMessage("set atlas.url or atlas.sqlite-path, not both");
        assertThat(dir.resolve("b.db")).doesNotExist();
        assertThat(dir.resolve("c.db")).doesNotExist();
    }

    @Test
    @DisplayName("atlas.tenant names the Tenant bean's tenant; unset it is 'default'")
    void tenantProperty() {
        try (ConfigurableApplicationContext ctx = start("atlas.sqlite-path=" + dir.resolve("t.db"), "atlas.tenant=acme")) {
            assertThat(ctx.getBean(Tenant.class).id()).isEqualTo("acme");
        }
        try (ConfigurableApplicationContext ctx = start("atlas.sqlite-path=" + dir.resolve("t.db"))) {
            assertThat(ctx.getBean(Tenant.class).id()).isEqualTo("default");
        }
    }

    @Test
    @DisplayName("the starter alone, no DataSource and no sqlite-jdbc: start-up fails naming org.xerial:sqlite-jdbc, and no file is created")
    void starterWithoutADriverNamesTheArtifact() throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !Path.of(e).getFileName().toString().startsWith("sqlite-jdbc"))
                .collect(Collectors.joining(File.pathSeparator));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-cp", classPath, StartChild.class.getName())).directory(dir.toFile())
                .redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).isZero();
        assertThat(out).isEqualTo("dev.atlas.ConfigurationException: the sqlite JDBC driver (org.sqlite.JDBC) is not on the"
                + " class path: add the dependency org.xerial:sqlite-jdbc to your build (atlas-jdbi declares it optional)");
        assertThat(dir.resolve("atlas-data")).doesNotExist();
    }

    /** The child: starts the app and prints the Atlas exception that stopped it (type and message) on one line. */
    public static final class StartChild {
        public static void main(String[] args) {
            try {
                start("logging.level.root=off", "spring.main.banner-mode=off").close();
                System.out.println("started");
            } catch (RuntimeException e) {
                Throwable t = e;
                while (t.getCause() != null && !(t instanceof dev.atlas.AtlasException)) {
                    t = t.getCause();
                }
                System.out.println(t.getClass().getName() + ": " + t.getMessage());
            }
        }
    }
}
