package dev.atlas.jdbi.newcomer;

import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.SiblingGroups;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.MessageWithTools;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.ToolCallQuery;
import dev.atlas.execution.ToolCallType;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallQuery;
import dev.atlas.voice.VoiceCallStatus;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A new user's programs written from the seed documents (/work/shared/seeds) through the public
 * API, one per row of docs/seed-capabilities.md that the row's own test does not write the way
 * the seed asks: what a seed's query or model method does, done as an application would.
 */
public abstract class Newcomer12Contract extends AtlasContract {

    protected Newcomer12Contract(TestDatabase database) {
        super(database);
    }

    /** One answer to {@code question}, recorded as an agent loop does: a tool round, then the reply. */
    private static Message answer(ExecutionRecorder recorder, Conversation c, Message question, String toolResult, String reply) {
        ExecutionHandle run = recorder.start(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        StepHandle round = run.step();
        round.toolCall("call_" + toolResult, "lookup_order", "{\"order\":7}").complete(toolResult);
        round.finish("", FinishReason.TOOL_CALLS);
        StepHandle last = run.step();
        Message m = run.reply(last, NewMessage.assistant(reply).parent(question.id()));
        last.finish(reply, FinishReason.STOP);
        run.complete();
        return m;
    }

    @Test
    @DisplayName("002 regenerate: a retried agent answer recorded through the recorder is a second sibling group; history and historyWithTools show the active group with its own tool round, activate switches both back")
    void regeneratedAnswerWithItsToolRound() {
        Tenant acme = atlas.tenant("acme");
        ConversationStore conversations = acme.conversations();
        ExecutionRecorder recorder = acme.executions();
        Conversation c = conversations.create(NewConversation.of(Owner.user("42")));
        Message question = conversations.append(c.id(), NewMessage.user("Where is order 7?"));
        Message shipped = answer(recorder, c, question, "shipped", "It shipped yesterday.");
        assertThat(conversations.canRetry(shipped.id())).isTrue();
        Message delivered = answer(recorder, c, question, "delivered", "It was delivered today.");

        SiblingGroups groups = conversations.siblingGroups(delivered.id());
        assertThat(groups.count()).isEqualTo(2);
        assertThat(groups.index()).isEqualTo(2);
        assertThat(groups.current().executionId()).isEqualTo(delivered.executionId());
        assertThat(conversations.siblingGroups(shipped.id()).index()).isEqualTo(1);
        assertThat(conversations.history(c.id(), 50)).extracting(Message::content)
                .containsExactly("Where is order 7?", "It was delivered today.");
        List<MessageWithTools> replay = recorder.historyWithTools(c.id(), 50);
        assertThat(replay).extracting(m -> m.message().content()).containsExactly("Where is order 7?", "It was delivered today.");
        assertThat(replay.get(1).toolCalls()).extracting(ToolCall::result).containsExactly("delivered");

        conversations.activate(shipped.id());
        assertThat(conversations.history(c.id(), 50)).extracting(Message::content)
                .containsExactly("Where is order 7?", "It shipped yesterday.");
        replay = recorder.historyWithTools(c.id(), 50);
        assertThat(replay.get(1).toolCalls()).extracting(ToolCall::result).containsExactly("shipped");
        assertThat(conversations.siblingGroups(delivered.id()).groups()).extracting(g -> g.active()).containsExactly(true, false);
    }

    @Test
    @DisplayName("002 VoiceCall::completed()->with('execution.toolCalls')->latest()->take(10): the ten latest completed calls of the tenant, newest first, each with its execution's tool calls, whatever order they were hung up in")
    void latestCompletedVoiceCallsWithTheirToolCalls() {
        Tenant acme = atlas.tenant("acme");
        VoiceCallStore calls = acme.voiceCalls();
        ExecutionRecorder recorder = acme.executions();
        List<UUID> started = new ArrayList<>();
        List<ExecutionHandle> runs = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            ExecutionHandle run = recorder.start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime"));
            runs.add(run);
            started.add(calls.start(NewVoiceCall.of("rt_" + i, "openai", "gpt-realtime").execution(run.id())).id());
            run.toolCall(NewToolCall.of("c" + i, "lookup_order", "{\"order\":" + i + "}")).complete("order " + i);
            clock.advanceMicros(1000);
        }
        VoiceCall other = atlas.tenant("globex").voiceCalls().start(NewVoiceCall.of("rt_globex", "openai", "gpt-realtime"));
        atlas.tenant("globex").voiceCalls().complete(other.id(), List.of());
        // Hung up in the reverse order of their start: the latest is still the one started last.
        for (int i = 10; i >= 0; i--) {
            calls.complete(started.get(i), List.of(VoiceTurn.user("bye " + i)));
            runs.get(i).complete();
            clock.advanceMicros(1000);
        }

        Page<VoiceCall> latest = calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.COMPLETED).limit(10));
        List<UUID> newestTen = new ArrayList<>(started.subList(1, 11));
        java.util.Collections.reverse(newestTen);
        assertThat(latest.items()).extracting(VoiceCall::id).containsExactlyElementsOf(newestTen);
        for (int k = 0; k < 10; k++) {
            int n = 10 - k;
            ExecutionTree tree = recorder.tree(latest.items().get(k).executionId()).orElseThrow();
            assertThat(tree.execution().status()).isEqualTo(ExecutionStatus.COMPLETED);
            assertThat(tree.toolCalls()).singleElement().satisfies(t -> {
                assertThat(t.name()).isEqualTo("lookup_order");
                assertThat(t.result()).isEqualTo("order " + n);
                assertThat(t.stepId()).isNull();
            });
        }
        assertThat(calls.list(VoiceCallQuery.withStatus(VoiceCallStatus.COMPLETED).limit(10).after(latest.nextCursor().orElseThrow())).items())
                .extracting(VoiceCall::id).containsExactly(started.get(0));
    }

    @Test
    @DisplayName("002 ExecutionToolCall::forTool('search') with the seed's status scopes: pending() is status(QUEUED), a tool call is never PENDING (that query lists nothing, that initial status is refused naming initialStatus)")
    void seedToolCallStatusScopes() {
        ExecutionRecorder recorder = atlas.tenant("acme").executions();
        ExecutionHandle run = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = run.step();
        StepHandle.ToolCallHandle waiting = step.toolCall(NewToolCall.of("c1", "search", "{}").queued());
        StepHandle.ToolCallHandle running = step.toolCall("c2", "search", "{}");
        StepHandle.ToolCallHandle done = step.toolCall("c3", "search", "{}");
        done.complete("3 hits");
        step.toolCall("c4", "weather", "{}").complete("sunny");
        ExecutionHandle voice = recorder.start(ExecutionSpec.of(ExecutionType.VOICE, "openai", "gpt-realtime"));
        StepHandle.ToolCallHandle broken = voice.toolCall(NewToolCall.of("v1", "search", "{}"));
        broken.fail("timeout");

        assertThat(searches(recorder, ExecutionStatus.QUEUED)).containsExactly(waiting.id());
        assertThat(searches(recorder, ExecutionStatus.PROCESSING)).containsExactly(running.id());
        assertThat(searches(recorder, ExecutionStatus.COMPLETED)).containsExactly(done.id());
        assertThat(searches(recorder, ExecutionStatus.FAILED)).containsExactly(broken.id());
        assertThat(searches(recorder, ExecutionStatus.PENDING)).isEmpty();
        assertThatThrownBy(() -> new NewToolCall("c5", "search", ToolCallType.LOCAL, "{}", Map.of(), ExecutionStatus.PENDING))
                .isExactlyInstanceOf(InvalidInputException.class).hasMessage("initialStatus: must be processing or queued, was pending");

        waiting.start();
        assertThat(searches(recorder, ExecutionStatus.QUEUED)).isEmpty();
        List<UUID> processing = searches(recorder, ExecutionStatus.PROCESSING);
        assertThat(processing).containsExactlyInAnyOrder(waiting.id(), running.id());
    }

    private static List<UUID> searches(ExecutionRecorder recorder, ExecutionStatus status) {
        return recorder.toolCalls(ToolCallQuery.forTool("search").status(status)).items().stream().map(ToolCall::id).toList();
    }
}
