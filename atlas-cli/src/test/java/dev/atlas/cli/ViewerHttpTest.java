package dev.atlas.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The viewer's HTTP surface: the token, the JSON shapes, hostile content returned as data, read-only, tenant pin. */
class ViewerHttpTest {
    @TempDir
    static Path dir;
    static ViewerProcess viewer;
    static Fixture f;
    static HostileFixture h;
    static Gallery g;
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() {
        Path db = dir.resolve("viewer.db");
        f = ViewerProcess.recentFixture(db);
        h = new HostileFixture().populate(b -> b.sqlite(db));
        g = new Gallery().populate(b -> b.sqlite(db));
        // A tenant id stored before the library refused such ids (padded).
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); java.sql.Statement s = c.createStatement()) {
            s.executeUpdate("CREATE TEMP TABLE padded AS SELECT * FROM atlas_conversations WHERE id = '" + f.support + "'");
            s.executeUpdate("UPDATE padded SET tenant_id = 'acme ', id = '0190f1e2-8b3c-7def-8123-456789abcdef'");
            s.executeUpdate("INSERT INTO atlas_conversations SELECT * FROM padded");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        viewer = ViewerProcess.inJvm(f, db);
    }

    @AfterAll
    static void stop() {
        viewer.close();
    }

    private static HttpResponse<String> get(String pathAndQuery, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(viewer.base + pathAndQuery));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode api(String pathAndQuery) throws Exception {
        HttpResponse<String> r = get(pathAndQuery, viewer.cookie + "=" + viewer.token);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        return json.readTree(r.body());
    }

    @Test
    void everyRequestWithoutTheTokenIs401() throws Exception {
        for (String path : new String[]{"/", "/app.js", "/api/meta", "/api/conversations?tenant=acme", "/api/assets/" + f.asset + "?tenant=acme"}) {
            HttpResponse<String> r = get(path, null);
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(r.body()).as(path).doesNotContain("acme", "order");
        }
        assertThat(get("/?token=wrong", null).statusCode()).isEqualTo(401);
        assertThat(get("/api/meta", viewer.cookie + "=wrong").statusCode()).isEqualTo(401);
    }

    /**
     * A browser sends a host's cookies to every port of it, so two viewers on one machine must
     * not share a cookie name: the second sign-in would replace the first's token and the first
     * viewer would answer 401 from then on.
     */
    @Test
    void twoViewersOnOneHostKeepTheirOwnSignIn() throws Exception {
        HttpClient browser = HttpClient.newBuilder().cookieHandler(new java.net.CookieManager(null, java.net.CookiePolicy.ACCEPT_ALL)).build();
        try (ViewerProcess second = ViewerProcess.inJvm(f, dir.resolve("viewer.db"))) {
            for (ViewerProcess v : new ViewerProcess[] {viewer, second}) {
                HttpResponse<String> signIn = browser.send(HttpRequest.newBuilder(URI.create(v.base + "/?token=" + v.token)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(signIn.statusCode()).isEqualTo(303);
            }
            for (ViewerProcess v : new ViewerProcess[] {viewer, second}) {
                HttpResponse<String> meta = browser.send(HttpRequest.newBuilder(URI.create(v.base + "/api/meta")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(meta.statusCode()).as(v.base.toString()).isEqualTo(200);
            }
        }
    }

    @Test
    void theTokenInTheUrlSetsAnHttpOnlyCookieAndLeavesTheAddressBar() throws Exception {
        HttpResponse<String> r = get("/?token=" + viewer.token, null);
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).hasValue("/");
        assertThat(r.headers().firstValue("Set-Cookie")).hasValue(viewer.cookie + "=" + viewer.token + "; Path=/; HttpOnly; SameSite=Strict");
        HttpResponse<String> page = get("/", viewer.cookie + "=" + viewer.token);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy")).get().asString().startsWith("default-src 'self';");
        assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        assertThat(page.body()).contains("<script src=\"/app.js\" defer></script>").doesNotContain("http://", "https://");
    }

    @Test
    void conversationListJson() throws Exception {
        JsonNode list = api("/api/conversations?tenant=acme");
        assertThat(list.get("tenant").asText()).isEqualTo("acme");
        assertThat(list.get("items")).hasSize(3);
        JsonNode first = list.get("items").get(0);
        assertThat(first.get("id").asText()).isEqualTo(f.hostile.toString());
        // The library titles a conversation from its first user message, cut; the markup comes back as stored text.
        assertThat(first.get("title").asText()).isEqualTo("<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">…");
        assertThat(list.get("items").get(1).get("id").asText()).isEqualTo(f.support.toString());
        assertThat(list.get("items").get(1).get("messages").asLong()).isEqualTo(3);
        assertThat(list.get("next").isNull()).isTrue();

        JsonNode page = api("/api/conversations?tenant=acme&limit=2");
        assertThat(page.get("items")).hasSize(2);
        JsonNode rest = api("/api/conversations?tenant=acme&limit=2&after=" + page.get("next").asText());
        assertThat(rest.get("items")).hasSize(1);
        assertThat(rest.get("items").get(0).get("id").asText()).isEqualTo(f.toolThread.toString());

        JsonNode found = api("/api/conversations?tenant=acme&q=warehouse");
        assertThat(found.get("items")).hasSize(1);
        assertThat(found.get("items").get(0).get("id").asText()).isEqualTo(f.toolThread.toString());
    }

    @Test
    void transcriptJsonHasBranchesToolThreadsAndAttachments() throws Exception {
        JsonNode t = api("/api/conversations/" + f.support + "?tenant=acme");
        JsonNode messages = t.get("messages");
        assertThat(messages).hasSize(3);
        JsonNode replaced = messages.get(1);
        assertThat(replaced.get("active").asBoolean()).isFalse();
        assertThat(replaced.get("branch").asInt()).isEqualTo(1);
        assertThat(replaced.get("branches").asInt()).isEqualTo(2);
        assertThat(replaced.get("activeSequence").asLong()).isEqualTo(3);
        JsonNode retry = messages.get(2);
        assertThat(retry.get("active").asBoolean()).isTrue();
        assertThat(retry.get("branch").asInt()).isEqualTo(2);
        assertThat(retry.get("executionId").asText()).isEqualTo(f.retryExecution.toString());
        JsonNode call = retry.get("toolCalls").get(0);
        assertThat(call.get("name").asText()).isEqualTo("lookup_order");
        assertThat(call.get("result").asText()).isEqualTo("{\"status\":\"shipped\"}");
        assertThat(call.get("threads").get(0).get("id").asText()).isEqualTo(f.toolThread.toString());
        JsonNode attachment = retry.get("attachments").get(0);
        assertThat(attachment.get("assetId").asText()).isEqualTo(f.asset.toString());
        assertThat(attachment.get("image").asBoolean()).isTrue();
        assertThat(attachment.get("caption").asText()).isEqualTo("Route of order 1234");
        assertThat(t.get("next").isNull()).isTrue();
    }

    /**
     * A message's first 20 attachments are listed and the others counted (attachmentsNotShown): the
     * transcript read every attachment of every message, so one with thousands loaded them all.
     */
    @Test
    void aMessagesAttachmentsBeyondThePageAreCountedNotListed() throws Exception {
        JsonNode messages = api("/api/conversations/" + g.conversation + "?tenant=" + Gallery.TENANT).get("messages");
        List<String> first20 = g.live.subList(0, 20).stream().map(a -> a.id().toString()).toList();
        for (int i = 0; i < 3; i++) {
            JsonNode m = messages.get(i);
            List<String> listed = new java.util.ArrayList<>();
            m.get("attachments").forEach(a -> listed.add(a.get("assetId").asText()));
            assertThat(listed).as("message %d", i + 1).isEqualTo(first20);
            assertThat(m.get("attachmentsNotShown").asLong()).as("message %d", i + 1).isEqualTo(i);
        }
        assertThat(messages.get(0).get("attachments").get(0).get("sizeBytes").asLong()).isEqualTo(1);
    }

    @Test
    void hostileContentIsReturnedAsExactJsonDataAndHugeMessagesAreCut() throws Exception {
        HttpResponse<String> raw = get("/api/conversations/" + f.hostile + "?tenant=acme", viewer.cookie + "=" + viewer.token);
        // Control characters are JSON escapes; the markup is a JSON string served as JSON, never as HTML.
        assertThat(raw.body()).contains("\\u001B[31mred").doesNotContain("\u001b");
        assertThat(raw.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(raw.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        JsonNode messages = json.readTree(raw.body()).get("messages");
        assertThat(messages.get(0).get("content").asText()).isEqualTo(Fixture.HOSTILE);
        JsonNode huge = messages.get(1);
        assertThat(huge.get("content").asText()).hasSize(ViewerApi.MAX_TEXT);
        assertThat(huge.get("contentTruncated").asBoolean()).isTrue();
        assertThat(huge.get("contentLength").asInt()).isEqualTo(30_000);
    }

    @Test
    void executionJsonGivesOffsetsDurationsTokensAndCost() throws Exception {
        JsonNode e = api("/api/executions/" + f.retryExecution + "?tenant=acme");
        assertThat(e.get("execution").get("durationMs").asLong()).isEqualTo(800);
        assertThat(e.get("execution").get("cost").asText()).isEqualTo("0.0009");
        assertThat(e.get("execution").get("usage").get("inputTokens").asLong()).isEqualTo(250);
        JsonNode steps = e.get("steps");
        assertThat(steps).hasSize(2);
        assertThat(steps.get(0).get("offsetMs").asLong()).isEqualTo(50);
        assertThat(steps.get(0).get("durationMs").asLong()).isEqualTo(300);
        assertThat(steps.get(0).get("toolCalls").get(0).get("offsetMs").asLong()).isEqualTo(150);
        assertThat(steps.get(0).get("toolCalls").get(0).get("durationMs").asLong()).isEqualTo(150);
        assertThat(steps.get(1).get("offsetMs").asLong()).isEqualTo(360);
    }

    @Test
    void usageJsonByDayAndModel() throws Exception {
        JsonNode u = api("/api/usage?tenant=acme&days=7");
        assertThat(u.get("days")).hasSize(7);
        assertThat(u.get("models").toString()).isEqualTo("[\"openai/gpt-mini\",\"openai/gpt-test\"]");
        assertThat(u.get("cells")).hasSize(2);
        JsonNode first = u.get("cells").get(0);
        assertThat(first.get("day").asText()).isEqualTo(f.t0.toString().substring(0, 10));
        assertThat(first.get("model").asText()).isEqualTo("openai/gpt-test");
        assertThat(first.get("cost").asText()).isEqualTo("0.00098");
        assertThat(u.get("cells").get(1).get("model").asText()).isEqualTo("openai/gpt-mini");
    }

    @Test
    void assetBytesAreServedAsTheStoredImage() throws Exception {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(viewer.base + "/api/assets/" + f.asset + "?tenant=acme"))
                .header("Cookie", viewer.cookie + "=" + viewer.token).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(r.body()).isEqualTo(Fixture.PNG);
    }

    @Test
    void anAssetLargerThanTheViewersHeapIsStreamedByteExact() throws Exception {
        Path big = dir.resolve("big");
        java.nio.file.Files.createDirectories(big);
        Path db = big.resolve("big.db");
        Fixture fixture = ViewerProcess.recentFixture(db);
        int size = 96 << 20;
        java.security.MessageDigest stored = java.security.MessageDigest.getInstance("SHA-256");
        java.util.UUID id;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(db).build()) {
            // Bytes that do not compress and are never all in memory here either.
            java.util.Random random = new java.util.Random(7);
            java.io.InputStream content = new java.io.InputStream() {
                int left = size;

                @Override
                public int read() {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (left == 0) {
                        return -1;
                    }
                    byte[] chunk = new byte[Math.min(len, left)];
                    random.nextBytes(chunk);
                    stored.update(chunk);
                    System.arraycopy(chunk, 0, b, off, chunk.length);
                    left -= chunk.length;
                    return chunk.length;
                }
            };
            id = atlas.tenant("acme").assets().create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "dump.bin",
                    "application/octet-stream"), content).id();
        }
        try (ViewerProcess small = ViewerProcess.start(java.util.List.of("-Xmx32m"), fixture, db)) {
            HttpResponse<byte[]> head = http.send(HttpRequest.newBuilder(URI.create(small.base + "/api/assets/" + id + "?tenant=acme"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).header("Cookie", small.cookie + "=" + small.token).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.headers().firstValue("Content-Length")).hasValue(Integer.toString(size));
            assertThat(head.body()).isEmpty();
            HttpResponse<java.io.InputStream> r = http.send(HttpRequest.newBuilder(URI.create(small.base + "/api/assets/" + id + "?tenant=acme"))
                    .header("Cookie", small.cookie + "=" + small.token).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Length")).hasValue(Integer.toString(size));
            java.security.MessageDigest served = java.security.MessageDigest.getInstance("SHA-256");
            long length = 0;
            try (java.io.InputStream in = r.body()) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    served.update(buffer, 0, n);
                    length += n;
                }
            }
            assertThat(length).isEqualTo(size);
            assertThat(served.digest()).isEqualTo(stored.digest());
        }
    }

    /** The blob file of {@code asset} in the viewer's data directory (beside the database). */
    private static Path blobFile(dev.atlas.asset.Asset asset) throws Exception {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(dir)) {
            return files.filter(p -> p.endsWith(asset.blobKey()) && java.nio.file.Files.isRegularFile(p)).findFirst().orElseThrow();
        }
    }

    /** The log lines (stderr) of the shared viewer that name {@code id}. */
    private static List<String> logLinesNaming(java.util.UUID id) throws Exception {
        return java.nio.file.Files.readAllLines(viewer.errFile).stream().filter(l -> l.contains(id.toString())).toList();
    }

    /**
     * A download that fails after its headers (200 and the length) went out cannot be answered with
     * a JSON error any more: the viewer logged nothing (a discard racing the download is a
     * NotFoundException, which it took for a 404 to send) or logged the failure and then tried a
     * second response on the exchange. It logs one line naming the asset and cuts the response
     * short, so the client sees a broken download; a failure before the headers stays the JSON error.
     */
    @Test
    void anAssetDownloadFailingAfterItsHeadersIsLoggedAndCutShort() throws Exception {
        String tenant = "cut";
        byte[] small = "0123456789".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int size = 8 << 20;
        byte[] big = new byte[size];
        new java.util.Random(11).nextBytes(big);
        dev.atlas.asset.Asset damaged;
        dev.atlas.asset.Asset discarded;
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.builder().sqlite(dir.resolve("viewer.db")).build()) {
            var assets = atlas.tenant(tenant).assets();
            damaged = assets.create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "damaged.txt", "text/plain"), small);
            discarded = assets.create(dev.atlas.asset.NewAsset.of(dev.atlas.asset.AssetType.FILE, "big.bin", "application/octet-stream"), big);
            // The blob store fails midway: its bytes end before the recorded size (the headers are
            // sent from the asset's row, before any byte is read).
            try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(blobFile(damaged), java.nio.file.StandardOpenOption.WRITE)) {
                c.truncate(4);
            }
            String damagedResponse = rawGet(viewer, "/api/assets/" + damaged.id() + "?tenant=" + tenant, "127.0.0.1:" + viewer.base.getPort());
            assertThat(damagedResponse).startsWith("HTTP/1.1 200 ").containsIgnoringCase("\r\nContent-Length: 10\r\n")
                    .endsWith("\r\n\r\n0123").doesNotContain("error", "HTTP/1.1 500");

            // Another instance discards an asset while the viewer streams it: the viewer has sent the
            // headers and waits on a client that reads slowly (a small receive window), so it has
            // read at most its socket's buffers of the 8 MB when the bytes go.
            try (java.net.Socket s = new java.net.Socket()) {
                s.setReceiveBufferSize(8192);
                s.connect(new java.net.InetSocketAddress(viewer.base.getHost(), viewer.base.getPort()));
                s.getOutputStream().write(("GET /api/assets/" + discarded.id() + "?tenant=" + tenant + " HTTP/1.1\r\nHost: 127.0.0.1:"
                        + viewer.base.getPort() + "\r\nCookie: " + viewer.cookie + "=" + viewer.token + "\r\nConnection: close\r\n\r\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                java.io.InputStream in = s.getInputStream();
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    head.append((char) in.read());
                }
                assertThat(head.toString()).startsWith("HTTP/1.1 200 ").containsIgnoringCase("\r\nContent-Length: " + size + "\r\n");
                // A blob store that cannot read deleted bytes further: the file the viewer reads is emptied.
                try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(blobFile(discarded), java.nio.file.StandardOpenOption.WRITE)) {
                    assets.discard(discarded.id());
                    c.truncate(0);
                }
                byte[] rest = in.readAllBytes();
                assertThat(rest.length).isLessThan(size);
                assertThat(java.util.Arrays.equals(rest, 0, rest.length, big, 0, rest.length)).isTrue();
                assertThat(new String(rest, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1", "\"error\"");
            }
        }
        // One line each, naming the asset; the viewer serves on.
        assertThat(logLinesNaming(damaged.id())).hasSize(1).allSatisfy(l -> assertThat(l).startsWith("atlas serve: GET /api/assets/"
                + damaged.id() + " failed after its headers were sent, the download is cut short: "));
        assertThat(logLinesNaming(discarded.id())).containsExactly("atlas serve: GET /api/assets/" + discarded.id()
                + " failed after its headers were sent, the download is cut short: asset " + discarded.id() + " not found");
        HttpResponse<String> gone = get("/api/assets/" + discarded.id() + "?tenant=" + tenant, viewer.cookie + "=" + viewer.token);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).isEqualTo("{\"error\":\"asset " + discarded.id() + " not found\"}");
    }

    @Test
    void anotherTenantsIdsAreNotFoundAndWritesAreRefused() throws Exception {
        HttpResponse<String> r = get("/api/conversations/" + f.globex + "?tenant=acme", viewer.cookie + "=" + viewer.token);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json.readTree(r.body()).get("error").asText()).isEqualTo("conversation " + f.globex + " not found");
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(viewer.base + "/api/conversations?tenant=acme"))
                .header("Cookie", viewer.cookie + "=" + viewer.token).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(get("/api/conversations/not-an-id?tenant=acme", viewer.cookie + "=" + viewer.token).statusCode()).isEqualTo(400);
    }

    /** An id is a canonical UUID: '1-1-1-1-1' (which the JDK reads as 00000001-0001-...) is a 400, not a lookup. */
    @Test
    void aMalformedIdIs400() throws Exception {
        for (String path : new String[] {"/api/conversations/1-1-1-1-1?tenant=acme", "/api/executions/1-1-1-1-1?tenant=acme",
                "/api/assets/1-1-1-1-1?tenant=acme", "/api/executions?tenant=acme&conversation=1-1-1-1-1"}) {
            HttpResponse<String> r = get(path, viewer.cookie + "=" + viewer.token);
            assertThat(r.statusCode()).as(path).isEqualTo(400);
            assertThat(r.body()).as(path).isEqualTo("{\"error\":\"" + (path.contains("conversation=") ? "conversation" : "id")
                    + ": not an id (a UUID such as 0190f1e2-8b3c-7def-8123-456789abcdef), was '1-1-1-1-1'\"}");
        }
        // A value the library refuses is named by the query parameter that gave it, as the CLI names its option
        // (it was the library's field: afterSequence, cursor, text).
        String[][] refused = {
                {"/api/conversations/" + f.support + "?tenant=acme&after=-5", "after: must not be negative, was -5"},
                {"/api/conversations?tenant=acme&after=%27", "after: is not a cursor returned by a previous page of this listing"},
                {"/api/executions?tenant=acme&after=x", "after: is not a cursor returned by a previous page of this listing"},
                {"/api/conversations?tenant=acme&q=%00", "q: contains a NUL character (U+0000) at index 0, which databases cannot store"},
                // The viewer's own checks in the same form, parameter and colon first, then the value given
                // (they said 'limit must be between 1 and 100', without either).
                {"/api/conversations?tenant=acme&limit=0", "limit: must be between 1 and 100, was '0'"},
                {"/api/executions?tenant=acme&limit=x", "limit: must be between 1 and 100, was 'x'"},
                {"/api/conversations/" + f.support + "?tenant=acme&limit=101", "limit: must be between 1 and 100, was '101'"},
                {"/api/conversations/" + f.support + "?tenant=acme&after=x", "after: must be a message sequence (0 or more), was 'x'"},
                {"/api/usage?tenant=acme&days=367", "days: must be between 1 and 366, was '367'"},
                // A parameter given twice: the first value was taken, silently (7 days shown for days=7&days=365).
                {"/api/usage?tenant=acme&days=7&days=365", "days: is given more than once; give each query parameter once"},
                {"/api/conversations?tenant=acme&limit=5&tenant=globex", "tenant: is given more than once; give each query parameter once"}};
        for (String[] c : refused) {
            HttpResponse<String> r = get(c[0], viewer.cookie + "=" + viewer.token);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(json.readTree(r.body()).get("error").asText()).as(c[0]).isEqualTo(c[1]);
        }
    }

    /**
     * A bad parameter is a 400 whatever the id names: {@code after=-1} on an unknown conversation, or on another
     * tenant's, answered 404 (the conversation was looked up before {@code after} was checked), so the answer to a
     * bad request told ids apart. And another tenant's id answers exactly what an unknown id answers.
     */
    @Test
    void aBadParameterIs400BeforeTheIdIsLookedUpAndAnotherTenantsIdIsAnUnknownOne() throws Exception {
        java.util.UUID unknown = java.util.UUID.fromString("0190f1e2-8b3c-7def-8123-456789abcdee");
        for (java.util.UUID id : new java.util.UUID[] {f.support, unknown, f.globex}) {
            HttpResponse<String> r = get("/api/conversations/" + id + "?tenant=acme&after=-1", viewer.cookie + "=" + viewer.token);
            assertThat(r.statusCode()).as(id.toString()).isEqualTo(400);
            assertThat(r.body()).as(id.toString()).isEqualTo("{\"error\":\"after: must not be negative, was -1\"}");
        }
        for (String kind : new String[] {"conversations", "executions", "assets"}) {
            java.util.UUID foreign = kind.equals("conversations") ? f.globex : kind.equals("executions") ? h.execution : h.svgAsset;
            String tenant = kind.equals("conversations") ? "acme" : "globex";
            HttpResponse<String> other = get("/api/" + kind + "/" + foreign + "?tenant=" + tenant, viewer.cookie + "=" + viewer.token);
            HttpResponse<String> none = get("/api/" + kind + "/" + unknown + "?tenant=" + tenant, viewer.cookie + "=" + viewer.token);
            String noun = kind.substring(0, kind.length() - 1);
            assertThat(other.statusCode()).as(kind).isEqualTo(404);
            assertThat(other.body()).as(kind).isEqualTo("{\"error\":\"" + noun + " " + foreign + " not found\"}");
            assertThat(none.statusCode()).as(kind).isEqualTo(404);
            assertThat(none.body()).as(kind).isEqualTo("{\"error\":\"" + noun + " " + unknown + " not found\"}");
        }
    }

    /**
     * A stored tenant id the library refuses ('acme ', padded) was offered in the tenant menu, and
     * opening it answered 400 "tenantId: ...", the library's parameter, not the value asked for.
     * It is listed apart with its problem, and asking for it (or any refused id) names the query
     * parameter and the value.
     */
    @Test
    void aStoredTenantIdTheLibraryRefusesIsListedApartAndNamedWhenAsked() throws Exception {
        JsonNode meta = api("/api/meta");
        assertThat(meta.get("tenants").toString()).doesNotContain("acme \"").contains("\"acme\"");
        assertThat(meta.get("refusedTenants").toString())
                .isEqualTo("[{\"id\":\"acme \",\"reason\":\"must not start or end with white space\"}]");
        HttpResponse<String> r = get("/api/conversations?tenant=acme%20", viewer.cookie + "=" + viewer.token);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo("{\"error\":\"tenant: Atlas refuses the tenant id 'acme ': must not start or end with white space\"}");
        HttpResponse<String> control = get("/api/usage?tenant=a%1B%5B2Jb", viewer.cookie + "=" + viewer.token);
        assertThat(control.statusCode()).isEqualTo(400);
        assertThat(control.body()).isEqualTo("{\"error\":\"tenant: Atlas refuses the tenant id 'a\\\\u001b[2Jb':"
                + " contains a control character (U+001B) at index 1\"}");
    }

    @Test
    void aPinnedViewerRefusesOtherTenants() throws Exception {
        Path db = dir.resolve("viewer.db");
        try (ViewerProcess pinned = ViewerProcess.inJvm(f, db, "--tenant", "acme")) {
            String cookie = pinned.cookie + "=" + pinned.token;
            HttpResponse<String> meta = http.send(HttpRequest.newBuilder(URI.create(pinned.base + "/api/meta")).header("Cookie", cookie).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(json.readTree(meta.body()).get("tenants").toString()).isEqualTo("[\"acme\"]");
            HttpResponse<String> refused = http.send(HttpRequest.newBuilder(URI.create(pinned.base + "/api/conversations?tenant=globex"))
                    .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).isEqualTo("{\"error\":\"this viewer shows tenant acme only\"}");
        }
    }

    /** A raw HTTP/1.1 GET with the given Host header (HttpClient will not send a foreign one). */
    private static String rawGet(ViewerProcess v, String path, String host) throws Exception {
        try (java.net.Socket s = new java.net.Socket(v.base.getHost(), v.base.getPort())) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nCookie: " + v.cookie + "=" + v.token
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void aRequestNamingAnotherHostIsRefusedAgainstDnsRebinding() throws Exception {
        int port = viewer.base.getPort();
        for (String host : new String[] {"attacker.example:" + port, "attacker.example", "127.0.0.1.attacker.example:" + port, ""}) {
            String r = rawGet(viewer, "/api/meta", host);
            assertThat(r).as(host).startsWith("HTTP/1.1 403 ").contains("\r\n\r\nForbidden: this viewer answers requests for 127.0.0.1:" + port
                    + " and localhost:" + port + " only.\n").doesNotContain("acme", "tenants");
        }
        for (String host : new String[] {"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port, "[::1]:" + port, "127.0.0.1"}) {
            assertThat(rawGet(viewer, "/api/meta", host)).as(host).startsWith("HTTP/1.1 200 ").contains("\"acme\"");
        }
    }

    @Test
    void hostileAssetsAreDownloadsThatCannotRunInTheViewersOrigin() throws Exception {
        for (java.util.UUID asset : new java.util.UUID[] {h.svgAsset, h.htmlAsset, h.fakePngAsset}) {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(viewer.base + "/api/assets/" + asset + "?tenant=mallory"))
                    .header("Cookie", viewer.cookie + "=" + viewer.token).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).isEqualTo(200);
            boolean png = asset.equals(h.fakePngAsset);
            assertThat(r.headers().firstValue("Content-Type")).hasValue(png ? "image/png" : "application/octet-stream");
            assertThat(r.headers().firstValue("Content-Disposition")).hasValue(png ? "inline" : "attachment");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            // Even opened on its own, stored bytes run in a sandbox: no script, no access to the viewer's origin.
            assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue("default-src 'none'; sandbox");
            assertThat(r.headers().firstValue("Cross-Origin-Resource-Policy")).hasValue("same-origin");
        }
    }

    @Test
    void aDatabaseFailureIsA500ThatDoesNotQuoteTheDatabase() throws Exception {
        Path db = dir.resolve("failing.db");
        Fixture fx = ViewerProcess.recentFixture(db);
        try (ViewerProcess v = ViewerProcess.inJvm(fx, db)) {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
                 java.sql.Statement s = c.createStatement()) {
                s.execute("ALTER TABLE atlas_executions RENAME TO atlas_executions_gone");
            }
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(v.base + "/api/executions?tenant=acme"))
                    .header("Cookie", v.cookie + "=" + v.token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).isEqualTo("{\"error\":\"internal error: the viewer's log (where 'atlas serve' runs) has the details\"}");
            assertThat(java.nio.file.Files.readString(v.errFile)).contains("GET /api/executions failed: ", "atlas_executions");
        }
    }

    /**
     * The viewer's log line went out unredacted, unlike every other line the CLI prints: a secret
     * of {@code --db} that the failure's text quotes (here the URL's password is the missing
     * table's name, which the driver's message names) was printed as is.
     */
    @Test
    void theViewersLogLineMasksTheDatabasesSecrets() throws Exception {
        Path db = dir.resolve("secret-failing.db");
        Fixture fx = ViewerProcess.recentFixture(db);
        try (ViewerProcess v = ViewerProcess.inJvmOn(fx, db, "jdbc:sqlite:" + db + "?password=atlas_executions")) {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
                 java.sql.Statement s = c.createStatement()) {
                s.execute("ALTER TABLE atlas_executions RENAME TO gone");
            }
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(v.base + "/api/executions?tenant=acme"))
                    .header("Cookie", v.cookie + "=" + v.token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(500);
            String log = java.nio.file.Files.readString(v.errFile);
            assertThat(log).contains("GET /api/executions failed: ", "no such table: ****").doesNotContain("atlas_executions");
        }
    }

    @Test
    void aPinnedViewerAnswersOtherTenantsIdsWithNotFound() throws Exception {
        try (ViewerProcess pinned = ViewerProcess.inJvm(f, dir.resolve("viewer.db"), "--tenant", "acme")) {
            String cookie = pinned.cookie + "=" + pinned.token;
            for (String path : new String[] {"/api/conversations/" + f.globex, "/api/conversations/" + h.conversation,
                    "/api/executions/" + h.execution, "/api/assets/" + h.svgAsset, "/api/executions?conversation=" + h.conversation}) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(pinned.base + path)).header("Cookie", cookie).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.body()).as(path).doesNotContain("Globex", "pwned", "mallory");
                assertThat(r.statusCode()).as(path).isIn(404, 200);
                if (r.statusCode() == 200) {
                    assertThat(json.readTree(r.body()).get("items")).as(path).isEmpty();
                }
            }
        }
    }

    @Test
    void theTokenRedirectStaysOnTheViewer() throws Exception {
        int port = viewer.base.getPort();
        for (String path : new String[] {"////attacker.example/x", "/%2F%2Fattacker.example", "/nope"}) {
            String r = rawGet(viewer, path + "?token=" + viewer.token, "127.0.0.1:" + port);
            assertThat(r).as(path).startsWith("HTTP/1.1 303 ").containsIgnoringCase("\r\nLocation: /\r\n");
        }
        assertThat(rawGet(viewer, "/app.css?token=" + viewer.token, "127.0.0.1:" + port)).containsIgnoringCase("\r\nLocation: /app.css\r\n");
    }
}
