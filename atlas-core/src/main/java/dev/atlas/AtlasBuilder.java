package dev.atlas;

import dev.atlas.spi.AtlasFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import javax.sql.DataSource;

import dev.atlas.conversation.ConversationStore;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.credential.Secret;
import org.jspecify.annotations.Nullable;

/**
 * Configures and opens an {@link Atlas}. Every setting is validated by {@link #config()} and
 * {@link #build()}, which report <em>all</em> invalid settings at once in one
 * {@link ConfigurationException}, each saying what is allowed; setters never throw. A builder is not a
 * value: each setter changes this builder and returns it, so a builder kept as a base for several
 * instances carries every setting made on it since.
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
    private Secret password;
    private DataSource dataSource;
    private String tablePrefix = "atlas_";
    private boolean migrate = true;
    private Clock clock = Clock.systemUTC();
    private int historyLimit = 50;
    private int maxPoolSize = 10;
    /** Whether maxPoolSize was set: refused with a DataSource, whose pool Atlas does not size. */
    private boolean maxPoolSizeSet;
    private CredentialKeys credentialKeys;
    private dev.atlas.asset.BlobStore blobStore;
    private Path dataDirectory;
    private int pgvectorEfSearch = 100;
    private int pgvectorM = AtlasConfig.DEFAULT_PGVECTOR_M;
    private int pgvectorEfConstruction = AtlasConfig.DEFAULT_PGVECTOR_EF_CONSTRUCTION;
    private Duration closeTimeout = AtlasConfig.DEFAULT_CLOSE_TIMEOUT;
    private final List<dev.atlas.execution.ExecutionListener> executionListeners = new ArrayList<>();
    /** Invalid values given to setters, by setting name; a later valid call clears its entry. */
    private final Map<String, String> problems = new LinkedHashMap<>();

    AtlasBuilder() {}

    private boolean accept(String setting, String problem) {
        if (problem == null) {
            problems.remove(setting);
            return true;
        }
        problems.put(setting, problem);
        return false;
    }

    /**
     * Use (and create if missing) this SQLite file; its parent directories are created too.
     *
     * @param file the SQLite file
     * @return this builder
     */
    public AtlasBuilder sqlite(Path file) {
        if (accept("sqlite", file == null ? "sqlite file must not be null" : null)) {
            this.sqliteFile = file;
        }
        return this;
    }

    /**
     * Connect to {@code jdbc:sqlite:...} or {@code jdbc:postgresql:...} through a pool Atlas owns.
     *
     * @param jdbcUrl the jdbc url
     * @return this builder
     */
    public AtlasBuilder jdbcUrl(String jdbcUrl) {
        if (accept("jdbcUrl", AtlasConfig.jdbcUrlProblem(jdbcUrl))) {
            this.jdbcUrl = jdbcUrl;
        }
        return this;
    }

    /**
     * User and password for {@link #jdbcUrl(String)}; either may be null. The password is kept as a {@link Secret}.
     * A blank user, or one holding NUL, is reported by {@link #config()}, as are credentials given with
     * {@link #sqlite(Path)} or {@link #dataSource(DataSource)}, which could not use them.
     *
     * @param username the database user, or {@code null}
     * @param password the database password, or {@code null}
     * @return this builder
     */
    public AtlasBuilder credentials(@Nullable String username, @Nullable String password) {
        // A blank user would reach the server as a login of no one, failing with a driver message far from this call.
        accept("username", username != null && (username.isBlank() || username.indexOf('\u0000') >= 0)
                ? "username must be a database user name: not blank, no NUL (null for none)" : null);
        this.username = username;
        this.password = password == null ? null : Secret.of(password);
        return this;
    }

    /**
     * Use the application's own pool; Atlas will not close it.
     *
     * @param dataSource the pool to use
     * @return this builder
     */
    public AtlasBuilder dataSource(DataSource dataSource) {
        if (accept("dataSource", dataSource == null ? "dataSource must not be null" : null)) {
            this.dataSource = dataSource;
        }
        return this;
    }

    /**
     * Prefix of every Atlas table: 1 to 30 lowercase letters, digits or underscores, starting with a letter.
     *
     * @param tablePrefix the table prefix
     * @return this builder
     */
    public AtlasBuilder tablePrefix(String tablePrefix) {
        if (accept("tablePrefix", AtlasConfig.prefixProblem(tablePrefix))) {
            this.tablePrefix = tablePrefix;
        }
        return this;
    }

    /**
     * Whether to run pending schema migrations on {@link #build()} (default true). With {@code
     * false}, {@link #build()} checks that every migration of this version has run and otherwise
     * fails with a {@link ConfigurationException} naming the versions, for deployments that
     * migrate in a separate step ({@code AtlasMigrations}, {@code atlas migrate}).
     *
     * @param migrate whether {@link #build()} migrates
     * @return this builder
     */
    public AtlasBuilder migrate(boolean migrate) {
        this.migrate = migrate;
        return this;
    }

    /**
     * The clock every stored timestamp comes from (default: system UTC), except what all instances
     * must measure alike: task and retention leases and the age of upload intents
     * ({@link dev.atlas.asset.AssetStore#cleanupOrphanBlobs}) use the database's clock, and task
     * schedules add to this clock how far the host's clock is from the database's, so a host whose
     * clock is off fires each occurrence when the database's clock reaches it.
     *
     * @param clock the clock to use
     * @return this builder
     */
    public AtlasBuilder clock(Clock clock) {
        if (accept("clock", clock == null ? AtlasConfig.CLOCK_PROBLEM : null)) {
            this.clock = clock;
        }
        return this;
    }

    /**
     * How many messages {@link ConversationStore#history(java.util.UUID)} returns (default 50).
     *
     * @param historyLimit the history limit
     * @return this builder
     */
    public AtlasBuilder historyLimit(int historyLimit) {
        if (accept("historyLimit", AtlasConfig.historyLimitProblem(historyLimit))) {
            this.historyLimit = historyLimit;
        }
        return this;
    }

    /**
     * Size of the pool Atlas creates for {@link #sqlite(Path)} or {@link #jdbcUrl(String)} (default 10).
     * With {@link #dataSource(DataSource)} it is reported by {@link #config()}: Atlas does not size the
     * application's pool, and ignoring the setting would leave the application believing it did.
     *
     * @param maxPoolSize the max pool size
     * @return this builder
     */
    public AtlasBuilder maxPoolSize(int maxPoolSize) {
        maxPoolSizeSet = true;
        if (accept("maxPoolSize", AtlasConfig.maxPoolSizeProblem(maxPoolSize))) {
            this.maxPoolSize = maxPoolSize;
        }
        return this;
    }

    /**
     * Keys that encrypt {@link CredentialStore} secrets (AES-256-GCM). The application keeps the
     * key material; Atlas holds it in memory only and never writes or prints it.
     *
     * @param credentialKeys the keys that encrypt credentials
     * @return this builder
     */
    public AtlasBuilder credentialKeys(CredentialKeys credentialKeys) {
        if (accept("credentialKeys", credentialKeys == null ? "credentialKeys must not be null" : null)) {
            this.credentialKeys = credentialKeys;
        }
        return this;
    }

    /**
     * Where asset bytes go (default: a {@link dev.atlas.asset.LocalDirectoryBlobStore} in {@link AtlasConfig#assetDirectory()}).
     *
     * @param blobStore where asset bytes go
     * @return this builder
     */
    public AtlasBuilder blobStore(dev.atlas.asset.BlobStore blobStore) {
        if (accept("blobStore", blobStore == null ? "blobStore must not be null" : null)) {
            this.blobStore = blobStore;
        }
        return this;
    }

    /**
     * Directory for files Atlas keeps beside the database (assets go to {@code <dir>/assets}); created on first use.
     * Without a {@link #blobStore}, one that is a file or lies under a file fails {@code build()} with a
     * {@link ConfigurationException} naming {@code dataDirectory}.
     *
     * @param dataDirectory where Atlas keeps its files
     * @return this builder
     */
    public AtlasBuilder dataDirectory(Path dataDirectory) {
        if (accept("dataDirectory", dataDirectory == null ? "dataDirectory must not be null" : null)) {
            this.dataDirectory = dataDirectory;
        }
        return this;
    }

    /**
     * Candidate list size of pgvector's HNSW search ({@code hnsw.ef_search}, 1..1000, default 100;
     * a query for k hits uses the larger of this and 2k, capped at 1000, pgvector's maximum). Higher finds more of the true nearest neighbours on
     * large tables at the cost of latency; 100 reached recall@10 0.97 at 100k clustered vectors, where
     * pgvector's own 40 reached 0.94 at the same median latency (docs/benchmarks.md, benchmark 13). Ignored without pgvector (search is exact there).
     *
     * @param efSearch the ef search
     * @return this builder
     */
    public AtlasBuilder pgvectorEfSearch(int efSearch) {
        if (accept("pgvectorEfSearch", AtlasConfig.pgvectorEfSearchProblem(efSearch))) {
            this.pgvectorEfSearch = efSearch;
        }
        return this;
    }

    /**
     * Parameters of the HNSW indexes Atlas builds with pgvector: {@code m} (connections per node,
     * 2..100, default 16) and {@code ef_construction} (candidate list while building, 4..1000 and
     * at least 2m, default 64). Higher values raise recall at a given {@code ef_search} and cost
     * build time and index size. They apply to indexes built from now on; an existing index keeps
     * its own (drop it to rebuild). Ignored without pgvector.
     *
     * @param m the index parameter {@code m}
     * @param efConstruction the index parameter {@code ef_construction}
     * @return this builder
     */
    public AtlasBuilder pgvectorIndex(int m, int efConstruction) {
        if (accept("pgvectorIndex", AtlasConfig.pgvectorIndexProblem(m, efConstruction))) {
            this.pgvectorM = m;
            this.pgvectorEfConstruction = efConstruction;
        }
        return this;
    }

    /**
     * How long {@link Atlas#close()} waits for calls already running (a write in progress commits)
     * before it closes its connections under them: 0 (do not wait) to 1 hour, default 30 seconds.
     * Calls still running then fail with a {@link StorageException}, their transactions rolled
     * back, and a warning says how many there were. Keep it within the time the platform gives the
     * application to stop (Spring's {@code spring.lifecycle.timeout-per-shutdown-phase}, a
     * container's grace period), or the process is killed mid-wait.
     *
     * @param closeTimeout the longest wait
     * @return this builder
     */
    public AtlasBuilder closeTimeout(Duration closeTimeout) {
        if (accept("closeTimeout", AtlasConfig.closeTimeoutProblem(closeTimeout))) {
            this.closeTimeout = closeTimeout;
        }
        return this;
    }

    /**
     * Adds a listener that hears every execution, step and tool call the recorder stores, after
     * each commit (see {@link dev.atlas.execution.ExecutionListener} for the guarantees). May be
     * called several times; listeners run in the order added. A {@code null} listener is reported
     * by {@link #build()} as an invalid setting.
     *
     * @param listener the listener to add
     * @return this builder
     */
    public AtlasBuilder executionListener(dev.atlas.execution.ExecutionListener listener) {
        // Listeners add up, so a later valid one does not clear an earlier null (unlike the other settings).
        if (listener == null) {
            problems.put("executionListener", "executionListener must not be null");
        } else {
            executionListeners.add(listener);
        }
        return this;
    }

    static final String POOL_SIZE_WITH_DATA_SOURCE = "maxPoolSize(int) sizes the pool Atlas creates for sqlite(Path) or jdbcUrl(String):"
            + " with dataSource(DataSource) Atlas uses the application's pool as it is; size that pool instead, or remove maxPoolSize";

    /**
     * The settings as they stand, validated: every invalid setting is reported in one
     * {@link ConfigurationException}.
     *
     * @return the configuration to open
     */
    public AtlasConfig config() {
        List<String> all = new ArrayList<>(problems.values());
        boolean sourceSetterFailed = problems.containsKey("sqlite") || problems.containsKey("jdbcUrl") || problems.containsKey("dataSource");
        int sources = (sqliteFile != null ? 1 : 0) + (jdbcUrl != null ? 1 : 0) + (dataSource != null ? 1 : 0);
        if (sources != 1 && !(sources == 0 && sourceSetterFailed)) {
            all.add(AtlasConfig.sourceProblem(sources));
        }
        if (sources == 1 && jdbcUrl == null && (username != null || password != null)) {
            all.add(AtlasConfig.CREDENTIALS_WITHOUT_URL);
        }
        if (sources == 1 && dataSource != null && maxPoolSizeSet) {
            all.add(POOL_SIZE_WITH_DATA_SOURCE);
        }
        AtlasConfig.throwIfAny(all);
        return new AtlasConfig(sqliteFile, jdbcUrl, username, password, dataSource, tablePrefix, migrate, clock, historyLimit, maxPoolSize,
                credentialKeys, blobStore, dataDirectory, pgvectorEfSearch, executionListeners, pgvectorM, pgvectorEfConstruction, closeTimeout);
    }

    /**
     * Opens Atlas: creates the pool if needed, detects the database, and migrates.
     *
     * @return the atlas
     */
    public Atlas build() {
        AtlasConfig config = config();
        Iterator<AtlasFactory> factories = ServiceLoader.load(AtlasFactory.class, AtlasBuilder.class.getClassLoader()).iterator();
        if (!factories.hasNext()) {
            throw new ConfigurationException("no Atlas implementation on the class path: add the dev.atlas:atlas-jdbi dependency");
        }
        return factories.next().open(config);
    }
}
