package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasConfig;
import dev.atlas.ConfigurationException;
import dev.atlas.internal.Redaction;
import dev.atlas.migrations.AtlasMigrations;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * The database named by {@code --db}: opens Atlas on it, and answers the few operator questions
 * the library's API does not (schema version, tables, tenants, a conversation's tool threads)
 * with plain read-only SQL.
 */
final class Database {
    private final String jdbcUrl;
    /** The URL the CLI's own connections are made with: {@link #jdbcUrl} without its other secret parameters (sslpassword). */
    private final String driverUrl;
    /** Those parameters, handed to the driver as connection properties. */
    private final java.util.Map<String, String> driverSecrets;
    private final Path sqliteFile;
    /** The file a {@code jdbc:sqlite:} URL names, when it names one: read commands must not create it. */
    private final Path urlFile;
    private final String given;
    private final String user;
    private final String password;
    private final String prefix;
    private final Path dataDir;
    /** The host's credential keys, when the command was given them (import). */
    private dev.atlas.credential.CredentialKeys credentialKeys;

    Database(String db, String user, String password, String prefix, Path dataDir) {
        // The prefix goes into the operator queries' SQL text, so it is checked before any use.
        try {
            AtlasConfig.checkTablePrefix(prefix);
        } catch (ConfigurationException e) {
            throw new BadOption("--table-prefix: must be 1 to 30 lowercase letters, digits or underscores, starting with a letter, was '"
                    + prefix + "'");
        }
        if (db.startsWith("jdbc:")) {
            if (!db.startsWith("jdbc:sqlite:") && !db.startsWith("jdbc:postgresql:")) {
                throw new BadOption("--db: must be a jdbc:sqlite: or jdbc:postgresql: URL or an SQLite file, was " + redact(db));
            }
            // Split as the library splits the URL it is given (Drivers.split): user and password written in the URL become the
            // credentials (a password= parameter winning over --password-env, as in pgjdbc), and the other secret parameters
            // (sslpassword) leave the URL of the CLI's own connections, handed to the driver as properties: pgjdbc logs that URL.
            dev.atlas.jdbi.internal.Drivers.SplitUrl split;
            try {
                split = dev.atlas.jdbi.internal.Drivers.forUrl(db).split(db, user, password, "--db");
            } catch (ConfigurationException e) {
                throw new BadOption(e.getMessage());
            }
            user = split.user();
            password = split.password();
            this.jdbcUrl = split.url();
            this.driverUrl = split.driverUrl();
            this.driverSecrets = split.properties();
            this.sqliteFile = null;
            this.urlFile = db.startsWith("jdbc:sqlite:") ? dev.atlas.internal.SqliteUrls.file(db).orElse(null) : null;
            String pathProblem = db.startsWith("jdbc:sqlite:") ? dev.atlas.jdbi.internal.Drivers.sqlitePathParameterProblem(db) : null;
            if (pathProblem != null) {
                // Before any connection: the CLI's own (info, conversations list) would create that other file.
                throw new BadOption("--db: " + pathProblem);
            }
        } else {
            this.sqliteFile = Path.of(db);
            this.jdbcUrl = "jdbc:sqlite:" + sqliteFile;
            this.driverUrl = jdbcUrl;
            this.driverSecrets = java.util.Map.of();
            this.urlFile = null;
        }
        if (this.sqliteFile == null && this.urlFile == null && db.startsWith("jdbc:sqlite:") && !isResource(db)) {
            throw new BadOption("--db: names an in-memory SQLite database, which is gone when the command exits; give a file");
        }
        Path file = this.sqliteFile != null ? this.sqliteFile : this.urlFile;
        if (file != null && Files.isDirectory(file)) {
            throw new BadOption("--db: names a directory, not an SQLite file: " + file.toAbsolutePath().normalize());
        }
        if (dataDir != null && Files.exists(dataDir) && !Files.isDirectory(dataDir)) {
            throw new BadOption("--data-dir: names a file, not a directory: " + dataDir);
        }
        this.given = db;
        this.user = user;
        this.password = password;
        this.prefix = prefix;
        this.dataDir = dataDir;
    }

