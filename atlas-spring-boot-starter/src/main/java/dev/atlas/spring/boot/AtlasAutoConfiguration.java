package dev.atlas.spring.boot;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.ConfigurationException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Tenant;
import dev.atlas.asset.BlobStore;
import dev.atlas.execution.ExecutionListener;
import dev.atlas.credential.CredentialKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Atlas in a Spring Boot application: an {@link Atlas} bean on the application's DataSource (or
 * on {@code atlas.url} / {@code atlas.sqlite-path}), with the application's {@link BlobStore} bean
 * for asset bytes when it has one, a {@link Tenant} bean for {@code atlas.tenant}, and a health
 * indicator when Actuator is present (unless {@code management.health.atlas.enabled=false}).
 *
 * <p>The Atlas bean {@linkplain DependsOnDatabaseInitialization depends on database
 * initialisation}: the application's own Flyway, Liquibase or {@code schema.sql} runs first,
 * on the schema as the application left it, and Atlas then adds its prefixed tables with its
 * own history table. Either tool's defaults work; nothing needs {@code baseline-on-migrate}.
 */
// Names, not classes, of both Boot lines: Boot 4 moved each of these to a module and package of its own, and a class
// literal Boot 4 lacks makes Spring drop this whole annotation where it reads it by reflection (an
// ApplicationContextRunner's AutoConfigurations.of, an @Import): no @Configuration, so no nested configuration (the
// meters, the SQLite pool settings) was processed. The nested configurations that use a Boot 3.5 type (Flyway's
// customizer and strategy, Hibernate's properties customizer, Actuator's HealthIndicator) are conditional on its name, so
// Boot 4 leaves them out; each has a configuration of its own by Boot 4's name (AtlasBoot4FlywayConfiguration,
// AtlasBoot4FlywayStrategyConfiguration, AtlasBoot4HibernateConfiguration, AtlasBoot4HealthConfiguration).
@AutoConfiguration(afterName = {
        // The application's DataSource, Flyway, Liquibase and schema.sql run first (Boot 3.5, then Boot 4 names).
        "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
        "org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration",
        "org.springframework.boot.autoconfigure.liquibase.LiquibaseAutoConfiguration",
        "org.springframework.boot.autoconfigure.sql.init.SqlInitializationAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
        "org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration",
        "org.springframework.boot.jdbc.autoconfigure.DataSourceInitializationAutoConfiguration",
        // Actuator's registries exist before the metrics configuration asks for one (Boot 3.5, then Boot 4 names):
        // ordered before them, the MeterRegistry bean was not there yet and no AtlasMetrics was made.
        "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass(Atlas.class)
@EnableConfigurationProperties(AtlasProperties.class)
public class AtlasAutoConfiguration {
    private static final Logger log = LoggerFactory.getLogger(AtlasAutoConfiguration.class);

    /** Where Atlas keeps its data when the application has no DataSource and sets no URL. */
    static final Path DEFAULT_SQLITE = Path.of("atlas-data", "atlas.db");

    /**
     * Atlas is made at start-up even under {@code spring.main.lazy-initialization=true}: its settings
     * are checked and its tables migrated before the application serves, instead of at the first
     * request (a misspelt setting then failed a running application).
     */
    @Bean
    static org.springframework.boot.LazyInitializationExcludeFilter atlasIsNotLazy() {
        return org.springframework.boot.LazyInitializationExcludeFilter.forBeanTypes(Atlas.class);
    }

    @Bean
    AtlasListenerBeans atlasListenerBeans(ObjectProvider<ExecutionListener> executionListeners) {
        return new AtlasListenerBeans(executionListeners);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    @DependsOnDatabaseInitialization
    public Atlas atlas(AtlasProperties properties, ObjectProvider<DataSource> dataSource,
                       AtlasListenerBeans executionListeners, ObjectProvider<BlobStore> blobStore,
                       ListableBeanFactory beanFactory, org.springframework.core.env.Environment environment) {
        AtlasPropertyNames.refuseUnknown(environment, AtlasAutoConfiguration.class.getClassLoader());
        refuseUnresolved(environment);
        // Checked here, not only by the Tenant bean: that one is made after Atlas has migrated the database.
        tenantId(properties);
        refuseBlank(environment);
        Path sqlitePath = properties.getSqlitePath() == null ? null
                : inHome("atlas.sqlite-path", properties.getSqlitePath(), "a file");
        Path dataDirectory = properties.getDataDirectory() == null ? null
                : inHome("atlas.data-directory", properties.getDataDirectory(), "a directory");
        if (properties.getUrl() != null) {
            refuseTildeInSqliteUrl(properties.getUrl());
        }
        if (properties.getHealthTimeout() != null) {
            // Checked with the others, before Atlas opens its database, Actuator or not.
            healthTimeout("atlas.health-timeout", properties.getHealthTimeout());
        }
        AtlasBuilder builder = Atlas.builder()
                .tablePrefix(properties.getTablePrefix())
                .migrate(properties.isMigrate())
                .historyLimit(properties.getHistoryLimit());
        if (properties.getMaxPoolSize() != null) {
            builder.maxPoolSize(properties.getMaxPoolSize());
        }
        if (properties.getCloseTimeout() != null) {
            builder.closeTimeout(properties.getCloseTimeout());
        }
        if (properties.getUrl() != null && properties.getSqlitePath() != null) {
            throw new ConfigurationException("set atlas.url or atlas.sqlite-path, not both");
        }
        if (properties.getUrl() == null && (properties.getUsername() != null || properties.getPassword() != null)) {
            // Ignored, they would leave the application wondering why its credentials are not used.
            throw new ConfigurationException("atlas.username and atlas.password apply to atlas.url only, which is not set:"
                    + " set atlas.url, or remove them");
        }
        if (properties.getUrl() != null) {
            builder.jdbcUrl(properties.getUrl());
            if (properties.getUsername() != null || properties.getPassword() != null) {
                builder.credentials(properties.getUsername(), properties.getPassword());
            }
            log.info("Atlas uses its own pool on atlas.url");
        } else if (sqlitePath != null) {
            builder.sqlite(sqlitePath);
            log.info("Atlas uses its own pool on SQLite file {}", sqlitePath.toAbsolutePath());
        } else if (dataSource.getIfUnique() != null) {
            if (properties.getMaxPoolSize() != null) {
                // Ignored, it would leave the application believing it sized the pool Atlas uses.
                throw new ConfigurationException("atlas.max-pool-size sizes a pool Atlas owns (atlas.url, atlas.sqlite-path), but Atlas"
                        + " runs on the application's DataSource: size that pool instead, or remove atlas.max-pool-size");
            }
            refuseBoundSqliteWithoutAutoCommit(dataSource.getIfUnique());
            // A HikariCP pool of one connection is migrated through a temporary pool of two with its settings (the builder's doing).
            builder.dataSource(dataSource.getIfUnique());
            log.info("Atlas uses the application's DataSource");
        } else if (beanFactory.getBeanNamesForType(DataSource.class, false, false).length > 0) {
            // Several and none primary: a silent fallback to a local file would put the data where nobody looks.
            java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of(beanFactory.getBeanNamesForType(DataSource.class, false, false)));
            names.sort(null);
            throw new ConfigurationException("the application has " + names.size() + " DataSource beans (" + String.join(", ", names)
                    + ") and none is @Primary: mark the one Atlas should use @Primary, or give Atlas its own with atlas.url or atlas.sqlite-path");
        } else {
            builder.sqlite(DEFAULT_SQLITE);
            log.info("Atlas found no DataSource and no atlas.url: using SQLite file {}", DEFAULT_SQLITE.toAbsolutePath());
        }
        if (dataDirectory != null) {
            builder.dataDirectory(requireDirectory(dataDirectory));
        }
        // The application's store (S3, say) for asset bytes, shared by all its instances; Atlas never closes it.
        BlobStore store;
        try {
            store = blobStore.getIfAvailable();
        } catch (org.springframework.beans.factory.NoUniqueBeanDefinitionException e) {
            // Several and none primary: a silent fallback to a local directory would keep the bytes where other instances never look.
            java.util.List<String> names = e.getBeanNamesFound() == null ? java.util.List.of() : e.getBeanNamesFound().stream().sorted().toList();
            throw new ConfigurationException("the application has " + e.getNumberOfBeansFound() + " BlobStore beans (" + String.join(", ", names)
                    + ") and none is @Primary: mark the one Atlas should keep asset bytes in @Primary");
        }
        if (store != null) {
            builder.blobStore(store);
        }
        CredentialKeys keys = credentialKeys(properties.getCredentialKeys(), properties.getCredentialPrimaryKey());
        if (keys != null) {
            builder.credentialKeys(keys);
        }
        // The beans themselves are found once every singleton exists: one that needs Atlas or its Tenant is no cycle.
        // None registered when there are none: Atlas then reads no stored row back for listeners.
        if (org.springframework.beans.factory.BeanFactoryUtils.beanNamesForTypeIncludingAncestors(beanFactory, ExecutionListener.class, true, false).length > 0) {
            builder.executionListener(executionListeners.delegate());
        }
        try {
            return builder.build();
        } catch (ConfigurationException e) {
            String named = asProperties(e.getMessage());
            String source = properties.getUrl() != null ? "atlas.url" : properties.getSqlitePath() != null ? "atlas.sqlite-path" : null;
            if (source != null && (named.startsWith("could not open") || named.startsWith("cannot create SQLite file"))) {
                // The pool Atlas opens for that property failed: say which setting to fix, not only the file or URL.
                named = source + ": " + named;
            }
            String unsupported = "Atlas supports SQLite and PostgreSQL; the data source is ";
            if (source == null && named.startsWith(unsupported) && dataSource.getIfUnique() != null) {
                // The application's own database (H2, MySQL ...): Atlas cannot share it, but can have one of its own.
                named = "Atlas supports SQLite and PostgreSQL; the application's DataSource is " + named.substring(unsupported.length())
                        + ": give Atlas a database of its own with atlas.sqlite-path (a file) or atlas.url";
            }
            if (named.equals(e.getMessage())) {
                throw e;
            }
            // The same problems, named as the application set them (the builder's names would puzzle it).
            throw new ConfigurationException(named, e.getCause());
        }
    }

    /**
     * Refuses a DataSource that joins the application's transactions (Spring's
     * {@code TransactionAwareDataSourceProxy}) over an SQLite pool with auto-commit off: Atlas tells the
     * application's transaction from a fresh connection by auto-commit, so its writes there would commit
     * the application's pending work (on PostgreSQL it recognises the transaction from its first statement).
     */
    static void refuseBoundSqliteWithoutAutoCommit(DataSource dataSource) {
        boolean joins = false;
        for (Class<?> c = dataSource.getClass(); c != null && !joins; c = c.getSuperclass()) {
            joins = c.getName().equals("org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy");
        }
        if (!joins) {
            return;
        }
        boolean refused;
        try (java.sql.Connection c = dataSource.getConnection()) {
            // No transaction is open while beans are created: this is the pool's own default.
            refused = !c.getAutoCommit() && "SQLite".equalsIgnoreCase(c.getMetaData().getDatabaseProductName());
        } catch (java.sql.SQLException e) {
            return; // an unreachable database is reported by the builder, naming the data source
        }
        if (refused) {
            throw new ConfigurationException("the application's DataSource joins its transactions (TransactionAwareDataSourceProxy) over"
                    + " an SQLite pool with auto-commit off: Atlas cannot tell the application's transaction from a fresh connection,"
                    + " and its writes would commit the application's pending work. Leave the pool in auto-commit mode"
                    + " (spring.datasource.hikari.auto-commit, Boot's default), or give Atlas a database of its own with atlas.sqlite-path");
        }
    }

    /** The builder's setting names in a message, as the {@code atlas.*} properties the application set. */
    static String asProperties(String message) {
        // The migrations' own wording for a schema behind this Atlas, with migrate(false).
        String out = message.replace("migrate is off and ", "atlas.migrate is false and ")
                .replace(", or open Atlas with migrate(true)", ", or set atlas.migrate=true");
        for (String[] p : new String[][] {{"tablePrefix", "atlas.table-prefix"}, {"historyLimit", "atlas.history-limit"},
                {"maxPoolSize", "atlas.max-pool-size"}, {"jdbcUrl", "atlas.url"}, {"closeTimeout", "atlas.close-timeout"}}) {
            // A name after a dot is a method in advice the message quotes (AtlasMigrations.of(ds).tablePrefix(...)), not a setting.
            out = out.replaceAll("(?<![.\\w])" + p[0] + "\\b", p[1]);
        }
        return out;
    }

    @Bean
    @ConditionalOnMissingBean
    public Tenant atlasTenant(Atlas atlas, AtlasProperties properties) {
        return atlas.tenant(tenantId(properties));
    }

    /**
     * A blank {@code atlas.sqlite-path} ({@code ${ATLAS_DB:}} with the variable unset) binds as no path: Atlas
     * would fall back to the application's DataSource or its default file, where nobody looks for the data. So
     * would a blank {@code atlas.data-directory} for asset bytes; {@code atlas.url=jdbc:sqlite:${ATLAS_DB:}} would
     * open a temporary database. Each is refused naming the property.
     */
    static void refuseBlank(org.springframework.core.env.Environment environment) {
        org.springframework.boot.context.properties.bind.Binder binder = org.springframework.boot.context.properties.bind.Binder.get(environment);
        if (binder.bind("atlas.sqlite-path", String.class).map(String::isBlank).orElse(false)) {
            throw new ConfigurationException("atlas.sqlite-path is blank: name the SQLite file Atlas should use, or remove the property");
        }
        String url = binder.bind("atlas.url", String.class).orElse(null);
        if (url != null && url.isBlank()) {
            throw new ConfigurationException("atlas.url is blank: give a jdbc:sqlite: or jdbc:postgresql: URL, or remove the property");
        }
        // jdbc:sqlite:${ATLAS_DB:} with the variable unset: the library opens SQLite's private temporary database, on purpose
        // for its callers, but from a setting it is the same mistake as a blank one, and the data would be lost at shutdown.
        // Read as the library reads it (dev.atlas.internal.SqliteUrls), so a file: URI with an empty path is caught too.
        if (url != null && url.startsWith(dev.atlas.internal.SqliteUrls.PREFIX) && dev.atlas.internal.SqliteUrls.isTemporary(url)) {
            throw new ConfigurationException("atlas.url " + dev.atlas.internal.Redaction.url(url) + " names no SQLite file (an empty path is SQLite's private temporary"
                    + " database, lost when Atlas closes): name the file, or write jdbc:sqlite::memory: for a database meant to be lost");
        }
        if (binder.bind("atlas.data-directory", String.class).map(String::isBlank).orElse(false)) {
            throw new ConfigurationException("atlas.data-directory is blank: name the directory for asset bytes, or remove the property");
        }
    }

    /**
     * The settings whose text Atlas uses as it is (the others fail binding or a check of their own on a stray
     * placeholder); atlas-spring-ai's too, checked here before Atlas opens its database.
     */
    private static final String[] TEXT_SETTINGS = {"atlas.url", "atlas.username", "atlas.password", "atlas.sqlite-path",
            "atlas.table-prefix", "atlas.tenant", "atlas.data-directory", "atlas.credential-primary-key", "atlas.spring-ai.owner-type",
            "atlas.spring-ai.owner-id", "atlas.spring-ai.agent", "atlas.spring-ai.provider"};

    /** Settings holding a secret: a refusal never names what their text holds. */
    private static final java.util.Set<String> SECRET_SETTINGS = java.util.Set.of("atlas.password", "atlas.credential-primary-key");

    /**
     * A {@code ${NAME}} placeholder in an {@code atlas.*} value that nothing sets (an environment variable missing in
     * this deployment) is bound by Boot as the literal text: Atlas would connect with the password {@code ${DB_PASSWORD}},
     * make a file of that name, or take it as the tenant id. Refused naming the setting and the placeholder, never the
     * value. Only the text as written for the setting is read, never what a placeholder resolves to: a password whose
     * value holds {@code ${...}} is a password. A secret setting is checked only when its whole text is one placeholder,
     * and its refusal names no part of that text.
     */
    static void refuseUnresolved(org.springframework.core.env.Environment environment) {
        for (String key : TEXT_SETTINGS) {
            Object raw = rawValue(environment, key);
            if (!(raw instanceof String text)) {
                continue;
            }
            boolean secret = SECRET_SETTINGS.contains(key);
            if (secret && !(text.startsWith("${") && placeholderEnd(text, 0) == text.length() - 1)) {
                continue;
            }
            String name = unresolvedPlaceholder(text, environment);
            if (name != null) {
                throw new ConfigurationException(secret
                        ? key + " is a ${...} placeholder that is not set (no environment variable or property of that name):"
                                + " set it, or give a default with ${NAME:...}"
                        : key + " refers to " + name + ", which is not set (no environment variable or property of that name):"
                                + " set it, or give a default with ${" + name + ":...}");
            }
        }
    }

    /** The setting's text as written in the first source that has it (relaxed forms included), unresolved. */
    private static @org.jspecify.annotations.Nullable Object rawValue(org.springframework.core.env.Environment environment,
            String key) {
        org.springframework.boot.context.properties.source.ConfigurationPropertyName name =
                org.springframework.boot.context.properties.source.ConfigurationPropertyName.of(key);
        for (org.springframework.boot.context.properties.source.ConfigurationPropertySource source
                : org.springframework.boot.context.properties.source.ConfigurationPropertySources.get(environment)) {
            org.springframework.boot.context.properties.source.ConfigurationProperty property = source.getConfigurationProperty(name);
            if (property != null) {
                return property.getValue();
            }
        }
        return null;
    }

    /**
     * The first placeholder of {@code text} that nothing sets and that has no default (or whose default refers to one),
     * or {@code null}. Placeholders inside a placeholder's name, and escaped ones, are left to Spring.
     */
    static @org.jspecify.annotations.Nullable String unresolvedPlaceholder(String text,
            org.springframework.core.env.PropertyResolver environment) {
        int i = 0;
        while ((i = text.indexOf("${", i)) >= 0) {
            int end = placeholderEnd(text, i);
            if (end < 0) {
                return null;
            }
            if (i > 0 && text.charAt(i - 1) == '\\') {
                i = end + 1;
                continue;
            }
            String inner = text.substring(i + 2, end);
            int colon = topLevelColon(inner);
            String name = colon < 0 ? inner : inner.substring(0, colon);
            if (!name.contains("${") && !environment.containsProperty(name)) {
                String missing = colon < 0 ? name : unresolvedPlaceholder(inner.substring(colon + 1), environment);
                if (missing != null) {
                    return missing;
                }
            }
            i = end + 1;
        }
        return null;
    }

    /** The index of the '}' closing the placeholder that starts at {@code start} ("${"), nested ones skipped, or -1. */
    private static int placeholderEnd(String text, int start) {
        return topLevel(text, start + 2, '}');
    }

    /** The index of the first ':' of {@code inner} outside a nested placeholder, or -1. */
    private static int topLevelColon(String inner) {
        return topLevel(inner, 0, ':');
    }

    /** The index of the first {@code wanted} ('}' or ':') of {@code text} from {@code from} outside a nested placeholder, or -1. */
    private static int topLevel(String text, int from, char wanted) {
        int depth = 0;
        for (int j = from; j < text.length(); j++) {
            if (text.startsWith("${", j)) {
                depth++;
                j++;
            } else if (depth == 0 && text.charAt(j) == wanted) {
                return j;
            } else if (text.charAt(j) == '}') {
                depth--;
            }
        }
        return -1;
    }

    /**
     * {@code timeout} when it is greater than 0 and at most 1 minute (a health check waiting longer is no check); refused
     * naming the setting otherwise.
     */
    static java.time.Duration healthTimeout(String name, java.time.Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(java.time.Duration.ofMinutes(1)) > 0) {
            throw new ConfigurationException(name + " must be greater than 0 and at most 1 minute, was " + (timeout == null ? "null"
                    : new java.math.BigDecimal(timeout.getSeconds()).add(java.math.BigDecimal.valueOf(timeout.getNano(), 9))
                            .stripTrailingZeros().toPlainString() + " s"));
        }
        return timeout;
    }

    /** {@code atlas.tenant}, refused as that property when the library would refuse it as a tenant id. */
    static String tenantId(AtlasProperties properties) {
        try {
            return Limits.requireTenantId("atlas.tenant", properties.getTenant());
        } catch (InvalidInputException e) {
            throw new ConfigurationException(e.getMessage());
        }
    }

    static CredentialKeys credentialKeys(Map<String, String> encoded, String primary) {
        if (primary != null && !encoded.containsKey(primary)) {
            throw new ConfigurationException("atlas.credential-primary-key: credential key id '" + primary + "' is not among "
                    + new java.util.TreeSet<>(encoded.keySet()));
        }
        if (primary == null && encoded.size() > 1) {
            // Spring merges the map from every property source (environment variables first, in
            // no fixed order): "the first entry" could be any of the keys.
            throw new ConfigurationException("atlas.credential-primary-key is required with several atlas.credential-keys ("
                    + new java.util.TreeSet<>(encoded.keySet()) + "): name the key new credentials are encrypted with"
                    + " (the order of property sources is not reliable)");
        }
        CredentialKeys keys = null;
        // The primary first: CredentialKeys.of checks it is a random key, while an older key (with)
        // may be a weak one still needed to read the rows being rotated away from it.
        java.util.List<Map.Entry<String, String>> entries = new java.util.ArrayList<>(encoded.entrySet());
        entries.sort(java.util.Comparator.comparing(e -> !e.getKey().equals(primary)));
        for (Map.Entry<String, String> e : entries) {
            byte[] key;
            try {
                key = Base64.getDecoder().decode(e.getValue().strip());
            } catch (IllegalArgumentException bad) {
                // The message must not echo the value: it is key material. Base64 has no '$', '{' or '}', so a value holding
                // "${" is a placeholder Boot left as text (refuseUnresolved's case, for a setting under a map).
                if (e.getValue().contains("${")) {
                    throw new ConfigurationException("atlas.credential-keys." + e.getKey() + " is a ${...} placeholder that is not set"
                            + " (no environment variable or property of that name): set it, or give a default with ${NAME:...}");
                }
                throw new ConfigurationException("atlas.credential-keys." + e.getKey() + " is not valid Base64");
            }
            try {
                keys = keys == null ? CredentialKeys.of(e.getKey(), key) : keys.with(e.getKey(), key);
            } catch (ConfigurationException | InvalidInputException bad) {
                // The key's length or id, never its bytes, named as the property the application set.
                throw new ConfigurationException("atlas.credential-keys." + e.getKey() + ": " + bad.getMessage());
            }
        }
        return keys == null || primary == null ? keys : keys.primary(primary);
    }

    /**
     * {@code path} with a leading {@code ~} or {@code ~/} read as the home of the user running the application
     * ({@code user.home}), as a shell reads it: Spring binds the text as it is, so {@code ~/agent.db} was a directory
     * named {@code ~} under the working directory, where nobody looks for the data. {@code ~name} (another user's home,
     * which Java cannot look up) is refused naming the setting; any other path is returned unchanged (a relative one is
     * relative to the working directory).
     */
    static Path inHome(String property, Path path, String kind) {
        String text = path.toString();
        if (!text.startsWith("~")) {
            return path;
        }
        Path home = Path.of(System.getProperty("user.home"));
        if (text.equals("~")) {
            return home;
        }
        char next = text.charAt(1);
        if (next == '/' || next == java.io.File.separatorChar) {
            String rest = text.substring(2);
            return rest.isEmpty() ? home : home.resolve(rest);
        }
        throw new ConfigurationException(property + " " + text + ": only ~ and ~/ (the home of the user running the application)"
                + " are expanded, not ~name: write the full path, or ./" + text + " for " + kind + " of that name");
    }

    /**
     * Refuses an {@code atlas.url} of SQLite whose file starts with {@code ~}: the driver takes the path as it is, so
     * {@code jdbc:sqlite:~/agent.db} was a directory named {@code ~} under the working directory.
     */
    static void refuseTildeInSqliteUrl(String url) {
        if (!url.startsWith(dev.atlas.internal.SqliteUrls.PREFIX)) {
            return;
        }
        Path file = dev.atlas.internal.SqliteUrls.file(url).orElse(null);
        if (file != null && file.toString().startsWith("~")) {
            throw new ConfigurationException("atlas.url " + dev.atlas.internal.Redaction.url(url) + ": the SQLite driver does not"
                    + " expand ~ (it would make a directory named ~ in the working directory): write the full path, or set"
                    + " atlas.sqlite-path=" + file + " instead");
        }
    }

    /**
     * {@code directory} when it is, or can become, a directory: a regular file on its path would
     * otherwise surface only when the first asset is stored, as an I/O error naming no setting.
     */
    static Path requireDirectory(Path directory) {
        for (Path p = directory.toAbsolutePath(); p != null; p = p.getParent()) {
            if (java.nio.file.Files.exists(p)) {
                if (!java.nio.file.Files.isDirectory(p)) {
                    throw new ConfigurationException("atlas.data-directory " + directory + " cannot be a directory: " + p
                            + " is a file");
                }
                return directory;
            }
        }
        return directory;
    }

    /** The application's SQLite pool gets Atlas's settings before it opens (see {@link AtlasSqlitePoolSettings}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "com.zaxxer.hikari.HikariDataSource")
    @ConditionalOnProperty(name = "atlas.configure-sqlite-pool", havingValue = "true", matchIfMissing = true)
    static class AtlasSqlitePoolConfiguration {
        @Bean
        static BeanPostProcessor atlasSqlitePoolSettings(org.springframework.core.env.Environment environment) {
            return new AtlasSqlitePoolSettings(environment);
        }
    }

    /**
     * The application's Flyway may be added after Atlas created its tables. Boot 3.5's customizer type only: Boot 4
     * moved it (module spring-boot-flyway), and with Flyway alone on the class path (Atlas's own) this failed start-up.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.flywaydb.core.Flyway", "org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer"})
    static class AtlasFlywayConfiguration {
        @Bean
        FlywayConfigurationCustomizer atlasFlywayCoexistence(AtlasProperties properties) {
            return new AtlasFlywayCoexistence(properties.getTablePrefix())::customize;
        }

        /** Boot's Flyway, on the class path as Atlas's dependency, leaves an application without migrations alone. */
        @Bean
        @ConditionalOnMissingBean
        org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy atlasFlywayMigrationStrategy() {
            return AtlasFlywayCoexistence::migrateIfAny;
        }
    }

    /**
     * Hibernate's schema tools on the SQLite database Atlas shares with the application (see
     * {@link AtlasHibernateSettings}). Boot 3.5's customizer type, by name (Boot 4 moved it); without Hibernate on the
     * class path this configuration is left out.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.hibernate.SessionFactory", "org.springframework.boot.autoconfigure.orm.jpa.HibernatePropertiesCustomizer"})
    static class AtlasHibernateConfiguration {
        @Bean
        org.springframework.boot.autoconfigure.orm.jpa.HibernatePropertiesCustomizer atlasHibernateSettings(AtlasProperties properties,
                ObjectProvider<DataSource> dataSource) {
            return hibernateProperties -> customizeHibernate(hibernateProperties, properties, dataSource);
        }
    }

    /**
     * {@link AtlasHibernateSettings#customize} for the application's unique DataSource and the file of Atlas's own pool,
     * if any: Atlas on a database of its own leaves the application's alone.
     */
    static void customizeHibernate(java.util.Map<String, Object> hibernateProperties, AtlasProperties properties,
                                   ObjectProvider<DataSource> dataSource) {
        Path atlasFile = null;
        if (properties.getSqlitePath() != null) {
            atlasFile = inHome("atlas.sqlite-path", properties.getSqlitePath(), "a file");
        } else if (properties.getUrl() != null && properties.getUrl().startsWith(dev.atlas.internal.SqliteUrls.PREFIX)) {
            atlasFile = dev.atlas.internal.SqliteUrls.file(properties.getUrl()).orElse(null);
        }
        boolean shared = properties.getUrl() == null && properties.getSqlitePath() == null;
        AtlasHibernateSettings.customize(hibernateProperties, dataSource.getIfUnique(), shared, atlasFile);
    }

    /** Boot 4's name of Hibernate's properties customizer type (module spring-boot-hibernate). */
    static final String BOOT_4_HIBERNATE_CUSTOMIZER = "org.springframework.boot.hibernate.autoconfigure.HibernatePropertiesCustomizer";

    /**
     * The same Hibernate setting on Spring Boot 4, whose customizer type is {@link #BOOT_4_HIBERNATE_CUSTOMIZER}: the
     * starter is compiled against Boot 3.5, so the bean is that interface by name, implemented by a proxy. Not with Boot
     * 3.5's type also present (one bean of that name).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.hibernate.SessionFactory", BOOT_4_HIBERNATE_CUSTOMIZER})
    @org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass(
            "org.springframework.boot.autoconfigure.orm.jpa.HibernatePropertiesCustomizer")
    @org.springframework.context.annotation.Import(Boot4HibernateRegistrar.class)
    @org.springframework.context.annotation.ImportRuntimeHints(Boot4HibernateRegistrar.class)
    static class AtlasBoot4HibernateConfiguration {
    }

    /** Registers {@code atlasHibernateSettings} (see {@link AtlasBoot4HibernateConfiguration}) and its proxy's hint. */
    static final class Boot4HibernateRegistrar extends Boot4Registrar {
        Boot4HibernateRegistrar() {
            super("atlasHibernateSettings", BOOT_4_HIBERNATE_CUSTOMIZER, "boot4HibernateSettings");
        }

        @Override
        public void registerHints(org.springframework.aot.hint.RuntimeHints hints, ClassLoader classLoader) {
            hints.proxies().registerJdkProxy(org.springframework.aot.hint.TypeReference.of(BOOT_4_HIBERNATE_CUSTOMIZER));
        }
    }

    /** The bean {@link Boot4HibernateRegistrar} registers: {@link #customizeHibernate} as Boot 4's customizer type. */
    @SuppressWarnings("unchecked")
    static Object boot4HibernateSettings(AtlasProperties properties, ObjectProvider<DataSource> dataSource,
                                         org.springframework.beans.factory.config.ConfigurableBeanFactory beans) {
        Class<?> type = org.springframework.util.ClassUtils.resolveClassName(BOOT_4_HIBERNATE_CUSTOMIZER, beans.getBeanClassLoader());
        return java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "customize":
                    customizeHibernate((java.util.Map<String, Object>) args[0], properties, dataSource);
                    return null;
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "AtlasHibernateSettings";
                default:
                    throw new UnsupportedOperationException(method.toString());
            }
        });
    }

    /** Boot 4's name of Flyway's customizer type (module spring-boot-flyway). */
    static final String BOOT_4_FLYWAY_CUSTOMIZER = "org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer";

    /**
     * The same coexistence on Spring Boot 4, whose customizer type is {@link #BOOT_4_FLYWAY_CUSTOMIZER}: the starter is
     * compiled against Boot 3.5, so the bean is that interface by name, implemented by a proxy calling
     * {@link AtlasFlywayCoexistence}. Not with Boot 3.5's type also present (one bean of that name).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.flywaydb.core.Flyway", BOOT_4_FLYWAY_CUSTOMIZER})
    @org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass(
            "org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer")
    @org.springframework.context.annotation.Import(Boot4FlywayRegistrar.class)
    @org.springframework.context.annotation.ImportRuntimeHints(Boot4FlywayRegistrar.class)
    static class AtlasBoot4FlywayConfiguration {
    }

    /**
     * Registers {@code atlasFlywayCoexistence} as Boot 4's customizer type (see {@link AtlasBoot4FlywayConfiguration}),
     * made by {@link #boot4FlywayCoexistence}; and, for an application built ahead of time (AOT, a native image), the
     * hint of its JDK proxy.
     */
    static final class Boot4FlywayRegistrar extends Boot4Registrar {
        Boot4FlywayRegistrar() {
            super("atlasFlywayCoexistence", BOOT_4_FLYWAY_CUSTOMIZER, "boot4FlywayCoexistence");
        }

        @Override
        public void registerHints(org.springframework.aot.hint.RuntimeHints hints, ClassLoader classLoader) {
            hints.proxies().registerJdkProxy(org.springframework.aot.hint.TypeReference.of(BOOT_4_FLYWAY_CUSTOMIZER));
        }
    }

    /** Boot 4's name of Flyway's migration strategy type (module spring-boot-flyway). */
    static final String BOOT_4_FLYWAY_MIGRATION_STRATEGY = "org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy";

    /**
     * {@link AtlasFlywayCoexistence#migrateIfAny} as Boot 4's migration strategy, unless the application has one: Boot 4's
     * Flyway too runs for every application with a DataSource, Atlas having brought flyway-core.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"org.flywaydb.core.Flyway", BOOT_4_FLYWAY_MIGRATION_STRATEGY})
    @org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass(
            "org.springframework.boot.autoconfigure.flyway.FlywayMigrationStrategy")
    @org.springframework.context.annotation.Import(Boot4FlywayStrategyRegistrar.class)
    @org.springframework.context.annotation.ImportRuntimeHints(Boot4FlywayStrategyRegistrar.class)
    static class AtlasBoot4FlywayStrategyConfiguration {
    }

    /** Registers {@code atlasFlywayMigrationStrategy} (see {@link AtlasBoot4FlywayStrategyConfiguration}) and its proxy's hint. */
    static final class Boot4FlywayStrategyRegistrar extends Boot4Registrar {
        Boot4FlywayStrategyRegistrar() {
            super("atlasFlywayMigrationStrategy", BOOT_4_FLYWAY_MIGRATION_STRATEGY, "boot4FlywayMigrationStrategy");
        }

        @Override
        public void registerBeanDefinitions(org.springframework.core.type.AnnotationMetadata metadata,
                                            org.springframework.beans.factory.support.BeanDefinitionRegistry registry) {
            // One strategy only: Boot takes the application's with getIfAvailable, which two would fail.
            if (registry instanceof ListableBeanFactory beans && beans.getBeanNamesForType(
                    org.springframework.util.ClassUtils.resolveClassName(BOOT_4_FLYWAY_MIGRATION_STRATEGY, getClass().getClassLoader()),
                    true, false).length > 0) {
                return;
            }
            super.registerBeanDefinitions(metadata, registry);
        }

        @Override
        public void registerHints(org.springframework.aot.hint.RuntimeHints hints, ClassLoader classLoader) {
            hints.proxies().registerJdkProxy(org.springframework.aot.hint.TypeReference.of(BOOT_4_FLYWAY_MIGRATION_STRATEGY));
        }
    }

    /** The bean {@link Boot4FlywayStrategyRegistrar} registers: Boot 4's strategy type, calling {@link AtlasFlywayCoexistence#migrateIfAny}. */
    static Object boot4FlywayMigrationStrategy(org.springframework.beans.factory.config.ConfigurableBeanFactory beans) {
        Class<?> type = org.springframework.util.ClassUtils.resolveClassName(BOOT_4_FLYWAY_MIGRATION_STRATEGY, beans.getBeanClassLoader());
        return java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "migrate":
                    AtlasFlywayCoexistence.migrateIfAny((org.flywaydb.core.Flyway) args[0]);
                    return null;
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "AtlasFlywayMigrationStrategy";
                default:
                    throw new UnsupportedOperationException(method.toString());
            }
        });
    }

    /**
     * Registers bean {@code name} of the Boot 4 type {@code typeName}, made by the static method {@code factoryMethod}
     * of this class (its parameters autowired, as a {@code @Bean} method's), unless the application has a bean of that
     * name. A factory method, not an instance supplier: Spring's AOT processing generates code for the one and refuses
     * the other.
     */
    abstract static class Boot4Registrar implements org.springframework.context.annotation.ImportBeanDefinitionRegistrar,
            org.springframework.beans.factory.BeanClassLoaderAware, org.springframework.aot.hint.RuntimeHintsRegistrar {
        private final String name;
        private final String typeName;
        private final String factoryMethod;
        private ClassLoader classLoader = Boot4Registrar.class.getClassLoader();

        Boot4Registrar(String name, String typeName, String factoryMethod) {
            this.name = name;
            this.typeName = typeName;
            this.factoryMethod = factoryMethod;
        }

        @Override
        public void setBeanClassLoader(ClassLoader classLoader) {
            this.classLoader = classLoader;
        }

        @Override
        public void registerBeanDefinitions(org.springframework.core.type.AnnotationMetadata metadata,
                                            org.springframework.beans.factory.support.BeanDefinitionRegistry registry) {
            if (registry.containsBeanDefinition(name)) {
                return;
            }
            org.springframework.beans.factory.support.RootBeanDefinition definition =
                    new org.springframework.beans.factory.support.RootBeanDefinition(AtlasAutoConfiguration.class);
            definition.setUniqueFactoryMethodName(factoryMethod);
            definition.setAutowireMode(org.springframework.beans.factory.support.AbstractBeanDefinition.AUTOWIRE_CONSTRUCTOR);
            definition.setTargetType(org.springframework.util.ClassUtils.resolveClassName(typeName, classLoader));
            registry.registerBeanDefinition(name, definition);
        }
    }

    /** The bean {@link Boot4FlywayRegistrar} registers: {@link AtlasFlywayCoexistence} as Boot 4's customizer type. */
    static Object boot4FlywayCoexistence(AtlasProperties properties,
                                         org.springframework.beans.factory.config.ConfigurableBeanFactory beans) {
        Class<?> type = org.springframework.util.ClassUtils.resolveClassName(BOOT_4_FLYWAY_CUSTOMIZER, beans.getBeanClassLoader());
        return flywayCustomizer(type, new AtlasFlywayCoexistence(properties.getTablePrefix()));
    }

    /** {@code coexistence} as the customizer interface {@code type}: its one method {@code customize(FluentConfiguration)}. */
    static Object flywayCustomizer(Class<?> type, AtlasFlywayCoexistence coexistence) {
        return java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "customize":
                    coexistence.customize((org.flywaydb.core.api.configuration.FluentConfiguration) args[0]);
                    return null;
                case "equals":
                    return proxy == args[0];
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "toString":
                    return "AtlasFlywayCoexistence";
                default:
                    throw new UnsupportedOperationException(method.toString());
            }
        });
    }

    /** Micrometer meters of executions, tokens, cost and tool calls (see {@link AtlasMetrics}). */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
    static class AtlasMetricsConfiguration {
        @Bean
        @ConditionalOnMissingBean
        @org.springframework.boot.autoconfigure.condition.ConditionalOnBean(io.micrometer.core.instrument.MeterRegistry.class)
        AtlasMetrics atlasMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
            return new AtlasMetrics(registry);
        }
    }

    /**
     * Actuator's {@code /actuator/health} component "atlas", unless {@code management.health.atlas.enabled=false}
     * (else {@code management.health.defaults.enabled=false}), as Actuator's own components.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    @org.springframework.context.annotation.Conditional(AtlasHealthEnabled.class)
    static class AtlasHealthConfiguration {
        @Bean
        @ConditionalOnMissingBean(name = "atlasHealthIndicator")
        HealthIndicator atlasHealthIndicator(Atlas atlas, AtlasProperties properties) {
            AtlasHealthIndicator indicator = properties.getHealthTimeout() == null ? new AtlasHealthIndicator(atlas)
                    : new AtlasHealthIndicator(atlas, healthTimeout("atlas.health-timeout", properties.getHealthTimeout()));
            // The first read of a JVM (pool connection, statement, classes) is paid at start-up, not by the first probe.
            indicator.warmUp();
            return indicator;
        }

        /**
         * The indicator is made at start-up under {@code spring.main.lazy-initialization=true} too: made lazily, by the
         * first health check, that check waited for the start-up read (up to 1 minute), past atlas.health-timeout.
         */
        @Bean
        static org.springframework.boot.LazyInitializationExcludeFilter atlasHealthIndicatorNotLazy() {
            return (name, definition, type) -> "atlasHealthIndicator".equals(name);
        }
    }

    /** Boot 4's name of Actuator's health indicator type (module spring-boot-health). */
    static final String BOOT_4_HEALTH_INDICATOR = "org.springframework.boot.health.contributor.HealthIndicator";

    /**
     * The same {@code atlas} component on Spring Boot 4, whose health types are in {@code org.springframework.boot.health.contributor}:
     * the starter is compiled against Boot 3.5, so the bean is {@link #BOOT_4_HEALTH_INDICATOR} by name, a proxy
     * giving {@link AtlasHealthCheck}'s outcome as Boot 4's {@code Health}, with the same details, start-up read,
     * switch and lazy-initialization exclusion as {@link AtlasHealthConfiguration}. Not with Boot 3.5's type also present.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = BOOT_4_HEALTH_INDICATOR)
    @org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass("org.springframework.boot.actuate.health.HealthIndicator")
    @org.springframework.context.annotation.Conditional(AtlasHealthEnabled.class)
    @org.springframework.context.annotation.Import(Boot4HealthRegistrar.class)
    @org.springframework.context.annotation.ImportRuntimeHints(Boot4HealthRegistrar.class)
    static class AtlasBoot4HealthConfiguration {
        /** See {@link AtlasHealthConfiguration#atlasHealthIndicatorNotLazy()}. */
        @Bean
        static org.springframework.boot.LazyInitializationExcludeFilter atlasBoot4HealthIndicatorNotLazy() {
            return (name, definition, type) -> "atlasHealthIndicator".equals(name);
        }
    }

    /**
     * Registers {@code atlasHealthIndicator} as Boot 4's type, made by {@link #boot4HealthIndicator}, unless the
     * application has a bean of that name; and, for an application built ahead of time (AOT, a native image), the hints
     * of its JDK proxy and of the methods of Boot 4's {@code Health} it calls by reflection.
     */
    static final class Boot4HealthRegistrar extends Boot4Registrar {
        Boot4HealthRegistrar() {
            super("atlasHealthIndicator", BOOT_4_HEALTH_INDICATOR, "boot4HealthIndicator");
        }

        @Override
        public void registerHints(org.springframework.aot.hint.RuntimeHints hints, ClassLoader classLoader) {
            hints.proxies().registerJdkProxy(org.springframework.aot.hint.TypeReference.of(BOOT_4_HEALTH_INDICATOR),
                    org.springframework.aot.hint.TypeReference.of(org.springframework.beans.factory.DisposableBean.class));
            for (String type : new String[] {BOOT_4_HEALTH, BOOT_4_HEALTH + "$Builder"}) {
                hints.reflection().registerType(org.springframework.aot.hint.TypeReference.of(type),
                        org.springframework.aot.hint.MemberCategory.INVOKE_PUBLIC_METHODS);
            }
        }
    }

    /** Boot 4's name of Actuator's {@code Health}, which the health indicator builds by reflection. */
    static final String BOOT_4_HEALTH = "org.springframework.boot.health.contributor.Health";

    /**
     * The bean {@link Boot4HealthRegistrar} registers: {@link AtlasHealthCheck} as Boot 4's health indicator type, its
     * start-up read done, as {@link AtlasHealthConfiguration} makes Boot 3.5's.
     */
    static Object boot4HealthIndicator(Atlas atlas, AtlasProperties properties,
                                       org.springframework.beans.factory.config.ConfigurableBeanFactory beans) {
        Class<?> type = org.springframework.util.ClassUtils.resolveClassName(BOOT_4_HEALTH_INDICATOR, beans.getBeanClassLoader());
        AtlasHealthCheck check = new AtlasHealthCheck(atlas, properties.getHealthTimeout() == null
                ? AtlasHealthCheck.DEFAULT_TIMEOUT : healthTimeout("atlas.health-timeout", properties.getHealthTimeout()));
        check.warmUp();
        return healthIndicator(type, check);
    }

    /**
     * {@code check} as the health indicator interface {@code type} (Boot 4's): {@code health()} gives its outcome as that
     * line's {@code Health} (UP or DOWN, {@code down(exception)} for a failed read, then the details in order), the
     * interface's default methods run as declared, and {@code destroy()} stops the check's thread.
     */
    static Object healthIndicator(Class<?> type, AtlasHealthCheck check) {
        return java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(),
                new Class<?>[] {type, org.springframework.beans.factory.DisposableBean.class}, (proxy, method, args) -> {
                    String name = method.getName();
                    if (name.equals("health") && method.getParameterCount() == 0) {
                        return health(type.getClassLoader(), check);
                    }
                    if (name.equals("destroy") && method.getParameterCount() == 0) {
                        check.close();
                        return null;
                    }
                    if (name.equals("equals") && method.getParameterCount() == 1) {
                        return proxy == args[0];
                    }
                    if (name.equals("hashCode") && method.getParameterCount() == 0) {
                        return System.identityHashCode(proxy);
                    }
                    if (name.equals("toString") && method.getParameterCount() == 0) {
                        return "AtlasHealthIndicator";
                    }
                    if (method.isDefault()) {
                        return java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    throw new UnsupportedOperationException(method.toString());
                });
    }

    /** One check as Boot 4's {@code Health}, built by reflection. */
    private static Object health(ClassLoader loader, AtlasHealthCheck check) throws ReflectiveOperationException {
        Class<?> health = Class.forName(BOOT_4_HEALTH, false, loader);
        AtlasHealthCheck.Outcome outcome;
        try {
            outcome = check.check();
        } catch (RuntimeException e) {
            // As Actuator's AbstractHealthIndicator reports a check that throws.
            log.warn("Atlas health check failed", e);
            outcome = new AtlasHealthCheck.Outcome(false, e, Map.of());
        }
        Object builder = outcome.exception() != null ? health.getMethod("down", Throwable.class).invoke(null, outcome.exception())
                : health.getMethod(outcome.up() ? "up" : "down").invoke(null);
        java.lang.reflect.Method withDetail = builder.getClass().getMethod("withDetail", String.class, Object.class);
        for (Map.Entry<String, Object> detail : outcome.details().entrySet()) {
            withDetail.invoke(builder, detail.getKey(), detail.getValue());
        }
        return builder.getClass().getMethod("build").invoke(builder);
    }

    /**
     * Actuator's {@code @ConditionalOnEnabledHealthIndicator("atlas")} (spring-boot-actuator-autoconfigure, which the
     * starter does not depend on): {@code management.health.atlas.enabled}, else
     * {@code management.health.defaults.enabled}, else true.
     */
    static final class AtlasHealthEnabled implements org.springframework.context.annotation.Condition {
        @Override
        public boolean matches(org.springframework.context.annotation.ConditionContext context,
                               org.springframework.core.type.AnnotatedTypeMetadata metadata) {
            Boolean atlas = context.getEnvironment().getProperty("management.health.atlas.enabled", Boolean.class);
            return atlas != null ? atlas : context.getEnvironment().getProperty("management.health.defaults.enabled", Boolean.class, true);
        }
    }
}
