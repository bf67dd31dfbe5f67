package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialKeys;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A PostgreSQL password given in the --db URL (user-info {@code postgresql://u:secret@h/db} or {@code ?password=}) and a
 * stored credential's plaintext never reach what the CLI prints (stdout, stderr, with --verbose too, on success and on
 * failure) nor the viewer's HTTP responses or its log. The embedded server trusts local connections, so the URL's password
 * is sent and ignored: the commands succeed with it in the URL.
 */
class CliSecretsNeverShownTest {
    static final String PASSWORD = "Zq9pwSecret";
    static final String PLAINTEXT = "sk-Zq9credPlain";

    @TempDir
    static Path dir;
    static EmbeddedPostgres server;
    static String host;
    static java.util.UUID conversation;

    @BeforeAll
    static void populate() throws Exception {
        server = SharedPostgres.server();
        SharedPostgres.createDatabase("atlas_sec");
        host = "localhost:" + server.getPort();
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        try (Atlas atlas = Atlas.builder().jdbcUrl("jdbc:postgresql://" + host + "/atlas_sec").credentials("postgres", "postgres")
                .credentialKeys(CredentialKeys.of("k1", key)).build()) {
            Tenant acme = atlas.tenant("acme");
            conversation = acme.conversations().create(NewConversation.of(Owner.user("42"), "support").title("orders")).id();
            acme.conversations().append(conversation, NewMessage.user("where is order 1234?"));
            acme.credentials().upsert(Owner.user("42"), "openai", PLAINTEXT);
        }
    }

    /** URLs that connect, each with the password in it. */
    static List<String> working() {
        return List.of("jdbc:postgresql://postgres:" + PASSWORD + "@" + host + "/atlas_sec",
                "jdbc:postgresql://" + host + "/atlas_sec?user=postgres&password=" + PASSWORD,
                "jdbc:postgresql://" + host + "/atlas_sec?password=" + PASSWORD + "&user=postgres&sslmode=disable");
    }

    /** URLs that fail: no such database, nothing listening, the user-info form of each. */
    static List<String> failing() {
        return List.of("jdbc:postgresql://" + host + "/no_such_db?user=postgres&password=" + PASSWORD,
                "jdbc:postgresql://postgres:" + PASSWORD + "@" + host + "/no_such_db",
                "jdbc:postgresql://127.0.0.1:1/atlas?user=postgres&password=" + PASSWORD + "&connectTimeout=1",
                "jdbc:postgresql://postgres:" + PASSWORD + "@127.0.0.1:1/atlas?connectTimeout=1");
    }

    @Test
    void noCommandPrintsTheUrlsPasswordOrACredentialsPlaintext() throws Exception {
        List<String> leaks = new ArrayList<>();
        List<String[]> commands = List.of(new String[] {"info"}, new String[] {"--verbose", "info"}, new String[] {"-t", "acme", "conversations", "list"},
                new String[] {"-t", "acme", "conversations", "show", conversation.toString()}, new String[] {"-t", "acme", "executions", "list"},
                new String[] {"usage"}, new String[] {"-t", "acme", "export", "-o", "-"}, new String[] {"--verbose", "-t", "acme", "export", "-o", "-"},
                new String[] {"retention", "run", "--dry-run", "--hard-delete-after", "1d"},
                // failures the database answers: an unknown conversation, an import of a file that is not an export
                new String[] {"--verbose", "-t", "acme", "conversations", "show", "0190f1e2-8b3c-7def-8123-456789abcdef"},
                new String[] {"--verbose", "-t", "acme", "import", "-i", notAnExport().toString()});
        int succeeded = 0;
        for (String db : working()) {
            for (String[] command : commands) {
                Cli.Result r = run(db, command);
                succeeded += r.exitCode() == 0 ? 1 : 0;
                check(leaks, db, command, r);
            }
        }
        assertThat(succeeded).as("the URLs connect: every command but the two failures succeeds").isEqualTo(working().size() * (commands.size() - 2));
        for (String db : failing()) {
            for (String[] command : List.of(new String[] {"info"}, new String[] {"--verbose", "info"}, new String[] {"migrate"},
                    new String[] {"--verbose", "-t", "acme", "export", "-o", "-"})) {
                Cli.Result r = run(db, command);
                assertThat(r.exitCode()).as(db + " " + String.join(" ", command) + ": " + r.err()).isNotZero();
                // The failure quotes the URL, so the password was there to leak: what is printed is the URL masked.
                assertThat(r.err()).as(db + " " + String.join(" ", command)).contains(db.contains("127.0.0.1:1") ? "127.0.0.1:1" : "no_such_db");
                check(leaks, db, command, r);
            }
        }
        assertThat(leaks).isEmpty();
    }

    @Test
    void theViewersResponsesAndLogHoldNeitherThePasswordNorAPlaintext() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String db : working()) {
            try (ViewerProcess viewer = ViewerProcess.inJvmOn(null, dir.resolve("viewer"), db)) {
                String cookie = viewer.cookie + "=" + viewer.token;
                for (String path : new String[] {"/", "/app.js", "/api/meta", "/api/conversations?tenant=acme", "/api/conversations/" + conversation
                        + "?tenant=acme", "/api/executions?tenant=acme", "/api/usage?tenant=acme", "/api/conversations/nope?tenant=acme",
                        "/api/conversations?tenant=%20bad", "/api/nothing", "/api/conversations/0190f1e2-8b3c-7def-8123-456789abcdef?tenant=acme"}) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(viewer.base + path)).header("Cookie", cookie).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.body()).as(db + " " + path).doesNotContain(PASSWORD).doesNotContain(PLAINTEXT);
                    assertThat(r.headers().map().toString()).as(db + " " + path).doesNotContain(PASSWORD);
                    if (path.equals("/api/meta")) {
                        assertThat(r.statusCode()).isEqualTo(200);
                        assertThat(r.body()).as("the meta names the database").contains(host);
                    }
                }
                assertThat(Files.readString(viewer.errFile)).doesNotContain(PASSWORD);
            }
        }
    }

    private static Path notAnExport() throws Exception {
        Path file = dir.resolve("not-an-export.jsonl");
        Files.writeString(file, "{\"type\":\"something\"}\n");
        return file;
    }

    private static Cli.Result run(String db, String[] command) {
        List<String> args = new ArrayList<>(List.of("--db", db));
        args.addAll(List.of(command));
        return Cli.run(args.toArray(String[]::new));
    }

    private static void check(List<String> leaks, String db, String[] command, Cli.Result r) {
        String shown = r.out() + r.err();
        for (String secret : new String[] {PASSWORD, PLAINTEXT}) {
            if (shown.contains(secret)) {
                leaks.add(db + " " + String.join(" ", command) + " printed " + secret + ": " + shown);
            }
        }
    }
}