    /** A value of {@code --db} or {@code --table-prefix} that cannot be right: the command line is wrong. */
    static final class BadOption extends RuntimeException {
        BadOption(String message) {
            super(message);
        }
    }

    boolean isSqlite() {
        return jdbcUrl.startsWith("jdbc:sqlite:");
    }

    String prefix() {
        return prefix;
    }

    /** What to show for the database: the file, or the URL as given without its query string and its password masked. */
    String describe() {
        if (sqliteFile != null) {
            return "SQLite " + sqliteFile.toAbsolutePath().normalize();
        }
        return (isSqlite() ? "SQLite " : "PostgreSQL ") + redact(given);
    }

    private static String redact(String url) {
        // Masked before the query string is cut: a password holding a raw '?' would be cut at it, its start shown.
        return Redaction.url(url).replaceFirst("\\?.*", "");
    }

    /** Opens Atlas for a command that reads or changes data: the schema must exist and be current. */
    Atlas open() {
        requireCurrentSchema();
        return builder().migrate(false).build();
    }

    /** Opens Atlas and applies pending migrations (creating an SQLite file if missing). */
    Atlas openAndMigrate() {
        if (file() != null && !Files.notExists(file())) {
            requireFile();
        }
        if (!isSqlite()) {
            // A first connection of the driver's own: a server refusing it reads as for every command, with the server's whole
            // reason. Refused to Atlas's pool it was "could not open a connection pool for <url>: Failed to initialize pool: ...",
            // naming neither --db nor the server, its Detail left out (the pool sets logServerErrorDetail=false).
            try (Connection c = connect()) {
                c.isValid(0);
            } catch (SQLException e) {
                throw new CliException(cannotConnect(e.getMessage() == null ? e.toString() : e.getMessage(), e), e);
            }
        }
        try {
            return builder().migrate(true).build();
        } catch (ConfigurationException e) {
            // The library's message quotes the JDK's, which for a denied file is only the file's name again.
            if (e.getCause() instanceof java.io.IOException io && file() != null) {
                throw new CliException("cannot create SQLite file " + file() + " (--db): " + PortabilityCommands.why(io), e);
            }
            throw e;
        }
    }

    private AtlasBuilder builder() {
        AtlasBuilder b = Atlas.builder().tablePrefix(prefix).maxPoolSize(2);
        if (sqliteFile != null) {
            b.sqlite(sqliteFile);
        } else {
            b.jdbcUrl(jdbcUrl).credentials(user, password);
        }
        if (dataDir != null) {
            b.dataDirectory(dataDir);
        }
        if (credentialKeys != null) {
            b.credentialKeys(credentialKeys);
        }
        return b;
    }

    /** Schema state from Atlas's own Flyway history: applied version and pending migrations. */
    SchemaState schema() {
        requireFile();
        MigrationInfoService info = info();
        MigrationInfo current = info.current();
        String version = current == null || "0".equals(current.getVersion().getVersion()) ? null : current.getVersion().getVersion();
        MigrationInfo[] pending = info.pending();
        String latest = pending.length > 0 ? pending[pending.length - 1].getVersion().getVersion() : version;
        // The newest migration this jar bundles: a database migrated by a newer Atlas is ahead of it.
        org.flywaydb.core.api.MigrationVersion known = java.util.Arrays.stream(info.all())
                .filter(m -> m.getVersion() != null && m.getState().isResolved()).map(MigrationInfo::getVersion)
                .max(Comparable::compareTo).orElse(null);
        // Newer only when above every version this jar bundles: an applied one it has no script for
        // below that (a renamed script) is not.
        boolean newer = current != null && known != null && current.getVersion().compareTo(known) > 0;
        return new SchemaState(version, latest, pending.length, newer ? known.getVersion() : null);
    }

    /**
     * Schema state: the applied version, the latest the database will have after {@code migrate},
     * how many migrations are pending, and, when the database was migrated by a newer Atlas, the
     * newest version this one knows (else null).
     */
    record SchemaState(String version, String latest, int pending, String newerThan) {}

