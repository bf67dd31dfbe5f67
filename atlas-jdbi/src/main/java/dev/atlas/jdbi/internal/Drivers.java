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
}
