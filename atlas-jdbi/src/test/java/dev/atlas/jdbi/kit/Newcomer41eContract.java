package dev.atlas.jdbi.kit;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Tenant;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.Usage;
import dev.atlas.portability.ExportScope;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Session 41, a newcomer recording LLM calls with tool loops, usage and exact cost from the docs
 * (docs/executions.md), on both databases.
 */
public abstract class Newcomer41eContract extends AtlasContract {
    protected Newcomer41eContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("a price at Limits.MAX_PRICE_PER_MILLION in every kind exports, imports into another tenant, reads back equal and bills"
            + " that tenant's executions exactly (the import's bound is the API's, inclusive)")
    void aPriceAtTheLimitImportsAndBills() {
        Tenant acme = atlas.tenant("acme");
        String max = Limits.MAX_PRICE_PER_MILLION.toPlainString();
        ModelPrice price = acme.prices().create(ModelPrice.of("openai", "o-max", max, max, Instant.parse("2026-01-01T00:00:00Z"))
                .cached(max).cacheWrite(max));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        acme.portability().exportTo(out, ExportScope.tenant());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"input_micros_per_mtok\":1000000000000");
        Tenant beta = atlas.tenant("beta");
        beta.portability().importFrom(new ByteArrayInputStream(out.toByteArray()));
        assertThat(beta.prices().list("openai", "o-max")).containsExactly(price);
        java.util.UUID id = beta.executions().record(ExecutionSpec.text("openai", "o-max"), h -> {
            h.usage(Usage.of(3, 2).cached(1).cacheWrite(1));
            return h.id();
        });
        Execution e = beta.executions().require(id);
        // 7 tokens at 1,000,000 per million: exactly 7.
        assertThat(e.cost()).isEqualByComparingTo(new BigDecimal("7"));
        assertThat(beta.executions().usageReport(dev.atlas.execution.UsageGroup.MODEL, Instant.parse("2026-01-01T00:00:00Z"),
                Limits.MAX_INSTANT)).extracting(r -> r.cost().toPlainString()).isEqualTo(List.of("7"));
    }

    @Test
    @DisplayName("tool call arguments holding numbers of a million digits (a model can be prompted into sending them): one past"
            + " numeric's range is refused naming arguments, nothing written; seven at its limits are kept byte-exact. Their digits"
            + " are counted, never read into a number (JsonNumericTest#checkReadsEachCharacterOnce): BigDecimal read them in"
            + " quadratic time, 36.8 s of CPU for the million-digit number")
    void millionDigitNumbersInToolArguments() {
        ExecutionHandle h = atlas.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        StepHandle step = h.step();
        String huge = "[" + "7".repeat(Limits.MAX_CONTENT_LENGTH - 2) + "]";
        long before = AdHoc.count(atlas, "execution_tool_calls");
        assertThatThrownBy(() -> step.toolCall("c", "n", huge))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("arguments"));
        assertThat(AdHoc.count(atlas, "execution_tool_calls")).isEqualTo(before);
        // Seven numbers of 131,072 digits (numeric's most before the point) and 16,383 after: all held, as sent.
        String one = "9".repeat(131_072) + "." + "1".repeat(16_383);
        String held = "[" + String.join(",", java.util.Collections.nCopies(7, one)) + "]";
        assertThat(held.length()).isLessThanOrEqualTo(Limits.MAX_CONTENT_LENGTH);
        StepHandle.ToolCallHandle call = step.toolCall("c", "n", held);
        assertThat(atlas.executions().tree(h.id()).orElseThrow().toolCalls()).singleElement()
                .satisfies(c -> assertThat(c.id()).isEqualTo(call.id()))
                .satisfies(c -> assertThat(c.arguments().equals(held)).as("arguments byte-exact").isTrue());
    }
}
