package dev.atlas.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debian's headless Chromium driven over the DevTools protocol (JDK WebSocket): navigate, wait
 * for the page to say it rendered, read the DOM, take a screenshot, and collect every console
 * error, uncaught exception and browser log error (failed loads, CSP violations) on the way.
 */
final class Chromium implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/chromium");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_S = 30;

    private final Process process;
    private final Path profile;
    private final WebSocket socket;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<CompletableFuture<Void>> loadWaiters = new CopyOnWriteArrayList<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private String session;

    private Chromium(Process process, Path profile, String wsUrl) throws Exception {
        this.process = process;
        this.profile = profile;
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(wsUrl), new Listener())
                .get(TIMEOUT_S, TimeUnit.SECONDS);
    }

    /** Starts Chromium with the flags that work on this kind of machine and a new empty profile. */
    static Chromium start() throws Exception {
        Path profile = Files.createTempDirectory("atlas-chromium");
        Process p = new ProcessBuilder(BINARY.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                "--remote-debugging-port=0", "--window-size=1280,900", "about:blank")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        // Chromium prints its DevTools address on stderr once it listens.
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        String line;
        String ws = null;
        while (ws == null && (line = err.readLine()) != null) {
            int at = line.indexOf("DevTools listening on ");
            if (at >= 0) {
                ws = line.substring(at + "DevTools listening on ".length()).trim();
            }
        }
        if (ws == null) {
            p.destroyForcibly();
            throw new IllegalStateException("chromium exited without a DevTools address");
        }
        Thread drain = new Thread(() -> {
            try {
                while (err.readLine() != null) {
                    // Chromium's own stderr noise (D-Bus and the like) is not the page's console.
                }
            } catch (IOException ignored) {
                // chromium ended
            }
        });
        drain.setDaemon(true);
        drain.start();
        Chromium c = new Chromium(p, profile, ws);
        String target = c.send(null, "Target.createTarget", Map.of("url", "about:blank")).get("targetId").asText();
        c.session = c.send(null, "Target.attachToTarget", Map.of("targetId", target, "flatten", true)).get("sessionId").asText();
        c.send("Page.enable", Map.of());
        c.send("Runtime.enable", Map.of());
        c.send("Log.enable", Map.of());
        return c;
    }

    /** Loads {@code url} and waits until the page marks view {@code view} ready (or failed). */
    void open(String url, String view) throws Exception {
        CompletableFuture<Void> loaded = new CompletableFuture<>();
        loadWaiters.add(loaded);
        send("Page.navigate", Map.of("url", url));
        loaded.get(TIMEOUT_S, TimeUnit.SECONDS);
        String wait = """
                new Promise((resolve) => {
                  const done = () => document.body && document.body.dataset.view === %s && document.body.dataset.state !== 'loading';
                  if (done()) { resolve(document.body.dataset.state); return; }
                  new MutationObserver((_, observer) => { if (done()) { observer.disconnect(); resolve(document.body.dataset.state); } })
                    .observe(document.documentElement, { attributes: true, childList: true, subtree: true });
                })""".formatted(JSON.writeValueAsString(view));
        String state = evaluate(wait).asText();
        if (!state.equals("ready")) {
            throw new AssertionError("view " + view + " ended in state " + state + ": " + text());
        }
    }

    JsonNode evaluate(String expression) throws Exception {
        JsonNode r = send("Runtime.evaluate", Map.of("expression", expression, "awaitPromise", true, "returnByValue", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError("evaluation failed: " + r.get("exceptionDetails"));
        }
        return r.get("result").get("value");
    }

    String dom() throws Exception {
        return evaluate("document.documentElement.outerHTML").asText();
    }

    String text() throws Exception {
        return evaluate("document.body.innerText").asText();
    }

    /** A PNG of the viewport, written to {@code file}. */
    void screenshot(Path file) throws Exception {
        String data = send("Page.captureScreenshot", Map.of("format", "png")).get("data").asText();
        Files.write(file, Base64.getDecoder().decode(data));
    }

    /** Console errors, uncaught exceptions and browser log errors seen so far. */
    List<String> errors() {
        return new ArrayList<>(errors);
    }

    private JsonNode send(String method, Map<String, ?> params) throws Exception {
        return send(session, method, params);
    }

    private JsonNode send(String sessionId, String method, Map<String, ?> params) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", JSON.valueToTree(params));
        if (sessionId != null) {
            msg.put("sessionId", sessionId);
        }
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        socket.sendText(JSON.writeValueAsString(msg), true).get(TIMEOUT_S, TimeUnit.SECONDS);
        JsonNode r = reply.get(TIMEOUT_S, TimeUnit.SECONDS);
        if (r.has("error")) {
            throw new IllegalStateException(method + " failed: " + r.get("error"));
        }
        return r.get("result");
    }

    private void onMessage(String text) {
        try {
            JsonNode m = JSON.readTree(text);
            if (m.has("id")) {
                CompletableFuture<JsonNode> f = pending.remove(m.get("id").asInt());
                if (f != null) {
                    f.complete(m);
                }
                return;
            }
            String method = m.path("method").asText();
            JsonNode p = m.path("params");
            switch (method) {
                case "Page.loadEventFired" -> loadWaiters.forEach(w -> w.complete(null));
                case "Runtime.consoleAPICalled" -> {
                    if (p.path("type").asText().equals("error") || p.path("type").asText().equals("assert")) {
                        errors.add("console." + p.path("type").asText() + ": " + p.path("args"));
                    }
                }
                case "Runtime.exceptionThrown" -> errors.add("exception: " + p.path("exceptionDetails"));
                case "Log.entryAdded" -> {
                    if (p.path("entry").path("level").asText().equals("error")) {
                        errors.add("log: " + p.path("entry").path("text").asText() + " " + p.path("entry").path("url").asText());
                    }
                }
                default -> {
                    // other events are not needed
                }
            }
        } catch (IOException e) {
            errors.add("unreadable DevTools message: " + e.getMessage());
        }
    }

    @Override
    public void close() throws Exception {
        try {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // the browser is being stopped anyway
        }
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try (var paths = Files.walk(profile)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                String text = partial.toString();
                partial.setLength(0);
                onMessage(text);
            }
            webSocket.request(1);
            return null;
        }
    }
}
