package dev.atlas;

import dev.atlas.spi.AtlasFactory;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Iterator;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * Configures and opens an {@link Atlas}. Each setting is checked when it is set and fails with
 * a {@link ConfigurationException} that says what is allowed.
 *
 * <pre>{@code
 * Atlas atlas = Atlas.builder()
 *         .jdbcUrl("jdbc:postgresql://db/app").credentials("app", secret)
 *         .tablePrefix("agent_")
 *         .build();
 * }</pre>
 */
public final class AtlasBuilder {
    private Path sqliteFile;
    private String jdbcUrl;
    private String username;
    private String password;
    private DataSource dataSource;
    private String tablePrefix = "atlas_";
    private boolean migrate = true;
    private Clock clock = Clock.systemUTC();
    private int historyLimit = 50;
    private int maxPoolSize = 10;
    private CredentialKeys credentialKeys;
    private dev.atlas.asset.BlobStore blobStore;
    private Path dataDirectory;

    AtlasBuilder() {}

    /** Use (and create if missing) this SQLite file; its parent directories are created too. */
    public AtlasBuilder sqlite(Path file) {
        if (file == null) {
            throw new ConfigurationException("sqlite file must not be null");
        }
        this.sqliteFile = file;
        return this;
    }

    /** Connect to {@code jdbc:sqlite:...} or {@code jdbc:postgresql:...} through a pool Atlas owns. */
    public AtlasBuilder jdbcUrl(String jdbcUrl) {
        if (jdbcUrl == null || !(jdbcUrl.startsWith("jdbc:sqlite:") || jdbcUrl.startsWith("jdbc:postgresql:"))) {
            throw new ConfigurationException("jdbcUrl must start with jdbc:sqlite: or jdbc:postgresql:, was " + jdbcUrl);
        }
        this.jdbcUrl = jdbcUrl;
        return this;
    }

    public AtlasBuilder credentials(String username, String password) {
        this.username = username;
        this.password = password;
        return this;
    }

    /** Use the application's own pool; Atlas will not close it. */
    public AtlasBuilder dataSource(DataSource dataSource) {
        if (dataSource == null) {
            throw new ConfigurationException("dataSource must not be null");
        }
        this.dataSource = dataSource;
        return this;
    }

    /** Prefix of every Atlas table: 1 to 30 lowercase letters, digits or underscores, starting with a letter. */
    public AtlasBuilder tablePrefix(String tablePrefix) {
        this.tablePrefix = AtlasConfig.checkPrefix(tablePrefix);
        return this;
    }

    /** Whether to run pending schema migrations on {@link #build()} (default true). */
    public AtlasBuilder migrate(boolean migrate) {
        this.migrate = migrate;
        return this;
    }

    /** The clock every stored timestamp comes from (default: system UTC). */
    public AtlasBuilder clock(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return this;
    }

    /** How many messages {@link ConversationStore#history(java.util.UUID)} returns (default 50). */
    public AtlasBuilder historyLimit(int historyLimit) {
        if (historyLimit < 1 || historyLimit > Limits.MAX_PAGE_SIZE) {
            throw new ConfigurationException("historyLimit must be between 1 and " + Limits.MAX_PAGE_SIZE + ", was " + historyLimit);
        }
        this.historyLimit = historyLimit;
        return this;
    }

    /** Size of the pool Atlas creates (default 10; ignored with {@link #dataSource(DataSource)}). */
    public AtlasBuilder maxPoolSize(int maxPoolSize) {
        if (maxPoolSize < 1 || maxPoolSize > 1000) {
            throw new ConfigurationException("maxPoolSize must be between 1 and 1000, was " + maxPoolSize);
        }
        this.maxPoolSize = maxPoolSize;
        return this;
    }

    /**
     * Keys that encrypt {@link CredentialStore} secrets (AES-256-GCM). The application keeps the
     * key material; Atlas holds it in memory only and never writes or prints it.
     */
    public AtlasBuilder credentialKeys(CredentialKeys credentialKeys) {
        if (credentialKeys == null) {
            throw new ConfigurationException("credentialKeys must not be null");
        }
        this.credentialKeys = credentialKeys;
        return this;
    }

    /** Where asset bytes go (default: a {@link dev.atlas.asset.LocalDirectoryBlobStore} in {@link AtlasConfig#assetDirectory()}). */
    public AtlasBuilder blobStore(dev.atlas.asset.BlobStore blobStore) {
        if (blobStore == null) {
            throw new ConfigurationException("blobStore must not be null");
        }
        this.blobStore = blobStore;
        return this;
    }

    /** Directory for files Atlas keeps beside the database (assets go to {@code <dir>/assets}); created on first use. */
    public AtlasBuilder dataDirectory(Path dataDirectory) {
        if (dataDirectory == null) {
            throw new ConfigurationException("dataDirectory must not be null");
        }
        this.dataDirectory = dataDirectory;
        return this;
    }

    /** The settings as they stand, validated. */
    public AtlasConfig config() {
        return new AtlasConfig(sqliteFile, jdbcUrl, username, password, dataSource, tablePrefix, migrate, clock, historyLimit, maxPoolSize,
                credentialKeys, blobStore, dataDirectory);
    }

    /** Opens Atlas: creates the pool if needed, detects the database, and migrates. */
    public Atlas build() {
        AtlasConfig config = config();
        Iterator<AtlasFactory> factories = ServiceLoader.load(AtlasFactory.class, AtlasBuilder.class.getClassLoader()).iterator();
        if (!factories.hasNext()) {
            throw new ConfigurationException("no Atlas implementation on the class path: add the dev.atlas:atlas-jdbi dependency");
        }
        return factories.next().open(config);
    }
}
