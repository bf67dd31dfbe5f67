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

    /**
     * Why a plain SQLite path ({@code jdbc:sqlite:/srv/a.db?...}, not a {@code file:} URI) cannot be opened as meant, or
     * null: a parameter that is no setting of the driver stays in the file name (of {@code :memory:} too), so {@code ?cache=shared} wrote
     * {@code /srv/a.db?cache=shared}, not owner-only, while Atlas created (and the CLI described) {@code /srv/a.db}.
     * The name and the URL in the reason are masked as {@link dev.atlas.internal.Redaction#url} masks a URL.
     */
    public static String sqlitePathParameterProblem(String url) {
        String prefix = dev.atlas.internal.SqliteUrls.PREFIX;
        String rest = url.substring(prefix.length());
        int query = rest.indexOf('?');
        // :memory: is no exception: SQLite takes only ":memory:" itself as in-memory, so ":memory:?cache=shared" is a file's
        // name. A :resource: is read, never created.
        if (query < 0 || rest.startsWith("file:") || rest.startsWith(":resource:")) {
            return null;
        }
        java.util.Set<String> settings = new java.util.HashSet<>();
        for (org.sqlite.SQLiteConfig.Pragma p : org.sqlite.SQLiteConfig.Pragma.values()) {
            settings.add(p.pragmaName);
        }
        String[] parameters = rest.substring(query + 1).split("&");
        StringBuilder kept = new StringBuilder();
        String first = null;
        // As the driver rebuilds the name: the parameters it does not know, last first.
        for (int i = parameters.length - 1; i >= 0; i--) {
            String parameter = parameters[i].trim();
            String key = parameter.split("=", -1)[0].trim().toLowerCase(java.util.Locale.ROOT);
            if (!parameter.isEmpty() && !settings.contains(key)) {
                kept.append(kept.length() == 0 ? '?' : '&').append(parameter);
                first = key;
            }
        }
        if (first == null) {
            return null;
        }
        // A key= of SQLCipher's is no setting of this driver, and stays in the name: masked there as in the URL.
        String name = dev.atlas.internal.Redaction.url(prefix + rest.substring(0, query) + kept).substring(prefix.length());
        return first + " is not a setting of the SQLite driver, which would open a file named '" + name
                + "' for it; SQLite's own parameters need a file: URI (jdbc:sqlite:file:"
                + dev.atlas.internal.Redaction.url(url).substring(prefix.length()) + ")";
    }

    /**
     * A JDBC URL with the secrets a driver logs or quotes split off it: the URL pgjdbc connects with is logged at FINE
     * ({@code Connecting with URL: ...}) and HikariCP logs a pool's URL at DEBUG, masking only {@code password=}.
     *
     * @param url the URL less its user-info and, for PostgreSQL, its {@code password} parameters: what may be given to Atlas's builder again
     * @param driverUrl {@code url} less, for PostgreSQL, its other secret parameters ({@code sslpassword}, {@code sslfactoryarg} ...): what the driver is given
     * @param user the user given beside the URL, else the user-info's, or null
     * @param password a {@code password} parameter's (it wins, as it does in pgjdbc), else the one given beside the URL, else the user-info's, or null
     * @param properties the other secret parameters, each by its name as written, for the driver's connection properties (read as from the URL)
     */
    public record SplitUrl(String url, String driverUrl, @org.jspecify.annotations.Nullable String user,
            @org.jspecify.annotations.Nullable String password, java.util.Map<String, String> properties) {}

    /**
     * {@code url}'s secrets split off, with {@code user} and {@code password} given beside it; the one place the library's pool
     * and the CLI's own connections do it. A PostgreSQL URL with a secret parameter after a ';' is refused: pgjdbc separates
     * parameters with '&amp;' only, so it would read it into the value before it (a user, a database name) and log it with the URL.
     *
     * @param url the JDBC URL, of this driver
     * @param user the user given beside the URL, or null
     * @param password the password given beside the URL, or null
     * @param field the setting that named the URL, for the message ({@code jdbcUrl}, {@code --db})
     * @return the URL split
     * @throws ConfigurationException for a secret parameter after a ';' in a PostgreSQL URL, or one whose value pgjdbc cannot
     *     percent-decode (its name told, never its value)
     */
    public SplitUrl split(String url, @org.jspecify.annotations.Nullable String user, @org.jspecify.annotations.Nullable String password,
            String field) {
        if (this == POSTGRESQL) {
            java.util.regex.Matcher semicolon = java.util.regex.Pattern.compile(";([^=&;?#/]+)=").matcher(url);
            while (semicolon.find()) {
                String name = semicolon.group(1);
                if (dev.atlas.internal.Redaction.isSecretName(name)) {
                    // Worded without "name=": a message quoting that would read as a parameter to every mask after this one.
                    throw new ConfigurationException(field + ": pgjdbc separates a URL's parameters with '&' only: the " + name
                            + " parameter after a ';' would be read as part of what comes before it, and logged with the URL;"
                            + " put '&' before it (or '?' for the first parameter)");
                }
            }
        }
        String u = user;
        String p = password;
        dev.atlas.internal.Redaction.UserInfo userInfo = dev.atlas.internal.Redaction.userInfo(url);
        String without = url;
        if (userInfo != null) {
            // Drivers do not read a user-info (pgjdbc takes user:password@host for a host name) and pools log the URL as given.
            without = userInfo.urlWithout();
            u = u != null ? u : userInfo.user();
            p = p != null ? p : userInfo.password();
        }
        if (this != POSTGRESQL) {
            return new SplitUrl(without, without, u, p, java.util.Map.of());
        }
        // After the user-info is gone, as pgjdbc is given the URL: a '?' in a user-info password starts no query.
        undecodableSecret(without, field);
        dev.atlas.internal.Redaction.PasswordParameter parameter = dev.atlas.internal.Redaction.passwordParameter(without);
        if (parameter != null) {
            without = parameter.urlWithout();
            p = parameter.password() != null ? parameter.password() : p;
        }
        // Handed to the driver as connection properties, not as a pool's data source properties: HikariCP logs those at DEBUG,
        // masking only "password".
        dev.atlas.internal.Redaction.SecretParameters secrets = dev.atlas.internal.Redaction.secretParameters(without);
        return secrets == null ? new SplitUrl(without, without, u, p, java.util.Map.of())
                : new SplitUrl(without, secrets.urlWithout(), u, p, secrets.properties());
    }

    /**
     * Refuses a secret parameter whose value pgjdbc cannot percent-decode (a '%' not followed by two hex digits): pgjdbc refuses
     * the whole URL after logging it ("Unable to parse URL ...") and the value, and the split, which cannot decode it either,
     * would leave it in the URL HikariCP logs. Parameters are read as pgjdbc reads them: after the first '?', split on '&amp;'.
     */
    private static void undecodableSecret(String url, String field) {
        int query = url.indexOf('?');
        if (query < 0) {
            return;
        }
        for (String parameter : url.substring(query + 1).split("&", -1)) {
            int equals = parameter.indexOf('=');
            if (equals < 0 || !dev.atlas.internal.Redaction.isSecretName(parameter.substring(0, equals))) {
                continue;
            }
            try {
                java.net.URLDecoder.decode(parameter.substring(equals + 1), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notEncoded) {
                throw new ConfigurationException(field + ": the " + parameter.substring(0, equals) + " parameter's value holds a '%'"
                        + " not followed by two hex digits, which pgjdbc cannot decode (it refuses the URL, logging the value);"
                        + " write a '%' as %25");
            }
        }
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
     * {@code message}, a failed connection's, with the reason only its cause tells: pgjdbc words a host name that does not
     * resolve and a connect or a first read that timed out all as "The connection attempt failed.", the host or the timeout
     * left in its cause. The reason follows the message, less its final '.': {@code The connection attempt failed: unknown
     * host db.example}, {@code ...: no connection within 10 s (connectTimeout)}, {@code ...: the server did not answer within
     * 1 s (socketTimeout)}, the seconds the URL's (pgjdbc's default when it sets none). Any other failure: {@code message}.
     *
     * @param message the message to add the reason to
     * @param failure the failure, its causes read
     * @param url the JDBC URL connected with (its {@code connectTimeout} and {@code socketTimeout}), or {@code null}
     * @return the message, with the reason when its cause tells one
     */
    public static String withConnectionFailureReason(String message, Throwable failure, @org.jspecify.annotations.Nullable String url) {
        int depth = 0;
        for (Throwable t = failure; t != null && depth++ < 20; t = t.getCause() == t ? null : t.getCause()) {
            String reason = null;
            if (t instanceof java.net.UnknownHostException && t.getMessage() != null) {
                reason = "unknown host " + t.getMessage();
            } else if (t instanceof java.net.SocketTimeoutException) {
                boolean connecting = t.getMessage() != null && t.getMessage().toLowerCase(java.util.Locale.ROOT).startsWith("connect");
                Integer seconds = seconds(url, connecting ? "connectTimeout" : "socketTimeout");
                reason = connecting ? "no connection within " + (seconds == null ? CONNECT_TIMEOUT_DEFAULT : seconds) + " s (connectTimeout)"
                        : "the server did not answer" + (seconds == null || seconds == 0 ? " in time" : " within " + seconds + " s") + " (socketTimeout)";
            }
            if (reason != null && message.contains(": " + reason)) {
                return message; // said already (the library's message, quoted by the CLI)
            }
            if (reason != null) {
                return message.strip().replaceFirst("\\.$", "") + ": " + reason;
            }
        }
        return message;
    }

    /** pgjdbc's connectTimeout when the URL sets none, in seconds. */
    private static final int CONNECT_TIMEOUT_DEFAULT = 10;

    /** The last whole-number value of {@code name} in {@code url}'s query, or null. */
    private static @org.jspecify.annotations.Nullable Integer seconds(@org.jspecify.annotations.Nullable String url, String name) {
        java.util.regex.Matcher m = url == null ? null : java.util.regex.Pattern.compile("[?&]" + name + "=(\\d{1,9})(?=&|$)").matcher(url);
        Integer value = null;
        while (m != null && m.find()) {
            value = Integer.valueOf(m.group(1));
        }
        return value;
    }
}
