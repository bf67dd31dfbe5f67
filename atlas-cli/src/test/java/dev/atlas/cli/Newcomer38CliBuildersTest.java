package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The viewer serves 32 clients at once so that stalled ones do not keep the others waiting; but a request reads its
 * page whole (a transcript page: 100 messages of up to 1 MiB each) before its JSON is cut and written, so 32 of them
 * at once held up to 32 pages in the heap where the 4 workers before held 4. docs/cli.md: at most 4 requests read the
 * database and build their response at once; their writing to the client (which a stalled client holds for up to
 * 120 s) is outside that bound, so a stalled reader never keeps others from being answered.
 */
class Newcomer38CliBuildersTest {
    /** More requests than the builders. */
    static final int REQUESTS = 8;

    @TempDir
    static Path dir;
    static Path db;
    static UUID conversation;
    static UUID big;
    static final List<Socket> sockets = new ArrayList<>();

    @BeforeAll
    static void populate() {
        db = dir.resolve("builders.db");
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            Tenant acme = atlas.tenant("acme");
            conversation = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            acme.conversations().append(conversation, NewMessage.user("hello"));
            // 100 messages of 20,000 control characters: a page of JSON of 12 MB (each a 6-character escape), far more
            // than a socket's buffers hold, so a client that reads none of it stalls the write.
            big = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            String content = "\u0001".repeat(ViewerApi.MAX_TEXT);
            for (int i = 0; i < ViewerApi.TRANSCRIPT_PAGE; i++) {
                acme.conversations().append(big, NewMessage.user(content));
            }
        }
    }

    @AfterAll
    static void close() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
    }

    /** Atlas on {@code db} whose viewer threads wait at {@code gate} for each connection while {@code closed} is set. */
    private static Atlas gated(Semaphore gate, AtomicInteger waiting, boolean[] closed) {
        org.sqlite.SQLiteDataSource sqlite = new org.sqlite.SQLiteDataSource();
        sqlite.setUrl("jdbc:sqlite:" + db);
        DataSource ds = (DataSource) Proxy.newProxyInstance(DataSource.class.getClassLoader(), new Class<?>[]{DataSource.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && Thread.currentThread().getName().equals("atlas-viewer")) {
                        boolean wait;
                        synchronized (closed) {
                            wait = closed[0];
                            if (wait) {
                                waiting.incrementAndGet();
                            }
                        }
                        if (wait) {
                            gate.acquireUninterruptibly();
                        }
                    }
                    try {
                        return method.invoke(sqlite, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return Atlas.builder().dataSource(ds).migrate(false).build();
    }

    private static Viewer viewer(Atlas atlas) throws Exception {
        Database database = new Database(db.toString(), null, null, "atlas_", null);
        PrintStream log = new PrintStream(Files.newOutputStream(dir.resolve("log-" + System.nanoTime())), true, StandardCharsets.UTF_8);
        return Viewer.start(atlas, database, null, InetAddress.getLoopbackAddress(), 0, s -> s, log);
    }

    private static URI base(Viewer viewer) {
        String url = viewer.url();
        return URI.create(url.substring(0, url.indexOf("/?token=")));
    }

    private static String token(Viewer viewer) {
        String url = viewer.url();
        return url.substring(url.indexOf("/?token=") + "/?token=".length());
    }

    private static HttpRequest transcript(Viewer viewer, UUID id) {
        return HttpRequest.newBuilder(URI.create(base(viewer) + "/api/conversations/" + id + "?tenant=acme")).timeout(Duration.ofSeconds(60))
                .header("Cookie", Viewer.cookieName(base(viewer).getPort()) + "=" + token(viewer)).build();
    }

    /**
     * Eight transcript requests at once: four read the database, the other four wait for one of them to finish
     * (before: all eight read at once).
     */
    @Test
    void atMostFourRequestsReadAndBuildAtOnce() throws Exception {
        Semaphore gate = new Semaphore(0);
        AtomicInteger waiting = new AtomicInteger();
        boolean[] closed = {true};
        try (Atlas atlas = gated(gate, waiting, closed); Viewer viewer = viewer(atlas)) {
            HttpClient http = HttpClient.newHttpClient();
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                responses.add(http.sendAsync(transcript(viewer, conversation), HttpResponse.BodyHandlers.ofString()));
            }
            // Every request is in the viewer: at the gate (reading), or waiting to read. Bounded only so that a failing
            // run ends; the outcome is decided by the counts, not by the time.
            long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (waiting.get() + viewer.waitingToBuild() < REQUESTS && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            int reading = waiting.get();
            int queued = viewer.waitingToBuild();
            synchronized (closed) {
                closed[0] = false;
            }
            gate.release(1000);
            for (CompletableFuture<HttpResponse<String>> r : responses) {
                assertThat(r.get().statusCode()).as(r.get().body()).isEqualTo(200);
            }
            assertThat(reading).as("requests reading the database at once").isEqualTo(4);
            assertThat(queued).as("requests waiting to read").isEqualTo(REQUESTS - 4);
        }
    }

    /** A client that asked for a 12 MB page and reads none of it: it holds no builder, the next clients are answered. */
    private static Socket unreadPage(Viewer viewer) throws Exception {
        Socket s = new Socket(base(viewer).getHost(), base(viewer).getPort());
        sockets.add(s);
        OutputStream out = s.getOutputStream();
        out.write(("GET /api/conversations/" + big + "?tenant=acme HTTP/1.1\r\nHost: " + base(viewer).getAuthority() + "\r\nCookie: "
                + Viewer.cookieName(base(viewer).getPort()) + "=" + token(viewer) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    @Test
    void stalledReadersOfLargePagesHoldNoBuilder() throws Exception {
        try (Atlas atlas = Atlas.builder().sqlite(db).migrate(false).build(); Viewer viewer = viewer(atlas)) {
            for (int i = 0; i < 6; i++) {
                Socket s = unreadPage(viewer);
                // The response has started: its page was read and built, and its write is what stalls.
                InputStream in = s.getInputStream();
                assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(transcript(viewer, conversation), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"content\":\"hello\"");
        }
    }
}
