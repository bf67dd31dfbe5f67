package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialInfo;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ModelPrice;
import dev.atlas.graph.Direction;
import dev.atlas.graph.GraphEdge;
import dev.atlas.graph.GraphNode;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.NewMemory;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import dev.atlas.voice.VoiceCallStore;
import dev.atlas.voice.VoiceTurn;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The record every create or update method returns equals what a later read returns, for every
 * store. Instants given by the caller carry nanoseconds, which both databases store only to the
 * microsecond, so a store that echoes its input instead of what it stored fails here.
 */
public abstract class WriteEqualsReadContract extends AtlasContract {
    /** A caller's instant with nanoseconds, in the future of the test clock. */
    private static final Instant NANOS = Instant.parse("2026-06-01T12:00:00.123456789Z");
    private static final Owner ALICE = Owner.user("alice");
    private Tenant acme;

    protected WriteEqualsReadContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(CredentialKeys.of("k1", TestKeys.key("k1")));
    }

    @BeforeEach
    void tenant() {
        acme = atlas.tenant("acme");
        clock.set(Instant.parse("2026-03-01T10:15:30.123456789Z"));
    }

    @Test
    @DisplayName("conversations: create, title, summary, metadata and status changes return what get reads back")
    void conversations() {
        ConversationStore s = acme.conversations();
        Conversation c = s.create(NewConversation.of(ALICE, "support").metadata(Map.of("a", 1.0E7)));
        assertThat(s.get(c.id())).contains(c);
        List<Supplier<Conversation>> writes = List.of(() -> s.updateTitle(c.id(), "T"), () -> s.updateSummary(c.id(), "S"),
                () -> s.updateMetadata(c.id(), Map.of("b", 0.1)), () -> s.archive(c.id()), () -> s.reopen(c.id()), () -> s.close(c.id()));
        for (Supplier<Conversation> write : writes) {
            clock.advanceMicros(1);
            Conversation changed = write.get();
            assertThat(s.get(c.id())).contains(changed);
        }
    }

    @Test
    @DisplayName("messages: append, status, read receipt, edit and activate return what message() reads back")
    void messages() {
        ConversationStore s = acme.conversations();
        Conversation c = s.create(NewConversation.of(ALICE, "support"));
        Message user = s.append(c.id(), NewMessage.user("hi").metadata(Map.of("n", 1.5E-7)));
        assertThat(s.getMessage(user.id())).contains(user);
        Message reply = s.append(c.id(), NewMessage.assistant("hello").status(MessageStatus.QUEUED));
        assertThat(s.getMessage(reply.id())).contains(reply);
        List<Supplier<Message>> writes = List.of(() -> s.updateStatus(reply.id(), MessageStatus.PROCESSING, null),
                () -> s.markDelivered(reply.id()), () -> s.markRead(reply.id()), () -> s.edit(user.id(), "hi there"),
                () -> s.activate(reply.id()));
        for (Supplier<Message> write : writes) {
            clock.advanceMicros(1);
            Message changed = write.get();
            assertThat(s.getMessage(changed.id())).contains(changed);
        }
    }

    @Test
    @DisplayName("assistants: create, update, publish and rollback return what get and revision read back")
    void assistants() {
        Assistant a = acme.assistants().create(AssistantSpec.of("helper", "Helper").metadata(Map.of("x", 2.5)));
        assertThat(acme.assistants().get(a.id())).contains(a);
        Assistant updated = acme.assistants().update(a.id(), AssistantSpec.of("helper", "Helper 2"));
        assertThat(acme.assistants().get(a.id())).contains(updated);
        AssistantRevision r1 = acme.assistants().publish(a.id(), NewRevision.of("You help.", Map.of("t", 0.7)));
        assertThat(acme.assistants().getRevision(r1.id())).contains(r1);
        acme.assistants().publish(a.id(), NewRevision.of("You help tersely.", Map.of()));
        AssistantRevision back = acme.assistants().rollback(a.id(), 1, ALICE);
        assertThat(acme.assistants().getRevision(back.id())).contains(back);
    }

    @Test
    @DisplayName("credentials: put returns what list reads back")
    void credentials() {
        CredentialInfo info = acme.credentials().upsert(ALICE, "openai", "sk-1");
        assertThat(acme.credentials().list(ALICE)).containsExactly(info);
    }

    @Test
    @DisplayName("tasks: enqueue (with a run-after instant in nanoseconds), claim, complete, fail and cancel return what get reads back")
    void tasks() {
        Task later = acme.tasks().create(NewTask.of("mail", Map.of("n", 1.0E7)).runAfter(NANOS));
        assertThat(acme.tasks().get(later.id())).contains(later);
        Task cancelled = acme.tasks().cancel(later.id());
        assertThat(acme.tasks().get(later.id())).contains(cancelled);
        Task now = acme.tasks().create(NewTask.of("mail", Map.of()));
        ClaimedTask claim = acme.tasks().claim(Duration.ofMinutes(1)).orElseThrow();
        assertThat(acme.tasks().get(now.id())).contains(claim.task());
        Task failed = acme.tasks().fail(claim, "boom", NANOS);
        assertThat(acme.tasks().get(now.id())).contains(failed);
        Task other = acme.tasks().create(NewTask.of("mail", Map.of()));
        ClaimedTask second = acme.tasks().claim(Duration.ofMinutes(1)).orElseThrow();
        assertThat(second.taskId()).isEqualTo(other.id());
        Task done = acme.tasks().complete(second, Map.of("ok", 0.5));
        assertThat(acme.tasks().get(other.id())).contains(done);
    }

    @Test
    @DisplayName("executions: create, record, cancel return what get reads back")
    void executions() {
        Execution created = acme.executions().create(ExecutionSpec.text("openai", "gpt-4o").metadata(Map.of("n", 1.0E7)));
        assertThat(acme.executions().get(created.id())).contains(created);
        Execution cancelled = acme.executions().cancel(created.id());
        assertThat(acme.executions().get(created.id())).contains(cancelled);
        ExecutionHandle h = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        Execution done = h.complete();
        assertThat(acme.executions().get(done.id())).contains(done);
    }

    @Test
    @DisplayName("prices: set with a validity instant in nanoseconds returns what history and at read back")
    void prices() {
        ModelPrice price = acme.prices().create(ModelPrice.of("openai", "gpt-4o", "2.5", "10", NANOS));
        assertThat(acme.prices().list("openai", "gpt-4o")).containsExactly(price);
        assertThat(acme.prices().get("openai", "gpt-4o", NANOS)).contains(price);
    }

    @Test
    @DisplayName("assets: store and attach return what get and forMessage read back")
    void assets() {
        Conversation c = acme.conversations().create(NewConversation.of(ALICE, "support"));
        Message m = acme.conversations().append(c.id(), NewMessage.user("look"));
        Asset asset = acme.assets().create(NewAsset.of(AssetType.IMAGE, "a.png", "image/png").metadata(Map.of("w", 0.5)), new byte[] {1, 2});
        assertThat(acme.assets().get(asset.id())).contains(asset);
        AttachedAsset attached = acme.assets().attach(m.id(), asset.id(), Map.of("n", 1.0E7));
        assertThat(acme.assets().forMessage(m.id())).containsExactly(attached);
    }

    @Test
    @DisplayName("voice calls: start, checkpoint, summarize, complete and fail return what get reads back")
    void voiceCalls() {
        VoiceCallStore s = acme.voiceCalls();
        VoiceCall v = s.start(NewVoiceCall.of("rt", "openai", "gpt-realtime").metadata(Map.of("n", 1.0E7)));
        assertThat(s.get(v.id())).contains(v);
        List<VoiceTurn> turns = List.of(VoiceTurn.user("hi"));
        List<Supplier<VoiceCall>> writes = List.of(() -> s.checkpoint(v.id(), turns), () -> s.summarize(v.id(), "greeting"),
                () -> s.complete(v.id(), turns));
        for (Supplier<VoiceCall> write : writes) {
            clock.advanceMicros(1);
            VoiceCall changed = write.get();
            assertThat(s.get(v.id())).contains(changed);
        }
        VoiceCall other = s.start(NewVoiceCall.of("rt2", "openai", "gpt-realtime"));
        VoiceCall failed = s.fail(other.id());
        assertThat(s.get(other.id())).contains(failed);
    }

    @Test
    @DisplayName("memories: add and update with expiry instants in nanoseconds return what get reads back")
    void memories() {
        Memory m = acme.memories().create(NewMemory.fact(ALICE, "likes tea").metadata(Map.of("n", 1.0E7)).expiresAt(NANOS));
        assertThat(m.expiresAt()).isEqualTo(Instant.parse("2026-06-01T12:00:00.123456Z"));
        assertThat(acme.memories().get(m.id())).contains(m);
        Memory updated = acme.memories().update(m.id(), MemoryPatch.content("likes green tea").expiresAt(NANOS.plusSeconds(1)));
        assertThat(acme.memories().get(m.id())).contains(updated);
    }

    @Test
    @DisplayName("graph: node and edge upserts return what node and neighbours read back")
    void graph() {
        GraphNode a = acme.graph().upsertNode(NewGraphNode.of("a").metadata(Map.of("n", 1.0E7)));
        acme.graph().upsertNode(NewGraphNode.of("b"));
        assertThat(acme.graph().getNode("a")).contains(a);
        GraphEdge e = acme.graph().upsertEdge(NewGraphEdge.of("a", "knows", "b").metadata(Map.of("n", 0.1)));
        assertThat(acme.graph().neighbours("a", Direction.OUTGOING, null)).extracting(n -> n.edge()).containsExactly(e);
    }
}