    /** Flyway's view of Atlas's history; a database Flyway cannot read is one line naming it, not Flyway's report. */
    private MigrationInfoService info() {
        try {
            return AtlasMigrations.of(dataSource()).tablePrefix(prefix).flyway().info();
        } catch (org.flywaydb.core.api.FlywayException e) {
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof SQLException sql && sql.getMessage() != null) {
                    throw new CliException(cannotRead(sql), e);
                }
            }
            throw e;
        }
    }

    private void requireCurrentSchema() {
        SchemaState s = schema();
        if (s.version() == null) {
            throw new CliException(describe() + " has no Atlas schema (tables " + prefix + "*): run 'atlas --db <db> migrate' to create it");
        }
        if (s.pending() > 0) {
            throw new CliException(describe() + " is at schema version " + s.version() + ", this atlas needs " + s.latest()
                    + ": run 'atlas --db <db> migrate'");
        }
    }

    private void requireFile() {
        Path file = sqliteFile != null ? sqliteFile : urlFile;
        if (file == null) {
            return;
        }
        Path shown = file.toAbsolutePath().normalize();
        // access(2) first: a file behind a directory the user may not search is "not a regular file" to stat.
        if (!Files.isReadable(file) && !Files.notExists(file)) {
            throw new CliException("cannot read SQLite " + shown + " (--db): permission denied");
        }
        if (!Files.isRegularFile(file)) {
            // The driver would create an empty file on connect: only 'migrate' may create a database.
            throw new CliException("no SQLite database at " + shown + " (run 'atlas --db " + Redaction.url(given) + " migrate' to create one)");
        }
    }

    /** The one line for a database the driver cannot read, whichever command met it: it names {@code --db}. */
    private String cannotRead(SQLException sql) {
        return "cannot read " + describe() + " (--db): " + sql.getMessage().lines().findFirst().orElse("");
    }

    /**
     * The one line for a PostgreSQL server refusing the connection: the server's whole reason, pgjdbc's lines of its
     * Detail and Hint ("\n  Detail: ...", which the first line alone dropped) joined on it by "; ". A host name that
     * does not resolve or a connect or first read that timed out, which pgjdbc words only "The connection attempt failed." (the
     * host or the timeout in its cause), is said (as the library says it).
     */
    private String cannotConnect(String reason, Throwable failure) {
        List<String> lines = new ArrayList<>(reason.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
        if (!lines.isEmpty()) {
            lines.set(0, dev.atlas.jdbi.internal.Drivers.withConnectionFailureReason(lines.get(0), failure, jdbcUrl));
        }
        return "cannot connect to " + describe() + " (--db): " + String.join("; ", lines);
    }

    /**
     * What SQLite's refusal to read or write the file, or a PostgreSQL server's refusal of the connection (with the
     * URL, its password masked), means here, or null when {@code failure} is not one.
     * A file that is not a database gives {@link #info()}'s line, also when met opening the pool (import, migrate),
     * where the library's message named the pool instead. For writing, SQLite's
     * message names neither the file nor which permission is missing, nor, for a write lock another
     * process held past the busy timeout, what to do.
     */
    String whyRefused(Throwable failure) {
        if (!isSqlite()) {
            String library = "could not connect to detect the database: ";
            for (Throwable t = failure; t != null; t = t.getCause()) {
                String state = t instanceof SQLException sql ? sql.getSQLState() : t instanceof dev.atlas.StorageException storage ? storage.sqlState() : null;
                // A connection failure (08), a refused login (28) or a database that does not exist (3D000) was the library's
                // "could not connect to detect the database: ...", naming neither --db nor the server; so was any other
                // refusal of that first connection, whatever its state (a database closed to the user: 42501).
                boolean firstConnection = t instanceof dev.atlas.StorageException && t.getMessage() != null && t.getMessage().startsWith(library);
                if (t.getMessage() != null && (firstConnection
                        || state != null && (state.startsWith("08") || state.startsWith("28") || state.equals("3D000")))) {
                    String why = t.getMessage();
                    return cannotConnect(why.startsWith(library) ? why.substring(library.length()) : why, t);
                }
            }
        }
        Path file = file();
        for (Throwable t = failure; t != null && file != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getMessage() != null && sql.getMessage().startsWith("[SQLITE_NOTADB]")) {
                return cannotRead(sql);
            }
            if (t instanceof SQLException sql && sql.getMessage() != null && sql.getMessage().startsWith("[SQLITE_BUSY]")) {
                return "cannot write SQLite " + file.toAbsolutePath().normalize() + " (--db): another process kept it locked for writing"
                        + " longer than Atlas waits (" + dev.atlas.jdbi.internal.SqliteSettings.BUSY_TIMEOUT_MS / 1000
                        + " s); run the command again once that process is done";
            }
            if (t instanceof SQLException sql && sql.getMessage() != null && sql.getMessage().startsWith("[SQLITE_READONLY")) {
                Path shown = file.toAbsolutePath().normalize();
                String why = !Files.isWritable(shown) ? "permission denied"
                        : !Files.isWritable(shown.getParent()) ? "its directory " + shown.getParent()
                                + " is not writable, and SQLite keeps its -wal, -shm and -journal files there"
                        : sql.getMessage().lines().findFirst().orElse("");
                return "cannot write SQLite " + shown + " (--db): " + why;
            }
        }
        return null;
    }

    /** The same SQLite database settings (a URL's parameters, prefix, data directory) on another file. */
    Database at(Path file) {
        int query = given.indexOf('?');
        String db = urlFile == null ? file.toString() : "jdbc:sqlite:" + file + (query < 0 ? "" : given.substring(query));
        return new Database(db, user, password, prefix, dataDir).withKeys(credentialKeys);
    }

    /** This database opened with {@code keys} as the Atlas's credential keys (null: none). */
    Database withKeys(dev.atlas.credential.CredentialKeys keys) {
        this.credentialKeys = keys;
        return this;
    }

    /** The SQLite file of the database, or null for PostgreSQL and in-memory SQLite. */
    Path file() {
        return sqliteFile != null ? sqliteFile : urlFile;
    }

    /** Whether the database may hold data: always for a PostgreSQL URL or an in-memory SQLite one, for a file when it exists. */
    boolean exists() {
        Path file = sqliteFile != null ? sqliteFile : urlFile;
        return file == null || Files.isRegularFile(file);
    }

    private static boolean isResource(String url) {
        return url.startsWith("jdbc:sqlite::resource:");
    }

    /** How many Atlas migrations the history table records as applied (the baseline left out). */
    int appliedMigrations() {
        int n = 0;
        for (MigrationInfo m : info().applied()) {
            if (m.getVersion() != null && !"0".equals(m.getVersion().getVersion())) {
                n++;
            }
        }
        return n;
    }

    /** A plain connection for the operator queries. */
    Connection connect() throws SQLException {
        requireFile();
        return driverConnection(user, password);
    }

    /** How long the CLI waits for PostgreSQL to answer a connection attempt. */
    static final int LOGIN_TIMEOUT_SECONDS = 30;

    /** {@link #LOGIN_TIMEOUT_SECONDS}, shortened only by tests that prove the wait ends, so they need not wait 30 s. */
    static volatile int loginTimeoutSeconds = LOGIN_TIMEOUT_SECONDS;

    /** A connection of the driver's to {@link #driverUrl}, with the secret parameters taken out of it as properties. */
    private Connection driverConnection(String u, String p) throws SQLException {
        java.util.Properties properties = new java.util.Properties();
        properties.putAll(driverSecrets);
        if (!isSqlite()) {
            // pgjdbc 42.7 ignores DriverManager's login timeout: a server that accepts and never answers held the command
            // forever. 30 s, as the library's pool waits (HikariCP's connection timeout); a URL's loginTimeout still wins.
            properties.setProperty("loginTimeout", Integer.toString(loginTimeoutSeconds));
        }
        if (u != null) {
            properties.setProperty("user", u);
        }
        if (p != null) {
            properties.setProperty("password", p);
        }
        return DriverManager.getConnection(driverUrl, properties);
    }

    /** Atlas's tables (full-text index internals left out) and their row counts, by name. */
    Map<String, Long> tableRows() throws SQLException {
        Map<String, Long> rows = new LinkedHashMap<>();
        try (Connection c = connect()) {
            for (String table : tables(c)) {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
                    rs.next();
                    rows.put(table, rs.getLong(1));
                }
            }
        }
        return rows;
    }

    /** Why the library refuses {@code tenant} as a tenant id (one stored before it did, say), or null when it takes it. */
    static String tenantRefusal(String tenant) {
        try {
            dev.atlas.Limits.requireTenantId("tenantId", tenant);
            return null;
        } catch (dev.atlas.InvalidInputException e) {
            return e.getMessage().substring(e.field().length() + 2);
        }
    }

    /** Every tenant id found in any Atlas table, sorted. */
    List<String> tenants() throws SQLException {
        TreeSet<String> tenants = new TreeSet<>();
        try (Connection c = connect()) {
            DatabaseMetaData meta = c.getMetaData();
            for (String table : tables(c)) {
                boolean hasTenant = false;
                try (ResultSet cols = meta.getColumns(null, c.getSchema(), table, null)) {
                    while (cols.next()) {
                        hasTenant |= "tenant_id".equalsIgnoreCase(cols.getString("COLUMN_NAME"));
                    }
                }
                if (hasTenant) {
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT DISTINCT tenant_id FROM " + table)) {
                        while (rs.next()) {
                            tenants.add(rs.getString(1));
                        }
                    }
                }
            }
        }
        return new ArrayList<>(tenants);
    }

    /**
     * Atlas's tables, without the prefix, as its migrations create them (full-text index internals
     * and Flyway's history left out). Matched exactly: another installation's prefix may start
     * with this one ({@code atlas_v2_} beside {@code atlas_}), and applications name tables too.
     */
    static final Set<String> TABLES = Set.of("assets", "assistant_revisions", "assistants", "blob_intents", "conversations",
            "credentials", "execution_steps", "execution_tool_calls", "executions", "graph_edges", "graph_nodes", "installation",
            "leases", "memories", "memory_revisions", "memory_tags", "message_assets", "message_events", "messages", "model_prices",
            "search_keys", "settings", "settings_revisions", "task_schedules", "tasks", "vector_models", "vector_sets", "vectors",
            "voice_calls");

    /** Atlas's tables in the connection's current schema (PostgreSQL's search path may name another than public). */
    private List<String> tables(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        String schema = c.getSchema();
        try (ResultSet rs = c.getMetaData().getTables(null, schema, "%", new String[]{"TABLE"})) {
            while (rs.next()) {
                String name = rs.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                if (name.startsWith(prefix) && TABLES.contains(name.substring(prefix.length())) && !names.contains(name)) {
                    names.add(name);
                }
            }
        }
        names.sort(null);
        return names;
    }

    /** Ids of the live tool threads started from {@code conversationId}. */
    List<UUID> childConversations(Connection c, String tenant, UUID conversationId) throws SQLException {
        List<UUID> ids = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM " + prefix + "conversations"
                + " WHERE tenant_id = ? AND parent_conversation_id = ? AND deleted_at IS NULL ORDER BY created_at, id")) {
            ps.setString(1, tenant);
            if (isSqlite()) {
                ps.setString(2, conversationId.toString());
            } else {
                ps.setObject(2, conversationId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(UUID.fromString(rs.getString(1)));
                }
            }
        }
        return ids;
    }

    /**
     * How many messages of each conversation are not deleted: what a transcript shows, retry
     * branches included. A conversation's last sequence also counts the deleted ones.
     */
    Map<UUID, Long> liveMessages(Connection c, String tenant, Collection<UUID> conversationIds) throws SQLException {
        Map<UUID, Long> counts = new HashMap<>();
        if (conversationIds.isEmpty()) {
            return counts;
        }
        String marks = String.join(", ", Collections.nCopies(conversationIds.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement("SELECT conversation_id, COUNT(*) FROM " + prefix + "messages"
                + " WHERE tenant_id = ? AND conversation_id IN (" + marks + ") AND deleted_at IS NULL GROUP BY conversation_id")) {
            ps.setString(1, tenant);
            int i = 2;
            for (UUID id : conversationIds) {
                if (isSqlite()) {
                    ps.setString(i++, id.toString());
                } else {
                    ps.setObject(i++, id);
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(UUID.fromString(rs.getString(1)), rs.getLong(2));
                }
            }
        }
        return counts;
    }

    /**
     * {@link #liveMessages} of a conversation and of each of its tool threads, in one statement
     * whatever the number of threads (their ids are not bound one by one).
     */
    Map<UUID, Long> liveMessagesOfTree(Connection c, String tenant, UUID conversationId) throws SQLException {
        Map<UUID, Long> counts = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT m.conversation_id, COUNT(*) FROM " + prefix + "messages m"
                + " WHERE m.tenant_id = ? AND m.deleted_at IS NULL AND (m.conversation_id = ? OR m.conversation_id IN (SELECT t.id FROM "
                + prefix + "conversations t WHERE t.tenant_id = ? AND t.parent_conversation_id = ? AND t.deleted_at IS NULL))"
                + " GROUP BY m.conversation_id")) {
            Object id = isSqlite() ? conversationId.toString() : conversationId;
            ps.setString(1, tenant);
            ps.setObject(2, id);
            ps.setString(3, tenant);
            ps.setObject(4, id);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    counts.put(UUID.fromString(rs.getString(1)), rs.getLong(2));
                }
            }
        }
        return counts;
    }

    /**
     * Which of {@code executionIds} produced a live message of the conversation at or before
     * {@code sequence}: a transcript read from a later page shows their tool calls under that earlier
     * message, not again.
     */
    Set<UUID> executionsBefore(Connection c, String tenant, UUID conversationId, long sequence, Collection<UUID> executionIds)
            throws SQLException {
        Set<UUID> found = new HashSet<>();
        if (executionIds.isEmpty() || sequence < 1) {
            return found;
        }
        String marks = String.join(", ", Collections.nCopies(executionIds.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT execution_id FROM " + prefix + "messages WHERE tenant_id = ?"
                + " AND conversation_id = ? AND sequence <= ? AND deleted_at IS NULL AND execution_id IN (" + marks + ")")) {
            ps.setString(1, tenant);
            ps.setObject(2, isSqlite() ? conversationId.toString() : conversationId);
            ps.setLong(3, sequence);
            int i = 4;
            for (UUID id : executionIds) {
                ps.setObject(i++, isSqlite() ? id.toString() : id);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(UUID.fromString(rs.getString(1)));
                }
            }
        }
        return found;
    }

    /**
     * How many live assets are attached to the message: what {@code AssetStore.forMessage} would
     * list, counted without reading them (a message may carry thousands).
     */
    long liveAttachments(Connection c, String tenant, UUID messageId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + prefix + "message_assets ma JOIN " + prefix + "assets a"
                + " ON a.tenant_id = ma.tenant_id AND a.id = ma.asset_id WHERE ma.tenant_id = ? AND ma.message_id = ? AND a.deleted_at IS NULL")) {
            ps.setString(1, tenant);
            if (isSqlite()) {
                ps.setString(2, messageId.toString());
            } else {
                ps.setObject(2, messageId);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private DataSource dataSource() {
        return new DataSource() {
            @Override
            public Connection getConnection() throws SQLException {
                return connect();
            }

            @Override
            public Connection getConnection(String u, String p) throws SQLException {
                return driverConnection(u, p);
            }

            @Override
            public PrintWriter getLogWriter() {
                return null;
            }

            @Override
            public void setLogWriter(PrintWriter out) {
                // no log writer: failures surface as exceptions
            }

            @Override
            public void setLoginTimeout(int seconds) {
                DriverManager.setLoginTimeout(seconds);
            }

            @Override
            public int getLoginTimeout() {
                return DriverManager.getLoginTimeout();
            }

            @Override
            public Logger getParentLogger() throws SQLFeatureNotSupportedException {
                throw new SQLFeatureNotSupportedException();
            }

            @Override
            public <T> T unwrap(Class<T> iface) throws SQLException {
                throw new SQLException("not a wrapper");
            }

            @Override
            public boolean isWrapperFor(Class<?> iface) {
                return false;
            }
        };
    }
}
