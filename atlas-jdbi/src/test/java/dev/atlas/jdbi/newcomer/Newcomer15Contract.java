package dev.atlas.jdbi.newcomer;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.AtlasClosedException;
import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.credential.CredentialInfo;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.MessageWithTools;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryKind;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchFilter;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.TextQuery;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStatus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user on a fresh machine, reading README.md's first screen and following its links into
 * docs/: the quick start exactly as written, then a small support agent (a retry branch, an
 * idempotent append retried after a timeout, a model call with two tool rounds and its cost, a
 * memory found by full-text search, an assistant revised with a run pinned to the old revision, a
 * credential, a durable task, the conversation erased), each result read field by field against
 * what the docs say; then the mistakes a newcomer makes.
 */
public abstract class Newcomer15Contract extends AtlasContract {
    private static final byte[] KEY = new byte[32];

    static {
        new SecureRandom().nextBytes(KEY);
    }

    protected Newcomer15Contract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return builder.clock(clock).credentialKeys(CredentialKeys.of("2026-03", KEY));
    }

    /** The user's own provider client of the README: a reply and its token counts; records what it was sent. */
    record Reply(String text, long inputTokens, long outputTokens, List<ToolRequest> toolCalls) {}

    record ToolRequest(String id, String name, String arguments) {}

    static final class Llm {
        final List<Reply> script;
        final List<Object> sent = new ArrayList<>();

        Llm(Reply... script) {
            this.script = new ArrayList<>(List.of(script));
        }

        Reply call(Object history) {
            sent.add(history);
            return script.remove(0);
        }

        Reply call(Object history, Object round) {
            sent.add(round);
            return script.remove(0);
        }
    }

    /** README.md's first screen, as written, but for the Atlas it is handed (the file is the contract's database). */
    private static String quickStart(Atlas atlas, Llm llm) {
        Tenant acme = atlas.tenant("acme");                               // every call scoped to tenant "acme"
        Conversation convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(convo.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
        String answer = acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()), exec -> {
            var step = exec.step();
            var reply = llm.call(acme.conversations().history(convo.id()));   // your own provider client
            step.finish(reply.text(), FinishReason.STOP);
            exec.usage(Usage.of(reply.inputTokens(), reply.outputTokens()));
            exec.reply(step, reply.text());                                   // assistant message linked to the call
            return reply.text();
        });
        return answer;
    }

    @Test
    @DisplayName("README's quick start as written: the history the model is sent is the user's question; the answer is returned,"
            + " stored as the assistant message linked to the call's step, the call completed with its usage and no cost (no price),"
            + " the conversation titled by the question; a re-send of c-1 returns the stored question")
    void quickStart() {
        Llm llm = new Llm(new Reply("It shipped yesterday.", 12, 5, List.of()));
        assertThat(quickStart(atlas, llm)).isEqualTo("It shipped yesterday.");

        ConversationStore conv = atlas.tenant("acme").conversations();
        @SuppressWarnings("unchecked")
        List<Message> sent = (List<Message>) llm.sent.get(0);
        assertThat(sent).extracting(Message::role, Message::content).containsExactly(org.assertj.core.groups.Tuple.tuple(Role.USER, "Where is order 1234?"));
        Conversation convo = conv.require(sent.get(0).conversationId());
        assertThat(convo.title()).isEqualTo("Where is order 1234?");
        assertThat(convo.agent()).isEqualTo("support");
        assertThat(convo.owner()).isEqualTo(Owner.user("42"));
        assertThat(convo.tenantId()).isEqualTo("acme");
        assertThat(convo.lastSequence()).isEqualTo(2);

        List<Message> history = conv.history(convo.id());
        assertThat(history).extracting(Message::sequence, Message::role, Message::content, Message::clientId).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1L, Role.USER, "Where is order 1234?", "c-1"),
                org.assertj.core.groups.Tuple.tuple(2L, Role.ASSISTANT, "It shipped yesterday.", null));
        Message answer = history.get(1);
        Execution exec = atlas.tenant("acme").executions().require(answer.executionId());
        ExecutionTree tree = atlas.tenant("acme").executions().tree(exec.id()).orElseThrow();
        assertThat(answer.stepId()).isEqualTo(tree.steps().get(0).id());
        assertThat(answer.active()).isTrue();
        assertThat(answer.parentId()).isNull();
        assertThat(exec.status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(exec.conversationId()).isEqualTo(convo.id());
        assertThat(exec.provider() + "/" + exec.model()).isEqualTo("openai/gpt-4o");
        assertThat(exec.usage()).isEqualTo(Usage.of(12, 5));
        assertThat(exec.cost()).isNull();
        assertThat(tree.steps()).extracting(ExecutionStep::sequence, ExecutionStep::status, ExecutionStep::content, ExecutionStep::finishReason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, ExecutionStatus.COMPLETED, "It shipped yesterday.", FinishReason.STOP));
        // Idempotent append: the re-send returns the stored message.
        Message again = conv.append(convo.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
        assertThat(again).isEqualTo(history.get(0));
        assertThat(conv.require(convo.id()).lastSequence()).isEqualTo(2);
        // Nothing under the default tenant: the quick start's calls were all acme's.
        assertThat(atlas.conversations().get(convo.id())).isEmpty();

        // "Regenerate" on the quick start's answer: exec.reply(step, text) gave it no parent, so it is no sibling of an
        // answer appended with parent(question), and both stay in the history (README "Retry branches").
        Message regen = conv.append(convo.id(), NewMessage.assistant("It ships on Friday.").parent(history.get(0).id()));
        assertThat(regen.active()).isTrue();
        assertThat(conv.siblings(regen.id())).containsExactly(regen);
        assertThat(conv.history(convo.id())).extracting(Message::content)
                .containsExactly("Where is order 1234?", "It shipped yesterday.", "It ships on Friday.");
    }

    @Test
    @DisplayName("a support agent from the guides, each result read field by field against them: a regenerated answer is the"
            + " active sibling (2 / 2) and activate switches back; an append retried with its client id after a timeout returns the"
            + " stored message; a call with two tool rounds is billed 0.003085 for 1234 input tokens at 2.50/M, its reply carries both"
            + " rounds in historyWithTools; a memory is found by full-text search with a bracketed snippet; a run pinned to revision 1"
            + " after revision 2 is published keeps revision 1; a credential reads back; a task is created, claimed and completed;"
            + " eraseConversation takes the conversation and everything hanging off it, the memory and credential stay")
    void supportAgent() {
       
        Tenant acme = atlas.tenant("acme");
        Owner user = Owner.user("42");
        ConversationStore conv = acme.conversations();

        // An assistant with a prompt; the conversation records the revision it runs with.
        Assistant bot = acme.assistants().create(AssistantSpec.of("support-bot", "Support bot").defaultModel("gpt-4o")
                .temperature(new BigDecimal("0.7")).tools(List.of("lookup_order")));
        assertThat(bot.temperature()).isEqualTo(new BigDecimal("0.70"));
        AssistantRevision v1 = acme.assistants().publish(bot.id(), NewRevision.of("You are a helpful support agent.", Map.of("tone", "warm")));
        assertThat(v1.number()).isEqualTo(1);
        Conversation convo = conv.create(NewConversation.of(user, "support").assistantRevision(v1.id()));
        assertThat(convo.assistantRevisionId()).isEqualTo(v1.id());
        assertThat(convo.assistantId()).isEqualTo(bot.id());

        // An append whose first try timed out: the retry with its client id returns the stored message, nothing appended twice.
        Message q = conv.append(convo.id(), NewMessage.user("Where is order 1234?").clientId("turn-1"));
        Message retried = conv.append(convo.id(), NewMessage.user("Where is order 1234?").clientId("turn-1"));
        assertThat(retried).isEqualTo(q);
        assertThat(conv.require(convo.id()).lastSequence()).isEqualTo(1);
        Throwable differs = catchThrowable(() -> conv.append(convo.id(), NewMessage.user("Where is order 1235?").clientId("turn-1")));
        assertThat(differs).isExactlyInstanceOf(ConflictException.class);
        assertThat(((ConflictException) differs).field()).isEqualTo("clientId");

        // The revision is revised; a run pinned to the old one keeps it.
        AssistantRevision v2 = acme.assistants().publish(bot.id(), NewRevision.of("You are a concise support agent.", Map.of("tone", "brief")));
        assertThat(v2.number()).isEqualTo(2);
        assertThat(acme.assistants().require(bot.id()).currentRevisionId()).isEqualTo(v2.id());

        // The model call with two tool rounds, priced.
        acme.prices().create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", Instant.parse("2026-01-01T00:00:00Z")));
        Llm llm = new Llm(
                new Reply("Let me look.", 600, 0, List.of(new ToolRequest("call_1", "lookup_order", "{\"id\":1234}"))),
                new Reply("And the carrier.", 634, 0, List.of(new ToolRequest("call_2", "track", "{\"order\":1234}"))),
                new Reply("Order 1234 ships tomorrow.", 0, 0, List.of()));
        String text = acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").agent("support").conversation(convo.id())
                .assistantRevision(v1.id()), exec -> {
            var history = acme.executions().historyWithTools(convo.id(), 50);
            long in = 0;
            var step = exec.step();
            Reply asked = llm.call(history);
            for (int round = 0; round < 2; round++) {
                in += asked.inputTokens();
                for (ToolRequest t : asked.toolCalls()) {
                    step.toolCall(t.id(), t.name(), t.arguments()).complete("{\"status\":\"shipped\"}");
                }
                step.finish(asked.text(), FinishReason.TOOL_CALLS);
                var rounds = acme.executions().tree(exec.id()).orElseThrow().steps();   // read before the next step opens
                step = exec.step();
                asked = llm.call(history, rounds);
            }
            step.finish(asked.text(), FinishReason.STOP);
            exec.usage(Usage.of(in, 0));
            exec.reply(step, NewMessage.assistant(asked.text()).parent(q.id()));   // the question it answers: a sibling group
            return asked.text();
        });
        assertThat(text).isEqualTo("Order 1234 ships tomorrow.");
        // The second model call was sent the first round (its step with the call and result).
        @SuppressWarnings("unchecked")
        List<ExecutionStep> sentRound = (List<ExecutionStep>) llm.sent.get(1);
        assertThat(sentRound).hasSize(1);
        assertThat(sentRound.get(0).toolCalls()).extracting(c -> c.name() + " " + c.arguments() + " -> " + c.result())
                .containsExactly("lookup_order {\"id\":1234} -> {\"status\":\"shipped\"}");

        List<MessageWithTools> replay = acme.executions().historyWithTools(convo.id(), 50);
        assertThat(replay).hasSize(2);
        Message answer = replay.get(1).message();
        assertThat(answer.role()).isEqualTo(Role.ASSISTANT);
        assertThat(answer.content()).isEqualTo("Order 1234 ships tomorrow.");
        assertThat(replay.get(1).toolSteps()).extracting(ExecutionStep::sequence, ExecutionStep::finishReason).containsExactly(
                org.assertj.core.groups.Tuple.tuple(1, FinishReason.TOOL_CALLS), org.assertj.core.groups.Tuple.tuple(2, FinishReason.TOOL_CALLS));
        assertThat(replay.get(1).toolCalls()).extracting(c -> c.providerCallId() + " " + c.name()).containsExactly("call_1 lookup_order", "call_2 track");
        Execution run = acme.executions().require(answer.executionId());
        assertThat(run.status()).isEqualTo(ExecutionStatus.COMPLETED);
        assertThat(run.assistantRevisionId()).isEqualTo(v1.id());
        assertThat(run.agent()).isEqualTo("support");
        assertThat(run.usage()).isEqualTo(Usage.of(1234, 0));
        assertThat(run.cost()).isEqualByComparingTo("0.003085");

        // A regenerated answer: an assistant message with parent(q) is the active sibling; activate switches back.
        Message regen = conv.append(convo.id(), NewMessage.assistant("Order 1234 ships on Friday.").parent(q.id()));
        assertThat(regen.active()).isTrue();
        assertThat(answer.parentId()).isEqualTo(q.id());
        assertThat(conv.siblings(regen.id())).extracting(Message::id).containsExactly(answer.id(), regen.id());
        assertThat(conv.siblingGroups(regen.id()).index() + " / " + conv.siblingGroups(regen.id()).count()).isEqualTo("2 / 2");
        assertThat(conv.history(convo.id())).extracting(Message::content).containsExactly("Where is order 1234?", "Order 1234 ships on Friday.");
        assertThat(conv.canRetry(regen.id())).isTrue();
        conv.activate(answer.id());
        assertThat(conv.history(convo.id())).extracting(Message::content).containsExactly("Where is order 1234?", "Order 1234 ships tomorrow.");
        assertThat(conv.requireMessage(regen.id()).active()).isFalse();

        // A memory learnt from the turn, found by full-text search.
        Memory m = acme.memories().create(NewMemory.preference(user, "Prefers email over phone").agent("support").tags("contact")
                .importance(0.8).from(convo.id(), q.id()));
        assertThat(m.kind()).isEqualTo(MemoryKind.PREFERENCE);
        assertThat(m.revision()).isEqualTo(1);
        assertThat(m.tags()).containsExactly("contact");
        assertThat(m.importance()).isEqualTo(0.8);
        List<SearchHit> hits = acme.search().text(TextQuery.memories("email").filter(SearchFilter.none().kind(MemoryKind.PREFERENCE)));
        assertThat(hits).hasSize(1);
        assertThat(hits.get(0).target()).isEqualTo(SearchTarget.MEMORY);
        assertThat(hits.get(0).id()).isEqualTo(m.id());
        assertThat(hits.get(0).conversationId()).isEqualTo(convo.id());
        assertThat(hits.get(0).snippet()).isEqualTo("Prefers [email] over phone");
        List<SearchHit> messageHits = acme.search().text(TextQuery.messages("order 1234").filter(SearchFilter.none().owner(user).role(Role.USER)));
        assertThat(messageHits).extracting(SearchHit::id, SearchHit::snippet).containsExactly(
                org.assertj.core.groups.Tuple.tuple(q.id(), "Where is [order] [1234]?"));

        // The user's own key, encrypted; read back.
        CredentialInfo info = acme.credentials().upsert(user, "openai", "sk-test-1");
        assertThat(info.owner()).isEqualTo(user);
        assertThat(info.name()).isEqualTo("openai");
        assertThat(info.keyId()).isEqualTo("2026-03");
        assertThat(acme.credentials().get(user, "openai").orElseThrow().toString()).isEqualTo("Secret[****]");
        assertThat(acme.credentials().get(user, "openai").orElseThrow().reveal()).isEqualTo("sk-test-1");
        assertThat(acme.credentials().list(user)).containsExactly(info);

        // A durable task tied to the conversation: created, claimed under a lease, completed.
        Task created = acme.tasks().create(NewTask.of("summarize", Map.of("reason", "long thread")).forConversation(convo.id()));
        assertThat(created.status()).isEqualTo(TaskStatus.PENDING);
        assertThat(created.attempts()).isZero();
        assertThat(created.maxAttempts()).isEqualTo(3);
        assertThat(created.conversationId()).isEqualTo(convo.id());
        ClaimedTask claim = acme.tasks().claim(Duration.ofSeconds(30)).orElseThrow();
        assertThat(claim.task().id()).isEqualTo(created.id());
        assertThat(claim.task().status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(claim.task().attempts()).isEqualTo(1);
        assertThat(claim.leaseDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(claim.task().claimId()).isEqualTo(claim.claimId());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("summary", "order 1234 ships tomorrow");
        Task done = acme.tasks().complete(claim, summary);
        assertThat(done.status()).isEqualTo(TaskStatus.COMPLETED);
        assertThat(done.result()).isEqualTo(summary);
        assertThat(done.claimId()).isNull();
        assertThat(done.leaseExpiresAt()).isNull();
        assertThat(done.finishedAt()).isEqualTo(clock.instant());
        assertThat(acme.tasks().require(done.id())).isEqualTo(done);

        // The conversation erased: it and what hangs off it go; the owner's memory and credential stay.
        var erased = acme.portability().eraseConversation(convo.id(), false);
        assertThat(erased.dryRun()).isFalse();
        assertThat(erased.counts()).isEqualTo(Map.of("conversations", 1L, "messages", 3L, "message_events", 4L, "executions", 1L,
                "execution_steps", 3L, "execution_tool_calls", 2L, "tasks", 1L));
        assertThat(conv.get(convo.id())).isEmpty();
        assertThat(acme.executions().get(run.id())).isEmpty();
        assertThat(acme.tasks().get(done.id())).isEmpty();
        assertThat(acme.memories().require(m.id()).conversationId()).isEqualTo(convo.id());
        assertThat(acme.credentials().require(user, "openai").reveal()).isEqualTo("sk-test-1");
        assertThat(acme.assistants().getRevision(v1.id())).isPresent();
    }

    private static <X extends Throwable> X thrown(Class<X> type, Runnable call) {
        Throwable x = catchThrowable(call::run);
        assertThat(x).isExactlyInstanceOf(type);
        return type.cast(x);
    }

    @Test
    @DisplayName("a newcomer's mistakes: a message id where the conversation id goes, provenance ids swapped, nulls, a conversation"
            + " of tenant acme used through the default tenant's shorthand: each a typed exception naming the field, worded as an"
            + " unknown id; value builders are copies (a setter's result is a new value), AtlasBuilder's setters change and return"
            + " the builder itself; after close every store obtained before, and tenant(..), fail with AtlasClosedException")
    void newcomerMistakes() {
        Tenant acme = atlas.tenant("acme");
        ConversationStore conv = acme.conversations();
        Owner user = Owner.user("42");
        Conversation convo = conv.create(NewConversation.of(user, "support"));
        Message q = conv.append(convo.id(), NewMessage.user("Where is order 1234?"));

        // Wrong argument: the message's id where the conversation's goes.
        NotFoundException wrongId = thrown(NotFoundException.class, () -> conv.append(q.id(), NewMessage.assistant("It shipped")));
        assertThat(wrongId.field()).hasValue("conversationId");
        assertThat(wrongId.entity() + " " + wrongId.id()).isEqualTo("conversation " + q.id());
        assertThat(wrongId).hasMessage("conversationId: conversation " + q.id() + " not found");
        // Provenance given as (message, conversation) instead of (conversation, message).
        NotFoundException swapped = thrown(NotFoundException.class,
                () -> acme.memories().create(NewMemory.fact(user, "Lives in Lyon").from(q.id(), convo.id())));
        assertThat(swapped.field()).hasValue("conversationId");
        assertThat(swapped).hasMessage("conversationId: conversation " + q.id() + " not found");

        // Forgetting the tenant: the shorthand is tenant "default", where acme's conversation is an unknown id.
        UUID nowhere = UUID.randomUUID();
        NotFoundException viaDefault = thrown(NotFoundException.class, () -> atlas.conversations().append(convo.id(), NewMessage.user("hi")));
        NotFoundException unknown = thrown(NotFoundException.class, () -> atlas.conversations().append(nowhere, NewMessage.user("hi")));
        assertThat(viaDefault.getMessage().replace(convo.id().toString(), "<id>")).isEqualTo(unknown.getMessage().replace(nowhere.toString(), "<id>"));
        assertThat(viaDefault.field()).hasValue("conversationId");
        assertThat(thrown(NotFoundException.class, () -> atlas.conversations().require(convo.id())))
                .hasMessage("conversation " + convo.id() + " not found");

        // Nulls: a type without @Nullable is never null; each refused naming its field, nothing written.
        assertThat(thrown(InvalidInputException.class, () -> NewMessage.user(null)).field()).isEqualTo("content");
        assertThat(thrown(InvalidInputException.class, () -> conv.append(null, NewMessage.user("hi"))).field()).isEqualTo("conversationId");
        assertThat(thrown(InvalidInputException.class, () -> conv.append(convo.id(), null)).field()).isEqualTo("message");
        assertThat(thrown(InvalidInputException.class, () -> Owner.user(null)).field()).isEqualTo("owner.id");
        assertThat(thrown(InvalidInputException.class, () -> atlas.tenant(null)).field()).isEqualTo("tenantId");
        assertThat(thrown(InvalidInputException.class, () -> TextQuery.messages(null)).field()).isEqualTo("text");
        assertThat(thrown(InvalidInputException.class, () -> acme.credentials().upsert(user, "openai", null)).field()).isEqualTo("secret");
        assertThat(conv.require(convo.id()).lastSequence()).isEqualTo(1);
        assertThat(acme.credentials().list(user)).isEmpty();

        // Reused value builders: each setter returns a copy, the value it was called on is unchanged.
        NewMessage base = NewMessage.user("Thanks");
        NewMessage keyed = base.clientId("c-9");
        assertThat(base.clientId()).isNull();
        Message first = conv.append(convo.id(), base);
        Message second = conv.append(convo.id(), base);
        assertThat(second.sequence()).isEqualTo(first.sequence() + 1);
        assertThat(conv.append(convo.id(), keyed)).isEqualTo(conv.append(convo.id(), keyed));
        // AtlasBuilder is not a value: its setters change it and return it, so a "base" builder carries every later setting.
        AtlasBuilder builder = Atlas.builder().dataSource(database.dataSource());
        assertThat(builder.historyLimit(7)).isSameAs(builder);
        assertThat(builder.config().historyLimit()).isEqualTo(7);

        // Closed: stores obtained before, and tenant(..), fail with AtlasClosedException.
        Atlas second2 = reopen(b -> b.clock(clock));
        Tenant before = second2.tenant("acme");
        ConversationStore closedConv = before.conversations();
        second2.close();
        thrown(AtlasClosedException.class, () -> closedConv.append(convo.id(), NewMessage.user("late")));
        thrown(AtlasClosedException.class, () -> closedConv.get(convo.id()));
        thrown(AtlasClosedException.class, () -> before.tasks().create(NewTask.of("summarize", Map.of())));
        thrown(AtlasClosedException.class, () -> second2.tenant("acme").conversations().get(convo.id()));
        assertThat(conv.require(convo.id()).lastSequence()).isEqualTo(4);
    }
}
