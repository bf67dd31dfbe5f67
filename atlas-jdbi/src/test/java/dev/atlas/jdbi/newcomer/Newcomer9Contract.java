package dev.atlas.jdbi.newcomer;

import dev.atlas.Atlas;
import dev.atlas.AtlasClosedException;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A new user's programs written from docs/executions.md and the Javadoc of
 * {@code dev.atlas.execution}: the handle used the wrong way round (a step of another run, of
 * another tenant or of nobody; a reply into a closed conversation; steps and tool calls recorded
 * after the end) gives a typed exception naming the field, worded alike whoever's id it was, and
 * writes nothing.
 */
public abstract class Newcomer9Contract extends AtlasContract {

    protected Newcomer9Contract(TestDatabase database) {
        super(database);
    }

    /** A step handle no execution ever had: what a newcomer's own test double passes. */
    private static StepHandle strayStep() {
        UUID id = UUID.randomUUID();
        return new StepHandle() {
            @Override public UUID id() { return id; }
            @Override public int sequence() { return 1; }
            @Override public ToolCallHandle toolCall(NewToolCall call) { throw new UnsupportedOperationException(); }
            @Override public void finish(String content, FinishReason finishReason) { }
            @Override public void finish(String content, String reasoning, FinishReason finishReason, Usage usage) { }
            @Override public void fail(String error) { }
            @Override public void metadata(Map<String, ?> metadata) { }
        };
    }

