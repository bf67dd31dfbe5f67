package dev.atlas.jdbi;

import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ExecutionType;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.NewToolCall;
import dev.atlas.execution.PriceStore;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.kit.RefusedBeforeSql;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Executions and prices: bad input is refused naming the field, with no SQL run (moved from ExecutionRecorderContract and PriceAndUsageContract). */
class ExecutionInputValidationTest extends RefusedBeforeSql {
    private static final Instant JAN = Instant.parse("2026-01-01T00:00:00Z");

    private Tenant tenant;
    private ExecutionRecorder recorder;
    private PriceStore prices;

    @BeforeEach
    void stores() {
        tenant = freshTenant();
        recorder = tenant.executions();
        prices = tenant.prices();
    }

    /** The tenant's rows in {@code table}. */
    private long rows(String table) {
        try (Connection c = dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM atlas_" + table + " WHERE tenant_id = ?")) {
            ps.setString(1, tenant.id());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("bad step or tool-call metadata is refused naming metadata, and what was stored stays")
    void badStepAndToolCallMetadata() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        step.metadata(Map.of("kept", true));
        StepHandle.ToolCallHandle call = step.toolCall(NewToolCall.of("c1", "search", "{}").metadata(Map.of("kept", 1)));
        refused("metadata", () -> step.metadata(Map.of("v", "\u0000")));
        refused("metadata", () -> call.metadata(Map.of("v", "\uD800")));
        refused("metadata", () -> step.toolCall(NewToolCall.of("c2", "search", "{}").metadata(Map.of("v", "\u0000"))));
        ExecutionTree tree = recorder.tree(h.id()).orElseThrow();
        assertThat(tree.steps().get(0).metadata()).isEqualTo(Map.of("kept", true));
        assertThat(tree.toolCalls()).singleElement().satisfies(c -> assertThat(c.metadata()).isEqualTo(Map.of("kept", 1)));
    }

    @Test
    @DisplayName("bad input is rejected naming the field before anything is written")
    void badInput() {
        refused("usage.inputTokens", () -> Usage.of(-1, 0));
        refused("usage.outputTokens", () -> new Usage(null, -5L, null, null, null));
        refused("usage.cachedTokens", () -> Usage.of(1, 1).cached(Long.MAX_VALUE));
        refused("type", () -> ExecutionType.of("chat"));
        refused("status", () -> dev.atlas.execution.ExecutionStatus.of("done"));
        refused("finishReason", () -> FinishReason.of("max_tokens"));
        refused("provider", () -> ExecutionSpec.text("open\u0000ai", "gpt-4o"));
        refused("model", () -> ExecutionSpec.text("openai", " "));
        refused("agent", () -> ExecutionSpec.text("openai", "gpt-4o").agent("x".repeat(300)));
        refused("metadata key", () -> ExecutionSpec.text("openai", "gpt-4o").metadata(Map.of("\uDC00", 1)));
        refused("name", () -> NewToolCall.of("c", "", "{}"));
        // A lookup, not validation (so SQL runs); the per-dialect hostile corpus covers unknown and foreign conversations.
        assertThatThrownBy(() -> recorder.create(ExecutionSpec.text("openai", "gpt-4o").conversation(UUID.randomUUID())))
                .isExactlyInstanceOf(NotFoundException.class);
        assertThat(rows("executions")).isZero();

        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        refused("arguments", () -> step.toolCall("c", "t", "{not json"));
        refused("arguments", () -> step.toolCall("c", "t", "{\"a\":\"\\u0000\"}"));
        refused("arguments", () -> step.toolCall("c", "t", "{} {}"));
        refused("content", () -> step.finish("nul\u0000", FinishReason.STOP));
        StepHandle.ToolCallHandle running = step.toolCall("c", "t", "{}");
        refused("result", () -> running.complete("\uD800"));
        refused("providerResponseId", () -> h.providerResponseId(""));
        refused("olderThan", () -> recorder.sweepInterrupted(Duration.ofSeconds(-1)));
        refused("limit", () -> recorder.historyWithTools(UUID.randomUUID(), 0));
        assertThat(rows("execution_tool_calls")).isEqualTo(1);
        assertThat(recorder.tree(h.id()).orElseThrow().steps().get(0).status()).isEqualTo(ExecutionStatus.PROCESSING);
    }

    @Test
    @DisplayName("a reply needs a conversation and an assistant message")
    void replyNeedsConversation() {
        ExecutionHandle h = recorder.start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        refused("conversationId", () -> h.reply(step, "hi"));
        ExecutionHandle h2 = recorder.start(ExecutionSpec.text("openai", "gpt-4o")
                .conversation(tenant.conversations().create(NewConversation.of(Owner.user("alice"), "support")).id()));
        StepHandle step2 = h2.step();
        refused(InvalidInputException.class, () -> h2.reply(step2, NewMessage.user("not me")));
        refused("step", () -> h2.reply(step, "wrong step"));
        assertThat(rows("messages")).isZero();
    }

    @Test
    @DisplayName("bad prices are rejected naming the field")
    void badPrices() {
        refused("inputPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "-1", "1", JAN));
        refused("outputPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "1", "0.0000001", JAN));
        refused("inputPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "two", "1", JAN));
        refused("inputPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "1000001", "1", JAN));
        refused("cachedPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "1", "1", JAN).cached("NaN"));
        refused("provider", () -> ModelPrice.of("open\u0000ai", "gpt-4o", "1", "1", JAN));
        refused("validFrom", () -> ModelPrice.of("openai", "gpt-4o", "1", "1", null));
        refused("model", () -> prices.get("openai", "", JAN));
        assertThat(prices.list("openai", "gpt-4o")).isEmpty();
    }
}
