package dev.atlas.cli;

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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transcript and the waterfall of session 38's operator in Debian's headless Chromium (as {@link ViewerBrowserTest};
 * CI's ATLAS_REQUIRE_BROWSER=1 makes a missing browser a failure): a cut failure reason says how much is not shown, as
 * every other cut text does, and an offset before the execution's start reads "-50 ms", not "+-50 ms".
 */
class Newcomer38CliBrowserTest {
    static final String LONG_REASON = "R".repeat(30_000);

    @TempDir
    static Path dir;
    static ViewerProcess viewer;
    static Chromium browser;
    static UUID conversation;
    static UUID skewed;
    static UUID withTool;
    static UUID toolExecution;
    /** JSON arguments and result of 30,000 characters, cut to 20,000 in the viewer's JSON. */
    static final String LONG_ARGUMENTS = "\"" + "A".repeat(29_998) + "\"";
    static final String LONG_RESULT = "\"" + "B".repeat(29_998) + "\"";

    @BeforeAll
    static void start() throws Exception {
        boolean present = Files.isExecutable(Chromium.BINARY);
        if (!present && "1".equals(System.getenv("ATLAS_REQUIRE_BROWSER"))) {
            throw new AssertionError(Chromium.BINARY + " is missing and ATLAS_REQUIRE_BROWSER=1: install Debian's chromium package");
        }
        Assumptions.assumeTrue(present, Chromium.BINARY + " is not installed (apt-get install chromium); browser test skipped");
        Path db = dir.resolve("newcomer38-browser.db");
        Fixture.MovableClock clock = new Fixture.MovableClock(Instant.parse("2026-03-02T09:00:00Z"));
        try (Atlas atlas = Atlas.builder().sqlite(db).clock(clock).build()) {
            Tenant acme = atlas.tenant("acme");
            conversation = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            acme.conversations().append(conversation, NewMessage.assistant("not sent").failed(LONG_REASON));
            ExecutionHandle e = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(conversation));
            skewed = e.id();
            clock.advance(-50);
            StepHandle step = e.step();
            clock.advance(130);
            step.finish("done", FinishReason.STOP);
            e.complete();

            withTool = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            ExecutionHandle x = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(withTool));
            toolExecution = x.id();
            StepHandle asks = x.step();
            asks.toolCall("call_1", "search", LONG_ARGUMENTS).complete(LONG_RESULT);
            asks.finish("", FinishReason.TOOL_CALLS);
            x.reply(asks, NewMessage.assistant("Found it."));
            x.complete();
        }
        viewer = ViewerProcess.inJvm(null, db);
        browser = Chromium.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (viewer != null) {
            viewer.close();
        }
    }

    @Test
    void aCutFailureReasonSaysHowMuchOfItIsNotShown() throws Exception {
        browser.open(viewer.url("#/c/" + conversation + "?t=acme"), "transcript");
        assertThat(browser.evaluate("document.querySelector('.badge.failed bdi').textContent.length").asInt()).isEqualTo(20_000);
        assertThat(browser.evaluate("document.querySelector('.badge.failed .not-shown').textContent").asText())
                .isEqualTo(" … 10,000 more characters not shown");
        assertThat(browser.errors()).isEmpty();
    }

    @Test
    void aStepStampedBeforeItsExecutionsStartShowsANegativeOffset() throws Exception {
        browser.open(viewer.url("#/e/" + skewed + "?t=acme"), "waterfall");
        assertThat(browser.evaluate("document.querySelector('.wf-row.step .wf-info').textContent").asText())
                .isEqualTo("-50 ms · 130 ms · no usage");
        // The bar starts at the track's left edge, not before it.
        assertThat(browser.evaluate("document.querySelector('.wf-row.step .wf-track > *').style.left").asText()).isEqualTo("0%");
        assertThat(browser.errors()).isEmpty();
    }

    /**
     * docs/cli.md: tool arguments and results over 20,000 characters are cut in the JSON with their full length. The
     * transcript and the waterfall showed the first 20,000 with no word that the rest is missing.
     */
    @Test
    void cutToolArgumentsAndResultsSayHowMuchIsNotShown() throws Exception {
        String notes = "[...document.querySelectorAll('.toolcall .io + .muted')].map(e => e.textContent).join('|')";
        browser.open(viewer.url("#/c/" + withTool + "?t=acme"), "transcript");
        assertThat(browser.evaluate(notes).asText()).isEqualTo("… 10,000 more characters not shown|… 10,000 more characters not shown");
        browser.open(viewer.url("#/e/" + toolExecution + "?t=acme"), "waterfall");
        assertThat(browser.evaluate(notes).asText()).isEqualTo("… 10,000 more characters not shown|… 10,000 more characters not shown");
        assertThat(browser.errors()).isEmpty();
    }
}
