package dev.atlas.cli;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each view of the viewer in a real headless Chromium: the page loads with no console error,
 * the expected text is in the DOM, stored markup stays text, and a screenshot is taken
 * (target/viewer-screenshots/). CI sets ATLAS_REQUIRE_BROWSER=1, so a missing browser fails
 * there; elsewhere the test is skipped without one.
 */
class ViewerBrowserTest {
    static final Path SHOTS = Path.of("target", "viewer-screenshots");

    @TempDir
    static Path dir;
    static ViewerProcess viewer;
    static Chromium browser;
    static Fixture f;
    static HostileFixture h;
    static Gallery g;

    @BeforeAll
    static void start() throws Exception {
        boolean present = Files.isExecutable(Chromium.BINARY);
        if (!present && "1".equals(System.getenv("ATLAS_REQUIRE_BROWSER"))) {
            throw new AssertionError(Chromium.BINARY + " is missing and ATLAS_REQUIRE_BROWSER=1: install Debian's chromium package");
        }
        Assumptions.assumeTrue(present, Chromium.BINARY + " is not installed (apt-get install chromium); browser test skipped");
        Files.createDirectories(SHOTS);
        Path db = dir.resolve("viewer.db");
        f = ViewerProcess.recentFixture(db);
        h = new HostileFixture().populate(b -> b.sqlite(db));
        g = new Gallery().populate(b -> b.sqlite(db));
        viewer = ViewerProcess.inJvm(f, db);
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

    @AfterEach
    void noConsoleErrors() {
        assertThat(browser.errors()).isEmpty();
    }

    private static void screenshot(String name) throws Exception {
        Path file = SHOTS.resolve(name + ".png");
        browser.screenshot(file);
        byte[] png = Files.readAllBytes(file);
        assertThat(png.length).isGreaterThan(1000);
        assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    private static void assertNoInjectedMarkupRan() throws Exception {
        assertThat(browser.evaluate("typeof window.pwned").asText()).isEqualTo("undefined");
        assertThat(browser.evaluate("document.scripts.length").asInt()).isEqualTo(1);
        assertThat(browser.evaluate("document.querySelectorAll('#app img[onerror], #app script').length").asInt()).isZero();
    }

    @Test
    void conversationListShowsTitlesAsText() throws Exception {
        browser.open(viewer.url("#/?t=acme"), "list");
        String dom = browser.dom();
        assertThat(dom).contains("Where is order 1234?", "Find order 1234 in the warehouse system.",
                "&lt;script&gt;window.pwned=1&lt;/script&gt;&lt;img src=x onerror=\"window.pwned=2\"&gt;");
        assertThat(browser.evaluate("document.querySelectorAll('#conversations tbody tr').length").asInt()).isEqualTo(3);
        assertNoInjectedMarkupRan();
        screenshot("list");
    }

    @Test
    void searchFindsTheToolThread() throws Exception {
        browser.open(viewer.url("#/?t=acme&q=warehouse"), "list");
        assertThat(browser.evaluate("document.querySelectorAll('#conversations tbody tr').length").asInt()).isEqualTo(1);
        assertThat(browser.text()).contains("Conversations matching “warehouse”", "Find order 1234 in the warehouse system.");
    }

    @Test
    void transcriptShowsRetryBranchesToolCallThreadAndTheAttachedImage() throws Exception {
        browser.open(viewer.url("#/c/" + f.support + "?t=acme"), "transcript");
        String text = browser.text();
        assertThat(text).contains("Where is order 1234?", "Sorry, I can't find that order.", "retry branch 1 of 2", "replaced by #3",
                "retry branch 2 of 2", "tool lookup_order", "result: {\"status\":\"shipped\"}", "tool thread:", "Order 1234 shipped this morning.",
                "route-1234.png", "Route of order 1234");
        assertThat(browser.evaluate("document.querySelectorAll('.msg.inactive').length").asInt()).isEqualTo(1);
        // The attachment is shown as an image, loaded through the bytes endpoint.
        assertThat(browser.evaluate("(async () => { const i = document.querySelector('.attachment img'); await i.decode(); return i.naturalWidth; })()")
                .asInt()).isEqualTo(1);
        screenshot("transcript");
    }

    @Test
    void aMessagesAttachmentsBeyondThePageAreCounted() throws Exception {
        browser.open(viewer.url("#/c/" + g.conversation + "?t=" + Gallery.TENANT), "transcript");
        assertThat(browser.evaluate("document.querySelectorAll('.attachment a').length").asInt()).isEqualTo(60);
        assertThat(browser.evaluate("[...document.querySelectorAll('.not-shown')].map(n => n.textContent).join('|')").asText())
                .isEqualTo("and 1 more attachment, not shown (the viewer lists a message's first 20)"
                        + "|and 2 more attachments, not shown (the viewer lists a message's first 20)");
        assertThat(browser.evaluate("document.querySelector('.attachment').textContent").asText())
                .isEqualTo("attached: f00.bin (application/octet-stream, 1 byte)");
    }

    @Test
    void hostileMessagesAreRenderedAsText() throws Exception {
        browser.open(viewer.url("#/c/" + f.hostile + "?t=acme"), "transcript");
        assertThat(browser.evaluate("document.querySelector('.msg .content').textContent").asText()).isEqualTo(Fixture.HOSTILE);
        assertThat(browser.dom()).contains("&lt;script&gt;window.pwned=1&lt;/script&gt;");
        // The 30,000-character message: the API sends 20,000, the page folds it to 4,000 until asked.
        assertThat(browser.text()).contains("Show 20,000 characters", "10,000 more characters not shown");
        assertThat(browser.evaluate("document.querySelectorAll('.msg .content')[1].textContent.length").asInt()).isEqualTo(4000);
        assertThat(browser.evaluate("document.querySelector('.unfold').click(); document.querySelectorAll('.msg .content')[1].textContent.length")
                .asInt()).isEqualTo(20_000);
        assertNoInjectedMarkupRan();
        screenshot("hostile");
    }

    @Test
    void executionWaterfallShowsStepsAndToolCallsWithTimingsTokensAndCost() throws Exception {
        browser.open(viewer.url("#/e/" + f.retryExecution + "?t=acme"), "waterfall");
        String text = browser.text();
        assertThat(text).contains("Execution openai/gpt-test", "800 ms · 250 in / 50 out · cost 0.0009", "step 1 · tool_calls",
                "+50 ms · 300 ms · 100 in / 10 out", "tool lookup_order (completed)", "+150 ms · 150 ms", "step 2 · stop",
                "+360 ms · 400 ms · 150 in / 40 out");
        assertThat(text).doesNotContain("$");
        assertThat(browser.evaluate("document.querySelectorAll('#waterfall .wf-bar').length").asInt()).isEqualTo(4);
        // The tool call's bar starts at 150 of 800 ms.
        assertThat(browser.evaluate("document.querySelector('.wf-row.tool .wf-bar').style.left").asText()).isEqualTo("18.75%");
        screenshot("waterfall");
    }

    @Test
    void usageChartDrawsCostByDayAndModel() throws Exception {
        browser.open(viewer.url("#/usage?t=acme&days=7"), "usage");
        assertThat(browser.evaluate("document.querySelectorAll('#usage-chart rect').length").asInt()).isEqualTo(2);
        assertThat(browser.evaluate("[...document.querySelectorAll('#usage-chart rect title')].map(t => t.textContent).join('|')").asText())
                .isEqualTo(f.t0.toString().substring(0, 10) + " openai/gpt-test: cost 0.00098, 2 calls|"
                        + f.t0.plus(java.time.Duration.ofDays(1)).toString().substring(0, 10) + " openai/gpt-mini: cost 0.0003, 1 calls");
        assertThat(browser.text()).contains("Cost by day and model", "openai/gpt-test", "openai/gpt-mini", "0.00098", "0.0003");
        // Prices carry no currency, so no cost is shown with a currency sign; the table has every token column `atlas usage` has.
        assertThat(browser.text()).doesNotContain("$");
        assertThat(browser.evaluate("[...document.querySelectorAll('#usage-table tr')].map(r => [...r.children].map(c => c.textContent)"
                + ".join(',')).join('|')").asText()).isEqualTo("Model,Calls,Failed,Input,Output,Reasoning,Cached,Cache write,Cost"
                + "|openai/gpt-mini,1,0,1,000,500,0,0,0,0.0003|openai/gpt-test,2,0,270,55,0,0,0,0.00098");
        // Its days are the browser's (they were the host's UTC days), and another zone can be chosen.
        assertThat(browser.evaluate("document.querySelector('#usage-zone').value").asText())
                .isEqualTo(browser.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone").asText());
        screenshot("usage");
        browser.open(viewer.url("#/usage?t=acme&days=7&zone=Asia/Kathmandu"), "usage");
        assertThat(browser.evaluate("document.querySelector('#usage-zone').value").asText()).isEqualTo("Asia/Kathmandu");
        assertThat(browser.evaluate("document.querySelectorAll('#usage-chart rect').length").asInt()).isEqualTo(2);
    }

    /** Nothing stored became an element, an event handler or a javascript: link. */
    private static void assertNoHostileElements() throws Exception {
        assertNoInjectedMarkupRan();
        assertThat(browser.evaluate("document.querySelectorAll('#app iframe, #app [onload], #app [onmouseover], #app [onerror], "
                + "a[href^=\"javascript\" i], #app svg:not(#usage-chart)').length").asInt()).isZero();
    }

    /**
     * Every text with a bidirectional control (the fixture's U+202E) is isolated, or nothing
     * follows it in its paragraph: an override must not reverse the trusted text after it.
     */
    private static void assertBidiControlsAreIsolated() throws Exception {
        assertThat(browser.evaluate("""
                (() => {
                  const bad = [];
                  const walker = document.createTreeWalker(document.getElementById('app'), NodeFilter.SHOW_TEXT);
                  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                    if (!/[\u202a-\u202e\u2066-\u2069]/.test(n.data)) continue;
                    let node = n, ok = false;
                    while (node.parentElement) {
                      const p = node.parentElement, style = getComputedStyle(p), inline = style.display.startsWith('inline');
                      // Blocks (a div is unicode-bidi: isolate too) isolate only from what is outside them.
                      if (inline && ['isolate', 'isolate-override', 'plaintext'].includes(style.unicodeBidi)) { ok = true; break; }
                      const siblings = [...p.childNodes];
                      const followed = siblings.slice(siblings.indexOf(node) + 1).some((x) => x.textContent !== ''
                        && (x.nodeType === 3 || getComputedStyle(x).display.startsWith('inline')));
                      if (followed) break;
                      if (!inline) { ok = true; break; }
                      node = p;
                    }
                    if (!ok) bad.push(n.parentElement.tagName + ': ' + n.parentElement.parentElement.textContent);
                  }
                  return bad.join(' | ');
                })()""").asText()).isEmpty();
    }

    @Test
    void everyHostileFieldOfEveryViewStaysText() throws Exception {
        browser.open(viewer.url("#/?t=" + HostileFixture.TENANT), "list");
        assertThat(browser.evaluate("document.querySelector('#conversations tbody td.title').textContent").asText())
                .isEqualTo(HostileFixture.TITLE);
        assertThat(browser.text()).contains(HostileFixture.AGENT.replace(HostileFixture.TERM, ""));
        assertNoHostileElements();
        assertBidiControlsAreIsolated();

        browser.open(viewer.url("#/c/" + h.conversation + "?t=" + HostileFixture.TENANT), "transcript");
        assertThat(browser.evaluate("document.querySelector('h1').textContent").asText()).isEqualTo(HostileFixture.TITLE);
        assertThat(browser.evaluate("[...document.querySelectorAll('.msg .content')].map(p => p.textContent).join('|')").asText())
                .isEqualTo(HostileFixture.CONTENT + "|" + HostileFixture.CONTENT);
        assertThat(browser.evaluate("[...document.querySelectorAll('.toolcall')].map(p => p.textContent).join('|')").asText())
                .contains("tool " + HostileFixture.TOOL, "arguments: " + HostileFixture.ARGUMENTS, "result: " + HostileFixture.RESULT);
        assertThat(browser.evaluate("[...document.querySelectorAll('.attachment a')].map(a => a.textContent + ' ' + a.getAttribute('href')).join('|')")
                .asText()).isEqualTo(HostileFixture.FILENAME + " /api/assets/" + h.svgAsset + "?tenant=mallory|page" + HostileFixture.TERM
                        + ".html /api/assets/" + h.htmlAsset + "?tenant=mallory");
        // An SVG is never an <img> of the page (it is a download), so its script has no way in.
        assertThat(browser.evaluate("document.querySelectorAll('.attachment img').length").asInt()).isZero();
        assertNoHostileElements();
        assertBidiControlsAreIsolated();
        // The meta line's trusted words follow the owner and the agent, in their own isolates.
        assertThat(browser.evaluate("[...document.querySelectorAll('.meta bdi')].map(b => b.textContent).join('|')").asText())
                .contains("<u>" + HostileFixture.TERM + "|" + HostileFixture.AGENT);
        screenshot("hostile-transcript");

        for (java.util.UUID e : new java.util.UUID[] {h.execution, h.failedExecution}) {
            browser.open(viewer.url("#/e/" + e + "?t=" + HostileFixture.TENANT), "waterfall");
            assertThat(browser.evaluate("document.querySelector('h1').textContent").asText()).isEqualTo("Execution openai/" + HostileFixture.MODEL);
            assertNoHostileElements();
            assertBidiControlsAreIsolated();
        }
        assertThat(browser.evaluate("[...document.querySelectorAll('.error')].map(p => p.textContent).join('|')").asText())
                .isEqualTo(HostileFixture.ERROR + "|" + HostileFixture.ERROR);

        browser.open(viewer.url("#/executions?t=" + HostileFixture.TENANT + "&conversation=" + h.conversation), "executions");
        assertThat(browser.text()).contains("openai/" + HostileFixture.MODEL);
        assertNoHostileElements();
        assertBidiControlsAreIsolated();

        browser.open(viewer.url("#/usage?t=" + HostileFixture.TENANT), "usage");
        assertThat(browser.evaluate("document.querySelector('#usage-table td').textContent").asText()).isEqualTo("openai/" + HostileFixture.MODEL);
        assertNoHostileElements();
    }
}
