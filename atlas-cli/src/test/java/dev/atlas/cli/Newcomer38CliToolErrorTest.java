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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A transcript's failed tool call: it printed "tool lookup {} -> failed (failed)" and never why, which only
 * {@code executions show} said. docs/cli.md: a tool call's error follows it in the transcript, on one line, cut at
 * 200 characters as its arguments and result are.
 */
class Newcomer38CliToolErrorTest {
    /** An error with a line break and a right-to-left override, which must reach the terminal as escapes. */
    static final String ERROR = "upstream timed out\n\u202egnp.exe";
    /** An error whose escape would straddle the cut at 200 characters. */
    static final String LONG_ERROR = "e".repeat(195) + "\u202e" + "tail";

    @TempDir
    static Path dir;
    static Path db;
    static UUID conversation;

    @BeforeAll
    static void populate() {
        db = dir.resolve("toolerror.db");
        try (Atlas atlas = Atlas.builder().sqlite(db).build()) {
            Tenant acme = atlas.tenant("acme");
            conversation = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            acme.conversations().append(conversation, NewMessage.user("Where is order 1234?"));
            ExecutionHandle e = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(conversation));
            StepHandle step = e.step();
            step.toolCall("call_1", "lookup_order", "{\"order\":1234}").fail(ERROR);
            step.toolCall("call_2", "track", "{}").fail(LONG_ERROR);
            step.toolCall("call_3", "notify", "{}").complete("sent");
            step.finish("", FinishReason.TOOL_CALLS);
            e.reply(step, NewMessage.assistant("The order system did not answer."));
            e.complete();
        }
    }

    private static String after(String out, String start) {
        String[] lines = out.split("\n", -1);
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].startsWith(start)) {
                return lines[i + 1];
            }
        }
        throw new AssertionError(start + " in\n" + out);
    }

    @Test
    void aFailedToolCallsErrorFollowsItEscapedOnOneLine() {
        Cli.Result show = Cli.run("--db", db.toString(), "-t", "acme", "conversations", "show", conversation.toString());
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(after(show.out(), "   tool lookup_order ")).isEqualTo("     error: upstream timed out\\n\\u202egnp.exe");
        assertThat(after(show.out(), "   tool track ")).isEqualTo("     error: " + "e".repeat(195) + "…");
        // A call without an error has no error line.
        assertThat(after(show.out(), "   tool notify ")).doesNotStartWith("     error:");
    }
}
