package dev.atlas;

import javax.sql.DataSource;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Validated settings of an {@link Atlas} instance, produced by {@link AtlasBuilder}. Exactly one
 * of {@code sqliteFile}, {@code jdbcUrl} and {@code dataSource} is set.
 *
 * @param sqliteFile    SQLite database file Atlas opens and pools itself
 * @param jdbcUrl       JDBC URL Atlas opens and pools itself (SQLite or PostgreSQL)
 * @param username      user for {@code jdbcUrl}, or {@code null}
 * @param password      password for {@code jdbcUrl}, or {@code null}
 * @param dataSource    an application-owned pool; Atlas never closes it
 * @param tablePrefix   prefix of every Atlas table, {@code atlas_} by default
 * @param migrate       whether to run pending migrations when building
 * @param clock         source of every timestamp Atlas writes
 * @param historyLimit  default number of messages {@link ConversationStore#history(java.util.UUID)} returns
 * @param maxPoolSize   connections in the pool Atlas creates
 * @param credentialKeys keys for {@link CredentialStore}, or {@code null} when credentials are not used
 * @param blobStore     where asset bytes go, or {@code null} for a {@link dev.atlas.asset.LocalDirectoryBlobStore}
 *                      in {@link #assetDirectory()}
 * @param dataDirectory directory for files Atlas keeps beside the database, or {@code null} for the default
 */
public record AtlasConfig(
        Path sqliteFile,
        String jdbcUrl,
        String username,
        String password,
        DataSource dataSource,
        String tablePrefix,
        boolean migrate,
        Clock clock,
        int historyLimit,
        int maxPoolSize,
        CredentialKeys credentialKeys,
        dev.atlas.asset.BlobStore blobStore,
        Path dataDirectory) {

    static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,29}");

    public AtlasConfig {
        int sources = (sqliteFile != null ? 1 : 0) + (jdbcUrl != null ? 1 : 0) + (dataSource != null ? 1 : 0);
        if (sources != 1) {
            throw new ConfigurationException("exactly one of sqlite(Path), jdbcUrl(String) or dataSource(DataSource) must be set, "
                    + sources + " were");
        }
        checkPrefix(tablePrefix);
        if (clock == null) {
            throw new ConfigurationException("clock must not be null");
        }
        if (historyLimit < 1 || historyLimit > Limits.MAX_PAGE_SIZE) {
            throw new ConfigurationException("historyLimit must be between 1 and " + Limits.MAX_PAGE_SIZE + ", was " + historyLimit);
        }
        if (maxPoolSize < 1 || maxPoolSize > 1000) {
            throw new ConfigurationException("maxPoolSize must be between 1 and 1000, was " + maxPoolSize);
        }
    }

    static String checkPrefix(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new ConfigurationException("tablePrefix '" + prefix + "' is invalid: use 1 to 30 characters of lowercase letters, digits"
                    + " and underscores, starting with a letter (for example 'atlas_')");
        }
        return prefix;
    }

    /**
     * Where the default blob store keeps asset bytes: {@code <dataDirectory>/assets} when a data
     * directory is set; otherwise {@code <file name>-assets} beside an SQLite file, and
     * {@code ./atlas-data/assets} (relative to the working directory) for a JDBC URL or data source.
     */
    public Path assetDirectory() {
        if (dataDirectory != null) {
            return dataDirectory.resolve("assets");
        }
        if (sqliteFile != null) {
            Path abs = sqliteFile.toAbsolutePath();
            return abs.resolveSibling(abs.getFileName() + "-assets");
        }
        return Path.of("atlas-data", "assets");
    }

    /** The data source the application supplied, if any. */
    public Optional<DataSource> suppliedDataSource() {
        return Optional.ofNullable(dataSource);
    }

    @Override
    public String toString() {
        // Never print the password.
        return "AtlasConfig[sqliteFile=" + sqliteFile + ", jdbcUrl=" + jdbcUrl + ", username=" + username
                + ", dataSource=" + (dataSource == null ? null : dataSource.getClass().getName()) + ", tablePrefix=" + tablePrefix
                + ", migrate=" + migrate + ", historyLimit=" + historyLimit + ", maxPoolSize=" + maxPoolSize
                + ", credentialKeys=" + credentialKeys // CredentialKeys prints ids only
                + ", blobStore=" + blobStore + ", dataDirectory=" + dataDirectory + "]";
    }
}
