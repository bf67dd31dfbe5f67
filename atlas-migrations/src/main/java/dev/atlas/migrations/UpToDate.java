package dev.atlas.migrations;

import javax.sql.DataSource;
import java.io.File;
import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides, without Flyway, whether a database is exactly at the newest bundled migration. Any
 * doubt (no history table, an unreadable class path, a failed or newer row) answers "no", which
 * sends the caller through Flyway: this class may only ever skip work Flyway would not do.
 */
final class UpToDate {
    private static final Pattern VERSIONED = Pattern.compile("V(\\d+)__[^/]*\\.sql");
    private static final long UNKNOWN = -2;
    private static final Pattern NUMBER = Pattern.compile("\\d+");

    private UpToDate() {}

    static boolean check(DataSource dataSource, AtlasMigrations.Dialect dialect, String prefix) {
        long bundled = newestBundled(dialect);
        if (bundled < 0) {
            return false;
        }
        try (Connection c = dataSource.getConnection()) {
            String table = historyTable(c, dialect, prefix);
            if (table == null) {
                return false;
            }
            // The last row Flyway wrote decides: a successful run of the newest bundled version.
            // A failed row, a repeatable or baseline row, or any other version goes to Flyway.
            try (PreparedStatement ps = c.prepareStatement("SELECT version, success FROM " + table
                    + " ORDER BY installed_rank DESC LIMIT 1");
                 ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                String version = rs.getString(1);
                boolean success = rs.getBoolean(2);
                return success && version != null && NUMBER.matcher(version).matches() && version.length() < 18
                        && Long.parseLong(version) == bundled;
            }
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    /**
     * The history table exactly where Flyway keeps it (the connection's current schema on
     * PostgreSQL, {@code main} on SQLite), quoted; {@code null} when it does not exist there.
     */
    private static String historyTable(Connection c, AtlasMigrations.Dialect dialect, String prefix) throws SQLException {
        String name = prefix + "schema_history";
        String schema;
        String exists;
        if (dialect == AtlasMigrations.Dialect.POSTGRESQL) {
            try (PreparedStatement ps = c.prepareStatement("SELECT current_schema()"); ResultSet rs = ps.executeQuery()) {
                schema = rs.next() ? rs.getString(1) : null;
            }
            if (schema == null) {
                return null;
            }
            exists = "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?";
        } else {
            schema = "main";
            exists = "SELECT 1 FROM sqlite_master WHERE ? = 'main' AND type = 'table' AND name = ?";
        }
        try (PreparedStatement ps = c.prepareStatement(exists)) {
            ps.setString(1, schema);
            ps.setString(2, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
            }
        }
        return "\"" + schema.replace("\"", "\"\"") + "\".\"" + name + "\"";
    }

    /** The highest {@code V<n>__*.sql} version in the dialect's migration folder(s) on the class path, or -1 if unknown. */
    static long newestBundled(AtlasMigrations.Dialect dialect) {
        String folder = AtlasMigrations.location(dialect).substring("classpath:".length());
        long newest = -1;
        try {
            Enumeration<URL> urls = AtlasMigrations.class.getClassLoader().getResources(folder);
            if (!urls.hasMoreElements()) {
                return -1;
            }
            while (urls.hasMoreElements()) {
                long found = newestIn(urls.nextElement(), folder);
                if (found < 0) {
                    return -1;
                }
                newest = Math.max(newest, found);
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return newest;
    }

    private static long newestIn(URL url, String folder) throws IOException {
        long newest = -1;
        if ("file".equals(url.getProtocol())) {
            String[] names = new File(URLDecoder.decode(url.getPath(), StandardCharsets.UTF_8)).list();
            if (names == null) {
                return -1;
            }
            for (String n : names) {
                long v = version(n);
                if (v == UNKNOWN) {
                    return -1;
                }
                newest = Math.max(newest, v);
            }
            return newest;
        }
        URLConnection connection = url.openConnection();
        if (!(connection instanceof JarURLConnection jar)) {
            return -1;
        }
        connection.setUseCaches(false);
        try (JarFile file = jar.getJarFile()) {
            String dir = folder.endsWith("/") ? folder : folder + "/";
            for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.startsWith(dir) && name.indexOf('/', dir.length()) < 0) {
                    long v = version(name.substring(dir.length()));
                    if (v == UNKNOWN) {
                        return -1;
                    }
                    newest = Math.max(newest, v);
                }
            }
        }
        return newest;
    }

    /**
     * A plain integer version, -1 for a file that is no migration, {@link #UNKNOWN} for a
     * migration this check does not understand (dotted version, repeatable): then only Flyway decides.
     */
    private static long version(String fileName) {
        if (!fileName.endsWith(".sql")) {
            return -1;
        }
        Matcher m = VERSIONED.matcher(fileName);
        return m.matches() && m.group(1).length() < 18 ? Long.parseLong(m.group(1)) : UNKNOWN;
    }
}
