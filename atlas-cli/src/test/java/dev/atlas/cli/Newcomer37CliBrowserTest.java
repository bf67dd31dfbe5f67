package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.StepHandle;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The waterfall of a failed execution whose errors are longer than the viewer's cut, in Debian's headless Chromium
 * (as {@link ViewerBrowserTest}; CI's ATLAS_REQUIRE_BROWSER=1 makes a missing browser a failure): each error shows its
 * first 20,000 characters and says how many are not shown, as a cut content does.
 */
class Newcomer37CliBrowserTest {
    static final String LONG_ERROR = "E".repeat(30_000);

    @TempDir
    static Path dir;
    static ViewerProcess viewer;
    static Chromium browser;
    static UUID failed;

    @BeforeAll
    static void start() throws Exception {
        boolean present = Files.isExecutable(Chromium.BINARY);
        if (!present && "1".equals(System.getenv("ATLAS_REQUIRE_BROWSER"))) {
            throw new AssertionError(Chromium.BINARY + " is missing and ATLAS_REQUIRE_BROWSER=1: install Debian's chromium package");
        }
        Assumptions.assumeTrue(present, Chromium.BINARY + " is not installed (apt-get install chromium); browser test skipped");
        Path db = dir.resolve("newcomer37-browser.db");
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            Tenant acme = atlas.tenant("acme");
            UUID conversation = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            ExecutionHandle e = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(conversation));
            failed = e.id();
            StepHandle round = e.step();
            round.toolCall("call_1", "lookup", "{}").fail(LONG_ERROR);
            round.fail(LONG_ERROR);
            e.fail(LONG_ERROR);
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
    void aCutErrorSaysHowMuchOfItIsNotShown() throws Exception {
        browser.open(viewer.url("#/e/" + failed + "?t=acme"), "waterfall");
        assertThat(browser.evaluate("[...document.querySelectorAll('.error')].map(e => e.textContent.length).join(',')").asText())
                .isEqualTo("20000,20000,20000");
        // The execution's error, the step's and the tool call's: each followed by its note.
        assertThat(browser.evaluate("[...document.querySelectorAll('.error + .muted')].map(e => e.textContent).join('|')").asText())
                .isEqualTo("… 10,000 more characters not shown|… 10,000 more characters not shown|… 10,000 more characters not shown");
        assertThat(browser.errors()).isEmpty();
    }
}
