package dev.atlas.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
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
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An operator's week (session 38), on one SQLite file written through the public API: what {@code executions show}
 * prints under clock skew and for long hostile values, and a transcript read page by page.
 */
class Newcomer38CliTest {
    static final Instant T0 = Instant.parse("2026-03-02T09:00:00Z");

    @TempDir
    static Path dir;
    static Path db;
    static ViewerProcess viewer;
    static UUID skewed;
    static UUID hostile;
    static UUID spanning;
    static UUID spanningExecution;
    static UUID titled;
    /** A title whose 58th character is a right-to-left override: shown as a 6-character escape across the 60th. */
    static final String TITLE_AT_THE_CUT = "t".repeat(57) + "\u202e" + "xyz";
    /** Arguments whose escape would straddle the transcript's cut at 200 characters. */
    static final String ARGUMENTS_AT_THE_TRANSCRIPT_CUT = "{\"q\":\"" + "a".repeat(191) + "\u202e" + "x\"}";
    static final HttpClient http = HttpClient.newHttpClient();
    static final ObjectMapper json = new ObjectMapper();

    /**
     * JSON arguments whose 498th character is a right-to-left override: its printed form (a backslash, u202e) would
     * straddle the 500th character.
     */
    static final String ESCAPE_AT_THE_CUT = "{\"q\":\"" + "a".repeat(491) + "\u202e" + "x\"}";
    /** A JSON result with an emoji (a surrogate pair) straddling the cut. */
    static final String PAIR_AT_THE_CUT = "\"" + "b".repeat(497) + "\uD83D\uDE00" + "b".repeat(10) + "\"";

    @BeforeAll
    static void populate() {
        db = dir.resolve("newcomer38.db");
        Fixture.MovableClock clock = new Fixture.MovableClock(T0);
        try (Atlas atlas = Atlas.builder().sqlite(db).clock(clock).build()) {
            Tenant acme = atlas.tenant("acme");
            UUID conversation = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();

            // The step and its tool call are stamped by a clock 50 ms and 20 ms behind the one that started the
            // execution (an application whose servers' clocks disagree).
            ExecutionHandle e = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(conversation));
            skewed = e.id();
            clock.advance(-50);
            StepHandle step = e.step();
            clock.advance(30);
            step.toolCall("call_1", "lookup", "{\"q\":\"\u202e\"}").complete("{}");
            clock.advance(100);
            step.finish("done", FinishReason.STOP);
            e.complete();

            ExecutionHandle h = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(conversation));
            hostile = h.id();
            StepHandle round = h.step();
            round.toolCall("call_2", "render", ESCAPE_AT_THE_CUT).complete(PAIR_AT_THE_CUT);
            round.finish("", FinishReason.TOOL_CALLS);
            h.complete();

