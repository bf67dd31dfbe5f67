package dev.atlas.internal;

import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from JDBC URLs and from text that may quote them (driver and pool messages).
 * Not public API.
 *
 * <p>A URL carries secrets in two places: the user-info ({@code //user:password@host}) and
 * parameters whose whole name says so, in any case: one ending in {@code password}, {@code passwd},
 * {@code secret} or {@code token} ({@code sslpassword}, {@code client_secret}, {@code accessToken}),
 * {@code pwd}, SQLCipher's {@code key} and {@code hexkey}, and API keys ({@code apikey},
 * {@code api_key}, {@code access-key}), and the opaque arguments pgjdbc hands to a class's constructor
 * ({@code sslfactoryarg}, {@code socketFactoryArg}, {@code connectExecutorArg}); a name counts percent-decoded
 * ({@code pass%77ord}). Both are replaced by {@link #MASK}; everything else stays,
 * so a redacted URL still tells an operator which database was meant: scheme, user, hosts, ports,
 * database, and parameters such as {@code sslkey} (a file's path: the file's permissions guard the key, and
 * {@code sslpassword} its password) or {@code ApplicationName}.
 */
public final class Redaction {
    /** What replaces a secret in redacted text. */
    public static final String MASK = "****";

    // The user-info password: one without a raw '/', '?' or '#' runs to its '@' (a raw '@' in it is the password's,
    // as a host has none). Else a password holding a raw '/', '?' or '#' (which would end the user-info) runs from
    // the first ':' after "//" to the last '@' of the URL, unless it starts with a port and the path or the next host
    // (//host:5432/db?user=app@server and //h1:5432,h2:5433/db?user=app@server name a user in a parameter).
    private static final Pattern PASSWORD = Pattern.compile(
            "(//[^/@?#:\\s\\[]*:)(?:([^/?#\\s]*)|(?!\\d+[/,])(\\S*[/?#]\\S*))@");
    // The value ends at the next parameter or space; punctuation before a space (the ": " of
    // "url: Failed") or a closing quote or bracket at the end belongs to the text around the URL.
    // A parameter name that says its value is a secret.
    // pgjdbc's sslfactoryarg, socketFactoryArg and connectExecutorArg go to a class's constructor as written: opaque, so secret.
    private static final String SECRET_NAME = "(?:[a-z0-9_.-]*(?:password|passwd|secret|token)|pwd|key|hexkey|apikey|[a-z0-9]*[_.-]key"
            + "|[a-z0-9_.-]*(?:factory|executor)arg)";
    private static final Pattern SECRET_NAME_ALONE = Pattern.compile("(?i)" + SECRET_NAME);
    // A '#' belongs to the value: pgjdbc and sqlite-jdbc read no fragment, so what follows it is the secret's rest.
    private static final Pattern SECRET_PARAM = Pattern.compile(
            "(?i)([?&;]([a-z0-9_.%-]+)=)([^&;\\s]*?)"
                    + "(?=[&;\\s]|$|[:,.)'\"\\]>]+\\s|[)'\"\\]>]+$)");

    private Redaction() {}

    /**
     * {@code url} with the user-info password and secret parameter values masked; {@code null} stays null.
     * A password holding a raw (not percent-encoded) '/', '?' or '#', which would end the user-info, is
     * masked up to the last '@' ({@code //bob:hun#ter2@host/db} reads {@code //bob:****@host/db}), unless
     * what follows the ':' is a port and the path or the next host ({@code //host:5432/db?user=app@server}
     * stays as it is).
     *
     * @param url the JDBC URL, or {@code null}
     * @return the JDBC URL, or {@code null}
     */
    public static @Nullable String url(@Nullable String url) {
        if (url == null) {
            return null;
        }
        String out = PASSWORD.matcher(url).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK + "@"));
        StringBuilder masked = new StringBuilder(out.length());
        int done = 0;
        for (int[] value : secretParams(out)) {
            masked.append(out, done, value[0]).append(MASK);
            done = value[1];
        }
        return masked.append(out, done, out.length()).toString();
    }

    /** The start and end of each secret parameter value in {@code s}, with the closing brackets and quotes that are its own. */
    private static List<int[]> secretParams(String s) {
        List<int[]> values = new ArrayList<>();
        Matcher m = SECRET_PARAM.matcher(s);
        int from = 0;
        while (from <= s.length() && m.find(from)) {
            if (!isSecretName(m.group(2))) {
                from = m.end(1);
                continue;
            }
            int end = m.end(3);
            while (end < s.length() && CLOSERS.indexOf(s.charAt(end)) >= 0 && !closesText(s, m.start(3), end)) {
                end++;
            }
            values.add(new int[] {m.start(3), end});
            from = Math.max(end, m.end());
        }
        return values;
    }

    /**
     * Whether a URL parameter of this name holds a secret (see the class comment), in any case and percent-decoded: a name the
     * driver does not decode ({@code pass%77ord}) is no setting it reads, but its value was meant as the secret the name says.
     *
     * @param name the parameter's name as written
     * @return whether its value is masked
     */
    public static boolean isSecretName(String name) {
        return SECRET_NAME_ALONE.matcher(decodedName(name)).matches();
    }

    private static String decodedName(String name) {
        try {
            return java.net.URLDecoder.decode(name, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notEncoded) {
            return name;
        }
    }

    private static final String CLOSERS = ")]>'\"";
    private static final String OPENERS = "([<'\"";

    /**
     * Whether the bracket or quote at {@code at}, right after a secret value starting at
     * {@code start}, closes one the text opened before the value ({@code (url ...password=x)}):
     * it stays. One the value opened itself, or that nothing opened, is the password's own
     * (a driver quoting an unknown secret would otherwise leave its last character in the log).
     */
    private static boolean closesText(String s, int start, int at) {
        char close = s.charAt(at);
        char open = OPENERS.charAt(CLOSERS.indexOf(close));
        if (open == close) {
            return count(s, close, 0, start) % 2 == 1 && count(s, close, start, at) % 2 == 0;
        }
        return unclosed(s, open, close, start, at) == 0 && unclosed(s, open, close, 0, start) > 0;
    }

    private static int count(String s, char c, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n += s.charAt(i) == c ? 1 : 0;
        }
        return n;
    }

    private static int unclosed(String s, char open, char close, int from, int to) {
        int depth = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == open) {
                depth++;
            } else if (c == close && depth > 0) {
                depth--;
            }
        }
        return depth;
    }

    /**
     * User and password written in {@code url}'s user-info ({@code //user:password@host}), percent-decoded.
     *
     * @param user the user name, decoded
     * @param password the password, decoded
     * @param urlWithout the URL with the user-info removed
     */
    public record UserInfo(String user, String password, String urlWithout) {}

    /**
     * The user-info of {@code url} split off, or {@code null} when it has none. Drivers do not
     * read it (PostgreSQL's takes {@code user:password@host} for a host name) and pools log the URL
     * as given, so it is better passed as user and password. The password is the one {@link #url}
     * masks: one holding a raw '/', '?' or '#' runs to the last '@'.
     *
     * @param url the JDBC URL, or {@code null}
     * @return the userInfo, or {@code null}
     */
    public static @Nullable UserInfo userInfo(@Nullable String url) {
        Matcher m = url == null ? null : PASSWORD.matcher(url);
        if (m == null || !m.find()) {
            return null;
        }
        String user = m.group(1).substring(2, m.group(1).length() - 1);
        String password = m.group(2) != null ? m.group(2) : m.group(3);
        return new UserInfo(decode(user), decode(password), url.substring(0, m.start()) + "//" + url.substring(m.end()));
    }

    /**
     * A {@code password} parameter of a PostgreSQL JDBC URL, and the URL without it.
     *
     * @param password the password the driver would read from the URL ({@code ?password} alone: empty), decoded as the
     *     driver decodes it; {@code null} when the URL only held the parameter's name in another case, which the driver
     *     does not read as the password
     * @param urlWithout the URL with every {@code password} parameter, in any case, removed
     */
    public record PasswordParameter(@Nullable String password, String urlWithout) {}

    /**
     * The {@code password} parameters of a PostgreSQL JDBC URL's query split off, or {@code null} when it has none.
     * The PostgreSQL driver logs the URL it connects with ({@code Connecting with URL: ...} at FINE), so a password
     * in it is better passed as the password. Read as the driver reads the query: parameters split on '&amp;', a
     * value form-decoded ('+' a space), the last {@code password} the one it uses, one given as a parameter winning
     * over one passed beside the URL. A parameter named so in another case ({@code Password=}) is a secret the driver
     * does not read: it is removed, its value not used; so is one whose name is percent-encoded ({@code pass%77ord=}), which
     * the driver does not decode. A value the driver cannot decode (a bare '%') leaves the URL
     * as it is ({@code null}), for the driver to refuse.
     *
     * @param url the JDBC URL, or {@code null}
     * @return the password and the URL without it, or {@code null}
     */
    public static @Nullable PasswordParameter passwordParameter(@Nullable String url) {
        int query = url == null ? -1 : url.indexOf('?');
        if (query < 0) {
            return null;
        }
        List<String> kept = new ArrayList<>();
        String password = null;
        boolean found = false;
        for (String parameter : url.substring(query + 1).split("&", -1)) {
            int equals = parameter.indexOf('=');
            String name = equals < 0 ? parameter : parameter.substring(0, equals);
            if (!decodedName(name).equalsIgnoreCase("password")) {
                if (!parameter.isEmpty()) {
                    kept.add(parameter);
                }
                continue;
            }
            found = true;
            if (name.equals("password")) {
                try {
                    password = java.net.URLDecoder.decode(equals < 0 ? "" : parameter.substring(equals + 1), java.nio.charset.StandardCharsets.UTF_8);
                } catch (IllegalArgumentException notEncoded) {
                    return null;
                }
            }
        }
        return found ? new PasswordParameter(password, url.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept))) : null;
    }

    /**
     * The secret parameters of a PostgreSQL JDBC URL's query other than {@code password}, and the URL without them.
     *
     * @param properties each parameter's value by its name as written, decoded as the driver decodes it, the last one of a name
     * @param urlWithout the URL with those parameters removed
     */
    public record SecretParameters(java.util.Map<String, String> properties, String urlWithout) {}

    /**
     * The parameters of a PostgreSQL JDBC URL's query whose name says they hold a secret (those {@link #url} masks:
     * {@code sslpassword}, the client key's password, is the one the driver reads) split off, {@code password} (any case) left
     * to {@link #passwordParameter}; {@code null} when it has none. The PostgreSQL driver logs the URL it connects with
     * ({@code Connecting with URL: ...} at FINE), so they are better handed to it as connection properties, where it reads them
     * as from the URL: values form-decoded ('+' a space), the last one of a name the one it uses. A value the driver cannot
     * decode (a bare '%') leaves the URL as it is ({@code null}), for the driver to refuse.
     *
     * @param url the JDBC URL, or {@code null}
     * @return the secret parameters and the URL without them, or {@code null}
     */
    public static @Nullable SecretParameters secretParameters(@Nullable String url) {
        int query = url == null ? -1 : url.indexOf('?');
        if (query < 0) {
            return null;
        }
        List<String> kept = new ArrayList<>();
        java.util.Map<String, String> secrets = new java.util.LinkedHashMap<>();
        for (String parameter : url.substring(query + 1).split("&", -1)) {
            int equals = parameter.indexOf('=');
            String name = equals < 0 ? parameter : parameter.substring(0, equals);
            if (decodedName(name).equalsIgnoreCase("password") || !isSecretName(name)) {
                if (!parameter.isEmpty()) {
                    kept.add(parameter);
                }
                continue;
            }
            try {
                secrets.put(name, java.net.URLDecoder.decode(equals < 0 ? "" : parameter.substring(equals + 1), java.nio.charset.StandardCharsets.UTF_8));
            } catch (IllegalArgumentException notEncoded) {
                return null;
            }
        }
        return secrets.isEmpty() ? null
                : new SecretParameters(secrets, url.substring(0, query) + (kept.isEmpty() ? "" : "?" + String.join("&", kept)));
    }

    private static String decode(String s) {
        // URLDecoder reads '+' as a space (form encoding); in a URL's user-info it is a plain '+'.
        try {
            return java.net.URLDecoder.decode(s.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notEncoded) {
            return s; // a bare '%': taken as written
        }
    }

    /**
     * The secret values {@code url} carries (user-info password, secret parameters), for {@link #text}.
     *
     * @param url the JDBC URL, or {@code null}
     * @return the matching items, in order
     */
    public static List<String> secretsOf(@Nullable String url) {
        List<String> secrets = new ArrayList<>();
        if (url == null) {
            return secrets;
        }
        Matcher u = PASSWORD.matcher(url);
        while (u.find()) {
            String password = u.group(2) != null ? u.group(2) : u.group(3);
            addWithDecoded(secrets, password, decode(password));
        }
        for (int[] value : secretParams(url)) {
            String secret = url.substring(value[0], value[1]);
            String decoded;
            try {
                // As the PostgreSQL driver reads a parameter: form decoding, '+' a space.
                decoded = java.net.URLDecoder.decode(secret, java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notEncoded) {
                decoded = secret;
            }
            addWithDecoded(secrets, secret, decoded);
        }
        return secrets;
    }

    /** A secret as written and, when it differs, as the driver decodes it (the form its messages could quote). */
    private static void addWithDecoded(List<String> secrets, String written, String decoded) {
        secrets.add(written);
        if (!decoded.equals(written)) {
            secrets.add(decoded);
        }
    }

    /**
     * {@code text} with every occurrence of each known secret masked, then any URL secrets it
     * quotes masked too. Known secrets are replaced literally because drivers quote them in forms
     * no pattern foresees (decoded, inside another message).
     *
     * @param text the text, or {@code null}
     * @param secrets the secrets
     * @return the text, or {@code null}
     */
    public static @Nullable String text(@Nullable String text, Collection<String> secrets) {
        if (text == null) {
            return null;
        }
        String out = text;
        for (String s : secrets) {
            if (s != null && !s.isEmpty()) {
                out = out.replace(s, MASK);
            }
        }
        return url(out);
    }
}
