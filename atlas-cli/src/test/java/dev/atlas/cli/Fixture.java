package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.StepHandle.ToolCallHandle;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The data every CLI and viewer test reads, written through the public API on a clock the
 * fixture moves, so every stored time (and so every printed duration) is known.
 *
 * <p>Tenant {@code acme}: a support conversation whose reply was regenerated (a replaced and an
 * active branch), the retry's tool call with its tool thread and a PNG attached to the reply;
 * a conversation whose messages are hostile (markup, terminal escapes, a 30,000-character
 * message); a structured call on the next day with a second model. Tenant {@code globex}: one
 * conversation that must never show through {@code acme}.
 */
final class Fixture {
    static final String HOSTILE = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\"> \u001b[31mred\u001b[0m & \"q\"";
    /** A 1×1 PNG. */
    static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    final Instant t0;
    UUID support;
    UUID hostile;
    UUID globex;
    UUID toolThread;
    UUID question;
    UUID firstReply;
    UUID retryReply;
    UUID firstExecution;
    UUID retryExecution;
    UUID miniExecution;
    UUID toolCall;
    UUID asset;
    UUID hugeMessage;

    private final MovableClock clock;

    Fixture(Instant t0) {
        this.t0 = t0;
        this.clock = new MovableClock(t0);
    }

    /** Opens Atlas through {@code source} on the fixture's clock and writes the data. */
    Fixture populate(UnaryOperator<AtlasBuilder> source) {
        try (Atlas atlas = source.apply(Atlas.builder()).clock(clock).build()) {
            write(atlas.tenant("acme"), atlas.tenant("globex"));
        }
        return this;
    }

    private void write(Tenant acme, Tenant other) {
        Instant validFrom = Instant.parse("2024-01-01T00:00:00Z");
        acme.prices().set(ModelPrice.of("openai", "gpt-test", "2.00", "8.00", validFrom));
        acme.prices().set(ModelPrice.of("openai", "gpt-mini", "0.10", "0.40", validFrom));

        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        support = c.id();
        clock.at(Duration.ofSeconds(1));
        Message q = acme.conversations().append(support, NewMessage.user("Where is order 1234?"));
        question = q.id();

        // A poor answer, then the user regenerates it.
        clock.at(Duration.ofSeconds(2));
        ExecutionHandle first = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").agent("support").conversation(support));
        firstExecution = first.id();
        clock.advance(100);
        StepHandle s = first.step();
        clock.advance(300);
        s.finish("Sorry, I can't find that order.", null, FinishReason.STOP, Usage.of(20, 5));
        firstReply = first.reply(s, NewMessage.assistant("Sorry, I can't find that order.").parent(question)).id();
        clock.advance(50);
        first.complete();

        clock.at(Duration.ofSeconds(10));
        ExecutionHandle retry = acme.executions().start(ExecutionSpec.text("openai", "gpt-test").agent("support").conversation(support));
        retryExecution = retry.id();
        clock.advance(50);
        StepHandle round = retry.step();
        clock.advance(100);
        ToolCallHandle call = round.toolCall("call_1", "lookup_order", "{\"order\":1234}");
        toolCall = call.id();
        clock.advance(20);
        Conversation thread = call.thread(Owner.user("42"), "order-agent");
        toolThread = thread.id();
        acme.conversations().append(toolThread, NewMessage.user("Find order 1234 in the warehouse system."));
        clock.advance(130);
        call.complete("{\"status\":\"shipped\"}");
        clock.advance(50);
        round.finish("", null, FinishReason.TOOL_CALLS, Usage.of(100, 10));
        clock.advance(10);
        StepHandle answer = retry.step();
        clock.advance(400);
        answer.finish("Order 1234 shipped this morning.", null, FinishReason.STOP, Usage.of(150, 40));
        Asset map = acme.assets().store(NewAsset.of(AssetType.IMAGE, "route-1234.png", "image/png").execution(retryExecution, toolCall), PNG);
        asset = map.id();
        Message reply = retry.reply(answer, NewMessage.assistant("Order 1234 shipped this morning.").parent(question));
        retryReply = reply.id();
        acme.assets().attach(retryReply, asset, Map.of("caption", "Route of order 1234"));
        clock.advance(40);
        retry.complete();

        // Stored content is hostile: markup, terminal escapes, and a very long message.
        clock.at(Duration.ofSeconds(60));
        hostile = acme.conversations().create(NewConversation.of(Owner.user("666"), "support")).id();
        acme.conversations().append(hostile, NewMessage.user(HOSTILE));
        hugeMessage = acme.conversations().append(hostile, NewMessage.assistant("x".repeat(30_000))).id();

        // The next day, a cheaper model.
        clock.at(Duration.ofDays(1));
        ExecutionHandle mini = acme.executions().start(ExecutionSpec.of(ExecutionType.STRUCTURED, "openai", "gpt-mini")
                .agent("memory-extractor").conversation(support));
        miniExecution = mini.id();
        StepHandle one = mini.step();
        clock.advance(200);
        one.finish("fact: lives in Lyon", null, FinishReason.STOP, Usage.of(1000, 500));
        mini.complete();

        clock.at(Duration.ofSeconds(5));
        globex = other.conversations().create(NewConversation.of(Owner.user("7"), "sales")).id();
        other.conversations().append(globex, NewMessage.user("Globex secret plans"));
    }

    /** A clock the fixture sets: every stored time is {@code t0} plus a known offset. */
    static final class MovableClock extends Clock {
        private final Instant start;
        private Instant now;

        MovableClock(Instant start) {
            this.start = start;
            this.now = start;
        }

        void at(Duration sinceStart) {
            now = start.plus(sinceStart);
        }

        void advance(long millis) {
            now = now.plusMillis(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
