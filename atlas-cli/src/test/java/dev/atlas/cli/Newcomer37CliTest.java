package dev.atlas.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An operator's first week (session 37): what README.md and docs/cli.md promise, checked on one SQLite database written
 * through the public API: token counts printed as every other number is, and the viewer's JSON cutting every long stored
 * text, not only contents, arguments and results.
 */
class Newcomer37CliTest {
    /** Longer than the viewer's cut ({@link ViewerApi#MAX_TEXT}), within what the library stores (MAX_REASON_LENGTH). */
    static final int LONG = 30_000;
    static final String LONG_ERROR = "E".repeat(LONG);
    static final String LONG_REASON = "R".repeat(LONG);
    static final String LONG_CAPTION = "C".repeat(LONG);
    static final String LONG_DESCRIPTION = "D".repeat(LONG);

    @TempDir
    static Path dir;
    static Path db;
    static ViewerProcess viewer;
    static UUID conversation;
    static UUID thread;
    static UUID bigExecution;
    static UUID failedExecution;
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void populate() {
        db = dir.resolve("newcomer37.db");
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            Tenant acme = atlas.tenant("acme");
            conversation = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            acme.conversations().append(conversation, NewMessage.user("Summarise the quarter"));

            // A long agent run: token counts past a thousand in every field.
            ExecutionHandle big = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(conversation));
            bigExecution = big.id();
            StepHandle step = big.step();
            // Its tool call started a thread of a thousand messages.
            var search = step.toolCall("call_0", "search", "{}");
            thread = search.thread(Owner.user("42"), "researcher").id();
            for (int i = 0; i < 1_000; i++) {
                acme.conversations().append(thread, NewMessage.user("finding " + i));
            }
            search.complete("{}");
            step.finish("The quarter in short.", null, FinishReason.STOP, Usage.of(1_234_567, 2_000).reasoning(1_500).cached(3_000));
            UUID reply = big.reply(step, NewMessage.assistant("The quarter in short.")).id();
            big.complete();

            // Failures whose texts are long: a provider's error page, a stack trace.
            ExecutionHandle failed = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(conversation));
            failedExecution = failed.id();
            StepHandle round = failed.step();
            round.toolCall("call_1", "lookup", "{}").fail(LONG_ERROR);
            round.fail(LONG_ERROR);
            failed.fail(LONG_ERROR);
            acme.conversations().append(conversation, NewMessage.assistant("not sent").failed(LONG_REASON));

            UUID asset = acme.assets().store(NewAsset.of(AssetType.FILE, "report.txt", "text/plain").description(LONG_DESCRIPTION),
                    new byte[] {1}).id();
            acme.assets().attach(reply, asset, Map.of("caption", LONG_CAPTION));
        }
        viewer = ViewerProcess.inJvm(null, db);
    }

    @AfterAll
    static void stop() {
        if (viewer != null) {
            viewer.close();
        }
    }

    private static JsonNode api(String pathAndQuery) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(viewer.base + pathAndQuery))
                .header("Cookie", viewer.cookie + "=" + viewer.token).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    /** The text's first {@link ViewerApi#MAX_TEXT} characters, marked cut, with its full length. */
    private static void assertCut(JsonNode owner, String key, String full) {
        assertThat(owner.get(key).asText()).as(key).isEqualTo(full.substring(0, ViewerApi.MAX_TEXT));
        assertThat(owner.get(key + "Truncated").asBoolean()).as(key + "Truncated").isTrue();
        assertThat(owner.get(key + "Length").asInt()).as(key + "Length").isEqualTo(full.length());
    }

    /**
     * docs/cli.md: "numbers are ASCII digits grouped with ','". {@code executions list} did so; {@code executions show}
     * printed "1234567 in / 2000 out / 1500 reasoning / 3000 cached tokens".
     */
    @Test
    void executionsShowGroupsTokenCountsAsEveryNumberIs() {
        Cli.Result show = Cli.run("--db", db.toString(), "-t", "acme", "executions", "show", bigExecution.toString());
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(show.out()).contains("1,234,567 in / 2,000 out / 1,500 reasoning / 3,000 cached tokens")
                .doesNotContain("1234567", "2000 out", "1500 reasoning", "3000 cached");
    }

    /**
     * The same for message counts: the MESSAGES column of {@code conversations list}, a transcript's header and its tool
     * threads' counts printed "1000", where the viewer and {@code info} print "1,000".
     */
    @Test
    void messageCountsAreGroupedInListingsAndTranscripts() {
        Cli.Result list = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "list");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out().lines().filter(l -> l.startsWith(thread.toString())).findFirst().orElseThrow())
                .matches(thread + "  \\S+ +1,000  open .*");
        Cli.Result parent = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "show", conversation.toString());
        assertThat(parent.exitCode()).as(parent.err()).isZero();
        assertThat(parent.out()).contains("tool thread " + thread + " (1,000 messages)").doesNotContain("1000 messages");
        Cli.Result own = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "show", thread.toString(), "--limit", "1");
        assertThat(own.exitCode()).as(own.err()).isZero();
        assertThat(own.out()).contains(", 1,000 messages\n").contains("--limit=1 --after 1\n");
    }

    /**
     * docs/cli.md: "Texts over 20,000 characters are cut in the JSON with their full length." Errors (up to 65,536
     * characters stored) of an execution, its step and tool call were sent whole, and so were a message's failure
     * reason and an attachment's caption and description.
     */
    @Test
    void theViewerCutsLongErrorsReasonsCaptionsAndDescriptionsWithTheirFullLength() throws Exception {
        JsonNode tree = api("/api/executions/" + failedExecution + "?tenant=acme");
        assertCut(tree.get("execution"), "error", LONG_ERROR);
        assertCut(tree.get("steps").get(0), "error", LONG_ERROR);
        assertCut(tree.get("steps").get(0).get("toolCalls").get(0), "error", LONG_ERROR);

        JsonNode list = api("/api/executions?tenant=acme&conversation=" + conversation);
        JsonNode failed = null;
        for (JsonNode e : list.get("items")) {
            if (e.get("id").asText().equals(failedExecution.toString())) {
                failed = e;
            }
        }
        assertThat(failed).isNotNull();
        assertCut(failed, "error", LONG_ERROR);

        JsonNode transcript = api("/api/conversations/" + conversation + "?tenant=acme");
        JsonNode messages = transcript.get("messages");
        assertThat(messages).hasSize(3);
        assertCut(messages.get(2), "failureReason", LONG_REASON);
        JsonNode attachment = messages.get(1).get("attachments").get(0);
        assertCut(attachment, "caption", LONG_CAPTION);
        assertCut(attachment, "description", LONG_DESCRIPTION);
    }
}
