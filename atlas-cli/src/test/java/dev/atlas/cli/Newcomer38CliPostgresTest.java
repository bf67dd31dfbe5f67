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

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Newcomer38CliTest}'s transcript pages and clock skew on a real (embedded) PostgreSQL, where ids are {@code uuid}
 * columns: the statement that finds an execution's earlier message binds them as such.
 */
class Newcomer38CliPostgresTest {
    static String url;
    static UUID spanning;
    static UUID skewed;

    @BeforeAll
    static void populate() {
        url = SharedPostgres.createDatabase("atlas_newcomer38");
        Fixture.MovableClock clock = new Fixture.MovableClock(Instant.parse("2026-03-02T09:00:00Z"));
        try (Atlas atlas = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").clock(clock).build()) {
            Tenant acme = atlas.tenant("acme");
            spanning = acme.conversations().create(NewConversation.of(Owner.user("42"), "support")).id();
            acme.conversations().append(spanning, NewMessage.user("Where is order 1234?"));
            ExecutionHandle x = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").conversation(spanning));
            skewed = x.id();
            clock.advance(-50);
            StepHandle asks = x.step();
            asks.toolCall("call_3", "lookup_order", "{\"order\":1234}").complete("{\"status\":\"shipped\"}");
            asks.finish("", FinishReason.TOOL_CALLS);
            x.reply(asks, NewMessage.assistant("Let me look that up."));
            StepHandle answer = x.step();
            answer.finish("Shipped from Lyon.", FinishReason.STOP);
            x.reply(answer, NewMessage.assistant("Shipped from Lyon."));
            x.complete();
        }
    }

    private static Cli.Result atlas(String... args) {
        String[] all = new String[args.length + 6];
        System.arraycopy(new String[] {"--db", url, "--user", "postgres", "--tenant", "acme"}, 0, all, 0, 6);
        System.arraycopy(args, 0, all, 6, args.length);
        return Cli.run(Map.of("ATLAS_DB_PASSWORD", "postgres"), all);
    }

    @Test
    void theSecondPageDoesNotRepeatTheToolCallsOfTheFirst() {
        Cli.Result first = atlas("conversations", "show", spanning.toString(), "--limit", "2");
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("tool lookup_order");
        Cli.Result second = atlas("conversations", "show", spanning.toString(), "--limit", "2", "--after", "2");
        assertThat(second.err()).isEmpty();
        assertThat(second.exitCode()).isZero();
        assertThat(second.out()).contains("Shipped from Lyon.").doesNotContain("lookup_order");
    }

    @Test
    void executionsShowPrintsAnOffsetBeforeTheStartAsNegative() {
        Cli.Result show = atlas("executions", "show", skewed.toString());
        assertThat(show.exitCode()).as(show.err()).isZero();
        assertThat(show.out()).contains("  step 1  tool_calls  completed  at -50 ms  took ").doesNotContain("+-");
    }
}
