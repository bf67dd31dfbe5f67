package dev.atlas.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The local web viewer: the JDK's HTTP server, static files from the class path and the JSON
 * of {@link ViewerApi}. Every request must carry the token printed at start (as {@code ?token=},
 * which sets a cookie, or as that cookie); it only reads; every response forbids scripts, styles
 * and images from anywhere but itself.
 */
final class Viewer implements AutoCloseable {
    /**
     * The sign-in cookie's name on {@code port}. A browser sends a host's cookies to every port
     * of it, so each viewer's name carries its port: two viewers on one machine keep their own.
     */
    static String cookieName(int port) {
        return "atlas_viewer_" + port;
    }
    static final String CSP = "default-src 'self'; img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
    /** For asset bytes: nothing loads, nothing runs, and the document is of a unique origin of its own. */
    static final String ASSET_CSP = "default-src 'none'; sandbox";
    private static final Map<String, String> STATIC = Map.of(
            "/", "index.html", "/index.html", "index.html", "/app.js", "app.js", "/app.css", "app.css", "/favicon.svg", "favicon.svg");
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Requests served at once. A worker is held by its client until the request is read and the response
     * written: a client that stalls holds one until {@link #REQUEST_SECONDS} or {@link #RESPONSE_SECONDS}
     * end it, while the others serve everyone else (4 workers were held for good by 4 stalled clients).
     */
    static final int WORKERS = 32;
    /**
     * Requests reading the database and building their response at once, of the {@link #WORKERS}: a transcript page
     * is read whole (100 messages of up to 1 MiB each) before it is cut, so the heap holds this many, not 32. A
     * request writes its response after its turn, so a client that stalls never holds one.
     */
    static final int BUILDERS = 4;
    /** Seconds a client has to send its request (the JDK server's {@code sun.net.httpserver.maxReqTime}). */
    static final String REQUEST_SECONDS = "10";
    /**
     * Seconds a client has to take a response, a download included ({@code sun.net.httpserver.maxRspTime}):
     * the whole response, so generous; on loopback even a large asset takes a fraction of it.
     */
    static final String RESPONSE_SECONDS = "120";

    static {
        // The JDK's server reads these once, when its first server is created; an operator's own values
        // (java -Dsun.net.httpserver.maxRspTime=600, or JAVA_TOOL_OPTIONS) win. Without them it waits for ever.
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
            System.setProperty("sun.net.httpserver.maxReqTime", REQUEST_SECONDS);
        }
        if (System.getProperty("sun.net.httpserver.maxRspTime") == null) {
            System.setProperty("sun.net.httpserver.maxRspTime", RESPONSE_SECONDS);
        }
    }
    /** Fields the library checks that only ever hold a query parameter's value, and that parameter. */
    private static final Map<String, String> PARAMETER_OF_FIELD = Map.of("afterSequence", "after", "cursor", "after", "text", "q");

    private final HttpServer server;
    private final ExecutorService executor;
    /** Turns to read and build, {@link #BUILDERS} of them, in arrival order. */
    private final java.util.concurrent.Semaphore builders = new java.util.concurrent.Semaphore(BUILDERS, true);
    private final byte[] token;
    private final ViewerApi api;
    /** Text for the log (stderr) as the CLI shows any: the database's secrets masked, on one line. */
    private final java.util.function.UnaryOperator<String> shown;
    /** The log: {@code atlas serve}'s standard error. */
    private final java.io.PrintStream log;

    private Viewer(HttpServer server, ExecutorService executor, String token, ViewerApi api, java.util.function.UnaryOperator<String> shown,
                   java.io.PrintStream log) {
        this.server = server;
        this.executor = executor;
        this.token = token.getBytes(StandardCharsets.US_ASCII);
        this.api = api;
        this.shown = shown;
        this.log = log;
    }

