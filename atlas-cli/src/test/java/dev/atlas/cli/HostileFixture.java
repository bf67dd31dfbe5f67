package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
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

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Tenant {@code mallory}: every stored text the CLI prints or the viewer renders is an attack,
 * markup for the page and terminal controls (OSC title, clear screen, C1 CSI, right-to-left
 * override) for the shell: title, agent, model, message content, tool names, arguments,
 * results, errors, metadata, asset file names, content types, captions and descriptions; plus
 * an SVG and an HTML asset whose bytes carry script.
 */
final class HostileFixture {
    static final String TENANT = "mallory";
    /** Terminal controls: set the window title, clear the screen, C1 CSI, right-to-left override. */
    static final String TERM = "\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202e";
    /** {@link #TERM} as the CLI must print it. */
    static final String TERM_SHOWN = "\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u202e";
    static final String AGENT = "agent" + TERM;
    static final String TITLE = "</script><script>window.pwned=3</script>";
    static final String CONTENT = "<img src=x onerror=\"window.pwned=4\"> javascript:window.pwned=5 " + TERM;
    static final String TOOL = "<svg onload=\"window.pwned=6\">";
    static final String ARGUMENTS = "{\"u\":\"javascript:window.pwned=7\",\"h\":\"<script>window.pwned=8</script>\"}";
    static final String RESULT = "<iframe src=\"javascript:window.pwned=9\"></iframe>";
    static final String ERROR = "<img src=x onerror=\"window.pwned=10\">" + TERM;
    static final String MODEL = "<b onmouseover=\"window.pwned=11\">m</b>";
    static final String FILENAME = "\"><img src=x onerror=\"window.pwned=12\">.svg";
    static final String SVG_TYPE = "image/svg+xml";
    static final byte[] SVG = "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"window.pwned=13\"><script>window.pwned=14</script></svg>"
            .getBytes(StandardCharsets.UTF_8);
    static final String HTML_TYPE = "text/html";
    static final byte[] HTML = "<html><script>window.pwned=16</script></html>".getBytes(StandardCharsets.UTF_8);
    /** HTML bytes stored under an image type a browser would show inline. */
    static final byte[] PNG_THAT_IS_HTML = "<html><script>window.pwned=17</script></html>".getBytes(StandardCharsets.UTF_8);

    UUID conversation;
    UUID execution;
    UUID failedExecution;
    UUID svgAsset;
    UUID htmlAsset;
    UUID fakePngAsset;

    /** Opens Atlas through {@code source} and writes tenant {@code mallory}. */
    HostileFixture populate(UnaryOperator<AtlasBuilder> source) {
        try (Atlas atlas = source.apply(Atlas.builder()).build()) {
            write(atlas.tenant(TENANT));
        }
        return this;
    }

    private void write(Tenant t) {
        conversation = t.conversations().create(NewConversation.of(Owner.of("user", "<u>" + TERM), AGENT).title(TITLE)
                .metadata(Map.of("<img src=x onerror=\"window.pwned=18\">", ERROR))).id();
        t.conversations().append(conversation, NewMessage.user(CONTENT));

        ExecutionHandle e = t.executions().start(ExecutionSpec.text("openai", MODEL).agent(AGENT).conversation(conversation));
        execution = e.id();
        StepHandle round = e.step();
        round.toolCall("call_1", TOOL, ARGUMENTS).complete(RESULT);
        round.toolCall("call_2", TOOL, ARGUMENTS).fail(ERROR);
        round.finish(CONTENT, null, FinishReason.TOOL_CALLS, Usage.of(10, 2));
        StepHandle answer = e.step();
        answer.finish(CONTENT, null, FinishReason.STOP, Usage.of(20, 4));
        UUID reply = e.reply(answer, NewMessage.assistant(CONTENT)).id();
        svgAsset = t.assets().store(NewAsset.of(AssetType.IMAGE, FILENAME, SVG_TYPE).description(TITLE), SVG).id();
        htmlAsset = t.assets().store(NewAsset.of(AssetType.FILE, "page" + TERM + ".html", HTML_TYPE).description(CONTENT), HTML).id();
        fakePngAsset = t.assets().store(NewAsset.of(AssetType.IMAGE, "fake.png", "image/png"), PNG_THAT_IS_HTML).id();
        t.assets().attach(reply, svgAsset, Map.of("caption", ERROR));
        t.assets().attach(reply, htmlAsset, Map.of("caption", TITLE));
        e.complete();

        ExecutionHandle failed = t.executions().start(ExecutionSpec.text("openai", MODEL).agent(AGENT).conversation(conversation));
        failedExecution = failed.id();
        failed.step().fail(ERROR);
        failed.fail(ERROR);
    }
}
