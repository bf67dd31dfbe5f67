package dev.atlas.jdbi.kit;

import dev.atlas.ConfigurationException;
import dev.atlas.DatabaseKind;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.ConversationQuery;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.atlas.graph.Direction;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.Usage;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchHit;
import dev.atlas.search.SearchTarget;
import dev.atlas.search.SemanticQuery;
import dev.atlas.search.TextQuery;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.retention.RetentionWorker;
import dev.atlas.task.NewTask;
import dev.atlas.task.TaskWorker;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A new user writing an agent app against atlas-core's API alone (session 43), from the README, docs/api.md,
 * docs/memory-and-search.md, docs/executions.md and the Javadoc.
 */
public abstract class Newcomer43Contract extends AtlasContract {
    protected Newcomer43Contract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("every tenant form the docs allow (no control character, no white space at either end) works in every store"
            + " and sees only its own rows, SQL and LIKE metacharacters included: 'a%_b' and 'a%xb', 'a_b' and 'a\\b', a quote"
            + " with a DROP, ':' and '/', an emoji, a combining accent, a zero-width joiner, a leading U+FEFF, 128 characters of 1, 2 (64 emoji)"
            + " and 3 UTF-8 bytes each (the tenant is a term of the full-text index); each lists 1"
            + " conversation, execution, assistant and voice call, finds 1 memory, 1 message and 1 vector, 1 graph neighbour,"
            + " claims its 1 task and reads its 1 asset")
    void everyAllowedTenantFormWorksAndIsIsolated() {
        List<String> tenants = List.of("Acme Corp", "a:b", "a/b", "a'b; DROP TABLE atlas_messages --", "a%_b", "a%xb", "a_b", "a\\b", "a\"b",
                "%", "_", "*", "\uD83D\uDE00", "acme\u0301", "acme\u200D", "\uFEFFacme", "a\u00A0b", "x".repeat(Limits.MAX_TENANT_LENGTH),
                "\uD83D\uDE00".repeat(Limits.MAX_TENANT_LENGTH / 2), "\u4E2D".repeat(Limits.MAX_TENANT_LENGTH));
        Owner owner = Owner.user("42");
        Map<String, UUID> assetIds = new LinkedHashMap<>();
        for (String t : tenants) {
            Tenant tenant = atlas.tenant(t);
            Conversation c = tenant.conversations().create(NewConversation.of(owner, "support"));
            tenant.conversations().append(c.id(), NewMessage.user("where is order zebra1234").clientId("c-1"));
            tenant.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()), exec -> {
                var step = exec.step();
                step.finish("ok", FinishReason.STOP);
                exec.usage(Usage.of(10, 5));
                return exec.reply(step, "ok");
            });
            UUID memory = tenant.memories().create(NewMemory.fact(owner, "prefers zebra email")).id();
            tenant.search().upsertVector(SearchTarget.MEMORY, memory, "m2", new float[] {1, 0});
            tenant.graph().upsertNode(NewGraphNode.of("n"));
            tenant.graph().upsertNode(NewGraphNode.of("m"));
            tenant.graph().upsertEdge(NewGraphEdge.of("n", "knows", "m"));
            tenant.assistants().create(AssistantSpec.of("support", "Support"));
            tenant.voiceCalls().start(NewVoiceCall.of("sess-1", "openai", "rt"));
            tenant.tasks().create(NewTask.of("job", Map.of("tenant", t)));
            assetIds.put(t, tenant.assets().create(NewAsset.of(AssetType.FILE, "a.txt", "text/plain"), t.getBytes(StandardCharsets.UTF_8)).id());
        }
        for (String t : tenants) {
            Tenant tenant = atlas.tenant(t);
            assertThat(tenant.conversations().list(ConversationQuery.all()).items()).as(t).hasSize(1);
            assertThat(tenant.search().text(TextQuery.memories("zebra"))).as(t).hasSize(1);
            assertThat(tenant.search().text(TextQuery.messages("zebra1234"))).as(t).hasSize(1);
            assertThat(tenant.executions().list(ExecutionQuery.all()).items()).as(t).hasSize(1);
            assertThat(tenant.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m2", new float[] {1, 0}).k(5))).as(t).hasSize(1);
            assertThat(tenant.graph().neighbours("n", Direction.OUTGOING, null, 10, null).items()).as(t).hasSize(1);
            assertThat(tenant.assistants().list(10, null).items()).as(t).hasSize(1);
            assertThat(tenant.voiceCalls().bySession("sess-1", 10, null).items()).as(t).hasSize(1);
            assertThat(tenant.tasks().claim(Duration.ofSeconds(30)).orElseThrow().task().payload()).as(t).isEqualTo(Map.of("tenant", t));
            assertThat(tenant.tasks().claim(Duration.ofSeconds(30))).as(t).isEmpty();
            assertThat(tenant.assets().getAll(List.copyOf(assetIds.values()))).as(t).containsOnlyKeys(assetIds.get(t));
            try (var in = tenant.assets().open(assetIds.get(t))) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo(t);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    @Test
    @DisplayName("every worker builder refuses an invalid setting as AtlasBuilder does, with a ConfigurationException naming it"
            + " (docs/api.md, Null arguments: settings are not arguments): RetentionWorker.Builder's every, initialDelay, lease,"
            + " onRun and builder(null, ..) as TaskWorker.Builder's lease and builder(null); no worker starts")
    void workerSettingsAreConfigurationErrors() {
        Tenant acme = atlas.tenant("acme");
        RetentionPolicy policy = RetentionPolicy.none().purgeFinishedTasksAfter(Duration.ofDays(1));
        Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
        calls.put("every must be between 1 ms and PT8784H, was PT0S", () -> RetentionWorker.builder(acme.retention(), policy).every(Duration.ZERO));
        calls.put("every must be between 1 ms and PT8784H, was null", () -> RetentionWorker.builder(acme.retention(), policy).every(null));
        calls.put("initialDelay must be between zero and PT8784H, was PT-1S",
                () -> RetentionWorker.builder(acme.retention(), policy).initialDelay(Duration.ofSeconds(-1)));
        calls.put("initialDelay must be between zero and PT8784H, was null", () -> RetentionWorker.builder(acme.retention(), policy).initialDelay(null));
        calls.put("lease must be between PT1S and one day, was PT0.001S",
                () -> RetentionWorker.builder(acme.retention(), policy).lease(Duration.ofMillis(1)));
        calls.put("lease must be between PT1S and one day, was null", () -> RetentionWorker.builder(acme.retention(), policy).lease(null));
        calls.put("onRun must not be null", () -> RetentionWorker.builder(acme.retention(), policy).onRun(null));
        calls.put("retention must not be null", () -> RetentionWorker.builder(null, policy));
        calls.put("policy must not be null", () -> RetentionWorker.builder(acme.retention(), null));
        calls.put("lease must be between 1 second and 1 day, was PT0.001S", () -> TaskWorker.builder(acme.tasks()).lease(Duration.ofMillis(1)));
        calls.put("store must not be null", () -> TaskWorker.builder(null));
        calls.forEach((message, call) -> assertThatThrownBy(call).as(message).isExactlyInstanceOf(ConfigurationException.class).hasMessage(message));
    }

    @Test
    @DisplayName("every atlas-core enum parses a name from a request with of(String), in any case, and refuses null or an"
            + " unknown name with InvalidInputException naming the field and the allowed values, never Java's NPE or"
            + " IllegalArgumentException of valueOf: Direction, DatabaseKind and both query Orders included")
    void everyEnumParsesWithOf() {
        assertThat(Direction.of("outgoing")).isEqualTo(Direction.OUTGOING);
        assertThat(DatabaseKind.of("PostgreSQL")).isEqualTo(DatabaseKind.POSTGRESQL);
        assertThat(ConversationQuery.Order.of("creation")).isEqualTo(ConversationQuery.Order.CREATION);
        assertThat(ConversationEventQuery.Order.of("Newest_First")).isEqualTo(ConversationEventQuery.Order.NEWEST_FIRST);
        assertThat(Role.of("USER")).isEqualTo(Role.USER);
        assertThatThrownBy(() -> Direction.of("sideways")).isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("direction: 'sideways' is not one of [OUTGOING, INCOMING, BOTH]");
        assertThatThrownBy(() -> Direction.of(null)).isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("direction: 'null' is not one of [OUTGOING, INCOMING, BOTH]");
        assertThatThrownBy(() -> DatabaseKind.of("mysql")).isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("databaseKind: 'mysql' is not one of [SQLITE, POSTGRESQL]");
        assertThatThrownBy(() -> ConversationQuery.Order.of("newest")).isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("order: 'newest' is not one of [ACTIVITY, CREATION]");
        assertThatThrownBy(() -> ConversationEventQuery.Order.of("\u0000")).isExactlyInstanceOf(InvalidInputException.class)
                .hasMessage("order: '\\u0000' is not one of [OLDEST_FIRST, NEWEST_FIRST]");
    }

    @Test
    @DisplayName("semantic search scores vectors of any finite magnitude as the docs' formula does (dot / sqrt(|q|² |x|²) in"
            + " double): components near Float.MAX_VALUE, whose squares overflow a float, and subnormal ones, whose squares"
            + " underflow to zero in a float, rank and score exactly as 1e20 and 1 do, on every search path")
    void extremeMagnitudesScoreByTheFormula() {
        Tenant acme = atlas.tenant("acme");
        Owner owner = Owner.user("42");
        float[][] vectors = {{Float.MAX_VALUE, 0, 0}, {0, 1e20f, 0}, {1, 0.5f, 0}, {1e-40f, 2e-40f, 0}, {0, 0, 1}, {-1, 0, 0}, {3e19f, 3e19f, 0}};
        List<UUID> ids = new java.util.ArrayList<>();
        for (int i = 0; i < vectors.length; i++) {
            UUID id = acme.memories().create(NewMemory.fact(owner, "memory " + i)).id();
            ids.add(id);
            acme.search().upsertVector(SearchTarget.MEMORY, id, "m3", vectors[i]);
        }
        // Each query's best three have distinct scores, so the order is the scores' alone.
        float[][] queries = {{Float.MAX_VALUE, Float.MAX_VALUE / 4, 0}, {1e-40f, 1e-41f, 1e-42f}, {0, Float.MAX_VALUE, 1e-40f}};
        int[][] expected = {{2, 0, 6}, {0, 2, 6}, {1, 3, 6}};
        for (int q = 0; q < queries.length; q++) {
            List<SearchHit> hits = acme.search().similar(SemanticQuery.of(SearchTarget.MEMORY, "m3", queries[q]).k(3));
            assertThat(hits).as("query %d", q).extracting(SearchHit::id)
                    .containsExactly(ids.get(expected[q][0]), ids.get(expected[q][1]), ids.get(expected[q][2]));
            for (int h = 0; h < 3; h++) {
                assertThat(hits.get(h).score()).as("query %d hit %d", q, h)
                        .isCloseTo(cosine(queries[q], vectors[expected[q][h]]), org.assertj.core.data.Offset.offset(1e-12));
            }
        }
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(aa * bb);
    }
}
