package dev.atlas;

import dev.atlas.conversation.ConversationStore;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.credential.Secret;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Validated settings of an {@link Atlas} instance, produced by {@link AtlasBuilder}. Exactly one
 * of {@code sqliteFile}, {@code jdbcUrl} and {@code dataSource} is set.
 *
 * <p>{@link #toString()} masks the password and any secret inside {@code jdbcUrl}; the copy
 * {@link Atlas#config()} returns holds neither (see {@link #withoutSecrets()}).
 */
public final class AtlasConfig {
    private final @Nullable Path sqliteFile;
    private final @Nullable String jdbcUrl;
    private final @Nullable String username;
    private final @Nullable Secret password;
    private final @Nullable DataSource dataSource;
    private final String tablePrefix;
    private final boolean migrate;
    private final Clock clock;
    private final int historyLimit;
    private final int maxPoolSize;
    private final @Nullable CredentialKeys credentialKeys;
    private final dev.atlas.asset.@Nullable BlobStore blobStore;
    private final @Nullable Path dataDirectory;
    private final int pgvectorEfSearch;
    private final int pgvectorM;
    private final int pgvectorEfConstruction;
    private final List<dev.atlas.execution.ExecutionListener> executionListeners;
    private final Duration closeTimeout;

    /**
     * Creates the value; every argument is as its accessor returns it.
     *
     * @param sqliteFile SQLite database file Atlas opens and pools itself
     * @param jdbcUrl JDBC URL Atlas opens and pools itself (SQLite or PostgreSQL)
     * @param username user for {@code jdbcUrl}, or {@code null}
     * @param password password for {@code jdbcUrl}, or {@code null}; {@link Secret} so it never prints
     * @param dataSource an application-owned pool; Atlas never closes it
     * @param tablePrefix prefix of every Atlas table, {@code atlas_} by default
     * @param migrate whether to run pending migrations when building
     * @param clock source of the timestamps Atlas writes, but for leases and upload-intent ages (see {@link AtlasBuilder#clock})
     * @param historyLimit default number of messages {@link ConversationStore#history(java.util.UUID)} returns
     * @param maxPoolSize connections in the pool Atlas creates
     * @param credentialKeys keys for {@link CredentialStore}, or {@code null} when credentials are not used
     * @param blobStore where asset bytes go, or {@code null} for a {@link dev.atlas.asset.LocalDirectoryBlobStore} in {@link #assetDirectory()}
     * @param dataDirectory directory for files Atlas keeps beside the database, or {@code null} for the default
     * @param pgvectorEfSearch HNSW candidate list size ({@code hnsw.ef_search}) of semantic searches on PostgreSQL with pgvector; a query for k hits uses at least 2k
     * @param executionListeners listeners of stored executions, in the order they run
     * @param pgvectorM connections per node ({@code m}) of the HNSW indexes Atlas builds with pgvector
     * @param pgvectorEfConstruction candidate list size while building them ({@code ef_construction})
     * @param closeTimeout how long {@link Atlas#close()} waits for calls in flight, 0 to 1 hour
     * @throws ConfigurationException naming every invalid setting
     */
    public AtlasConfig(
            @Nullable Path sqliteFile,
            @Nullable String jdbcUrl,
            @Nullable String username,
            @Nullable Secret password,
            @Nullable DataSource dataSource,
            String tablePrefix,
            boolean migrate,
            Clock clock,
            int historyLimit,
            int maxPoolSize,
            @Nullable CredentialKeys credentialKeys,
            dev.atlas.asset.@Nullable BlobStore blobStore,
            @Nullable Path dataDirectory,
            int pgvectorEfSearch,
            List<dev.atlas.execution.ExecutionListener> executionListeners,
            int pgvectorM,
            int pgvectorEfConstruction,
            Duration closeTimeout) {
        List<String> problems = new ArrayList<>();
        int sources = (sqliteFile != null ? 1 : 0) + (jdbcUrl != null ? 1 : 0) + (dataSource != null ? 1 : 0);
        if (sources != 1) {
            problems.add(sourceProblem(sources));
        }
        if (jdbcUrl != null) {
            addIfBad(problems, jdbcUrlProblem(jdbcUrl));
        } else if ((username != null || password != null) && sources == 1) {
            // Ignored, they would leave the application wondering why its credentials are not used.
            problems.add(CREDENTIALS_WITHOUT_URL);
        }
        addIfBad(problems, prefixProblem(tablePrefix));
        if (clock == null) {
            problems.add(CLOCK_PROBLEM);
        }
        addIfBad(problems, historyLimitProblem(historyLimit));
        addIfBad(problems, maxPoolSizeProblem(maxPoolSize));
        addIfBad(problems, pgvectorEfSearchProblem(pgvectorEfSearch));
        addIfBad(problems, pgvectorIndexProblem(pgvectorM, pgvectorEfConstruction));
        addIfBad(problems, closeTimeoutProblem(closeTimeout));
        // Not contains(null): immutable lists throw on it.
        if (executionListeners == null || executionListeners.stream().anyMatch(Objects::isNull)) {
            problems.add("executionListeners must not be null nor contain null");
        }
        throwIfAny(problems);

        this.sqliteFile = sqliteFile;
        this.jdbcUrl = jdbcUrl;
        this.username = username;
        this.password = password;
        this.dataSource = dataSource;
        this.tablePrefix = tablePrefix;
        this.migrate = migrate;
        this.clock = clock;
        this.historyLimit = historyLimit;
        this.maxPoolSize = maxPoolSize;
        this.credentialKeys = credentialKeys;
        this.blobStore = blobStore;
        this.dataDirectory = dataDirectory;
        this.pgvectorEfSearch = pgvectorEfSearch;
        this.pgvectorM = pgvectorM;
        this.pgvectorEfConstruction = pgvectorEfConstruction;
        this.executionListeners = List.copyOf(executionListeners);
        this.closeTimeout = closeTimeout;
    }

    /**
     * The settings with the default close timeout ({@link #DEFAULT_CLOSE_TIMEOUT}).
     *
     * @param sqliteFile SQLite database file Atlas opens and pools itself, or {@code null}
     * @param jdbcUrl JDBC URL Atlas opens and pools itself (SQLite or PostgreSQL), or {@code null}
     * @param username user for {@code jdbcUrl}, or {@code null}
     * @param password password for {@code jdbcUrl}, or {@code null}
     * @param dataSource an application-owned pool, or {@code null}; Atlas never closes it
     * @param tablePrefix prefix of every Atlas table, {@code atlas_} by default
     * @param migrate whether to run pending migrations when building
     * @param clock source of the timestamps Atlas writes, but for leases and upload-intent ages (see {@link AtlasBuilder#clock})
     * @param historyLimit default number of messages {@link ConversationStore#history(java.util.UUID)} returns
     * @param maxPoolSize connections in the pool Atlas creates
     * @param credentialKeys keys for {@link CredentialStore}, or {@code null} when credentials are not used
     * @param blobStore where asset bytes go, or {@code null} for the default directory
     * @param dataDirectory directory for files Atlas keeps beside the database, or {@code null} for the default
     * @param pgvectorEfSearch HNSW candidate list size ({@code hnsw.ef_search}) of semantic searches on PostgreSQL with pgvector
     * @param executionListeners listeners of stored executions, in the order they run
     * @param pgvectorM connections per node ({@code m}) of the HNSW indexes Atlas builds with pgvector
     * @param pgvectorEfConstruction candidate list size while building them ({@code ef_construction})
     * @throws ConfigurationException naming every invalid setting
     */
    public AtlasConfig(@Nullable Path sqliteFile, @Nullable String jdbcUrl, @Nullable String username, @Nullable Secret password,
                       @Nullable DataSource dataSource, String tablePrefix, boolean migrate, Clock clock, int historyLimit,
                       int maxPoolSize, @Nullable CredentialKeys credentialKeys, dev.atlas.asset.@Nullable BlobStore blobStore,
                       @Nullable Path dataDirectory, int pgvectorEfSearch, List<dev.atlas.execution.ExecutionListener> executionListeners,
                       int pgvectorM, int pgvectorEfConstruction) {
        this(sqliteFile, jdbcUrl, username, password, dataSource, tablePrefix, migrate, clock, historyLimit, maxPoolSize, credentialKeys,
                blobStore, dataDirectory, pgvectorEfSearch, executionListeners, pgvectorM, pgvectorEfConstruction, DEFAULT_CLOSE_TIMEOUT);
    }

    /**
     * The settings with pgvector's default index parameters ({@code m} 16, {@code ef_construction} 64).
     *
     * @param sqliteFile SQLite database file Atlas opens and pools itself, or {@code null}
     * @param jdbcUrl JDBC URL Atlas opens and pools itself (SQLite or PostgreSQL), or {@code null}
     * @param username user for {@code jdbcUrl}, or {@code null}
     * @param password password for {@code jdbcUrl}, or {@code null}
     * @param dataSource an application-owned pool, or {@code null}; Atlas never closes it
     * @param tablePrefix prefix of every Atlas table, {@code atlas_} by default
     * @param migrate whether to run pending migrations when building
     * @param clock source of the timestamps Atlas writes, but for leases and upload-intent ages (see {@link AtlasBuilder#clock})
     * @param historyLimit default number of messages {@link ConversationStore#history(java.util.UUID)} returns
     * @param maxPoolSize connections in the pool Atlas creates
     * @param credentialKeys keys for {@link CredentialStore}, or {@code null} when credentials are not used
     * @param blobStore where asset bytes go, or {@code null} for the default directory
     * @param dataDirectory directory for files Atlas keeps beside the database, or {@code null} for the default
     * @param pgvectorEfSearch HNSW candidate list size ({@code hnsw.ef_search}) of semantic searches on PostgreSQL with pgvector
     * @param executionListeners listeners of stored executions, in the order they run
     * @throws ConfigurationException naming every invalid setting
     */
    public AtlasConfig(@Nullable Path sqliteFile, @Nullable String jdbcUrl, @Nullable String username, @Nullable Secret password,
                       @Nullable DataSource dataSource, String tablePrefix, boolean migrate, Clock clock, int historyLimit,
                       int maxPoolSize, @Nullable CredentialKeys credentialKeys, dev.atlas.asset.@Nullable BlobStore blobStore,
                       @Nullable Path dataDirectory, int pgvectorEfSearch, List<dev.atlas.execution.ExecutionListener> executionListeners) {
        this(sqliteFile, jdbcUrl, username, password, dataSource, tablePrefix, migrate, clock, historyLimit, maxPoolSize, credentialKeys,
                blobStore, dataDirectory, pgvectorEfSearch, executionListeners, DEFAULT_PGVECTOR_M, DEFAULT_PGVECTOR_EF_CONSTRUCTION);
    }

    /**
     * The settings without execution listeners (the form before they existed).
     *
     * @param sqliteFile SQLite database file Atlas opens and pools itself, or {@code null}
     * @param jdbcUrl JDBC URL Atlas opens and pools itself (SQLite or PostgreSQL), or {@code null}
     * @param username user for {@code jdbcUrl}, or {@code null}
     * @param password password for {@code jdbcUrl}, or {@code null}
     * @param dataSource an application-owned pool, or {@code null}; Atlas never closes it
     * @param tablePrefix prefix of every Atlas table, {@code atlas_} by default
     * @param migrate whether to run pending migrations when building
     * @param clock source of the timestamps Atlas writes, but for leases and upload-intent ages (see {@link AtlasBuilder#clock})
     * @param historyLimit default number of messages {@link ConversationStore#history(java.util.UUID)} returns
     * @param maxPoolSize connections in the pool Atlas creates
     * @param credentialKeys keys for {@link CredentialStore}, or {@code null} when credentials are not used
     * @param blobStore where asset bytes go, or {@code null} for a {@link dev.atlas.asset.LocalDirectoryBlobStore} in {@link #assetDirectory()}
     * @param dataDirectory directory for files Atlas keeps beside the database, or {@code null} for the default
     * @param pgvectorEfSearch HNSW candidate list size ({@code hnsw.ef_search}) of semantic searches on PostgreSQL with pgvector
     * @throws ConfigurationException naming every invalid setting
     */
    public AtlasConfig(@Nullable Path sqliteFile, @Nullable String jdbcUrl, @Nullable String username, @Nullable Secret password,
                       @Nullable DataSource dataSource, String tablePrefix,
                       boolean migrate, Clock clock, int historyLimit, int maxPoolSize, @Nullable CredentialKeys credentialKeys,
                       dev.atlas.asset.@Nullable BlobStore blobStore, @Nullable Path dataDirectory, int pgvectorEfSearch) {
        this(sqliteFile, jdbcUrl, username, password, dataSource, tablePrefix, migrate, clock, historyLimit, maxPoolSize, credentialKeys,
                blobStore, dataDirectory, pgvectorEfSearch, List.of());
    }

    /**
     * SQLite database file Atlas opens and pools itself.
     *
     * @return SQLite database file Atlas opens and pools itself, or {@code null}
     */
    public @Nullable Path sqliteFile() {
        return sqliteFile;
    }

    /**
     * JDBC URL Atlas opens and pools itself (SQLite or PostgreSQL), or {@code null}.
     *
     * @return JDBC URL Atlas opens and pools itself (SQLite or PostgreSQL), or {@code null}
     */
    public @Nullable String jdbcUrl() {
        return jdbcUrl;
    }

    /**
     * User for {@code jdbcUrl}, or {@code null}.
     *
     * @return user for {@code jdbcUrl}, or {@code null}
     */
    public @Nullable String username() {
        return username;
    }

    /**
     * Password for {@code jdbcUrl}, or {@code null}; {@link Secret} so it never prints.
     *
     * @return password for {@code jdbcUrl}, or {@code null}; {@link Secret} so it never prints
     */
    public @Nullable Secret password() {
        return password;
    }

    /**
     * An application-owned pool; Atlas never closes it, or {@code null}.
     *
     * @return an application-owned pool; Atlas never closes it, or {@code null}
     */
    public @Nullable DataSource dataSource() {
        return dataSource;
    }

    /**
     * Prefix of every Atlas table, {@code atlas_} by default.
     *
     * @return prefix of every Atlas table, {@code atlas_} by default
     */
    public String tablePrefix() {
        return tablePrefix;
    }

    /**
     * Whether to run pending migrations when building.
     *
     * @return whether to run pending migrations when building
     */
    public boolean migrate() {
        return migrate;
    }

    /**
     * Source of the timestamps Atlas writes, but for task and retention leases and the age of upload intents, which
     * use the database's clock so that every instance measures them alike (see {@link AtlasBuilder#clock}).
     *
     * @return source of the timestamps Atlas writes
     */
    public Clock clock() {
        return clock;
    }

    /**
     * Default number of messages {@link ConversationStore#history(java.util.UUID)} returns.
     *
     * @return default number of messages {@link ConversationStore#history(java.util.UUID)} returns
     */
    public int historyLimit() {
        return historyLimit;
    }

    /**
     * Connections in the pool Atlas creates.
     *
     * @return connections in the pool Atlas creates
     */
    public int maxPoolSize() {
        return maxPoolSize;
    }

    /**
     * Keys for {@link CredentialStore}, or {@code null} when credentials are not used.
     *
     * @return keys for {@link CredentialStore}, or {@code null} when credentials are not used
     */
    public @Nullable CredentialKeys credentialKeys() {
        return credentialKeys;
    }

    /**
     * Where asset bytes go, or {@code null} for a {@link dev.atlas.asset.LocalDirectoryBlobStore} in {@link #assetDirectory()}.
     *
     * @return where asset bytes go, or {@code null} for a {@link dev.atlas.asset.LocalDirectoryBlobStore} in {@link #assetDirectory()}
     */
    public dev.atlas.asset.@Nullable BlobStore blobStore() {
        return blobStore;
    }

    /**
     * Directory for files Atlas keeps beside the database, or {@code null} for the default.
     *
     * @return directory for files Atlas keeps beside the database, or {@code null} for the default
     */
    public @Nullable Path dataDirectory() {
        return dataDirectory;
    }

    /**
     * HNSW candidate list size ({@code hnsw.ef_search}) of semantic searches on PostgreSQL with pgvector; a query for k hits uses at least 2k.
     *
     * @return HNSW candidate list size ({@code hnsw.ef_search}) of semantic searches on PostgreSQL with pgvector; a query for k hits uses at least 2k
     */
    public int pgvectorEfSearch() {
        return pgvectorEfSearch;
    }

    /**
     * Connections per node ({@code m}, 2..100, default 16) of each HNSW index Atlas builds with pgvector.
     *
     * @return the index parameter {@code m}
     */
    public int pgvectorM() {
        return pgvectorM;
    }

    /**
     * Candidate list size while building each HNSW index ({@code ef_construction}, 4..1000 and at
     * least 2m, default 64).
     *
     * @return the index parameter {@code ef_construction}
     */
    public int pgvectorEfConstruction() {
        return pgvectorEfConstruction;
    }

    /**
     * Listeners of stored executions, in the order they run (see {@link AtlasBuilder#executionListener}).
     *
     * @return an immutable list, empty when none was added; never null
     */
    public List<dev.atlas.execution.ExecutionListener> executionListeners() {
        return executionListeners;
    }

    /**
     * How long {@link Atlas#close()} waits for calls already running before it closes the pool
     * under them (see {@link AtlasBuilder#closeTimeout(Duration)}).
     *
     * @return 0 (do not wait) to 1 hour; {@link #DEFAULT_CLOSE_TIMEOUT} unless set
     */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** The close timeout when none is set: 30 seconds, the default grace of Spring's and Kubernetes' shutdowns. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /** The longest close timeout: a shutdown that waits longer is a hang, not a grace. */
    static final Duration MAX_CLOSE_TIMEOUT = Duration.ofHours(1);

    static final String CLOSE_TIMEOUT_NULL = "closeTimeout must not be null: pass a java.time.Duration, for example Duration.ofSeconds(30)";

    static @Nullable String closeTimeoutProblem(@Nullable Duration closeTimeout) {
        if (closeTimeout == null) {
            return CLOSE_TIMEOUT_NULL;
        }
        if (closeTimeout.isNegative() || closeTimeout.compareTo(MAX_CLOSE_TIMEOUT) > 0) {
            return "closeTimeout must be between 0 (do not wait) and 1 hour, was "
                    + new java.math.BigDecimal(closeTimeout.getSeconds()).add(java.math.BigDecimal.valueOf(closeTimeout.getNano(), 9))
                            .stripTrailingZeros().toPlainString() + " s";
        }
        return null;
    }

    static final String CLOCK_PROBLEM = "clock must not be null: pass a java.time.Clock, for example Clock.systemUTC()";

    static final String CREDENTIALS_WITHOUT_URL = "credentials(user, password) apply to jdbcUrl(String) only: a SQLite file has no"
            + " users, and a DataSource logs in with its own settings";

    static String sourceProblem(int sources) {
        return "exactly one of sqlite(Path), jdbcUrl(String) or dataSource(DataSource) must be set, " + sources + " were";
    }

    static String jdbcUrlProblem(String jdbcUrl) {
        if (jdbcUrl == null || !(jdbcUrl.startsWith("jdbc:sqlite:") || jdbcUrl.startsWith("jdbc:postgresql:"))) {
            return "jdbcUrl must start with jdbc:sqlite: or jdbc:postgresql:, was " + dev.atlas.internal.Redaction.url(jdbcUrl);
        }
        return null;
    }

    static @Nullable String prefixProblem(@Nullable String prefix) {
        return dev.atlas.internal.TablePrefix.problem(prefix);
    }

    static String historyLimitProblem(int historyLimit) {
        if (historyLimit < 1 || historyLimit > Limits.MAX_PAGE_SIZE) {
            return "historyLimit must be between 1 and " + Limits.MAX_PAGE_SIZE + ", was " + historyLimit;
        }
        return null;
    }

    static String maxPoolSizeProblem(int maxPoolSize) {
        if (maxPoolSize < 1 || maxPoolSize > 1000) {
            return "maxPoolSize must be between 1 and 1000, was " + maxPoolSize;
        }
        return null;
    }

    /** pgvector's own bounds of {@code hnsw.ef_search}. */
    static String pgvectorEfSearchProblem(int efSearch) {
        if (efSearch < 1 || efSearch > 1000) {
            return "pgvectorEfSearch must be between 1 and 1000, was " + efSearch;
        }
        return null;
    }

    /** pgvector's defaults for the HNSW index parameters. */
    static final int DEFAULT_PGVECTOR_M = 16;
    static final int DEFAULT_PGVECTOR_EF_CONSTRUCTION = 64;

    /** pgvector's own bounds of {@code m} and {@code ef_construction}. */
    static String pgvectorIndexProblem(int m, int efConstruction) {
        if (m < 2 || m > 100) {
            return "pgvectorM must be between 2 and 100, was " + m;
        }
        if (efConstruction < 4 || efConstruction > 1000 || efConstruction < 2 * m) {
            return "pgvectorEfConstruction must be between 4 and 1000 and at least 2 * pgvectorM (" + 2 * m + "), was " + efConstruction;
        }
        return null;
    }

    private static void addIfBad(List<String> problems, String problem) {
        if (problem != null) {
            problems.add(problem);
        }
    }

    /** One exception for every problem found, so a misconfigured application is fixed in one round. */
    static void throwIfAny(List<String> problems) {
        if (problems.size() == 1) {
            throw new ConfigurationException(problems.get(0));
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems.size() + " settings are invalid: " + String.join("; ", problems));
        }
    }

    /**
     * Returns {@code prefix} when it is a valid table prefix (1 to 30 lowercase letters, digits and
     * underscores, starting with a letter), the rule {@link AtlasBuilder#tablePrefix(String)} applies.
     * Modules that put the prefix into SQL themselves check it here first.
     *
     * @param prefix the table prefix, for example {@code "atlas_"}
     * @return {@code prefix}
     * @throws ConfigurationException naming {@code tablePrefix} when it is {@code null} or invalid
     */
    public static String checkTablePrefix(@Nullable String prefix) {
        String problem = prefixProblem(prefix);
        if (problem != null) {
            throw new ConfigurationException(problem);
        }
        return prefix;
    }

    /**
     * These settings without anything secret: no password, and {@code jdbcUrl} with its
     * user-info password and secret parameters ({@code password=}, {@code sslpassword=},
     * {@code key=} …) masked. {@link Atlas#config()} returns this form. Credential keys stay,
     * as {@link CredentialKeys} exposes key ids only.
     *
     * @return a copy with this change
     */
    public AtlasConfig withoutSecrets() {
        return new AtlasConfig(sqliteFile, dev.atlas.internal.Redaction.url(jdbcUrl), username, null, dataSource, tablePrefix, migrate, clock,
                historyLimit, maxPoolSize, credentialKeys, blobStore, dataDirectory, pgvectorEfSearch, executionListeners, pgvectorM,
                pgvectorEfConstruction, closeTimeout);
    }

    /**
     * Where the default blob store keeps asset bytes: {@code <dataDirectory>/assets} when a data
     * directory is set; otherwise {@code <file name>-assets} beside an SQLite file (its real path,
     * symlinks resolved, so every spelling of one file shares one directory; a directory named after
     * a symlink, as earlier versions did, is kept while it exists), and
     * {@code ./atlas-data/assets} (relative to the working directory) for a JDBC URL or data source.
     *
     * @return the path
     */
    public Path assetDirectory() {
        if (dataDirectory != null) {
            return dataDirectory.resolve("assets");
        }
        if (sqliteFile != null) {
            Path abs = sqliteFile.toAbsolutePath();
            Path spelled = abs.resolveSibling(abs.getFileName() + "-assets");
            Path real;
            try {
                real = abs.toRealPath();
            } catch (java.io.IOException e) {
                return spelled; // not created yet: no other spelling can have stored anything
            }
            Path resolved = real.resolveSibling(real.getFileName() + "-assets");
            // Earlier versions named it after a symlink's own name: an installation that has that directory
            // keeps it, whatever another spelling created since, so no stored bytes ever become unreachable.
            // (A relative or ".." spelling of the real directory is that directory: resolved, as every other spelling.)
            try {
                return java.nio.file.Files.isDirectory(spelled)
                        && !(java.nio.file.Files.isDirectory(resolved) && java.nio.file.Files.isSameFile(spelled, resolved)) ? spelled : resolved;
            } catch (java.io.IOException e) {
                return spelled;
            }
        }
        return Path.of("atlas-data", "assets");
    }

    /**
     * The data source the application supplied, if any.
     *
     * @return the application's DataSource, or empty when Atlas opens its own pool
     */
    public Optional<DataSource> suppliedDataSource() {
        return Optional.ofNullable(dataSource);
    }

    @Override
    public String toString() {
        // Never print the password, nor one written into the URL.
        return "AtlasConfig[sqliteFile=" + sqliteFile + ", jdbcUrl=" + dev.atlas.internal.Redaction.url(jdbcUrl) + ", username=" + username
                + ", dataSource=" + (dataSource == null ? null : dataSource.getClass().getName()) + ", tablePrefix=" + tablePrefix
                + ", migrate=" + migrate + ", historyLimit=" + historyLimit + ", maxPoolSize=" + maxPoolSize
                + ", credentialKeys=" + credentialKeys // CredentialKeys prints ids only
                + ", blobStore=" + blobStore + ", dataDirectory=" + dataDirectory + ", closeTimeout=" + closeTimeout + "]";
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof AtlasConfig that)) {
            return false;
        }
        return true
            && Objects.equals(sqliteFile, that.sqliteFile)
            && Objects.equals(jdbcUrl, that.jdbcUrl)
            && Objects.equals(username, that.username)
            && Objects.equals(password, that.password)
            && Objects.equals(dataSource, that.dataSource)
            && Objects.equals(tablePrefix, that.tablePrefix)
            && migrate == that.migrate
            && Objects.equals(clock, that.clock)
            && historyLimit == that.historyLimit
            && maxPoolSize == that.maxPoolSize
            && Objects.equals(credentialKeys, that.credentialKeys)
            && Objects.equals(blobStore, that.blobStore)
            && Objects.equals(dataDirectory, that.dataDirectory)
            && pgvectorEfSearch == that.pgvectorEfSearch
            && pgvectorM == that.pgvectorM
            && pgvectorEfConstruction == that.pgvectorEfConstruction
            && executionListeners.equals(that.executionListeners)
            && closeTimeout.equals(that.closeTimeout);
    }

    @Override
    public int hashCode() {
        return Objects.hash(sqliteFile, jdbcUrl, username, password, dataSource, tablePrefix, migrate, clock, historyLimit, maxPoolSize, credentialKeys, blobStore, dataDirectory, pgvectorEfSearch,
                executionListeners, pgvectorM, pgvectorEfConstruction, closeTimeout);
    }
}
