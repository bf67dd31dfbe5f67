package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.ConflictException;
import dev.atlas.IllegalTransitionException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user who read only README.md and docs/executions.md, across executions, assets and voice
 * calls: every recording call into a run its owner's erase removed, long tool loops with usage
 * reported twice, prices with many decimals changing mid-run, hostile tool input, two instances on
 * one run, another tenant's ids, uploads that fail half-way and reads racing purges.
 */
public abstract class Newcomer37Contract extends AtlasContract {
    private Path dir;

    protected Newcomer37Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        try {
            dir = Files.createTempDirectory("atlas-newcomer37");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return super.configure(builder).blobStore(new LocalDirectoryBlobStore(dir.resolve("blobs")));
    }

    @AfterEach
    void removeDir() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The exception's type, the field it names and its message: what a caller can act on. */
    private static String describe(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof InvalidInputException i ? i.field()
                : t instanceof NotFoundException n ? n.field().orElse("-")
                : t instanceof ConflictException c ? c.field()
                : t instanceof IllegalTransitionException x ? x.field() : "?";
        return t.getClass().getSimpleName() + " on " + field + ": " + t.getMessage();
    }

    private static String outcome(Runnable call) {
        return describe(catchThrowable(call::run));
    }

    // ---- erase -----------------------------------------------------------------------------

    @Test
    @DisplayName("After the owner's erase, every recording call of the running turn (steps, tool calls, their ends and metadata,"
            + " the reply, the response id, the finish) is NotFoundException on executionId naming the run, and record rethrows one")
    void everyRecordingCallIntoAnErasedRunNamesExecutionId() {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Conversation convo = acme.conversations().create(NewConversation.of(alice, "support"));
        acme.conversations().append(convo.id(), NewMessage.user("hi"));
        Map<String, String> out = new LinkedHashMap<>();
        UUID[] id = new UUID[1];
        Throwable thrown = catchThrowable(() -> acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()).owner(alice), exec -> {
            id[0] = exec.id();
            StepHandle done = exec.step();
            StepHandle.ToolCallHandle answered = done.toolCall("c0", "lookup", "{}");
            answered.complete("ok");
            done.finish("r0", FinishReason.TOOL_CALLS);
            StepHandle step = exec.step();
            StepHandle.ToolCallHandle running = step.toolCall("c1", "lookup", "{}");
            StepHandle.ToolCallHandle queued = step.toolCall(NewToolCall.of("c2", "lookup", "{}").queued());
            StepHandle.ToolCallHandle outside = exec.toolCall(NewToolCall.of("v1", "speak", "{}"));
            acme.portability().eraseOwner(alice, false);
            out.put("exec.step", outcome(exec::step));
            out.put("exec.toolCall", outcome(() -> exec.toolCall(NewToolCall.of("v2", "speak", "{}"))));
            out.put("step.toolCall", outcome(() -> step.toolCall("c3", "lookup", "{}")));
            out.put("step.finish", outcome(() -> step.finish("x", FinishReason.STOP)));
            out.put("step.finish with usage", outcome(() -> step.finish("x", "why", FinishReason.STOP, Usage.of(1, 1))));
            out.put("step.fail", outcome(() -> step.fail("boom")));
            out.put("step.metadata", outcome(() -> step.metadata(Map.of("k", "v"))));
            out.put("done.metadata", outcome(() -> done.metadata(Map.of("k", "v"))));
            out.put("call.complete", outcome(() -> running.complete("{}")));
            out.put("call.fail", outcome(() -> running.fail("boom")));
            out.put("call.cancel", outcome(running::cancel));
            out.put("call.metadata", outcome(() -> running.metadata(Map.of("k", "v"))));
            out.put("answered.metadata", outcome(() -> answered.metadata(Map.of("k", "v"))));
            out.put("queued.start", outcome(queued::start));
            out.put("queued.cancel", outcome(queued::cancel));
            out.put("outside.complete", outcome(() -> outside.complete("{}")));
            out.put("exec.reply", outcome(() -> exec.reply(done, "x")));
            out.put("exec.reply keyed", outcome(() -> exec.reply(done, NewMessage.assistant("x").clientId("k1"))));
            out.put("exec.providerResponseId", outcome(() -> exec.providerResponseId("resp_1")));
            out.put("exec.metadata", outcome(() -> exec.metadata(Map.of("k", "v"))));
            return "answer";
        }));
        String gone = "NotFoundException on executionId: executionId: execution " + id[0] + " not found";
        Map<String, String> expected = new LinkedHashMap<>();
        out.keySet().forEach(k -> expected.put(k, gone));
        assertThat(out).containsExactlyEntriesOf(expected);
        assertThat(describe(thrown)).isEqualTo(gone);
        assertThat(acme.executions().get(id[0])).isEmpty();
        assertThat(acme.executions().toolCalls(dev.atlas.execution.ToolCallQuery.all()).items()).isEmpty();
    }

    @Test
    @DisplayName("After the owner's erase, a handle's own finish (complete, fail, cancel) is NotFoundException on executionId")
    void finishingAnErasedRunNamesExecutionId() {
        Tenant acme = atlas.tenant("acme");
        Owner alice = Owner.user("alice");
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, String> expected = new LinkedHashMap<>();
        for (String end : new String[] {"complete", "fail", "cancel"}) {
            ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").owner(alice));
            exec.step().finish("r", null, FinishReason.STOP, Usage.of(3, 4));
            acme.portability().eraseOwner(alice, false);
            out.put(end, outcome(() -> {
                switch (end) {
                    case "complete" -> exec.complete();
                    case "fail" -> exec.fail("boom");
                    default -> exec.cancel();
                }
            }));
            expected.put(end, "NotFoundException on executionId: executionId: execution " + exec.id() + " not found");
        }
        assertThat(out).containsExactlyEntriesOf(expected);
    }
}