    @Test
    @DisplayName("reply with a step of another tenant's run is refused on step exactly as one of another run of the tenant or one that exists nowhere; nothing is appended")
    void replyWithAForeignStepIsWordedAsAnyOtherStep() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(convo.id(), NewMessage.user("Where is order 1234?"));
        Conversation theirs = globex.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()));
        ExecutionHandle other = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()));
        ExecutionHandle foreign = globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(theirs.id()));
        StepHandle own = exec.step();
        for (StepHandle step : new StepHandle[] {other.step(), foreign.step(), strayStep()}) {
            assertThatThrownBy(() -> exec.reply(step, "It shipped.")).isExactlyInstanceOf(InvalidInputException.class)
                    .hasMessage("step: belongs to another execution");
            assertThatThrownBy(() -> exec.reply(step, NewMessage.assistant("It shipped.").clientId("turn-1")))
                    .isExactlyInstanceOf(InvalidInputException.class).hasMessage("step: belongs to another execution");
        }
        assertThat(acme.conversations().history(convo.id())).extracting(m -> m.content()).containsExactly("Where is order 1234?");
        assertThat(globex.conversations().history(theirs.id())).isEmpty();
        assertThat(exec.reply(own, NewMessage.assistant("It shipped.").clientId("turn-1")).stepId()).isEqualTo(own.id());
    }

    @Test
    @DisplayName("a reply into a closed conversation is a ConflictException on conversationId and stores nothing; into an archived one it is stored and reopens it, as append does")
    void replyIntoAClosedOrArchivedConversation() {
        Tenant acme = atlas.tenant("acme");
        Conversation closed = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(closed.id(), NewMessage.user("Cancel my order"));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(closed.id()));
        StepHandle step = exec.step();
        acme.conversations().close(closed.id());
        assertThatThrownBy(() -> exec.reply(step, "Cancelled.")).isInstanceOfSatisfying(ConflictException.class, e -> {
            assertThat(e.field()).isEqualTo("conversationId");
            assertThat(e).hasMessage("conversationId: conversation " + closed.id() + " is closed and accepts no messages");
        });
        assertThat(acme.conversations().history(closed.id())).extracting(m -> m.content()).containsExactly("Cancel my order");
        exec.cancel();

        Conversation archived = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(archived.id(), NewMessage.user("Still there?"));
        ExecutionHandle late = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(archived.id()));
        StepHandle lateStep = late.step();
        acme.conversations().archive(archived.id());
        assertThat(late.reply(lateStep, "Yes.").executionId()).isEqualTo(late.id());
        assertThat(acme.conversations().require(archived.id()).status()).isEqualTo(ConversationStatus.OPEN);
        assertThat(acme.conversations().history(archived.id())).extracting(m -> m.content()).containsExactly("Still there?", "Yes.");
    }

    @Test
    @DisplayName("recording into a finished execution: a step, a call outside a step and a call on a finished step are refused naming executionId or stepId, and the tree is as it ended")
    void recordingIntoAFinishedExecutionNamesTheField() {
        ExecutionRecorder executions = atlas.tenant("acme").executions();
        ExecutionHandle exec = executions.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = exec.step();
        step.toolCall("call_1", "lookup_order", "{\"id\":1234}").complete("shipped");
        step.finish("It shipped.", FinishReason.STOP);
        assertThatThrownBy(() -> step.toolCall("call_2", "lookup_order", "{}")).isInstanceOfSatisfying(ConflictException.class, e -> {
            assertThat(e.field()).isEqualTo("stepId");
            assertThat(e).hasMessage("stepId: step " + step.id() + " of execution " + exec.id() + " has finished; its tool calls can only be"
                    + " recorded before its finish or fail, so record them first or start a new step");
        });
        exec.complete();
        ExecutionTree ended = executions.tree(exec.id()).orElseThrow();
        String notProcessing = "executionId: execution " + exec.id() + " is not processing; steps and tool calls can only be recorded or started while it runs";
        assertThatThrownBy(exec::step).isInstanceOfSatisfying(ConflictException.class, e -> {
            assertThat(e.field()).isEqualTo("executionId");
            assertThat(e).hasMessage(notProcessing);
        });
        assertThatThrownBy(() -> exec.toolCall(NewToolCall.of("call_3", "hang_up", "{}"))).isInstanceOfSatisfying(ConflictException.class, e -> {
            assertThat(e.field()).isEqualTo("executionId");
            assertThat(e).hasMessage(notProcessing);
        });
        assertThat(executions.tree(exec.id())).contains(ended);
    }

    @Test
    @DisplayName("Atlas closed while an async call is in flight: the future recordAsync returned fails with AtlasClosedException once the"
            + " provider answers, every write through the open handles (a tool call's result, its thread, a queued call's start, metadata,"
            + " reply, the finish) fails the same way, and the runs stay processing for another instance's sweep")
    void closeWhileAnAsyncCallIsInFlight() {
        Atlas closing = reopen(b -> b.clock(clock));
        Tenant acme = closing.tenant("acme");
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        CompletableFuture<String> provider = new CompletableFuture<>();
        UUID[] asyncId = new UUID[1];
        CompletableFuture<String> answer = acme.executions().recordAsync(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()),
                exec -> {
                    asyncId[0] = exec.id();
                    return provider;
                });
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()));
        StepHandle step = exec.step();
        StepHandle.ToolCallHandle call = step.toolCall("call_1", "lookup_order", "{}");
        StepHandle.ToolCallHandle queued = step.toolCall(NewToolCall.of("call_2", "lookup_order", "{}").queued());
        closing.close();
        provider.complete("It shipped.");
        assertThatThrownBy(answer::join).isExactlyInstanceOf(CompletionException.class)
                .cause().isExactlyInstanceOf(AtlasClosedException.class).hasMessage("this Atlas instance is closed");
        List<Runnable> writes = List.of(() -> call.complete("shipped"), () -> call.fail("timeout"), () -> call.metadata(Map.of("ms", 12)),
                () -> call.thread(Owner.user("42"), null), queued::start, () -> step.metadata(Map.of("k", "v")), () -> step.fail("x"),
                () -> exec.reply(step, "It shipped."), exec::complete, exec::cancel, () -> exec.fail("x"));
        for (Runnable write : writes) {
            assertThatThrownBy(write::run).isExactlyInstanceOf(AtlasClosedException.class).hasMessage("this Atlas instance is closed");
        }
        assertThat(List.of(exec.id(), step.id(), call.id())).doesNotContainNull();
        ExecutionRecorder executions = atlas.tenant("acme").executions();
        assertThat(executions.require(asyncId[0]).status()).isEqualTo(ExecutionStatus.PROCESSING);
        assertThat(executions.tree(exec.id()).orElseThrow().steps().get(0).toolCalls())
                .extracting(c -> c.status()).containsExactly(ExecutionStatus.PROCESSING, ExecutionStatus.QUEUED);
        assertThat(atlas.tenant("acme").conversations().history(convo.id())).isEmpty();
        clock.set(clock.instant().plus(Duration.ofHours(2)));
        assertThat(executions.sweepInterrupted(Duration.ofHours(1)).executions()).isEqualTo(2);
        assertThat(executions.require(asyncId[0]).status()).isEqualTo(ExecutionStatus.FAILED);
    }
}
