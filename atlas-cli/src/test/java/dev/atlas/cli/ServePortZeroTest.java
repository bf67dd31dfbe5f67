package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.NewConversation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/cli.md: {@code serve --port 0} listens on a free port the system picks, and the URL it prints
 * carries that port, not 0: the URL is the only way in (it holds the token), so it must work as printed.
 */
class ServePortZeroTest {
    @TempDir
    Path dir;

    @Test
    void portZeroPrintsTheUrlOfThePortPicked() throws Exception {
        Path db = dir.resolve("agent.db");
        try (Atlas atlas = Atlas.sqlite(db)) {
            atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("42"), "support").title("Hello"));
        }
        java.io.PrintStream out = System.out;
        java.io.PrintStream err = System.err;
        PipedInputStream printed = new PipedInputStream(64 * 1024);
        PipedOutputStream pipe = new PipedOutputStream(printed);
        java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
        Thread serve = new Thread(() -> AtlasCli.exitCode(pipe, errors, System::getenv,
                "--db", db.toString(), "--tenant", "acme", "serve", "--port", "0"), "atlas serve in this JVM");
        serve.setDaemon(true);
        serve.start();
        try {
            String line = new BufferedReader(new InputStreamReader(printed, StandardCharsets.UTF_8)).readLine();
            Matcher url = Pattern.compile("Atlas viewer on (http://127\\.0\\.0\\.1:(\\d+)/\\?token=([A-Za-z0-9_-]+)) \\(SQLite .*, tenant acme\\)")
                    .matcher(String.valueOf(line));
            assertThat(url.matches()).as(line + " / " + errors.toString(StandardCharsets.UTF_8)).isTrue();
            int port = Integer.parseInt(url.group(2));
            assertThat(port).isBetween(1, 65535);
            HttpResponse<String> meta = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/meta")).header("Authorization", "Bearer " + url.group(3)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(meta.statusCode()).isEqualTo(200);
            assertThat(meta.body()).contains("\"acme\"");
        } finally {
            serve.interrupt();
            serve.join(TimeUnit.SECONDS.toMillis(60));
            System.setOut(out);
            System.setErr(err);
            AtlasCli.stdout = null;
        }
        assertThat(serve.isAlive()).isFalse();
    }
}
