package dev.atlas.jdbi.kit;

import dev.atlas.DatabaseKind;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.References;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionReport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The references between rows (a message's execution and step, a conversation's assistant and
 * assistant revision, an execution's assistant revision) never dangle: a store refuses an
 * unknown or foreign id naming the field before writing, and the database itself refuses a
 * dangling write that bypasses the store (migration V12: tenant-first foreign keys on PostgreSQL,
 * triggers on SQLite), which Atlas reports as the same {@link NotFoundException}.
 */
public abstract class ReferencesContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");

    private Tenant acme;
    private Tenant globex;
    private ConversationStore conversations;
    private Conversation conversation;
    private UUID assistant;
    private UUID revision;
    private UUID execution;
    private UUID step;
    private Message linked;

    protected ReferencesContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void rows() {
        acme = atlas.tenant("acme");
        globex = atlas.tenant("globex");
        conversations = acme.conversations();
        assistant = acme.assistants().create(AssistantSpec.of("bot", "Bot")).id();
        revision = acme.assistants().publish(assistant, NewRevision.of("be brief", Map.of())).id();
        conversation = conversations.create(NewConversation.of(ALICE).assistant(assistant).assistantRevision(revision));
        ExecutionHandle exec = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(conversation.id())
                .assistantRevision(revision));
        StepHandle s = exec.step();
        s.finish("hello", FinishReason.STOP);
        linked = exec.reply(s, "hello");
        exec.complete();
        execution = exec.id();
        step = s.id();
    }

    // ---- the stores refuse before writing ---------------------------------------------------

    @Test
    @DisplayName("an append naming an unknown execution is refused with NotFoundException naming executionId, and writes nothing")
    void appendUnknownExecution() {
        UUID unknown = UUID.randomUUID();
        assertNotFound(() -> conversations.append(conversation.id(), NewMessage.assistant("x").execution(unknown, null)),
                "executionId", "execution");
        assertThat(conversations.history(conversation.id())).extracting(Message::id).containsExactly(linked.id());
    }

    @Test
    @DisplayName("an append naming another tenant's execution and step is refused exactly like an unknown one")
    void appendForeignExecution() {
        Conversation theirs = globex.conversations().create(NewConversation.of(ALICE));
        assertNotFound(() -> globex.conversations().append(theirs.id(), NewMessage.assistant("x").execution(execution, step)),
                "executionId", "execution");
        assertThat(globex.conversations().history(theirs.id())).isEmpty();
    }

    @Test
    @DisplayName("an append naming an unknown step of a known execution is refused with NotFoundException naming stepId")
    void appendUnknownStep() {
        assertNotFound(() -> conversations.append(conversation.id(), NewMessage.assistant("x").execution(execution, UUID.randomUUID())),
                "stepId", "step");
    }

    @Test
    @DisplayName("a conversation naming an unknown assistant or assistant revision is refused naming assistantId / assistantRevisionId")
    void conversationUnknownAssistant() {
        assertNotFound(() -> conversations.create(NewConversation.of(ALICE).assistant(UUID.randomUUID())), "assistantId", "assistant");
        assertNotFound(() -> conversations.create(NewConversation.of(ALICE).assistantRevision(UUID.randomUUID())),
                "assistantRevisionId", "assistant revision");
        assertNotFound(() -> globex.conversations().create(NewConversation.of(ALICE).assistant(assistant)), "assistantId", "assistant");
    }

    @Test
    @DisplayName("an execution naming an unknown or foreign assistant revision is refused with NotFoundException naming assistantRevisionId")
    void executionUnknownRevision() {
        assertNotFound(() -> acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").assistantRevision(UUID.randomUUID())),
                "assistantRevisionId", "assistant revision");
        assertNotFound(() -> globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").assistantRevision(revision)),
                "assistantRevisionId", "assistant revision");
    }

    // ---- the database refuses what bypasses the stores --------------------------------------

    @Test
    @DisplayName("a raw JDBC insert of a message naming a missing execution is refused by the database (messages_execution_fk)")
    void rawInsertRefused() throws SQLException {
        boolean pg = atlas.databaseKind() == DatabaseKind.POSTGRESQL;
        String now = pg ? "now()" : "0";
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO atlas_messages (tenant_id, id, conversation_id, sequence, role,"
                     + " content_type, content, status, is_active, execution_id, metadata, created_at, updated_at)"
                     + " VALUES ('acme', ?, ?, 99, 'assistant', 'text', 'x', 'delivered', (1 = 1), ?, '{}', " + now + ", " + now + ")")) {
            bindId(ps, 1, UUID.randomUUID());
            bindId(ps, 2, conversation.id());
            bindId(ps, 3, UUID.randomUUID());
            assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class).hasMessageContaining("atlas_messages_execution_fk");
        }
        assertThat(count("SELECT COUNT(*) FROM atlas_messages WHERE sequence = 99")).isZero();
    }

    @Test
    @DisplayName("raw JDBC updates pointing any of the five references at a missing row, or at another tenant's row, are refused by the database")
    void rawUpdatesRefused() throws SQLException {
        Conversation theirs = globex.conversations().create(NewConversation.of(ALICE));
        for (References.Reference r : References.ALL) {
            UUID row = rowOf(r.table());
            for (UUID target : new UUID[] {UUID.randomUUID(), foreignTarget(r, theirs)}) {
                try (Connection c = database.dataSource().getConnection();
                     PreparedStatement ps = c.prepareStatement("UPDATE atlas_" + r.table() + " SET " + r.column() + " = ?"
                             + " WHERE tenant_id = 'acme' AND id = ?")) {
                    bindId(ps, 1, target);
                    bindId(ps, 2, row);
                    assertThatThrownBy(ps::executeUpdate).as(r.constraint()).isInstanceOf(SQLException.class)
                            .hasMessageContaining("atlas_" + r.constraint());
                }
            }
        }
        assertThat(conversations.message(linked.id()).orElseThrow().executionId()).isEqualTo(execution);
        assertThat(conversations.message(linked.id()).orElseThrow().stepId()).isEqualTo(step);
    }

    @Test
    @DisplayName("a dangling write through Atlas's own write path is reported as NotFoundException naming the field, for each reference")
    void danglingWriteThroughAtlasIsTyped() {
        var db = ((JdbiAtlas) atlas).db();
        for (References.Reference r : References.ALL) {
            UUID row = rowOf(r.table());
            UUID missing = UUID.randomUUID();
            NotFoundException e = catchThrowableOfType(() -> db.write(h -> AdHoc.on(db, h, "UPDATE <p>" + r.table() + " SET " + r.column()
                    + " = :x WHERE tenant_id = 'acme' AND id = :id").bind("x", missing).bind("id", row).update()), NotFoundException.class);
            assertThat(e).as(r.constraint()).isNotNull();
            assertThat(e.field()).as(r.constraint()).contains(r.field());
            assertThat(e.entity()).as(r.constraint()).isEqualTo(r.entity());
        }
    }

    @Test
    @DisplayName("a raw JDBC delete of an execution or step a message still names is refused by the database")
    void rawDeleteOfNamedRowRefused() throws SQLException {
        // An execution without steps, so only the message's reference holds it.
        UUID bare = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(conversation.id())).id();
        conversations.append(conversation.id(), NewMessage.assistant("from the bare execution").execution(bare, null));
        for (Object[] target : new Object[][] {{"executions", bare, "messages_execution_fk"}, {"execution_steps", step, "messages_step_fk"}}) {
            try (Connection c = database.dataSource().getConnection();
                 PreparedStatement ps = c.prepareStatement("DELETE FROM atlas_" + target[0] + " WHERE tenant_id = 'acme' AND id = ?")) {
                bindId(ps, 1, (UUID) target[1]);
                assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class).hasMessageContaining("atlas_" + target[2]);
            }
        }
        assertThat(acme.executions().get(bare)).isPresent();
        assertThat(acme.executions().tree(execution).orElseThrow().steps()).extracting(s -> s.id()).containsExactly(step);
    }

    // ---- purges keep the references whole ---------------------------------------------------

    @Test
    @DisplayName("purging a conversation whose execution produced a message in a kept conversation clears that message's link; the message stays")
    void purgeDetachesKeptMessages() {
        Conversation kept = conversations.create(NewConversation.of(ALICE));
        Message elsewhere = conversations.append(kept.id(), NewMessage.assistant("summary of the other chat").execution(execution, step));
        conversations.archive(conversation.id());
        clock.set(clock.instant().plus(Duration.ofDays(2)));

        RetentionReport dryRun = acme.retention().runRetention(RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)).dryRun(true));
        RetentionReport report = acme.retention().runRetention(RetentionPolicy.none().purgeArchivedAfter(Duration.ofDays(1)));

        assertThat(dryRun.counts()).containsEntry("messages.detached", 1L).containsEntry("executions.deleted", 1L);
        assertThat(report.counts()).containsEntry("messages.detached", 1L).containsEntry("executions.deleted", 1L)
                .containsEntry("conversations.deleted", 1L);
        Message after = conversations.message(elsewhere.id()).orElseThrow();
        assertThat(after.content()).isEqualTo("summary of the other chat");
        assertThat(after.executionId()).isNull();
        assertThat(after.stepId()).isNull();
        assertThat(acme.executions().get(execution)).isEmpty();
    }

    // ---- helpers ----------------------------------------------------------------------------

    private void assertNotFound(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String field, String entity) {
        NotFoundException e = catchThrowableOfType(call, NotFoundException.class);
        assertThat(e).as(field).isNotNull();
        assertThat(e.field()).contains(field);
        assertThat(e.entity()).isEqualTo(entity);
    }

    private UUID rowOf(String table) {
        return switch (table) {
            case "messages" -> linked.id();
            case "conversations" -> conversation.id();
            case "executions" -> execution;
            default -> throw new IllegalArgumentException(table);
        };
    }

    /** A row of the referenced kind that exists, but in tenant globex. */
    private UUID foreignTarget(References.Reference r, Conversation theirs) {
        return switch (r.entity()) {
            case "execution" -> globex.executions().start(ExecutionSpec.text("openai", "gpt-4o").conversation(theirs.id())).id();
            case "step" -> globex.executions().start(ExecutionSpec.text("openai", "gpt-4o")).step().id();
            case "assistant" -> globex.assistants().create(AssistantSpec.of("bot-" + UUID.randomUUID(), "Bot")).id();
            case "assistant revision" -> globex.assistants().publish(globex.assistants().create(AssistantSpec.of("bot-" + UUID.randomUUID(), "Bot")).id(),
                    NewRevision.of("p", Map.of())).id();
            default -> throw new IllegalArgumentException(r.entity());
        };
    }

    private void bindId(PreparedStatement ps, int index, UUID id) throws SQLException {
        if (atlas.databaseKind() == DatabaseKind.POSTGRESQL) {
            ps.setObject(index, id);
        } else {
            ps.setString(index, id.toString());
        }
    }

    private long count(String sql) throws SQLException {
        try (Connection c = database.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
