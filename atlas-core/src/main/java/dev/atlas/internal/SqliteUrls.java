package dev.atlas.internal;

/** What SQLite makes of a {@code jdbc:sqlite:} URL, for the library, the CLI and the starter alike. Not public API. */
public final class SqliteUrls {
    /** The prefix of every SQLite JDBC URL. */
    public static final String PREFIX = "jdbc:sqlite:";

    private SqliteUrls() {}

    /**
     * Whether SQLite opens this URL as its private temporary database: no file, yet not asked for
     * in memory ({@code :memory:}, {@code mode=memory}) nor as a resource. Such a database is lost
     * when closed, which a setting almost never means.
     *
     * @param url a {@code jdbc:sqlite:} URL
     * @return true for {@code jdbc:sqlite:}, {@code jdbc:sqlite:file:}, {@code jdbc:sqlite:file://} and the like
     */
    public static boolean isTemporary(String url) {
        Parsed p = parse(url);
        return !p.memoryOrResource() && p.path().isEmpty();
    }

    /**
     * The database file a {@code jdbc:sqlite:} URL names ({@code jdbc:sqlite:path},
     * {@code jdbc:sqlite:file:path?…}), as SQLite opens it: a {@code file:} URI's path with its
     * {@code %HH} escapes decoded (UTF-8) and a {@code localhost} authority dropped, a plain path
     * as written. Empty for an in-memory or resource database.
     *
     * @param url a {@code jdbc:sqlite:} URL
     * @return the file, or empty when the URL names none
     */
    public static java.util.Optional<java.nio.file.Path> file(String url) {
        Parsed p = parse(url);
        if (p.memoryOrResource() || p.path().isEmpty()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(java.nio.file.Path.of(p.uri() ? percentDecoded(p.path()) : p.path()));
    }

    /**
     * A URL as SQLite reads it: the path (a {@code file:} URI's with its authority, none or
     * {@code localhost}, dropped and its escapes not yet decoded), whether it was a URI, and
     * whether it asks for an in-memory or a resource database.
     */
    private record Parsed(String path, boolean uri, boolean memoryOrResource) {}

    private static Parsed parse(String url) {
        String rest = url.substring(PREFIX.length());
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
        return new Parsed(rest, uri, rest.startsWith(":memory:") || rest.startsWith(":resource:") || params.contains("mode=memory"));
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
