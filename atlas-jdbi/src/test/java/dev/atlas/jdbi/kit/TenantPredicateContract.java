package dev.atlas.jdbi.kit;

import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.UsageGroup;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The statement recorder behind {@link TenantPredicateCheck} sees what Atlas really sends (plain
 * JDBC hot paths included), and the check reports what it should. Every other contract suite runs
 * the check after each test (see {@link AtlasContract}).
 */
public abstract class TenantPredicateContract extends AtlasContract {
    protected TenantPredicateContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("the recorder sees the plain-JDBC insert of an append, and every statement of it carries the tenant")
    void recorderSeesPlainJdbc() {
        StatementRecorder recorder = StatementRecorder.attach(atlas);
        Conversation c = atlas.tenant("acme").conversations().create(NewConversation.of(Owner.user("u")));
        atlas.tenant("acme").conversations().append(c.id(), NewMessage.user("hi"));
        List<String> sql = recorder.recorded().stream().map(r -> r.sql().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT)).toList();
        // On PostgreSQL the insert is inside the one statement of a plain append (WITH ... insert into ...).
        assertThat(sql).anyMatch(s -> s.startsWith("insert into atlas_messages (") || s.contains(" as (insert into atlas_messages ("));
        assertThat(sql).anyMatch(s -> s.startsWith("insert into atlas_conversations ("));
        assertThat(TenantPredicateCheck.misses(recorder.recorded(), "atlas_")).isEmpty();
    }

    @Test
    @DisplayName("the operator's usage report reads every tenant and passes only through the cross-tenant allow-list")
    void operatorReportIsTheAllowListedException() {
        atlas.tenant("acme").executions().start(ExecutionSpec.text("openai", "gpt-4o")).complete();
        StatementRecorder recorder = StatementRecorder.attach(atlas);
        atlas.usageReport(UsageGroup.TENANT, Instant.EPOCH, Instant.parse("2100-01-01T00:00:00Z"));
        List<StatementRecorder.Recorded> report = recorder.recorded();
        assertThat(report).hasSize(1);
        assertThat(TenantPredicateCheck.miss(report.get(0).sql(), "atlas_")).isEqualTo("1 tenant table reference(s), 0 tenant predicate(s)");
        assertThat(report.get(0).callers()).contains("JdbiAtlas#usageReport");
        assertThat(TenantPredicateCheck.misses(report, "atlas_")).isEmpty();
        assertThat(TenantPredicateCheck.CROSS_TENANT).containsOnlyKeys("JdbiAtlas#usageReport", "PgVectorIndex#backfill", "JdbiAssetStore#checkKeyFree",
                "BlobReaper#stillNamed", "JdbiPortability#checkSharedBlobKey", "JdbiPortability#refusePurgedBlobKeys");
    }

    @Test
    @DisplayName("the check reports a join that constrains only one of two tenant tables, and accepts the same join tied on tenant_id")
    void checkCountsEveryReference() {
        assertThat(TenantPredicateCheck.miss("SELECT m.id FROM atlas_messages m JOIN atlas_executions e ON e.id = m.execution_id"
                + " WHERE m.tenant_id = ?", "atlas_")).isEqualTo("2 tenant table reference(s), 1 tenant predicate(s)");
        assertThat(TenantPredicateCheck.miss("SELECT m.id FROM atlas_messages m JOIN atlas_executions e ON e.tenant_id = m.tenant_id"
                + " AND e.id = m.execution_id WHERE m.tenant_id = ?", "atlas_")).isNull();
        assertThat(TenantPredicateCheck.miss("UPDATE atlas_tasks SET status = 'x' WHERE id = ?", "atlas_")).isNotNull();
        assertThat(TenantPredicateCheck.miss("INSERT INTO atlas_tasks (tenant_id, id) VALUES (?, ?)", "atlas_")).isNull();
        assertThat(TenantPredicateCheck.miss("SELECT id FROM atlas_installation", "atlas_")).isNull();
        // A literal is data, never a reference; nor is it the tenant, which the statement binds.
        assertThat(TenantPredicateCheck.miss("SELECT 1 FROM x_tasks WHERE tenant_id = ? AND kind <> 'from atlas_tasks'", "x_")).isNull();
        assertThat(TenantPredicateCheck.miss("SELECT 1 FROM x_tasks WHERE tenant_id = 'from atlas_tasks'", "x_"))
                .isEqualTo("1 tenant table reference(s), 0 tenant predicate(s)");
    }
}