            // One execution's messages on two pages: the answer asking for the tools (page 1), the final answer (page 2).
            spanning = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            acme.conversations().append(spanning, NewMessage.user("Where is order 1234?"));
            ExecutionHandle x = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(spanning));
            spanningExecution = x.id();
            StepHandle asks = x.step();
            asks.toolCall("call_3", "lookup_order", "{\"order\":1234}").complete("{\"status\":\"shipped\"}");
            asks.toolCall("call_4", "track", "{\"order\":1234}").complete("{\"at\":\"Lyon\"}");
            asks.finish("", FinishReason.TOOL_CALLS);
            x.reply(asks, NewMessage.assistant("Let me look that up."));
            StepHandle answer = x.step();
            answer.finish("Shipped from Lyon.", FinishReason.STOP);
            x.reply(answer, NewMessage.assistant("Shipped from Lyon."));
            x.complete();

            titled = acme.conversations().create(NewConversation.of(Owner.user("7"), "titled").title(TITLE_AT_THE_CUT)).id();
            ExecutionHandle t = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(titled));
            StepHandle calls = t.step();
            calls.toolCall("call_5", "render", ARGUMENTS_AT_THE_TRANSCRIPT_CUT).complete("{}");
            calls.finish("", FinishReason.TOOL_CALLS);
            t.reply(calls, NewMessage.assistant("Rendered."));
            t.complete();
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

    private static String line(String out, String start) {
        return out.lines().filter(l -> l.stripLeading().startsWith(start)).findFirst().orElseThrow(() -> new AssertionError(start + " in\n" + out));
    }

    /**
     * A step stamped before its execution's start (clock skew between an application's servers) was printed
     * "at +-50 ms". docs/cli.md: an offset is signed, "-50 ms" for one before the execution's start.
     */
    @Test
    void executionsShowPrintsAnOffsetBeforeTheStartAsNegative() {
        Cli.Result show = Cli.run("--db", db.toString(), "-t", "acme", "executions", "show", skewed.toString());
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(line(show.out(), "step 1")).isEqualTo("  step 1  stop  completed  at -50 ms  took 130 ms  no usage");
        assertThat(line(show.out(), "tool call 0")).isEqualTo("    tool call 0 lookup (local)  completed  at -20 ms  took 0 ms");
        assertThat(show.out()).doesNotContain("+-");
    }

    /** The viewer's waterfall gets the same signed offsets (its page printed "+-50 ms" too). */
    @Test
    void theViewerSendsTheOffsetsSigned() throws Exception {
        JsonNode tree = api("/api/executions/" + skewed + "?tenant=acme");
        assertThat(tree.get("steps").get(0).get("offsetMs").asLong()).isEqualTo(-50);
        assertThat(tree.get("steps").get(0).get("toolCalls").get(0).get("offsetMs").asLong()).isEqualTo(-20);
    }

    /**
     * Arguments and results are printed on one line, control characters as visible escapes, and cut at 500
     * characters. The cut fell inside the escape: "aaa" and half an escape (a backslash and u) followed by "…", a different escape to a reader. Now
     * an escape or a surrogate pair is kept whole or left out whole.
     */
    @Test
    void executionsShowNeverCutsInsideAnEscapeOrASurrogatePair() {
        Cli.Result show = Cli.run("--db", db.toString(), "-t", "acme", "executions", "show", hostile.toString());
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(line(show.out(), "arguments:")).isEqualTo("      arguments: {\"q\":\"" + "a".repeat(491) + "…");
        assertThat(line(show.out(), "result:")).isEqualTo("      result:    \"" + "b".repeat(497) + "…");
        assertThat(show.out()).doesNotContain("\u202e").doesNotContain("\\u…").doesNotContain("\\…");
    }

    /** A value that fits is printed whole, its escapes included. */
    @Test
    void executionsShowPrintsAShortHostileValueWholeWithItsEscapes() {
        Cli.Result show = Cli.run("--db", db.toString(), "-t", "acme", "executions", "show", skewed.toString());
        assertThat(line(show.out(), "arguments:")).isEqualTo("      arguments: {\"q\":\"\\u202e\"}");
    }

    /**
     * A transcript shows an execution's tool calls once, under its first message. Read page by page (the viewer's
     * "Later messages", the CLI's --after), the page holding the execution's second message showed them again.
     */
    @Test
    void theViewersSecondPageDoesNotRepeatTheToolCallsOfTheFirst() throws Exception {
        JsonNode first = api("/api/conversations/" + spanning + "?tenant=acme&limit=2");
        assertThat(first.get("messages")).hasSize(2);
        JsonNode calls = first.get("messages").get(1).get("toolCalls");
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).get("name").asText()).isEqualTo("lookup_order");
        assertThat(calls.get(1).get("name").asText()).isEqualTo("track");
        assertThat(first.get("next").asLong()).isEqualTo(2);

        JsonNode second = api("/api/conversations/" + spanning + "?tenant=acme&limit=2&after=2");
        assertThat(second.get("messages")).hasSize(1);
        assertThat(second.get("messages").get(0).get("executionId").asText()).isEqualTo(spanningExecution.toString());
        assertThat(second.get("messages").get(0).get("toolCalls")).isEmpty();
    }

    @Test
    void theCliSecondPageDoesNotRepeatTheToolCallsOfTheFirst() {
        Cli.Result first = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "show", spanning.toString(), "--limit", "2");
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("tool lookup_order").contains("tool track").contains("--limit=2 --after 2\n");
        Cli.Result second = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "show", spanning.toString(), "--limit", "2",
                "--after", "2");
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(second.out()).contains("Shipped from Lyon.").doesNotContain("lookup_order").doesNotContain("track");
    }

    /** Whole, the transcript shows them once, under the first message, in order. */
    @Test
    void aWholeTranscriptShowsEachToolCallOnceInOrder() throws Exception {
        JsonNode all = api("/api/conversations/" + spanning + "?tenant=acme");
        assertThat(all.get("messages")).hasSize(3);
        assertThat(all.get("messages").get(1).get("toolCalls")).hasSize(2);
        assertThat(all.get("messages").get(2).get("toolCalls")).isEmpty();
        Cli.Result show = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "show", spanning.toString());
        String out = show.out();
        assertThat(out.indexOf("tool lookup_order")).isPositive().isLessThan(out.indexOf("tool track"));
        assertThat(out.indexOf("tool lookup_order")).isEqualTo(out.lastIndexOf("tool lookup_order"));
    }

    /**
     * The same cut in {@code conversations list}'s title column (60 characters) and a transcript's tool calls (200):
     * the title was shown as its 57 letters, half an escape and "…".
     */
    @Test
    void listingsAndTranscriptsNeverCutInsideAnEscape() {
        Cli.Result list = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "list", "--agent", "titled");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(line(list.out(), titled.toString())).endsWith("  " + "t".repeat(57) + "…");
        Cli.Result show = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "show", titled.toString());
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(line(show.out(), "tool render")).isEqualTo("   tool render {\"q\":\"" + "a".repeat(191) + "… -> {} (completed)");
    }
}
