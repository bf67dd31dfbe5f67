package dev.atlas.jdbi.internal;

import dev.atlas.ConfigurationException;

/**
 * The JDBC drivers Atlas opens pools with. Both are optional dependencies of atlas-jdbi (a
 * PostgreSQL application should not ship SQLite's native libraries), so a missing one is a
 * configuration mistake of the application's build and is reported as such, with the fix.
 */
public enum Drivers {
    SQLITE("jdbc:sqlite:", "org.sqlite.JDBC", "org.xerial", "sqlite-jdbc"),
    POSTGRESQL("jdbc:postgresql:", "org.postgresql.Driver", "org.postgresql", "postgresql");

    private final String urlPrefix;
    private final String driverClass;
    private final String groupId;
    private final String artifactId;

    Drivers(String urlPrefix, String driverClass, String groupId, String artifactId) {
        this.urlPrefix = urlPrefix;
        this.driverClass = driverClass;
        this.groupId = groupId;
        this.artifactId = artifactId;
    }

    /** The driver for a JDBC URL; any other database is refused, never guessed (the builder checks first). */
    public static Drivers forUrl(String url) {
        for (Drivers d : values()) {
            if (url.startsWith(d.urlPrefix)) {
                return d;
            }
        }
        int colon = url.indexOf(':', "jdbc:".length());
        String scheme = url.startsWith("jdbc:") && colon > 0 ? url.substring(0, colon + 1) : "(not a jdbc: URL)";
        throw new ConfigurationException("unsupported JDBC URL scheme " + scheme
                + ": Atlas runs on jdbc:sqlite: and jdbc:postgresql: URLs");
    }

    /** The driver class name, after checking it is on the class path. */
    public String requireDriverClass() {
        try {
            Class.forName(driverClass, false, Drivers.class.getClassLoader());
            return driverClass;
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ConfigurationException("the " + name().toLowerCase(java.util.Locale.ROOT)
                    + " JDBC driver (" + driverClass + ") is not on the class path: add the dependency "
                    + groupId + ":" + artifactId + " to your build (atlas-jdbi declares it optional)", e);
        }
    }

    /**
     * The database file a {@code jdbc:sqlite:} URL names ({@code jdbc:sqlite:path},
     * {@code jdbc:sqlite:file:path?…}), as SQLite opens it: a {@code file:} URI's path with its
     * {@code %HH} escapes decoded (UTF-8) and a {@code localhost} authority dropped, a plain path
     * as written. Empty for an in-memory or resource database.
     */
    public static java.util.Optional<java.nio.file.Path> sqliteFile(String url) {
        String rest = url.substring(SQLITE.urlPrefix.length());
        int query = rest.indexOf('?');
        String params = query < 0 ? "" : rest.substring(query + 1);
        rest = query < 0 ? rest : rest.substring(0, query);
        boolean uri = rest.startsWith("file:");
        if (uri) {
            rest = rest.substring("file:".length());
            if (rest.startsWith("//")) {
                // An authority: SQLite accepts none or 'localhost' (file:///p, file://localhost/p).
                rest = rest.substring(2);
                if (rest.regionMatches(true, 0, "localhost/", 0, "localhost/".length())) {
                    rest = rest.substring("localhost".length());
                }
            }
        }
        if (rest.isEmpty() || rest.startsWith(":memory:") || rest.startsWith(":resource:") || params.contains("mode=memory")) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(java.nio.file.Path.of(uri ? percentDecoded(rest) : rest));
    }

    /** {@code s} with each %HH replaced by its byte, read as UTF-8; a '%' not followed by two hex digits stays. */
    private static String percentDecoded(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < s.length(); ) {
            int hi = s.charAt(i) == '%' && i + 2 < s.length() ? hex(s.charAt(i + 1)) : -1;
            int lo = hi < 0 ? -1 : hex(s.charAt(i + 2));
            if (lo >= 0) {
                bytes.write(hi * 16 + lo);
                i += 3;
            } else {
                int cp = s.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                i += Character.charCount(cp);
            }
        }
        return bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return "0123456789abcdef".indexOf(Character.toLowerCase(c));
    }
}
