package dev.atlas.spring.boot;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code atlas.*} settings. With none of them set, Atlas runs on the application's
 * {@link javax.sql.DataSource} (or, when the application has none, on the SQLite file
 * {@code atlas-data/atlas.db}) with its default table prefix, migrating its own tables after the
 * application's Flyway, Liquibase or SQL initialisation.
 */
@ConfigurationProperties("atlas")
public class AtlasProperties {

    /**
     * A JDBC URL ({@code jdbc:sqlite:...} or {@code jdbc:postgresql:...}) for a pool Atlas owns,
     * instead of the application's DataSource.
     */
    private String url;

    /** User name for {@link #url}. */
    private String username;

    /** Password for {@link #url}. */
    private String password;

    /**
     * An SQLite file for a pool Atlas owns, instead of the application's DataSource. A relative path is relative to
     * the working directory; a leading ~ or ~/ is the home of the user running the application (~name is refused).
     */
    private Path sqlitePath;

    /** Prefix of every Atlas table: lowercase letters, digits and underscores. */
    private String tablePrefix = "atlas_";

    /** Whether Atlas migrates its tables when the application starts. */
    private boolean migrate = true;

    /** Default number of messages {@code history()} returns. */
    private int historyLimit = 50;

    /**
     * Largest pool size when Atlas owns the pool (atlas.url, atlas.sqlite-path, or the default
     * SQLite file); 10 when not set. Refused when Atlas runs on the application's DataSource.
     */
    private Integer maxPoolSize;

    /**
     * How long closing Atlas (at shutdown) waits for calls already running, a write in progress
     * committing, before they are stopped and rolled back: 0 (do not wait) to 1h; 30s when not
     * set. Keep it within spring.lifecycle.timeout-per-shutdown-phase and the platform's grace period.
     */
    private Duration closeTimeout;

    /**
     * How long the Actuator health component {@code atlas} waits for the database before it reports DOWN (a server
     * that is down would otherwise hold it for the pool's connection timeout, 30 s, past any probe's own): greater
     * than 0 and at most 1m; 500ms when not set.
     */
    private Duration healthTimeout;

    /**
     * Whether the application's own SQLite pool (HikariCP on a {@code jdbc:sqlite:} URL) gets
     * Atlas's SQLite settings (WAL, busy timeout, foreign keys) before it opens (not when
     * {@code atlas.url} or {@code atlas.sqlite-path} gives Atlas a pool of its own); its transactions
     * keep the mode the URL gives (SQLite's deferred one by default), so a read-only one takes no
     * write lock, IMMEDIATE behind a TransactionAwareDataSourceProxy, whose transactions Atlas's
     * writes join; and synchronous the URL gives, SQLite's FULL by default. Atlas refuses an SQLite
     * pool that is not in WAL mode.
     */
    private boolean configureSqlitePool = true;

    /** The tenant of the {@code Tenant} bean the starter exposes. */
    private String tenant = "default";

    /**
     * Directory of the local blob store for assets (default: beside the SQLite file, or ./atlas-data). A relative
     * path is relative to the working directory; a leading ~ or ~/ is the home of the user running the application
     * (~name is refused).
     */
    private Path dataDirectory;

    /**
     * AES-256 keys for the credential store, by key id, each as 32 bytes in Base64. Keep them out
     * of source control. With several keys (during a rotation), name the primary in
     * atlas.credential-primary-key.
     */
    private Map<String, String> credentialKeys = new LinkedHashMap<>();

    /**
     * Id of the atlas.credential-keys entry new credentials are encrypted with; required with
     * several keys (the order Spring lists keys from several property sources is not reliable),
     * optional with one.
     */
    private String credentialPrimaryKey;

    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public String getUsername() { return username; }
    public void setUsername(String username) { this.username = username; }
    public String getPassword() { return password; }
    public void setPassword(String password) { this.password = password; }
    public Path getSqlitePath() { return sqlitePath; }
    public void setSqlitePath(Path sqlitePath) { this.sqlitePath = sqlitePath; }
    public String getTablePrefix() { return tablePrefix; }
    public void setTablePrefix(String tablePrefix) { this.tablePrefix = tablePrefix; }
    public boolean isMigrate() { return migrate; }
    public void setMigrate(boolean migrate) { this.migrate = migrate; }
    public int getHistoryLimit() { return historyLimit; }
    public void setHistoryLimit(int historyLimit) { this.historyLimit = historyLimit; }
    public Integer getMaxPoolSize() { return maxPoolSize; }
    public void setMaxPoolSize(Integer maxPoolSize) { this.maxPoolSize = maxPoolSize; }
    public Duration getCloseTimeout() { return closeTimeout; }
    public void setCloseTimeout(Duration closeTimeout) { this.closeTimeout = closeTimeout; }
    public Duration getHealthTimeout() { return healthTimeout; }
    public void setHealthTimeout(Duration healthTimeout) { this.healthTimeout = healthTimeout; }
    public boolean isConfigureSqlitePool() { return configureSqlitePool; }
    public void setConfigureSqlitePool(boolean configureSqlitePool) { this.configureSqlitePool = configureSqlitePool; }
    public String getTenant() { return tenant; }
    public void setTenant(String tenant) { this.tenant = tenant; }
    public Path getDataDirectory() { return dataDirectory; }
    public void setDataDirectory(Path dataDirectory) { this.dataDirectory = dataDirectory; }
    public Map<String, String> getCredentialKeys() { return credentialKeys; }
    public void setCredentialKeys(Map<String, String> credentialKeys) { this.credentialKeys = credentialKeys; }
    public String getCredentialPrimaryKey() { return credentialPrimaryKey; }
    public void setCredentialPrimaryKey(String credentialPrimaryKey) { this.credentialPrimaryKey = credentialPrimaryKey; }

    @Override
    public String toString() {
        // Never the password or the keys: this object may end up in logs or actuator output.
        return "AtlasProperties[url=" + (url == null ? null : "(set)") + ", sqlitePath=" + sqlitePath + ", tablePrefix=" + tablePrefix
                + ", migrate=" + migrate + ", closeTimeout=" + closeTimeout + ", healthTimeout=" + healthTimeout + ", tenant=" + tenant + ", credentialKeys=" + credentialKeys.keySet()
                + ", credentialPrimaryKey=" + credentialPrimaryKey + "]";
    }
}