    /** The viewer listening on {@code address}:{@code port}; it logs failures to {@code log}, each line as {@code shown} gives it. */
    static Viewer start(Atlas atlas, Database db, String pinnedTenant, InetAddress address, int port,
                        java.util.function.UnaryOperator<String> shown, java.io.PrintStream log) throws IOException {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        HttpServer server = HttpServer.create(new InetSocketAddress(address, port), 50);
        ExecutorService executor = Executors.newFixedThreadPool(WORKERS, r -> {
            Thread t = new Thread(r, "atlas-viewer");
            t.setDaemon(true);
            return t;
        });
        Viewer viewer = new Viewer(server, executor, token, new ViewerApi(atlas, db, pinnedTenant), shown, log);
        server.createContext("/", viewer::handle);
        server.setExecutor(executor);
        server.start();
        return viewer;
    }

    /** Requests waiting for their turn to read the database and build their response. */
    int waitingToBuild() {
        return builders.getQueueLength();
    }

    /** The URL to open, with the token. */
    String url() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + a.getPort() + "/?token=" + new String(token, StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            var h = ex.getResponseHeaders();
            h.set("Content-Security-Policy", CSP);
            h.set("X-Content-Type-Options", "nosniff");
            h.set("X-Frame-Options", "DENY");
            h.set("Referrer-Policy", "no-referrer");
            h.set("Cache-Control", "no-store");
            // Other sites may not embed the viewer's responses (images, JSON) even without reading them.
            h.set("Cross-Origin-Resource-Policy", "same-origin");
            if (!hostAllowed(ex.getRequestHeaders().getFirst("Host"))) {
                // DNS rebinding: a page of another site whose name now resolves to this machine
                // still names its own host. Refused before the token is even looked at.
                send(ex, 403, "text/plain; charset=utf-8", ("Forbidden: this viewer answers requests for " + String.join(" and ", hostNames())
                        + " only.\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            String method = ex.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                h.set("Allow", "GET, HEAD");
                send(ex, 405, "text/plain; charset=utf-8", "The viewer is read-only.\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            URI uri = ex.getRequestURI();
            String path = uri.getRawPath();
            List<String> repeated = new java.util.ArrayList<>();
            Map<String, String> query = query(uri.getRawQuery(), repeated);
            String given = query.get("token");
            if (given != null) {
                if (!matches(given)) {
                    unauthorized(ex);
                    return;
                }
                h.add("Set-Cookie", cookieName(server.getAddress().getPort()) + "=" + given + "; Path=/; HttpOnly; SameSite=Strict");
                if (!path.startsWith("/api/")) {
                    // Out of the address bar and history once the cookie is set. Only to a page of
                    // the viewer: a path like //host/ would be another site.
                    h.set("Location", STATIC.containsKey(path) ? path : "/");
                    send(ex, 303, null, new byte[0]);
                    return;
                }
            } else if (!matches(cookie(ex, cookieName(server.getAddress().getPort()))) && !matches(bearer(ex))) {
                unauthorized(ex);
                return;
            }
            if (path.startsWith("/api/") && !repeated.isEmpty()) {
                // Which of two values was meant is not guessed (the first was taken, silently: ?days=7&days=365 showed 7 days).
                send(ex, 400, "application/json; charset=utf-8", JSON.writeValueAsBytes(Map.of("error",
                        Text.oneLine(Text.cut(repeated.get(0), 60)) + ": is given more than once; give each query parameter once")));
            } else if (path.startsWith("/api/")) {
                api(ex, path.substring("/api/".length()), query);
            } else if (STATIC.containsKey(path)) {
                resource(ex, STATIC.get(path));
            } else {
                send(ex, 404, "text/plain; charset=utf-8", "Not found.\n".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    /** What a request to {@code /api/} answers: JSON (a status and its bytes) or an asset's bytes to stream. */
    private record Reply(int status, byte[] json, ViewerApi.Bytes asset) {}

    private void api(HttpExchange ex, String path, Map<String, String> query) throws IOException {
        Reply reply;
        try {
            builders.acquire();
        } catch (InterruptedException e) {
            // The viewer is closing.
            Thread.currentThread().interrupt();
            return;
        }
        try {
            reply = build(ex.getRequestMethod().equals("HEAD"), path, query);
        } finally {
            // Released before the write: a client that stalls holds its worker and its bytes, not a turn to read.
            builders.release();
        }
        if (reply.asset() == null) {
            send(ex, reply.status(), "application/json; charset=utf-8", reply.json());
            return;
        }
        ViewerApi.Bytes bytes = reply.asset();
        try (InputStream in = bytes.content()) {
            ex.getResponseHeaders().set("Content-Disposition", bytes.inline() ? "inline" : "attachment");
            // Stored bytes, even opened on their own (an SVG, HTML under an image type), run no
            // script and are not of the viewer's origin.
            ex.getResponseHeaders().set("Content-Security-Policy", ASSET_CSP);
            ex.getResponseHeaders().set("Content-Type", bytes.mimeType());
            boolean head = ex.getRequestMethod().equals("HEAD");
            if (head || bytes.size() == 0) {
                if (head) {
                    ex.getResponseHeaders().set("Content-Length", Long.toString(bytes.size()));
                }
                ex.sendResponseHeaders(200, -1);
                return;
            }
            ex.sendResponseHeaders(200, bytes.size());
            // From here on the status and length are sent: a failure can only cut the
            // response short, which the client sees as a broken download.
            OutputStream out = ex.getResponseBody();
            try {
                // Bytes the blob store holds beyond the recorded size are not sent.
                copy(in, out, bytes.size());
            } catch (ReadFailed e) {
                // The bytes failed (the blob store, or a discard or purge racing the download):
                // the operator's log says so once; the exchange is closed, never answered again.
                log.println(shown.apply("atlas serve: GET /api/assets/" + bytes.id()
                        + " failed after its headers were sent, the download is cut short: " + AtlasCli.message(e.getCause())));
                return;
            } catch (IOException e) {
                // The client went away (a cancelled download): nothing failed here.
                return;
            }
            out.close();
        }
    }

    /** The reply to {@code /api/<path>}, read and built whole (an asset's bytes opened, not read). */
    private Reply build(boolean head, String path, Map<String, String> query) throws IOException {
        List<String> parts = List.of(path.split("/", -1));
        try {
            if (parts.size() == 2 && parts.get(0).equals("assets")) {
                return new Reply(200, null, api.assetBytes(parts.get(1), query, head));
            }
            Object body = api.route(parts, query);
            return body == null ? json(404, Map.of("error", "no such endpoint: /api/" + path)) : json(200, body);
        } catch (ViewerApi.Forbidden e) {
            return json(403, Map.of("error", e.getMessage()));
        } catch (NotFoundException e) {
            return json(404, Map.of("error", e.getMessage()));
        } catch (InvalidInputException e) {
            // The library names its own field; the request named a query parameter.
            String param = PARAMETER_OF_FIELD.get(e.field());
            return json(400, Map.of("error", param == null ? e.getMessage() : param + e.getMessage().substring(e.field().length())));
        } catch (IllegalArgumentException e) {
            return json(400, Map.of("error", e.getMessage()));
        } catch (java.sql.SQLException | RuntimeException e) {
            // The database's own words (table names, SQL, driver details) go to the operator's
            // terminal, not to whoever sent the request.
            log.println(shown.apply("atlas serve: GET /api/" + path + " failed: " + AtlasCli.message(e)));
            return json(500, Map.of("error", "internal error: the viewer's log (where 'atlas serve' runs) has the details"));
        }
    }

    private static Reply json(int status, Object body) throws IOException {
        return new Reply(status, JSON.writeValueAsBytes(body), null);
    }

    /** A read of the asset's bytes failed (not a write to the client): its cause says why. */
    private static final class ReadFailed extends IOException {
        ReadFailed(Exception cause) {
            super(cause);
        }
    }

    /** Copies {@code size} bytes; a failed read is a {@link ReadFailed}, a failed write the client's IOException. */
    private static void copy(InputStream in, OutputStream out, long size) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        for (long left = size; left > 0; ) {
            int n;
            try {
                n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            } catch (IOException | RuntimeException e) {
                throw new ReadFailed(e);
            }
            if (n < 0) {
                throw new ReadFailed(new IOException("the asset's stored bytes end " + left + " bytes short of its recorded size"));
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private void resource(HttpExchange ex, String name) throws IOException {
        try (InputStream in = Viewer.class.getResourceAsStream("viewer/" + name)) {
            if (in == null) {
                send(ex, 404, "text/plain; charset=utf-8", "Not found.\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String type = name.endsWith(".html") ? "text/html; charset=utf-8"
                    : name.endsWith(".js") ? "text/javascript; charset=utf-8"
                    : name.endsWith(".css") ? "text/css; charset=utf-8" : "image/svg+xml";
            send(ex, 200, type, in.readAllBytes());
        }
    }

    private static void unauthorized(HttpExchange ex) throws IOException {
        send(ex, 401, "text/plain; charset=utf-8",
                "Unauthorized: open the URL that 'atlas serve' printed; it carries the access token.\n".getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        if (type != null) {
            ex.getResponseHeaders().set("Content-Type", type);
        }
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The names a request may give in its Host header: the bound address and, on loopback, localhost. */
    private List<String> hostNames() {
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        List<String> names = new java.util.ArrayList<>(List.of((host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort()));
        if (a.getAddress().isLoopbackAddress()) {
            names.add("localhost:" + a.getPort());
        }
        return names;
    }

    /**
     * Whether {@code host} names this viewer. Bound to loopback, only loopback addresses and
     * {@code localhost} do; bound elsewhere (the operator chose to expose it) the machine's
     * names are not known, so the token alone guards it.
     */
    private boolean hostAllowed(String host) {
        InetSocketAddress a = server.getAddress();
        if (!a.getAddress().isLoopbackAddress()) {
            return true;
        }
        if (host == null || host.isEmpty()) {
            return false;
        }
        String name = host.toLowerCase(java.util.Locale.ROOT);
        String port = ":" + a.getPort();
        if (name.endsWith(port)) {
            name = name.substring(0, name.length() - port.length());
        }
        if (name.equals("localhost")) {
            return true;
        }
        if (name.startsWith("[") && name.endsWith("]")) {
            return name.equals("[::1]") || name.equals("[0:0:0:0:0:0:0:1]");
        }
        // A dotted IPv4 loopback literal (127.x.y.z), checked without any name lookup.
        String[] octets = name.split("\\.", -1);
        if (octets.length != 4 || !octets[0].equals("127")) {
            return false;
        }
        for (String o : octets) {
            if (o.isEmpty() || o.length() > 3 || !o.chars().allMatch(Character::isDigit) || Integer.parseInt(o) > 255) {
                return false;
            }
        }
        return true;
    }

    /** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
    private boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(token, candidate.getBytes(StandardCharsets.US_ASCII));
    }

    private static String cookie(HttpExchange ex, String name) {
        for (String header : ex.getRequestHeaders().getOrDefault("Cookie", List.of())) {
            for (String part : header.split(";")) {
                String p = part.trim();
                if (p.startsWith(name + "=")) {
                    return p.substring(name.length() + 1);
                }
            }
        }
        return null;
    }

    private static String bearer(HttpExchange ex) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        return auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : null;
    }

    /** The query's parameters, each with its first value; a name given again is added to {@code repeated}. */
    static Map<String, String> query(String raw, List<String> repeated) {
        Map<String, String> params = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (params.putIfAbsent(k, v) != null) {
                repeated.add(k);
            }
        }
        return params;
    }
}
