package dev.atlas.jdbi.kit;

import dev.atlas.ConflictException;
import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionHandle;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.ModelPrice;
import dev.atlas.execution.PriceStore;
import dev.atlas.execution.Usage;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** Prices, exact costs and usage reports, on every database. Expected values are computed by hand. */
public abstract class PriceAndUsageContract extends AtlasContract {
    private static final Instant JAN = Instant.parse("2026-01-01T00:00:00Z");
    protected Tenant acme;
    protected PriceStore prices;

    protected PriceAndUsageContract(TestDatabase database) {
        super(database);
    }

    @BeforeEach
    void tenant() {
        acme = atlas.tenant("acme");
        prices = acme.prices();
    }

    private void standardPrices() {
        prices.create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", JAN).cached("1.25"));
        prices.create(ModelPrice.of("anthropic", "claude", "3", "15", JAN).cached("0.30").cacheWrite("3.75"));
    }

    private Execution run(Tenant t, ExecutionSpec spec, Usage usage, boolean fail) {
        ExecutionHandle h = t.executions().start(spec);
        h.usage(usage);
        return fail ? h.fail("provider error") : h.complete();
    }

    private static void cost(BigDecimal actual, String expected) {
        assertThat(actual).isNotNull();
        assertThat(actual.toPlainString()).isEqualTo(expected);
    }

    // ---- cost ---------------------------------------------------------------------------

    @Test
    @DisplayName("1234 input tokens at 2.50 per million cost exactly 0.003085, stored and read back")
    void costExactness() {
        standardPrices();
        Execution e = run(acme, ExecutionSpec.text("openai", "gpt-4o"), new Usage(1234L, null, null, null, null), false);
        cost(e.cost(), "0.003085");
        cost(acme.executions().require(e.id()).cost(), "0.003085");
        assertThat(e.cost()).isEqualByComparingTo(new BigDecimal("1234").multiply(new BigDecimal("2.50")).divide(new BigDecimal("1000000")));
    }

    @Test
    @DisplayName("each token kind is billed at its own price; missing cached and cache-write prices fall back to the input price")
    void costPerKind() {
        standardPrices();
        prices.create(ModelPrice.of("mistral", "large", "0.000001", "1", JAN));
        // 2000×3 + 200×15 + 500×0.30 + 100×3.75 = 6000 + 3000 + 150 + 375 = 9525 per million
        cost(run(acme, ExecutionSpec.text("anthropic", "claude"), Usage.of(2000, 200).cached(500).cacheWrite(100), false).cost(), "0.009525");
        // 1234×2.5 + 567×10 + 1000×1.25 + 10×2.5 (cache write at input price) = 3085 + 5670 + 1250 + 25 = 10030 per million
        cost(run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1234, 567).cached(1000).cacheWrite(10), false).cost(), "0.01003");
        // 3 tokens at 0.000001 per million: 3 × 10^-12, the smallest unit, kept exactly
        cost(run(acme, ExecutionSpec.text("mistral", "large"), Usage.of(3, 0), false).cost(), "0.000000000003");
        // The edges: a free model (every price 0, written as 0E+3 and 0.000000) and the smallest price of each kind,
        // each with Limits.MAX_TOKEN_COUNT tokens of every kind: a cost of exactly 0 (not unknown), and 4 (10^12 × 10^-12 each).
        long max = dev.atlas.Limits.MAX_TOKEN_COUNT;
        Usage most = new Usage(max, max, max, max, max);
        assertThat(prices.create(ModelPrice.of("free", "model", "0E+3", "0.000000", JAN).cached("0").cacheWrite("0.0")))
                .returns(new BigDecimal("0"), ModelPrice::inputPerMillion).returns(new BigDecimal("0"), ModelPrice::outputPerMillion)
                .returns(new BigDecimal("0"), ModelPrice::cachedPerMillion).returns(new BigDecimal("0"), ModelPrice::cacheWritePerMillion);
        prices.create(ModelPrice.of("tiny", "model", "1E-6", "0.0000010", JAN).cached("0.000001").cacheWrite("1e-6"));
        assertThat(prices.get("tiny", "model", JAN).orElseThrow()).returns(new BigDecimal("0.000001"), ModelPrice::inputPerMillion)
                .returns(new BigDecimal("0.000001"), ModelPrice::outputPerMillion).returns(new BigDecimal("0.000001"), ModelPrice::cachedPerMillion)
                .returns(new BigDecimal("0.000001"), ModelPrice::cacheWritePerMillion);
        Execution free = run(acme, ExecutionSpec.text("free", "model").agent("edges"), most, false);
        Execution tiny = run(acme, ExecutionSpec.text("tiny", "model").agent("edges"), most, false);
        cost(free.cost(), "0");
        cost(acme.executions().require(free.id()).cost(), "0");
        cost(tiny.cost(), "4");
        cost(acme.executions().require(tiny.id()).cost(), "4");
        assertThat(acme.executions().require(tiny.id()).usage()).isEqualTo(most);
        List<UsageRow> edges = acme.executions().usageReport(UsageGroup.MODEL, free.createdAt(), tiny.createdAt().plusNanos(1000));
        assertThat(edges.stream().filter(r -> r.group().endsWith("/model")).toList()).extracting(UsageRow::group, r -> r.cost().toPlainString(), UsageRow::inputTokens, UsageRow::outputTokens,
                        UsageRow::cachedTokens, UsageRow::cacheWriteTokens)
                .containsExactly(tuple("free/model", "0", max, max, max, max), tuple("tiny/model", "4", max, max, max, max));
    }

    @Test
    @DisplayName("a newer price never changes a stored cost; later executions use it")
    void priceHistory() {
        standardPrices();
        Execution before = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1_000_000, 0), false);
        Instant change = Instant.parse("2026-03-01T12:00:00Z");
        prices.create(ModelPrice.of("openai", "gpt-4o", "2.00", "8.00", change));
        clock.set(Instant.parse("2026-03-01T13:00:00Z"));
        Execution after = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1_000_000, 0), false);
        cost(acme.executions().require(before.id()).cost(), "2.5");
        cost(after.cost(), "2");
        assertThat(prices.get("openai", "gpt-4o", change.minusNanos(1000)).orElseThrow().inputPerMillion()).isEqualByComparingTo("2.50");
        assertThat(prices.get("openai", "gpt-4o", change).orElseThrow().inputPerMillion()).isEqualByComparingTo("2.00");
        assertThat(prices.get("openai", "gpt-4o", JAN.minusSeconds(1))).isEmpty();
        assertThat(prices.list("openai", "gpt-4o")).extracting(ModelPrice::validFrom).containsExactly(JAN, change);
        assertThat(prices.list("openai", "gpt-4o").get(0).cachedPerMillion()).isEqualByComparingTo("1.25");
    }

    @Test
    @DisplayName("without a price the cost stays unknown; a failed execution with usage is still costed")
    void unknownPriceAndFailure() {
        standardPrices();
        assertThat(run(acme, ExecutionSpec.text("openai", "gpt-5"), Usage.of(10, 10), false).cost()).isNull();
        cost(run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(300, 0), true).cost(), "0.00075");
        cost(run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.NONE, false).cost(), "0");
    }

    @Test
    @DisplayName("a run cancelled through its handle keeps the tokens it spent (the usage set, else its finished steps') with their cost, and reports count them")
    void cancelKeepsUsageAndCost() {
        standardPrices();
        ExecutionHandle set = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        set.usage(Usage.of(1000, 100));
        Execution stopped = set.cancel();
        assertThat(stopped.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.CANCELLED);
        assertThat(stopped.usage()).isEqualTo(Usage.of(1000, 100));
        cost(stopped.cost(), "0.0035");
        assertThat(acme.executions().require(set.id())).isEqualTo(stopped);

        ExecutionHandle looped = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        looped.step().finish(null, null, dev.atlas.execution.FinishReason.TOOL_CALLS, Usage.of(300, 0));
        looped.step();
        Execution halfway = looped.cancel();
        assertThat(halfway.usage()).isEqualTo(Usage.of(300, 0));
        cost(halfway.cost(), "0.00075");

        UsageRow row = acme.executions().usageReport(UsageGroup.MODEL, JAN, clock.instant().plusSeconds(1)).get(0);
        assertThat(row.inputTokens()).isEqualTo(1300);
        cost(row.cost(), "0.00425");

        // Usage whose cost cannot be stored does not block the way out: cancelled without it.
        ExecutionHandle tooCostly = acme.executions().start(ExecutionSpec.text("big", "model"));
        tooCostly.usage(OVER_LIMIT);
        limitPrice(JAN);
        Execution out = tooCostly.cancel();
        assertThat(out.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.CANCELLED);
        assertThat(out.usage()).isEqualTo(Usage.NONE);
        assertThat(out.cost()).isNull();
    }

    @Test
    @DisplayName("a run cancelled through the store, or swept as interrupted, keeps its finished steps' tokens with their cost and duration, as a cancel through its handle does; one that never ran stays without usage and cost")
    void storeCancelAndSweepKeepTheStepsUsageAndCost() {
        standardPrices();
        var executions = acme.executions();
        ExecutionHandle cancelled = executions.start(ExecutionSpec.text("openai", "gpt-4o"));
        cancelled.step().finish(null, null, dev.atlas.execution.FinishReason.TOOL_CALLS, Usage.of(1000, 100));
        cancelled.step();
        clock.advanceMicros(2_000_000);
        Execution byStore = executions.cancel(cancelled.id());
        assertThat(byStore.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.CANCELLED);
        assertThat(byStore.usage()).isEqualTo(Usage.of(1000, 100));
        cost(byStore.cost(), "0.0035");
        assertThat(byStore.durationMs()).isEqualTo(2000L);
        assertThat(executions.require(cancelled.id())).isEqualTo(byStore);
        assertThatThrownBy(cancelled::complete).isInstanceOf(dev.atlas.ConflictException.class);

        ExecutionHandle crashed = executions.start(ExecutionSpec.text("openai", "gpt-4o"));
        crashed.step().finish(null, null, dev.atlas.execution.FinishReason.TOOL_CALLS, Usage.of(300, 0));
        crashed.step().finish(null, null, dev.atlas.execution.FinishReason.TOOL_CALLS, Usage.of(0, 10).cached(200));
        crashed.step();
        ExecutionHandle bare = executions.start(ExecutionSpec.text("openai", "gpt-4o"));
        Execution waiting = executions.create(ExecutionSpec.text("openai", "gpt-4o"));
        clock.advanceMicros(120_000_000);
        assertThat(executions.sweepInterrupted(Duration.ofMinutes(1)).executions()).isEqualTo(3);
        Execution swept = executions.require(crashed.id());
        assertThat(swept.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        assertThat(swept.error()).isEqualTo("interrupted");
        assertThat(swept.usage()).isEqualTo(new Usage(300L, 10L, null, 200L, null));
        cost(swept.cost(), "0.0011");
        // It ran and finished no step: 0 at its price, as a cancel or fail of it stores (ExecutionRecorderContract.runWithoutFinishedStepsCostsTheSameHoweverItEnded).
        assertThat(executions.require(bare.id()).usage()).isEqualTo(Usage.NONE);
        assertThat(executions.require(bare.id()).cost()).isEqualByComparingTo("0");
        assertThat(executions.require(waiting.id()).usage()).isEqualTo(Usage.NONE);
        assertThat(executions.require(waiting.id()).cost()).isNull();

        UsageRow row = executions.usageReport(UsageGroup.MODEL, JAN, clock.instant().plusSeconds(1)).get(0);
        assertThat(row.inputTokens()).isEqualTo(1300);
        cost(row.cost(), "0.0046");
    }

    // An execution stores at most 2^63 - 1 pico-units: 9,223,372.036854775807 currency units.
    // input 9,223,371 × 1,000,000 + output 10^12 × 0.000001 + cached 36,854,775,807 × 0.000001 per million
    // = 9,223,371,000,000,000,000 + 1,000,000,000,000 + 36,854,775,807 pico = 9,223,372,036,854,775,807 pico.
    private static final Usage AT_LIMIT = new Usage(9_223_371L, 1_000_000_000_000L, null, 36_854_775_807L, null);
    private static final Usage OVER_LIMIT = AT_LIMIT.cached(36_854_775_808L);

    private void limitPrice(Instant from) {
        prices.create(ModelPrice.of("big", "model", "1000000", "0.000001", from).cached("0.000001"));
    }

    @Test
    @DisplayName("a cost of exactly 2^63-1 pico-units (9223372.036854775807) is stored and read back exactly, in the execution and the report")
    void costAtTheStorableLimit() {
        limitPrice(JAN);
        Execution e = run(acme, ExecutionSpec.text("big", "model"), AT_LIMIT, false);
        cost(e.cost(), "9223372.036854775807");
        Execution stored = acme.executions().require(e.id());
        cost(stored.cost(), "9223372.036854775807");
        assertThat(stored.usage()).isEqualTo(AT_LIMIT);
        UsageRow r = acme.executions().usageReport(UsageGroup.MODEL, JAN, clock.instant().plusSeconds(1)).get(0);
        row(r, "big/model", 1, 0, 9_223_371L, 1_000_000_000_000L, "9223372.036854775807");
        assertThat(r.cachedTokens()).isEqualTo(36_854_775_807L);
    }

    @Test
    @DisplayName("usage costing one pico-unit more than an execution can store is refused naming 'usage' where it is set; nothing is written and the handle stays usable")
    void costBeyondTheStorableLimitIsRefused() {
        limitPrice(JAN);
        ExecutionHandle h = acme.executions().start(ExecutionSpec.text("big", "model"));
        assertField("usage", () -> h.usage(OVER_LIMIT));
        Execution open = acme.executions().require(h.id());
        assertThat(open.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.PROCESSING);
        assertThat(open.cost()).isNull();
        // The refused usage was not kept: completing stores the usage set before it (none here).
        h.usage(AT_LIMIT);
        cost(h.complete().cost(), "9223372.036854775807");

        // A step's usage is summed into the execution's: the step that would take it past the limit is refused.
        ExecutionHandle steps = acme.executions().start(ExecutionSpec.text("big", "model"));
        dev.atlas.execution.StepHandle first = steps.step();
        first.finish("a", null, dev.atlas.execution.FinishReason.STOP, AT_LIMIT);
        dev.atlas.execution.StepHandle second = steps.step();
        assertField("usage", () -> second.finish("b", null, dev.atlas.execution.FinishReason.STOP, new Usage(null, null, null, 1L, null)));
        dev.atlas.execution.ExecutionStep stillOpen = acme.executions().tree(steps.id()).orElseThrow().steps().get(1);
        assertThat(stillOpen.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.PROCESSING);
        second.finish("b", null, dev.atlas.execution.FinishReason.STOP, Usage.NONE);
        Execution summed = steps.complete();
        cost(summed.cost(), "9223372.036854775807");
        assertThat(summed.usage()).isEqualTo(AT_LIMIT);
    }

    @Test
    @DisplayName("a price added afterwards that makes the set usage overflow refuses the finish naming 'usage'; nothing is written and a smaller usage completes")
    void costOverflowFromALaterPriceIsRefusedAtFinish() {
        ExecutionHandle h = acme.executions().start(ExecutionSpec.text("big", "model"));
        h.usage(OVER_LIMIT); // no price yet: the cost is unknown, not wrong
        limitPrice(JAN); // back-dated: it applies to the running execution
        assertField("usage", h::complete);
        assertField("usage", () -> h.fail("provider error"));
        Execution open = acme.executions().require(h.id());
        assertThat(open.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.PROCESSING);
        assertThat(open.usage()).isEqualTo(Usage.NONE);
        assertThat(open.cost()).isNull();
        h.usage(AT_LIMIT);
        cost(h.complete().cost(), "9223372.036854775807");
        assertThat(acme.executions().usageReport(UsageGroup.MODEL, JAN, clock.instant().plusSeconds(1)).get(0).cost().toPlainString())
                .isEqualTo("9223372.036854775807");
    }

    @Test
    @DisplayName("record and recordAsync whose automatic complete() is refused (a later price makes the usage's cost unstorable) end the execution failed, without usage or cost, with the refusal's message; that very exception reaches the caller or the future")
    void recordWhoseCompleteIsRefusedEndsFailed() {
        java.util.List<java.util.UUID> ids = new java.util.ArrayList<>();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() ->
                acme.executions().record(ExecutionSpec.text("big", "model"), exec -> {
                    ids.add(exec.id());
                    exec.usage(OVER_LIMIT); // no price yet: the cost is unknown, not wrong
                    limitPrice(JAN); // back-dated: it applies to the running execution
                    return "answer";
                }));
        java.util.concurrent.CompletableFuture<String> future = acme.executions().recordAsync(ExecutionSpec.text("big", "other"), exec -> {
            ids.add(exec.id());
            exec.usage(OVER_LIMIT);
            prices.create(ModelPrice.of("big", "other", "1000000", "0.000001", JAN).cached("0.000001"));
            return java.util.concurrent.CompletableFuture.completedFuture("answer");
        });
        Throwable inFuture = org.assertj.core.api.Assertions.catchThrowable(future::join).getCause();
        for (Throwable refusal : List.of(thrown, inFuture)) {
            assertThat(refusal).isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("usage"));
            assertThat(refusal.getSuppressed()).isEmpty();
        }
        for (int i = 0; i < 2; i++) {
            Execution e = acme.executions().require(ids.get(i));
            assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
            assertThat(e.error()).isEqualTo(List.of(thrown, inFuture).get(i).getMessage());
            assertThat(e.usage()).isEqualTo(Usage.NONE);
            assertThat(e.cost()).isNull();
            assertThat(e.completedAt()).isNotNull();
        }
    }

    @Test
    @DisplayName("a record body that throws while its usage's cost cannot be stored still ends the execution failed with its message, without usage or cost; the body's exception reaches the caller with nothing suppressed")
    void recordWhoseFailureCannotBeCostedEndsFailed() {
        java.io.IOException boom = new java.io.IOException("provider timed out");
        java.util.UUID[] id = new java.util.UUID[1];
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() ->
                acme.executions().record(ExecutionSpec.text("big", "model"), exec -> {
                    id[0] = exec.id();
                    exec.usage(OVER_LIMIT);
                    limitPrice(JAN);
                    throw boom;
                }));
        assertThat(thrown).isSameAs(boom);
        assertThat(boom.getSuppressed()).isEmpty();
        Execution e = acme.executions().require(id[0]);
        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        assertThat(e.error()).isEqualTo("provider timed out");
        assertThat(e.usage()).isEqualTo(Usage.NONE);
        assertThat(e.cost()).isNull();
    }

    @Test
    @DisplayName("a price with an extreme exponent (1e2147483647, 1e-2147483647, -1e2147483647, 1e999999) is refused naming its field with a short message; nothing is stored")
    void pricesWithExtremeExponentsAreRefused() {
        for (String hostile : List.of("1e2147483647", "1e-2147483647", "-1e2147483647", "1e999999", "1e-999999")) {
            assertThatThrownBy(() -> ModelPrice.of("openai", "gpt-4o", hostile, "1", JAN))
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> {
                        assertThat(e.field()).isEqualTo("inputPerMillion");
                        assertThat(e.getMessage()).hasSizeLessThan(300);
                    });
            assertThatThrownBy(() -> new ModelPrice("openai", "gpt-4o", BigDecimal.ONE, BigDecimal.ONE, new BigDecimal(hostile), null, JAN))
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> {
                        assertThat(e.field()).isEqualTo("cachedPerMillion");
                        assertThat(e.getMessage()).hasSizeLessThan(300);
                    });
        }
        // Ordinary refusals still show the value as written.
        assertThatThrownBy(() -> ModelPrice.of("openai", "gpt-4o", "0.0000001", "1", JAN)).hasMessageContaining("0.0000001");
        assertThat(prices.get("openai", "gpt-4o", JAN)).isEmpty();
    }

    @Test
    @DisplayName("a stored price over the maximum the API takes (written by SQL or an older Atlas) fails get, list and the finish it would"
            + " bill with UnreadableRowException naming model_prices and its id, not an InvalidInputException blaming the caller's"
            + " arguments; a negative price the column's CHECK refuses")
    void aPriceRowOutOfRangeIsUnreadableNotInvalidInput() throws java.sql.SQLException {
        prices.create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", JAN));
        String id;
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            String table = atlas.config().tablePrefix() + "model_prices";
            try (java.sql.ResultSet rs = s.executeQuery("SELECT id FROM " + table + " WHERE tenant_id = 'acme'")) {
                assertThat(rs.next()).isTrue();
                id = rs.getString(1);
            }
            // 1,000,001 per million: one more than Limits.MAX_PRICE_PER_MILLION, which the column's CHECK does not bound.
            assertThat(s.executeUpdate("UPDATE " + table + " SET input_micros_per_mtok = 1000001000000 WHERE id = '" + id + "'")).isEqualTo(1);
            // Below the range no row gets: the CHECK refuses it on both databases.
            assertThatThrownBy(() -> s.executeUpdate("UPDATE " + table + " SET output_micros_per_mtok = -1 WHERE id = '" + id + "'"))
                    .isInstanceOf(java.sql.SQLException.class).hasMessageContaining("output_micros_per_mtok");
        }
        java.util.function.Consumer<Runnable> unreadable = read -> assertThatThrownBy(read::run)
                .isInstanceOfSatisfying(dev.atlas.UnreadableRowException.class, e -> {
                    assertThat(e.table()).isEqualTo("model_prices");
                    assertThat(e.rowId()).isEqualTo(id);
                    assertThat(e.getMessage()).contains("inputPerMillion", "1000001");
                });
        unreadable.accept(() -> prices.get("openai", "gpt-4o", JAN.plusSeconds(1)));
        unreadable.accept(() -> prices.list("openai", "gpt-4o"));
        ExecutionHandle h = acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        h.usage(Usage.of(1000, 10));
        unreadable.accept(h::complete);
        // Another model's price still reads.
        prices.create(ModelPrice.of("openai", "gpt-4o-mini", "0.15", "0.60", JAN));
        assertThat(prices.list("openai", "gpt-4o-mini")).hasSize(1);
    }

    /** Makes acme's one stored price one the API refuses (over Limits.MAX_PRICE_PER_MILLION), as SQL or an older Atlas could. */
    private void priceOverTheMaximum() throws java.sql.SQLException {
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE " + atlas.config().tablePrefix() + "model_prices SET input_micros_per_mtok = 1000001000000"
                    + " WHERE tenant_id = 'acme'")).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("a run priced by a stored price Atlas cannot read still ends when cancelled, through its handle or the store: without"
            + " usage and cost, as when its cost cannot be stored, instead of staying running; complete and fail refuse naming the price")
    void aRunPricedByAnUnreadablePriceIsStillCancelled() throws java.sql.SQLException {
        prices.create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", JAN));
        var executions = acme.executions();
        ExecutionHandle byHandle = executions.start(ExecutionSpec.text("openai", "gpt-4o"));
        byHandle.step().finish(null, null, dev.atlas.execution.FinishReason.STOP, Usage.of(1000, 10));
        ExecutionHandle byStore = executions.start(ExecutionSpec.text("openai", "gpt-4o"));
        byStore.step().finish(null, null, dev.atlas.execution.FinishReason.STOP, Usage.of(1000, 10));
        priceOverTheMaximum();
        assertThatThrownBy(() -> byHandle.fail("the provider timed out")).isInstanceOfSatisfying(dev.atlas.UnreadableRowException.class,
                e -> assertThat(e.table()).isEqualTo("model_prices"));
        Execution cancelled = byHandle.cancel();
        assertThat(cancelled.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.CANCELLED);
        assertThat(cancelled.usage()).isEqualTo(Usage.NONE);
        assertThat(cancelled.cost()).isNull();
        Execution stored = executions.cancel(byStore.id());
        assertThat(stored.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.CANCELLED);
        assertThat(stored.usage()).isEqualTo(Usage.NONE);
        assertThat(stored.cost()).isNull();
    }

    @Test
    @DisplayName("a stored price Atlas cannot read does not stop the sweep: the run it prices is swept without usage and cost, as when"
            + " its cost cannot be stored, and every other run is swept as before")
    void theSweepIsNotStoppedByAnUnreadablePrice() throws java.sql.SQLException {
        prices.create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", JAN));
        prices.create(ModelPrice.of("anthropic", "claude", "3.00", "15.00", JAN));
        var executions = acme.executions();
        ExecutionHandle crashed = executions.start(ExecutionSpec.text("openai", "gpt-4o"));
        crashed.step().finish(null, null, dev.atlas.execution.FinishReason.STOP, Usage.of(1000, 10));
        ExecutionHandle other = executions.start(ExecutionSpec.text("anthropic", "claude"));
        other.step().finish(null, null, dev.atlas.execution.FinishReason.STOP, Usage.of(1000, 10));
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE " + atlas.config().tablePrefix() + "model_prices SET input_micros_per_mtok = 1000001000000"
                    + " WHERE tenant_id = 'acme' AND provider = 'openai'")).isEqualTo(1);
        }
        clock.advanceMicros(120_000_000);
        assertThat(executions.sweepInterrupted(Duration.ofMinutes(1)).executions()).isEqualTo(2);
        Execution unpriced = executions.require(crashed.id());
        assertThat(unpriced.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        assertThat(unpriced.error()).isEqualTo("interrupted");
        assertThat(unpriced.usage()).isEqualTo(Usage.NONE);
        assertThat(unpriced.cost()).isNull();
        Execution priced = executions.require(other.id());
        assertThat(priced.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
        assertThat(priced.usage()).isEqualTo(Usage.of(1000, 10));
        // 1,000 x 3 + 10 x 15 per million.
        cost(priced.cost(), "0.00315");
    }

    @Test
    @DisplayName("adding a second price for the same instant is a conflict; history is never rewritten")
    void duplicatePrice() {
        standardPrices();
        assertThatThrownBy(() -> prices.create(ModelPrice.of("openai", "gpt-4o", "9", "9", JAN))).isInstanceOf(ConflictException.class);
        assertThat(prices.list("openai", "gpt-4o")).singleElement()
                .satisfies(p -> assertThat(p.inputPerMillion()).isEqualByComparingTo("2.5"));
    }

    @Test
    @DisplayName("a validFrom finer than a microsecond is stored at the microsecond it falls in, as every instant Atlas stores:"
            + " the returned price says so, is read back equal and applies at that microsecond; a second price in the same microsecond"
            + " is a ConflictException on validFrom naming the stored instant, nothing written; the next microsecond is another price")
    void subMicrosecondValidFromIsStoredAtItsMicrosecond() {
        Instant micro = Instant.parse("2026-01-01T00:00:00.000007Z");
        ModelPrice stored = prices.create(ModelPrice.of("openai", "fine", "1", "1", micro.plusNanos(500)));
        assertThat(stored.validFrom()).isEqualTo(micro);
        assertThat(prices.list("openai", "fine")).containsExactly(stored);
        assertThat(prices.get("openai", "fine", micro)).contains(stored);
        assertThat(prices.get("openai", "fine", micro.plusNanos(500))).contains(stored);
        assertThat(prices.get("openai", "fine", micro.minusNanos(1))).isEmpty();
        assertThatThrownBy(() -> prices.create(ModelPrice.of("openai", "fine", "2", "2", micro.plusNanos(999))))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.field()).isEqualTo("validFrom");
                    assertThat(e.getMessage()).contains("openai/fine already has a price valid from 2026-01-01T00:00:00.000007Z");
                });
        ModelPrice next = prices.create(ModelPrice.of("openai", "fine", "3", "3", micro.plusNanos(1000)));
        assertThat(prices.list("openai", "fine")).containsExactly(stored, next);
    }

    @Test
    @DisplayName("two creates of one provider/model/validFrom at the same moment: exactly one is stored, the other is a ConflictException on validFrom")
    void concurrentDuplicatePrice() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 15; i++) {
                Instant from = JAN.plusSeconds(i);
                var start = new java.util.concurrent.CyclicBarrier(2);
                List<java.util.concurrent.Future<Object>> results = new java.util.ArrayList<>();
                for (String input : List.of("1", "2")) {
                    results.add(pool.submit(() -> {
                        start.await();
                        try {
                            return prices.create(ModelPrice.of("openai", "race", input, "1", from));
                        } catch (dev.atlas.AtlasException e) {
                            return e;
                        }
                    }));
                }
                List<Object> outcomes = new java.util.ArrayList<>();
                for (var r : results) {
                    outcomes.add(r.get());
                }
                assertThat(outcomes).as("round %d", i).filteredOn(ModelPrice.class::isInstance).hasSize(1);
                assertThat(outcomes).as("round %d", i).filteredOn(o -> !(o instanceof ModelPrice)).singleElement()
                        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.field()).isEqualTo("validFrom"));
                ModelPrice stored = (ModelPrice) outcomes.stream().filter(ModelPrice.class::isInstance).findFirst().orElseThrow();
                assertThat(prices.get("openai", "race", from)).contains(stored);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(prices.list("openai", "race")).hasSize(15);
    }

    private static void assertField(String field, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(InvalidInputException.class)
                .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo(field));
    }

    // ---- reports ------------------------------------------------------------------------

    /** Four executions in range over two UTC days, one outside it. Returns conversations A (alice) and B (bob). */
    private Conversation[] reportData() {
        standardPrices();
        Conversation a = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Conversation b = acme.conversations().create(NewConversation.of(Owner.user("bob"), "sales"));
        clock.set(Instant.parse("2026-03-01T23:30:00Z"));
        run(acme, ExecutionSpec.text("openai", "gpt-4o").agent("support").conversation(a.id()), Usage.of(1000, 100).reasoning(40), false);
        clock.set(Instant.parse("2026-03-02T00:30:00Z"));
        run(acme, ExecutionSpec.text("anthropic", "claude").agent("sales").conversation(b.id()),
                Usage.of(2000, 200).cached(500).cacheWrite(100), false);
        clock.set(Instant.parse("2026-03-02T05:00:00Z"));
        run(acme, ExecutionSpec.text("openai", "gpt-4o").agent("support"), Usage.of(300, 0), true);
        clock.set(Instant.parse("2026-03-02T23:59:59.999999Z"));
        run(acme, ExecutionSpec.text("openai", "gpt-4o-mini").agent("support").conversation(a.id()), Usage.of(50, 5), false);
        clock.set(Instant.parse("2026-03-03T00:00:00Z"));
        run(acme, ExecutionSpec.text("openai", "gpt-4o").agent("support"), Usage.of(999_999, 0), false);
        return new Conversation[] {a, b};
    }

    private List<UsageRow> report(UsageGroup group) {
        return acme.executions().usageReport(group, Instant.parse("2026-03-01T00:00:00Z"), Instant.parse("2026-03-03T00:00:00Z"));
    }

    private static void row(UsageRow r, String group, long executions, long failures, long in, long out, String cost) {
        assertThat(r.group()).isEqualTo(group);
        assertThat(r.executions()).as("executions of " + group).isEqualTo(executions);
        assertThat(r.failures()).as("failures of " + group).isEqualTo(failures);
        assertThat(r.inputTokens()).as("input of " + group).isEqualTo(in);
        assertThat(r.outputTokens()).as("output of " + group).isEqualTo(out);
        assertThat(r.cost().toPlainString()).as("cost of " + group).isEqualTo(cost);
    }

    @Test
    @DisplayName("the report by UTC day matches hand-computed totals; the range end is exclusive")
    void reportByDay() {
        reportData();
        List<UsageRow> rows = report(UsageGroup.DAY);
        assertThat(rows).hasSize(2);
        // 1000×2.5 + 100×10 = 3500 per million
        row(rows.get(0), "2026-03-01", 1, 0, 1000, 100, "0.0035");
        assertThat(rows.get(0).reasoningTokens()).isEqualTo(40);
        // 9525 (claude) + 300×2.5 = 750 (failed gpt-4o) + unpriced gpt-4o-mini = 10275 per million
        row(rows.get(1), "2026-03-02", 3, 1, 2350, 205, "0.010275");
        assertThat(rows.get(1).cachedTokens()).isEqualTo(500);
        assertThat(rows.get(1).cacheWriteTokens()).isEqualTo(100);
    }

    private java.util.SortedMap<java.time.LocalDate, List<UsageRow>> daily(String first, String last, String zone) {
        return acme.executions().dailyUsageReport(UsageGroup.MODEL, java.time.LocalDate.parse(first), java.time.LocalDate.parse(last),
                java.time.ZoneId.of(zone));
    }

    @Test
    @DisplayName("the daily report by model over UTC days is the report by model of each day with executions, in one statement")
    void dailyReportInUtcIsOneStatement() {
        reportData();
        StatementCounter.Counted<java.util.SortedMap<java.time.LocalDate, List<UsageRow>>> counted =
                StatementCounter.count(atlas, () -> daily("2026-02-27", "2026-03-02", "UTC"));
        assertThat(counted.statements()).isEqualTo(1);
        var days = counted.result();
        assertThat(days.keySet()).extracting(Object::toString).containsExactly("2026-03-01", "2026-03-02");
        for (var day : days.entrySet()) {
            Instant start = day.getKey().atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
            assertThat(day.getValue()).as(day.getKey().toString())
                    .isEqualTo(acme.executions().usageReport(UsageGroup.MODEL, start, start.plus(Duration.ofDays(1))));
        }
        row(days.get(java.time.LocalDate.parse("2026-03-01")).get(0), "openai/gpt-4o", 1, 0, 1000, 100, "0.0035");
        assertThat(days.get(java.time.LocalDate.parse("2026-03-02"))).extracting(UsageRow::group)
                .containsExactly("anthropic/claude", "openai/gpt-4o", "openai/gpt-4o-mini");
    }

    @Test
    @DisplayName("the daily report's days are the zone's: a New York day and a Kathmandu (+05:45) day hold the executions of their wall clock")
    void dailyReportDaysAreTheZones() {
        reportData();
        var ny = daily("2026-03-01", "2026-03-02", "America/New_York");
        // New York is UTC-5 until 2026-03-08: 23:30Z and 00:30Z are March 1st there, 05:00Z to 00:00Z the 2nd.
        assertThat(ny.get(java.time.LocalDate.parse("2026-03-01"))).extracting(UsageRow::group)
                .containsExactly("anthropic/claude", "openai/gpt-4o");
        List<UsageRow> second = ny.get(java.time.LocalDate.parse("2026-03-02"));
        assertThat(second).extracting(UsageRow::group).containsExactly("openai/gpt-4o", "openai/gpt-4o-mini");
        row(second.get(0), "openai/gpt-4o", 2, 1, 1_000_299, 0, "2.5007475");
        var kathmandu = daily("2026-03-02", "2026-03-03", "Asia/Kathmandu");
        // +05:45: March 1st 23:30Z, 00:30Z and 05:00Z are March 2nd there, 23:59:59.999999Z and 00:00Z the 3rd (05:44:59.999999 and 05:45).
        assertThat(kathmandu.keySet()).extracting(Object::toString).containsExactly("2026-03-02", "2026-03-03");
        assertThat(kathmandu.get(java.time.LocalDate.parse("2026-03-02"))).extracting(UsageRow::group, UsageRow::executions)
                .containsExactly(tuple("anthropic/claude", 1L), tuple("openai/gpt-4o", 2L));
        assertThat(kathmandu.get(java.time.LocalDate.parse("2026-03-03"))).extracting(UsageRow::group)
                .containsExactly("openai/gpt-4o", "openai/gpt-4o-mini");
    }

    @Test
    @DisplayName("a day over which the zone's offset changes holds all of its hours: one statement per offset, their rows added")
    void dailyReportAcrossADaylightSavingChange() {
        standardPrices();
        // New York springs forward at 2026-03-08T07:00Z (02:00 EST is 03:00 EDT): March 8th there is 23 hours long.
        for (String at : List.of("2026-03-08T05:00:00Z", "2026-03-08T06:59:59Z", "2026-03-09T03:59:59.999999Z", "2026-03-09T04:00:00Z")) {
            clock.set(Instant.parse(at));
            run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1000, 0), false);
        }
        StatementCounter.Counted<java.util.SortedMap<java.time.LocalDate, List<UsageRow>>> counted =
                StatementCounter.count(atlas, () -> daily("2026-03-08", "2026-03-09", "America/New_York"));
        assertThat(counted.statements()).isEqualTo(2);
        assertThat(counted.result().keySet()).extracting(Object::toString).containsExactly("2026-03-08", "2026-03-09");
        row(counted.result().get(java.time.LocalDate.parse("2026-03-08")).get(0), "openai/gpt-4o", 3, 0, 3000, 0, "0.0075");
        row(counted.result().get(java.time.LocalDate.parse("2026-03-09")).get(0), "openai/gpt-4o", 1, 0, 1000, 0, "0.0025");
    }

    @Test
    @DisplayName("the daily report of zones with 30 and 45 minute offsets, a change at midnight and a skipped day is each execution's"
            + " wall-clock date in that zone, in one statement per offset of the period")
    void dailyReportMatchesEachExecutionsDateInItsZone() {
        // Lord Howe's DST is 30 minutes; Santiago and Havana change at midnight (a day starting at 01:00, a day of 25 hours
        // ending twice at 23:00); St John's is -03:30, Chatham +12:45/+13:45; Apia skipped 2011-12-30 (-10:00 to +14:00).
        List<java.time.ZoneId> zones = java.util.stream.Stream.of("Australia/Lord_Howe", "America/Santiago", "America/Havana",
                "America/St_Johns", "Pacific/Chatham", "Asia/Kathmandu", "Europe/Berlin", "Pacific/Apia").map(java.time.ZoneId::of).toList();
        Map<java.time.ZoneId, List<Instant>> instants = new java.util.LinkedHashMap<>();
        java.util.SortedSet<Instant> all = new java.util.TreeSet<>();
        for (java.time.ZoneId zone : zones) {
            java.time.zone.ZoneRules rules = zone.getRules();
            // Kathmandu's one change, +05:30 to +05:45, was at 1986's start.
            Instant after = Instant.parse(zone.getId().equals("Pacific/Apia") ? "2011-12-01T00:00:00Z"
                    : zone.getId().equals("Asia/Kathmandu") ? "1985-06-01T00:00:00Z" : "2025-06-01T00:00:00Z");
            List<Instant> near = new java.util.ArrayList<>();
            for (int i = 0; i < 2; i++) {
                java.time.zone.ZoneOffsetTransition t = rules.nextTransition(after);
                if (t == null) {
                    break;
                }
                Instant at = t.getInstant();
                java.time.LocalDate day = java.time.LocalDate.ofInstant(at.minusNanos(1000), zone);
                // The change, and the starts of the days around it, each with the microsecond before.
                for (Instant i2 : List.of(at, day.atStartOfDay(zone).toInstant(), day.plusDays(1).atStartOfDay(zone).toInstant(),
                        day.plusDays(2).atStartOfDay(zone).toInstant())) {
                    near.add(i2);
                    near.add(i2.minusNanos(1000));
                }
                after = at;
            }
            instants.put(zone, near);
            all.addAll(near);
        }
        // Each execution's model and tokens tell it apart in the sums.
        Map<Instant, Integer> tokens = new java.util.HashMap<>();
        int n = 0;
        for (Instant at : all) {
            clock.set(at);
            n++;
            tokens.put(at, n);
            run(acme, ExecutionSpec.text("openai", "m" + (n % 3)), Usage.of(n, 0), false);
        }
        for (java.time.ZoneId zone : zones) {
            java.time.LocalDate first = instants.get(zone).stream().map(i -> java.time.LocalDate.ofInstant(i, zone))
                    .min(java.util.Comparator.naturalOrder()).orElseThrow().minusDays(1);
            java.time.LocalDate last = instants.get(zone).stream().map(i -> java.time.LocalDate.ofInstant(i, zone))
                    .max(java.util.Comparator.naturalOrder()).orElseThrow().plusDays(1);
            // Brute force: each execution's date read in the zone, its executions and tokens added by day and model.
            Map<String, List<Long>> expected = new java.util.TreeMap<>();
            int k = 0;
            for (Instant at : all) {
                k++;
                java.time.LocalDate date = java.time.LocalDate.ofInstant(at, zone);
                if (!date.isBefore(first) && !date.isAfter(last)) {
                    List<Long> sums = expected.computeIfAbsent(date + " openai/m" + (k % 3), x -> new java.util.ArrayList<>(List.of(0L, 0L)));
                    sums.set(0, sums.get(0) + 1);
                    sums.set(1, sums.get(1) + tokens.get(at));
                }
            }
            Instant from = first.atStartOfDay(zone).toInstant();
            Instant to = last.plusDays(1).atStartOfDay(zone).toInstant();
            long changes = 0;
            for (var t = zone.getRules().nextTransition(from); t != null && t.getInstant().isBefore(to); t = zone.getRules().nextTransition(t.getInstant())) {
                changes++;
            }
            StatementCounter.Counted<java.util.SortedMap<java.time.LocalDate, List<UsageRow>>> counted = StatementCounter.count(atlas,
                    () -> acme.executions().dailyUsageReport(UsageGroup.MODEL, first, last, zone));
            Map<String, List<Long>> actual = new java.util.TreeMap<>();
            counted.result().forEach((day, rows) -> rows.forEach(r -> actual.put(day + " " + r.group(), List.of(r.executions(), r.inputTokens()))));
            assertThat(actual).as(zone.getId()).isEqualTo(expected);
            assertThat(counted.statements()).as(zone.getId()).isEqualTo(changes + 1);
        }
    }

    @Test
    @DisplayName("the daily report covers its tenant only, and refuses a DAY grouping, a last day before the first and a missing zone naming them")
    void dailyReportIsTheTenantsAndRefusesBadInput() {
        reportData();
        Tenant globex = atlas.tenant("globex");
        clock.set(Instant.parse("2026-03-01T12:00:00Z"));
        run(globex, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(7, 7), false);
        assertThat(daily("2026-03-01", "2026-03-01", "UTC").get(java.time.LocalDate.parse("2026-03-01")))
                .extracting(UsageRow::executions).containsExactly(1L);
        assertThat(globex.executions().dailyUsageReport(UsageGroup.MODEL, java.time.LocalDate.parse("2026-03-01"),
                java.time.LocalDate.parse("2026-03-02"), java.time.ZoneOffset.UTC).values()).singleElement()
                .satisfies(rows -> row(rows.get(0), "openai/gpt-4o", 1, 0, 7, 7, "0"));
        java.time.LocalDate day = java.time.LocalDate.parse("2026-03-01");
        assertField("group", () -> acme.executions().dailyUsageReport(UsageGroup.DAY, day, day, java.time.ZoneOffset.UTC));
        assertField("group", () -> acme.executions().dailyUsageReport(null, day, day, java.time.ZoneOffset.UTC));
        // A missing day is named before the grouping is judged.
        assertField("first", () -> acme.executions().dailyUsageReport(UsageGroup.DAY, null, day, java.time.ZoneOffset.UTC));
        assertField("last", () -> acme.executions().dailyUsageReport(UsageGroup.MODEL, day, day.minusDays(1), java.time.ZoneOffset.UTC));
        assertField("zone", () -> acme.executions().dailyUsageReport(UsageGroup.MODEL, day, day, null));
        // A period of days is bounded, or a zone's thousands of offset changes over the centuries would be as many statements.
        StatementCounter.Counted<Object> centuries = StatementCounter.count(atlas, () -> {
            try {
                return acme.executions().dailyUsageReport(UsageGroup.MODEL, java.time.LocalDate.parse("1900-01-01"),
                        java.time.LocalDate.parse("9999-12-31"), java.time.ZoneId.of("Europe/Berlin"));
            } catch (InvalidInputException e) {
                return e;
            }
        });
        assertThat(centuries.statements()).isZero();
        assertThat(centuries.result()).isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e).hasMessage(
                "last: the daily report covers at most " + dev.atlas.Limits.MAX_REPORT_DAYS + " days, was 2958464 days from 1900-01-01 to 9999-12-31"));
        assertThat(acme.executions().dailyUsageReport(UsageGroup.MODEL, day, day.plusDays(dev.atlas.Limits.MAX_REPORT_DAYS - 1),
                java.time.ZoneId.of("Europe/Berlin"))).isNotEmpty();
        assertField("first", () -> acme.executions().dailyUsageReport(UsageGroup.MODEL, java.time.LocalDate.of(-5, 1, 1), day,
                java.time.ZoneOffset.UTC));
    }

    @Test
    @DisplayName("days are UTC days whatever the JVM's (and so the database session's) time zone")
    void reportDayIgnoresTimeZone() {
        reportData();
        java.util.TimeZone saved = java.util.TimeZone.getDefault();
        try {
            java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Pacific/Kiritimati"));
            // A new instance opens new connections, which take the changed zone as their session zone.
            List<UsageRow> rows = reopen(b -> b.clock(clock)).tenant("acme").executions().usageReport(UsageGroup.DAY,
                    Instant.parse("2026-03-01T00:00:00Z"), Instant.parse("2026-03-03T00:00:00Z"));
            assertThat(rows).extracting(UsageRow::group).containsExactly("2026-03-01", "2026-03-02");
            assertThat(rows).extracting(UsageRow::executions).containsExactly(1L, 3L);
        } finally {
            java.util.TimeZone.setDefault(saved);
        }
    }

    @Test
    @DisplayName("reports by provider, model and agent match hand-computed totals")
    void reportByProviderModelAgent() {
        reportData();
        List<UsageRow> providers = report(UsageGroup.PROVIDER);
        row(providers.get(0), "anthropic", 1, 0, 2000, 200, "0.009525");
        row(providers.get(1), "openai", 3, 1, 1350, 105, "0.00425");
        List<UsageRow> models = report(UsageGroup.MODEL);
        assertThat(models).extracting(UsageRow::group).containsExactly("anthropic/claude", "openai/gpt-4o", "openai/gpt-4o-mini");
        row(models.get(1), "openai/gpt-4o", 2, 1, 1300, 100, "0.00425");
        row(models.get(2), "openai/gpt-4o-mini", 1, 0, 50, 5, "0");
        List<UsageRow> agents = report(UsageGroup.AGENT);
        row(agents.get(0), "sales", 1, 0, 2000, 200, "0.009525");
        row(agents.get(1), "support", 3, 1, 1350, 105, "0.00425");
    }

    @Test
    @DisplayName("reports by conversation, owner of the conversation and tenant match hand-computed totals")
    void reportByConversationOwnerTenant() {
        Conversation[] c = reportData();
        List<UsageRow> conversations = report(UsageGroup.CONVERSATION);
        assertThat(conversations).hasSize(3);
        assertThat(conversations.get(2).group()).isNull();
        row(conversations.get(2), null, 1, 1, 300, 0, "0.00075");
        UsageRow a = conversations.stream().filter(r -> c[0].id().toString().equals(r.group())).findFirst().orElseThrow();
        row(a, c[0].id().toString(), 2, 0, 1050, 105, "0.0035");
        List<UsageRow> owners = report(UsageGroup.OWNER);
        row(owners.get(0), "user:alice", 2, 0, 1050, 105, "0.0035");
        row(owners.get(1), "user:bob", 1, 0, 2000, 200, "0.009525");
        row(owners.get(2), null, 1, 1, 300, 0, "0.00075");
        List<UsageRow> tenants = report(UsageGroup.TENANT);
        row(tenants.get(0), "acme", 4, 1, 3350, 305, "0.013775");
        assertThat(tenants).hasSize(1);
    }

    @Test
    @DisplayName("groups whose parts contain the separator stay apart: providers a/b + model c and a + b/c are two MODEL rows,"
            + " owners a:b + c and a + b:c two OWNER rows, each with its own totals and its parts readable as given")
    void reportKeysNeverCollide() {
        clock.set(Instant.parse("2026-03-01T10:00:00Z"));
        run(acme, ExecutionSpec.text("a/b", "c").owner(Owner.of("a:b", "c")), Usage.of(10, 1), false);
        run(acme, ExecutionSpec.text("a", "b/c").owner(Owner.of("a", "b:c")), Usage.of(20, 2), false);
        run(acme, ExecutionSpec.text("a", "b/c").owner(Owner.of("a", "b:c")), Usage.of(20, 2), true);
        List<UsageRow> models = report(UsageGroup.MODEL);
        assertThat(models).extracting(UsageRow::parts).containsExactly(List.of("a", "b/c"), List.of("a/b", "c"));
        row(models.get(0), "a/b/c", 2, 1, 40, 4, "0");
        row(models.get(1), "a%2Fb/c", 1, 0, 10, 1, "0");
        List<UsageRow> owners = report(UsageGroup.OWNER);
        assertThat(owners).extracting(UsageRow::parts).containsExactly(List.of("a", "b:c"), List.of("a:b", "c"));
        row(owners.get(0), "a:b:c", 2, 1, 40, 4, "0");
        row(owners.get(1), "a%3Ab:c", 1, 0, 10, 1, "0");
        assertThat(report(UsageGroup.PROVIDER)).extracting(UsageRow::parts).containsExactly(List.of("a"), List.of("a/b"));
    }

    @Test
    @DisplayName("a report over an empty range is empty and a reversed range is rejected")
    void reportRange() {
        reportData();
        assertThat(acme.executions().usageReport(UsageGroup.DAY, Instant.parse("2020-01-01T00:00:00Z"),
                Instant.parse("2020-01-02T00:00:00Z"))).isEmpty();
        assertField("to", () -> acme.executions().usageReport(UsageGroup.DAY, Instant.parse("2026-03-02T00:00:00Z"),
                Instant.parse("2026-03-01T00:00:00Z")));
        assertField("group", () -> UsageGroup.of("week"));
        assertField("from", () -> acme.executions().usageReport(UsageGroup.DAY, null, Instant.now()));
    }

    @Test
    @DisplayName("prices and reports are per tenant: another tenant's price never costs this tenant's executions")
    void tenantIsolation() {
        reportData();
        Tenant globex = atlas.tenant("globex");
        assertThat(globex.prices().list("openai", "gpt-4o")).isEmpty();
        assertThat(globex.prices().get("openai", "gpt-4o", clock.instant())).isEmpty();
        Execution theirs = run(globex, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1000, 0), false);
        assertThat(theirs.cost()).isNull();
        globex.prices().create(ModelPrice.of("openai", "gpt-4o", "100", "100", JAN));
        assertThat(prices.list("openai", "gpt-4o")).singleElement()
                .satisfies(p -> assertThat(p.inputPerMillion()).isEqualByComparingTo("2.5"));
        assertThat(globex.executions().usageReport(UsageGroup.TENANT, Instant.parse("2026-03-01T00:00:00Z"),
                Instant.parse("2026-03-04T00:00:00Z"))).singleElement().satisfies(r -> {
                    assertThat(r.group()).isEqualTo("globex");
                    assertThat(r.executions()).isEqualTo(1);
                });
        row(report(UsageGroup.TENANT).get(0), "acme", 4, 1, 3350, 305, "0.013775");
    }

    @Test
    @DisplayName("the operator's report on Atlas covers every tenant: one row per tenant, and model totals across tenants")
    void reportAcrossTenants() {
        reportData();
        Tenant globex = atlas.tenant("globex");
        globex.prices().create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", JAN));
        clock.set(Instant.parse("2026-03-02T12:00:00Z"));
        globex.executions().record(ExecutionSpec.text("openai", "gpt-4o"), exec -> {
            exec.usage(Usage.of(1000, 100));
            return null;
        });
        Instant from = Instant.parse("2026-03-01T00:00:00Z");
        Instant to = Instant.parse("2026-03-03T00:00:00Z");
        List<UsageRow> tenants = atlas.usageReport(UsageGroup.TENANT, from, to);
        assertThat(tenants).hasSize(2);
        row(tenants.get(0), "acme", 4, 1, 3350, 305, "0.013775");
        row(tenants.get(1), "globex", 1, 0, 1000, 100, "0.0035");
        long acmeGpt4o = acme.executions().usageReport(UsageGroup.MODEL, from, to).stream()
                .filter(r -> "openai/gpt-4o".equals(r.group())).mapToLong(UsageRow::executions).sum();
        assertThat(atlas.usageReport(UsageGroup.MODEL, from, to)).filteredOn(r -> "openai/gpt-4o".equals(r.group()))
                .singleElement().satisfies(r -> assertThat(r.executions()).isEqualTo(acmeGpt4o + 1));
    }

    @Test
    @DisplayName("report costs sum exactly past 2^63 pico-units (9.2 million currency units), on every database: each execution's cost fits, their total need not")
    void reportCostBeyondLong() {
        // 1,000,000 per million tokens: 5,000,000 tokens cost 5,000,000 (5 × 10^18 pico), plus a smallest unit to check exactness.
        prices.create(ModelPrice.of("big", "model", "1000000", "0.000001", JAN));
        clock.set(Instant.parse("2026-03-01T10:00:00Z"));
        for (int i = 0; i < 3; i++) {
            cost(run(acme, ExecutionSpec.text("big", "model"), Usage.of(5_000_000, 1), false).cost(), "5000000.000000000001");
        }
        Instant from = Instant.parse("2026-03-01T00:00:00Z");
        Instant to = Instant.parse("2026-03-02T00:00:00Z");
        for (UsageGroup g : List.of(UsageGroup.DAY, UsageGroup.MODEL, UsageGroup.TENANT)) {
            UsageRow r = acme.executions().usageReport(g, from, to).get(0);
            assertThat(r.executions()).as(g.toString()).isEqualTo(3);
            cost(r.cost(), "15000000.000000000003");
        }
        cost(atlas.usageReport(UsageGroup.TENANT, from, to).get(0).cost(), "15000000.000000000003");
    }

    @Test
    @DisplayName("report bounds finer than a microsecond are exact: an execution created at T is outside [T+1ns, …) and inside [… , T+1ns)")
    void reportBoundsBelowMicroseconds() {
        standardPrices();
        Instant t = clock.instant();
        run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1000, 0), false);
        assertThat(acme.executions().require(acme.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().get(0).id()).createdAt())
                .isEqualTo(t);
        Instant dayBefore = t.minus(java.time.Duration.ofDays(1));
        Instant dayAfter = t.plus(java.time.Duration.ofDays(1));
        assertThat(acme.executions().usageReport(UsageGroup.TENANT, t.plusNanos(1), dayAfter)).isEmpty();
        assertThat(acme.executions().usageReport(UsageGroup.TENANT, t.plusNanos(999), dayAfter)).isEmpty();
        assertThat(acme.executions().usageReport(UsageGroup.TENANT, t, dayAfter)).singleElement()
                .satisfies(r -> assertThat(r.executions()).isEqualTo(1));
        assertThat(acme.executions().usageReport(UsageGroup.TENANT, dayBefore, t.plusNanos(1))).singleElement()
                .satisfies(r -> assertThat(r.executions()).isEqualTo(1));
        assertThat(acme.executions().usageReport(UsageGroup.TENANT, dayBefore, t)).isEmpty();
        assertThat(atlas.usageReport(UsageGroup.TENANT, t.plusNanos(1), dayAfter)).isEmpty();
        assertThat(atlas.usageReport(UsageGroup.TENANT, dayBefore, t.plusNanos(1))).hasSize(1);
    }

    @Test
    @DisplayName("a report over 500 executions of odd costs equals the exact sum of their stored costs, to the last pico-unit")
    void reportSumsManyRowsExactly() {
        prices.create(ModelPrice.of("openai", "gpt-4o", "2.500001", "10.000003", JAN).cached("0.000007"));
        clock.set(Instant.parse("2026-03-01T10:00:00Z"));
        BigDecimal expected = BigDecimal.ZERO;
        long input = 0;
        for (int i = 1; i <= 500; i++) {
            Execution e = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(i * 7919L % 100_003, i).cached(i), i % 7 == 0);
            expected = expected.add(e.cost());
            input += i * 7919L % 100_003;
        }
        UsageRow r = acme.executions().usageReport(UsageGroup.MODEL, Instant.parse("2026-03-01T00:00:00Z"),
                Instant.parse("2026-03-02T00:00:00Z")).get(0);
        assertThat(r.executions()).isEqualTo(500);
        assertThat(r.failures()).isEqualTo(71);
        assertThat(r.inputTokens()).isEqualTo(input);
        assertThat(r.cost()).isEqualByComparingTo(expected);
        assertThat(r.cost().toPlainString()).isEqualTo(expected.stripTrailingZeros().toPlainString());
    }

    @Test
    @DisplayName("a usage report with more rows than its bound fails naming 'to' instead of returning a shortened report")
    void reportBound() {
        Instant from = Instant.parse("2026-03-01T00:00:00Z");
        Instant to = Instant.parse("2026-03-02T00:00:00Z");
        for (int i = 0; i < 3; i++) {
            Conversation c = acme.conversations().create(NewConversation.of(Owner.user("u"), "support"));
            acme.executions().create(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()));
        }
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        assertThat(dev.atlas.jdbi.internal.UsageReports.run(db, "acme", UsageGroup.CONVERSATION, from, to, 3)).hasSize(3);
        assertThatThrownBy(() -> dev.atlas.jdbi.internal.UsageReports.run(db, "acme", UsageGroup.CONVERSATION, from, to, 2))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> {
                    assertThat(e.field()).isEqualTo("to");
                    assertThat(e.getMessage()).contains("more than 2 rows");
                });
        assertThat(acme.executions().usageReport(UsageGroup.CONVERSATION, from, to)).hasSize(3);
    }

    @Test
    @DisplayName("usage without a conversation counts under the spec's owner and project (seed 003): reports by owner and by project")
    void reportByOwnerAndProject() {
        standardPrices();
        Conversation a = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        clock.set(Instant.parse("2026-03-01T10:00:00Z"));
        run(acme, ExecutionSpec.text("openai", "gpt-4o").conversation(a.id()).project("web"), Usage.of(1000, 100), false);
        run(acme, ExecutionSpec.text("openai", "gpt-4o").owner(Owner.user("alice")).project("web"), Usage.of(2000, 0), false);
        run(acme, ExecutionSpec.text("openai", "gpt-4o").owner(Owner.user("carol")).project("cli"), Usage.of(400, 0), true);
        run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(100, 0), false);
        // The call's own owner wins over its conversation's.
        run(acme, ExecutionSpec.text("openai", "gpt-4o").conversation(a.id()).owner(Owner.user("dave")), Usage.of(0, 10), false);

        List<UsageRow> owners = report(UsageGroup.OWNER);
        assertThat(owners).hasSize(4);
        row(owners.get(0), "user:alice", 2, 0, 3000, 100, "0.0085");
        row(owners.get(1), "user:carol", 1, 1, 400, 0, "0.001");
        row(owners.get(2), "user:dave", 1, 0, 0, 10, "0.0001");
        row(owners.get(3), null, 1, 0, 100, 0, "0.00025");
        List<UsageRow> projects = report(UsageGroup.PROJECT);
        assertThat(projects).hasSize(3);
        row(projects.get(0), "cli", 1, 1, 400, 0, "0.001");
        row(projects.get(1), "web", 2, 0, 3000, 100, "0.0085");
        row(projects.get(2), null, 2, 0, 100, 10, "0.00035");
        assertThat(UsageGroup.of("project")).isEqualTo(UsageGroup.PROJECT);
        // Per tenant: another tenant sees none of it; the operator's report by project spans tenants.
        assertThat(atlas.tenant("globex").executions().usageReport(UsageGroup.PROJECT, Instant.parse("2026-03-01T00:00:00Z"),
                Instant.parse("2026-03-03T00:00:00Z"))).isEmpty();
        run(atlas.tenant("globex"), ExecutionSpec.text("openai", "gpt-4o").project("web"), Usage.of(1, 0), false);
        List<UsageRow> all = atlas.usageReport(UsageGroup.PROJECT, Instant.parse("2026-03-01T00:00:00Z"),
                Instant.parse("2026-03-03T00:00:00Z"));
        // Each tenant's projects apart (operatorReportKeepsTenantsApart): acme's web is not globex's.
        assertThat(all).extracting(UsageRow::group).containsExactly("acme:cli", "acme:web", "acme", "globex:web");
        assertThat(all).extracting(UsageRow::executions).containsExactly(1L, 2L, 2L, 1L);
    }

    @Test
    @DisplayName("the operator's report by agent, conversation, owner or project keeps each tenant's groups apart (two customers'"
            + " user alice are two people): tenant first in parts and key, a ':' in the tenant written %3A, a tenant's group"
            + " without the value keyed by the tenant alone and listed after its others; tenant reports and the other groupings unchanged")
    void operatorReportKeepsTenantsApart() {
        standardPrices();
        clock.set(Instant.parse("2026-03-01T10:00:00Z"));
        Tenant globex = atlas.tenant("globex");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        // The same conversation id in globex: acme's conversation exported and imported there.
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        acme.portability().exportTo(file, dev.atlas.portability.ExportScope.conversation(c.id()));
        globex.portability().importFrom(new java.io.ByteArrayInputStream(file.toByteArray()));
        ExecutionSpec spec = ExecutionSpec.text("openai", "gpt-4o").agent("support").project("web").conversation(c.id());
        run(acme, spec, Usage.of(1000, 0), false);
        run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(100, 0), false);
        run(globex, spec, Usage.of(2000, 0), true);
        // Tenant "a:b" with agent "c" and tenant "a" with agent "b:c": two keys.
        run(atlas.tenant("a:b"), ExecutionSpec.text("openai", "gpt-4o").agent("c").owner(Owner.of("team", "x")), Usage.of(1, 0), false);
        run(atlas.tenant("a"), ExecutionSpec.text("openai", "gpt-4o").agent("b:c").owner(Owner.of("team:x", "y")), Usage.of(2, 0), false);
        Instant from = Instant.parse("2026-03-01T00:00:00Z");
        Instant to = Instant.parse("2026-03-02T00:00:00Z");

        List<UsageRow> agents = atlas.usageReport(UsageGroup.AGENT, from, to);
        assertThat(agents).extracting(UsageRow::group).containsExactly("a:b:c", "a%3Ab:c", "acme:support", "acme", "globex:support");
        assertThat(agents).extracting(UsageRow::parts).containsExactly(List.of("a", "b:c"), List.of("a:b", "c"), List.of("acme", "support"),
                List.of("acme"), List.of("globex", "support"));
        assertThat(agents).extracting(UsageRow::executions).containsExactly(1L, 1L, 1L, 1L, 1L);
        assertThat(agents).extracting(UsageRow::failures).containsExactly(0L, 0L, 0L, 0L, 1L);
        assertThat(agents).extracting(UsageRow::inputTokens).containsExactly(2L, 1L, 1000L, 100L, 2000L);
        assertThat(atlas.usageReport(UsageGroup.OWNER, from, to)).extracting(UsageRow::group)
                .containsExactly("a:team%3Ax:y", "a%3Ab:team:x", "acme:user:alice", "acme", "globex:user:alice");
        assertThat(atlas.usageReport(UsageGroup.OWNER, from, to).get(0).parts()).containsExactly("a", "team:x", "y");
        assertThat(atlas.usageReport(UsageGroup.PROJECT, from, to)).extracting(UsageRow::group)
                .containsExactly("a", "a%3Ab", "acme:web", "acme", "globex:web");
        assertThat(atlas.usageReport(UsageGroup.CONVERSATION, from, to)).extracting(UsageRow::group)
                .containsExactly("a", "a%3Ab", "acme:" + c.id(), "acme", "globex:" + c.id());
        // Days, providers, models and tenants are the same across tenants.
        assertThat(atlas.usageReport(UsageGroup.MODEL, from, to)).singleElement()
                .satisfies(r -> assertThat(r.group()).isEqualTo("openai/gpt-4o")).returns(5L, UsageRow::executions);
        assertThat(atlas.usageReport(UsageGroup.TENANT, from, to)).extracting(UsageRow::group).containsExactly("a", "a:b", "acme", "globex");
        // A tenant's own report is keyed as before.
        assertThat(acme.executions().usageReport(UsageGroup.AGENT, from, to)).extracting(UsageRow::group).containsExactly("support", null);
        assertThat(globex.executions().usageReport(UsageGroup.OWNER, from, to)).extracting(UsageRow::group).containsExactly("user:alice");
    }

    @Test
    @DisplayName("reasoning tokens are part of the output: a usage reporting more reasoning than output (thinking reported apart, as"
            + " Gemini's API does) is stored and reported as given, billed on its output alone, never refused")
    void reasoningBeyondOutputIsKeptAsGiven() {
        standardPrices();
        clock.set(Instant.parse("2026-03-01T10:00:00Z"));
        Usage apart = Usage.of(1_000_000, 100_000).reasoning(400_000);
        Execution e = run(acme, ExecutionSpec.text("openai", "gpt-4o"), apart, false);
        assertThat(e.usage()).isEqualTo(apart);
        cost(e.cost(), "3.5");
        UsageRow r = report(UsageGroup.MODEL).get(0);
        assertThat(r.reasoningTokens()).isEqualTo(400_000);
        assertThat(r.outputTokens()).isEqualTo(100_000);
        cost(r.cost(), "3.5");
    }

    @Test
    @DisplayName("a price applies from its validFrom inclusive: an execution created 1µs before it is billed at the old price, one created at it at the new price, and a report across the change sums both exactly")
    void priceChangeMidPeriod() {
        Instant change = Instant.parse("2026-03-01T12:00:00Z");
        prices.create(ModelPrice.of("openai", "gpt-4o", "2.50", "10.00", JAN));
        prices.create(ModelPrice.of("openai", "gpt-4o", "1.25", "5.00", change));
        clock.set(change.minusNanos(1000));
        Execution before = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1_000_000, 1_000_000), false);
        clock.set(change);
        Execution at = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1_000_000, 1_000_000), false);
        cost(before.cost(), "12.5");
        cost(at.cost(), "6.25");
        assertThat(prices.get("openai", "gpt-4o", change.minusNanos(1000)).orElseThrow().inputPerMillion()).isEqualByComparingTo("2.50");
        assertThat(prices.get("openai", "gpt-4o", change).orElseThrow().inputPerMillion()).isEqualByComparingTo("1.25");
        List<UsageRow> rows = acme.executions().usageReport(UsageGroup.MODEL, JAN, change.plusSeconds(1));
        assertThat(rows).hasSize(1);
        row(rows.get(0), "openai/gpt-4o", 2, 0, 2_000_000, 2_000_000, "18.75");
    }

    @Test
    @DisplayName("a local day in UTC+14 or UTC-12, or in Europe/Berlin on the 23-hour and 25-hour days of its DST changes, is reported"
            + " exactly by its instant bounds (first microsecond in, the next day's first out); DAY keys stay UTC dates")
    void localDayInExtremeZones() {
        record LocalDay(String tenant, String zone, java.time.LocalDate day, List<String> utcDays, long hours) {}
        for (LocalDay d : List.of(
                new LocalDay("kiritimati", "Pacific/Kiritimati", java.time.LocalDate.of(2026, 3, 1), List.of("2026-02-28", "2026-03-01"), 24),
                new LocalDay("baker", "Etc/GMT+12", java.time.LocalDate.of(2026, 3, 1), List.of("2026-03-01", "2026-03-02"), 24),
                new LocalDay("berlin-spring", "Europe/Berlin", java.time.LocalDate.of(2026, 3, 29), List.of("2026-03-28", "2026-03-29"), 23),
                new LocalDay("berlin-autumn", "Europe/Berlin", java.time.LocalDate.of(2026, 10, 25), List.of("2026-10-24", "2026-10-25"), 25))) {
            Tenant t = atlas.tenant(d.tenant());
            java.time.ZoneId z = java.time.ZoneId.of(d.zone());
            Instant start = d.day().atStartOfDay(z).toInstant();
            Instant end = d.day().plusDays(1).atStartOfDay(z).toInstant();
            assertThat(Duration.between(start, end).toHours()).isEqualTo(d.hours());
            for (Instant at : List.of(start.minusNanos(1000), start, end.minusNanos(1000), end)) {
                clock.set(at);
                run(t, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1, 0), false);
            }
            List<UsageRow> provider = t.executions().usageReport(UsageGroup.PROVIDER, start, end);
            assertThat(provider).as(d.tenant()).hasSize(1);
            row(provider.get(0), "openai", 2, 0, 2, 0, "0");
            List<UsageRow> days = t.executions().usageReport(UsageGroup.DAY, start, end);
            assertThat(days).as(d.tenant()).extracting(UsageRow::group).containsExactlyElementsOf(d.utcDays());
            assertThat(days).extracting(UsageRow::executions).containsExactly(1L, 1L);
        }
    }
    @Test
    @DisplayName("an execution created at exactly Limits.MAX_INSTANT, the latest accepted bound, is in the report and the listing up to it: that one bound is inclusive, every earlier to stays exclusive")
    void executionAtMaxInstantIsReported() {
        standardPrices();
        Instant last = dev.atlas.Limits.MAX_INSTANT;
        clock.set(last.minusNanos(2000));
        run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1, 0), false);
        clock.set(last);
        Execution atEnd = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1_000_000, 0), false);
        assertThat(atEnd.createdAt()).isEqualTo(last);
        Instant dayBefore = last.minus(Duration.ofDays(1));
        List<UsageRow> rows = acme.executions().usageReport(UsageGroup.DAY, dayBefore, last);
        assertThat(rows).singleElement().satisfies(r -> row(r, "9999-12-31", 2, 0, 1_000_001, 0, "2.5000025"));
        assertThat(atlas.usageReport(UsageGroup.TENANT, dayBefore, last)).singleElement()
                .satisfies(r -> assertThat(r.executions()).isEqualTo(2));
        // One microsecond earlier is an ordinary exclusive bound: it leaves out only the last one.
        assertThat(acme.executions().usageReport(UsageGroup.TENANT, dayBefore, last.minusNanos(1000))).singleElement()
                .satisfies(r -> assertThat(r.executions()).isEqualTo(1));
        assertThat(acme.executions().list(dev.atlas.execution.ExecutionQuery.all().between(dayBefore, last)).items())
                .extracting(Execution::id).startsWith(atEnd.id()).hasSize(2);
        assertThat(acme.executions().list(dev.atlas.execution.ExecutionQuery.all().between(dayBefore, last.minusNanos(1000))).items())
                .hasSize(1);
    }

    @Test
    @DisplayName("report token sums are exact up to 2^63-1 per group; a group whose sum passes it (9.2 million executions of 10^12 tokens) fails naming 'to' and the token field instead of a wrong or unnamed error")
    void reportTokenSumsPastLong() {
        clock.set(Instant.parse("2026-03-01T10:00:00Z"));
        Execution a = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1, 1).cached(1).cacheWrite(1), false);
        Execution b = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1, 1).cached(1).cacheWrite(1), false);
        Instant from = Instant.parse("2026-03-01T00:00:00Z");
        Instant to = Instant.parse("2026-03-02T00:00:00Z");
        dev.atlas.jdbi.internal.Db db = ((dev.atlas.jdbi.internal.JdbiAtlas) atlas).db();
        // Stands for millions of executions of 10^12 tokens: two rows whose counts add up past what one execution holds.
        java.util.function.BiConsumer<String, long[]> tamper = (column, values) -> db.write(h -> {
            dev.atlas.jdbi.kit.AdHoc.on(db, h, "UPDATE <p>executions SET " + column + " = :v WHERE tenant_id = 'acme' AND id = :id")
                    .bind("v", values[0]).bind("id", a.id()).update();
            return dev.atlas.jdbi.kit.AdHoc.on(db, h, "UPDATE <p>executions SET " + column + " = :v WHERE tenant_id = 'acme' AND id = :id")
                    .bind("v", values[1]).bind("id", b.id()).update();
        });
        tamper.accept("input_tokens", new long[] {Long.MAX_VALUE - 7, 7});
        tamper.accept("reasoning_tokens", new long[] {Long.MAX_VALUE / 2, Long.MAX_VALUE / 2 + 1});
        for (UsageGroup g : List.of(UsageGroup.MODEL, UsageGroup.DAY, UsageGroup.TENANT)) {
            UsageRow r = acme.executions().usageReport(g, from, to).get(0);
            assertThat(r.inputTokens()).as(g.toString()).isEqualTo(Long.MAX_VALUE);
            assertThat(r.reasoningTokens()).as(g.toString()).isEqualTo(Long.MAX_VALUE);
            assertThat(r.outputTokens()).as(g.toString()).isEqualTo(2);
        }
        assertThat(atlas.usageReport(UsageGroup.TENANT, from, to).get(0).inputTokens()).isEqualTo(Long.MAX_VALUE);
        for (String[] field : new String[][] {{"input_tokens", "inputTokens"}, {"output_tokens", "outputTokens"},
                {"reasoning_tokens", "reasoningTokens"}, {"cached_tokens", "cachedTokens"}, {"cache_write_tokens", "cacheWriteTokens"}}) {
            tamper.accept(field[0], new long[] {Long.MAX_VALUE - 7, 8});
            for (UsageGroup g : List.of(UsageGroup.MODEL, UsageGroup.DAY)) {
                assertThatThrownBy(() -> acme.executions().usageReport(g, from, to)).as(field[1] + " by " + g)
                        .isInstanceOfSatisfying(InvalidInputException.class, e -> {
                            assertThat(e.field()).isEqualTo("to");
                            assertThat(e.getMessage()).contains(field[1]).contains("9223372036854775808");
                        });
            }
            assertThatThrownBy(() -> atlas.usageReport(UsageGroup.TENANT, from, to))
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("to"));
            tamper.accept(field[0], new long[] {1, 1});
        }
        assertThat(acme.executions().usageReport(UsageGroup.MODEL, from, to).get(0).inputTokens()).isEqualTo(2);
    }

    @Test
    @DisplayName("executions stamped before 1970 (an injected clock, down to Limits.MIN_INSTANT) are reported on their UTC day, the"
            + " last microsecond of 1969-12-31 apart from the first of 1970-01-01, and listed by the same bounds")
    void daysBeforeTheEpoch() {
        Instant lastOf1969 = Instant.parse("1969-12-31T23:59:59.999999Z");
        List<Instant> at = List.of(dev.atlas.Limits.MIN_INSTANT, Instant.parse("0001-01-01T23:59:59.999999Z"),
                Instant.parse("1969-12-31T00:00:00Z"), lastOf1969, Instant.EPOCH);
        for (Instant t : at) {
            clock.set(t);
            run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(1, 0), false);
        }
        List<UsageRow> days = acme.executions().usageReport(UsageGroup.DAY, dev.atlas.Limits.MIN_INSTANT, Instant.parse("1970-01-02T00:00:00Z"));
        assertThat(days).extracting(UsageRow::group).containsExactly("0001-01-01", "1969-12-31", "1970-01-01");
        assertThat(days).extracting(UsageRow::executions).containsExactly(2L, 2L, 1L);
        assertThat(acme.executions().usageReport(UsageGroup.DAY, Instant.parse("1969-12-31T00:00:00Z"), Instant.EPOCH))
                .singleElement().returns(2L, UsageRow::executions);
        assertThat(acme.executions().list(dev.atlas.execution.ExecutionQuery.all().between(lastOf1969, Instant.EPOCH)).items())
                .extracting(Execution::createdAt).containsExactly(lastOf1969);
    }

    // ---- the report matrix: every grouping, tenant and operator, several ranges, against totals computed here ----

    /** A price as the test knows it, to bill independently of ModelPrice. */
    private record KnownPrice(String tenant, String provider, String model, Instant from, String in, String out, String cached, String cacheWrite) {}

    /** What the test knows of one execution it recorded. */
    private record Known(String tenant, Execution stored, boolean failed, Usage usage) {}

    /** The cost of {@code usage} at the tenant's price valid at {@code at}, or null without one: tokens × price / 10^6, exact. */
    private static BigDecimal bill(List<KnownPrice> known, String tenant, String provider, String model, Instant at, Usage u) {
        KnownPrice p = known.stream().filter(k -> k.tenant.equals(tenant) && k.provider.equals(provider) && k.model.equals(model)
                && !k.from.isAfter(at)).max(java.util.Comparator.comparing(KnownPrice::from)).orElse(null);
        if (p == null) {
            return null;
        }
        BigDecimal in = new BigDecimal(p.in);
        BigDecimal sum = times(u.inputTokens(), in).add(times(u.outputTokens(), new BigDecimal(p.out)))
                .add(times(u.cachedTokens(), p.cached == null ? in : new BigDecimal(p.cached)))
                .add(times(u.cacheWriteTokens(), p.cacheWrite == null ? in : new BigDecimal(p.cacheWrite)));
        return sum.divide(BigDecimal.valueOf(1_000_000));
    }

    private static BigDecimal times(Long tokens, BigDecimal price) {
        return tokens == null ? BigDecimal.ZERO : BigDecimal.valueOf(tokens).multiply(price);
    }

    private static long n(Long v) {
        return v == null ? 0 : v;
    }

    /** The documented key of a group: a two-part key's first part with its '%' and separator percent-encoded. */
    private static String enc(String part, String separator) {
        return part.replace("%", "%25").replace(separator, separator.equals("/") ? "%2F" : "%3A");
    }

    /** The documented parts of {@code x} in a report by {@code g}: empty without the value. */
    private static List<String> partsOf(UsageGroup g, Execution x, Map<java.util.UUID, Owner> owners) {
        java.util.function.Function<Object, List<String>> one = v -> v == null ? List.of() : List.of(v.toString());
        return switch (g) {
            case DAY -> List.of(java.time.LocalDate.ofInstant(x.createdAt(), java.time.ZoneOffset.UTC).toString());
            case PROVIDER -> List.of(x.provider());
            case MODEL -> List.of(x.provider(), x.model());
            case AGENT -> one.apply(x.agent());
            case CONVERSATION -> one.apply(x.conversationId());
            case OWNER -> {
                Owner o = x.owner() != null ? x.owner() : x.conversationId() == null ? null : owners.get(x.conversationId());
                yield o == null ? List.of() : List.of(o.type(), o.id());
            }
            case PROJECT -> one.apply(x.project());
            case TENANT -> List.of(x.tenantId());
        };
    }

    /** The documented key of the parts of a report by {@code g}; {@code tenant} leads it in the operator's per-tenant groups. */
    private static String keyOf(UsageGroup g, List<String> parts, String tenant) {
        String key = parts.isEmpty() ? null : parts.size() == 1 ? parts.get(0)
                : enc(parts.get(0), g == UsageGroup.MODEL ? "/" : ":") + (g == UsageGroup.MODEL ? "/" : ":") + parts.get(1);
        return tenant == null ? key : enc(tenant, ":") + (key == null ? "" : ":" + key);
    }

    /** The report the docs describe, computed from what the test recorded; rendered one line a row. */
    private static List<String> expected(List<Known> known, Map<java.util.UUID, Owner> owners, UsageGroup g, String tenant, Instant from,
            Instant to) {
        boolean perTenant = tenant == null && java.util.EnumSet.of(UsageGroup.AGENT, UsageGroup.CONVERSATION, UsageGroup.OWNER,
                UsageGroup.PROJECT).contains(g);
        Map<List<String>, long[]> counts = new java.util.HashMap<>();
        Map<List<String>, BigDecimal> costs = new java.util.HashMap<>();
        Map<List<String>, String> keys = new java.util.HashMap<>();
        for (Known k : known) {
            Instant at = k.stored.createdAt();
            boolean inRange = !at.isBefore(from) && (to.equals(dev.atlas.Limits.MAX_INSTANT) ? !at.isAfter(to) : at.isBefore(to));
            if ((tenant != null && !tenant.equals(k.tenant)) || !inRange) {
                continue;
            }
            List<String> own = partsOf(g, k.stored, owners);
            List<String> parts = new java.util.ArrayList<>();
            if (perTenant) {
                parts.add(k.tenant);
            }
            parts.addAll(own);
            keys.put(parts, keyOf(g, own, perTenant ? k.tenant : null));
            long[] c = counts.computeIfAbsent(parts, p -> new long[7]);
            c[0]++;
            c[1] += k.failed ? 1 : 0;
            c[2] += n(k.usage.inputTokens());
            c[3] += n(k.usage.outputTokens());
            c[4] += n(k.usage.reasoningTokens());
            c[5] += n(k.usage.cachedTokens());
            c[6] += n(k.usage.cacheWriteTokens());
            costs.merge(parts, k.stored.cost() == null ? BigDecimal.ZERO : k.stored.cost(), BigDecimal::add);
        }
        List<List<String>> order = new java.util.ArrayList<>(counts.keySet());
        order.sort((a, b) -> {
            for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
                int c = a.get(i).compareTo(b.get(i));
                if (c != 0) {
                    return c;
                }
            }
            return Integer.compare(b.size(), a.size()); // a group without the value after the others
        });
        List<String> lines = new java.util.ArrayList<>();
        for (List<String> parts : order) {
            long[] c = counts.get(parts);
            lines.add(keys.get(parts) + " " + parts + " " + java.util.Arrays.toString(c) + " " + costs.get(parts).stripTrailingZeros().toPlainString());
        }
        return lines;
    }

    private static List<String> rendered(List<UsageRow> rows) {
        return rows.stream().map(r -> r.group() + " " + r.parts() + " " + java.util.Arrays.toString(new long[] {r.executions(), r.failures(),
                r.inputTokens(), r.outputTokens(), r.reasoningTokens(), r.cachedTokens(), r.cacheWriteTokens()}) + " "
                + r.cost().toPlainString()).toList();
    }

    @Test
    @DisplayName("every grouping, of a tenant and of the operator, over ranges cut at a day, at a price change, below a microsecond and"
            + " the widest, matches totals computed from what was recorded: usage set twice (the last kept), steps' sums, failed, cancelled"
            + " (in the body, by cancel(id)), swept (pending and running), queued and unpriced runs; a price added while a run is running,"
            + " tiny and huge prices with six decimals and 10^12 tokens, each run's cost exact")
    void reportMatrixMatchesTotalsComputedFromTheRecords() {
        Instant d1 = Instant.parse("2026-03-01T00:00:00Z");
        Instant change = Instant.parse("2026-03-02T12:00:00Z");
        String beta = "be:t%a";
        Tenant other = atlas.tenant(beta);
        List<KnownPrice> known = new java.util.ArrayList<>(List.of(
                new KnownPrice("acme", "openai", "gpt-4o", JAN, "2.50", "10.00", "1.25", null),
                new KnownPrice("acme", "anthropic", "claude", JAN, "3", "15", "0.30", "3.75"),
                new KnownPrice(beta, "openai", "gpt-4o", JAN, "0.123456", "7.654321", null, null)));
        standardPrices();
        other.prices().create(ModelPrice.of("openai", "gpt-4o", "0.123456", "7.654321", JAN));
        Conversation a = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Conversation b = acme.conversations().create(NewConversation.of(Owner.user("bob"), "sales"));
        Conversation z = other.conversations().create(NewConversation.of(Owner.user("alice"), "support"));
        Map<java.util.UUID, Owner> owners = Map.of(a.id(), a.owner(), b.id(), b.owner(), z.id(), z.owner());
        List<java.util.UUID> acmeIds = new java.util.ArrayList<>();
        List<java.util.UUID> betaIds = new java.util.ArrayList<>();
        ExecutionSpec gpt = ExecutionSpec.text("openai", "gpt-4o");

        clock.set(d1.plus(Duration.ofHours(10)));
        ExecutionHandle h = acme.executions().start(gpt.agent("support").conversation(a.id()).project("p1"));
        h.usage(Usage.of(5, 5));
        h.usage(Usage.of(1000, 100).reasoning(40).cached(7)); // the last usage set is the one stored
        acmeIds.add(h.complete().id());
        clock.set(d1.plus(Duration.ofHours(11)));
        acmeIds.add(run(acme, ExecutionSpec.text("anthropic", "claude").agent("sales").conversation(b.id()).owner(Owner.of("team:x", "y"))
                .project("p/1"), Usage.of(2000, 200).cached(500).cacheWrite(100), true).id());
        clock.set(d1.plus(Duration.ofHours(12)));
        h = acme.executions().start(gpt);
        h.step().finish("one", null, dev.atlas.execution.FinishReason.TOOL_CALLS, Usage.of(10, 1));
        h.step().finish("two", null, dev.atlas.execution.FinishReason.STOP, Usage.of(20, 2).reasoning(2));
        acmeIds.add(h.complete().id());
        clock.set(d1.plus(Duration.ofHours(13)));
        acmeIds.add(run(acme, ExecutionSpec.text("openai", "gpt-4o-mini").agent("support").conversation(a.id()), Usage.of(50, 5), false).id());
        // Created a microsecond before the new price, which is added while it runs: billed at the old one.
        clock.set(change.minusNanos(1000));
        h = acme.executions().start(gpt.agent("support").project("p1"));
        prices.create(ModelPrice.of("openai", "gpt-4o", "0.000001", "999999.999999", change));
        known.add(new KnownPrice("acme", "openai", "gpt-4o", change, "0.000001", "999999.999999", null, null));
        clock.set(change.plus(Duration.ofHours(1)));
        h.usage(Usage.of(1_000_000_000_000L, 100_000_000_000L));
        acmeIds.add(h.complete().id());
        clock.set(change);
        acmeIds.add(run(acme, gpt.agent("support").conversation(a.id()), Usage.of(3, 7), false).id());
        clock.set(change.plus(Duration.ofHours(2)));
        java.util.UUID[] cancelled = new java.util.UUID[1];
        assertThatThrownBy(() -> acme.executions().record(ExecutionSpec.text("anthropic", "claude").agent("sales").conversation(b.id()), x -> {
            cancelled[0] = x.id();
            x.step().finish("s", null, dev.atlas.execution.FinishReason.STOP, Usage.of(100, 10).cached(1).cacheWrite(2));
            throw new java.util.concurrent.CancellationException("stopped");
        })).isInstanceOf(java.util.concurrent.CancellationException.class);
        acmeIds.add(cancelled[0]);
        clock.set(change.plus(Duration.ofHours(3)));
        h = acme.executions().start(gpt.agent("support").conversation(a.id()));
        h.step().finish("s", null, dev.atlas.execution.FinishReason.STOP, Usage.of(40, 4));
        acmeIds.add(acme.executions().cancel(h.id()).id());
        clock.set(change.plus(Duration.ofHours(4)));
        acmeIds.add(acme.executions().create(gpt.conversation(b.id()).project("p1")).id()); // pending: swept below
        clock.set(change.plus(Duration.ofHours(5)));
        acmeIds.add(acme.executions().queue(acme.executions().create(gpt.agent("support")).id()).id()); // queued: left by the sweep
        clock.set(Instant.parse("2026-03-03T00:00:00Z"));
        h = acme.executions().start(gpt.agent("support"));
        h.step().finish("s", null, dev.atlas.execution.FinishReason.TOOL_CALLS, Usage.of(60, 6));
        h.step(); // open when the run is swept
        acmeIds.add(h.id());
        clock.set(Instant.parse("2026-03-03T23:59:59.999999Z"));
        acmeIds.add(run(acme, ExecutionSpec.text("anthropic", "claude").conversation(a.id()), Usage.of(1, 1), false).id());
        clock.set(Instant.parse("2026-03-04T00:00:00Z"));
        acmeIds.add(run(acme, gpt.agent("support"), Usage.of(999_999, 0), false).id());

        clock.set(d1.plus(Duration.ofHours(10)));
        betaIds.add(run(other, gpt.agent("support").conversation(z.id()).project("p1"), Usage.of(1000, 100), false).id());
        clock.set(Instant.parse("2026-03-02T09:00:00Z"));
        betaIds.add(run(other, ExecutionSpec.text("a/b", "c").agent("sales").owner(Owner.of("a:b", "c")), Usage.of(10, 1), true).id());
        clock.set(Instant.parse("2026-03-03T08:00:00Z"));
        h = other.executions().start(gpt);
        h.usage(Usage.of(7, 7).reasoning(3));
        betaIds.add(h.cancel().id());
        // Sorted by String.compareTo (UTF-16 code units) on both databases, whatever their collation: Z, é, an emoji's
        // surrogates, then a full-width letter.
        clock.set(Instant.parse("2026-03-02T10:00:00Z"));
        for (String agent : List.of("\uFF46", "\uD83D\uDE00", "\u00E9mile", "Zed")) {
            betaIds.add(run(other, gpt.agent(agent).project(agent), Usage.of(1, 1), false).id());
        }

        clock.set(Instant.parse("2026-03-05T00:00:00Z"));
        assertThat(acme.executions().sweepInterrupted(Duration.ofHours(1)).executions()).isEqualTo(2);

        List<Known> all = new java.util.ArrayList<>();
        for (java.util.UUID id : acmeIds) {
            Execution x = acme.executions().require(id);
            all.add(new Known("acme", x, x.status() == dev.atlas.execution.ExecutionStatus.FAILED, x.usage()));
        }
        for (java.util.UUID id : betaIds) {
            Execution x = other.executions().require(id);
            all.add(new Known(beta, x, x.status() == dev.atlas.execution.ExecutionStatus.FAILED, x.usage()));
        }
        // Each run's stored status, usage and cost as the docs say, the cost billed here independently.
        assertThat(all).extracting(k -> k.stored.status().name()).containsExactly("COMPLETED", "FAILED", "COMPLETED", "COMPLETED",
                "COMPLETED", "COMPLETED", "CANCELLED", "CANCELLED", "FAILED", "QUEUED", "FAILED", "COMPLETED", "COMPLETED", "COMPLETED",
                "FAILED", "CANCELLED", "COMPLETED", "COMPLETED", "COMPLETED", "COMPLETED");
        List<Usage> usages = List.of(Usage.of(1000, 100).reasoning(40).cached(7), Usage.of(2000, 200).cached(500).cacheWrite(100),
                new Usage(30L, 3L, 2L, null, null), Usage.of(50, 5), Usage.of(1_000_000_000_000L, 100_000_000_000L), Usage.of(3, 7),
                Usage.of(100, 10).cached(1).cacheWrite(2), Usage.of(40, 4), Usage.NONE, Usage.NONE, Usage.of(60, 6), Usage.of(1, 1),
                Usage.of(999_999, 0), Usage.of(1000, 100), Usage.of(10, 1), Usage.of(7, 7).reasoning(3), Usage.of(1, 1), Usage.of(1, 1),
                Usage.of(1, 1), Usage.of(1, 1));
        for (int i = 0; i < all.size(); i++) {
            Known k = all.get(i);
            Usage u = usages.get(i);
            assertThat(new long[] {n(k.usage.inputTokens()), n(k.usage.outputTokens()), n(k.usage.reasoningTokens()),
                    n(k.usage.cachedTokens()), n(k.usage.cacheWriteTokens())}).as("usage of run " + i).containsExactly(n(u.inputTokens()),
                    n(u.outputTokens()), n(u.reasoningTokens()), n(u.cachedTokens()), n(u.cacheWriteTokens()));
            BigDecimal expected = u.equals(Usage.NONE) ? null : bill(known, k.tenant, k.stored.provider(), k.stored.model(),
                    k.stored.createdAt(), u);
            if (expected == null) {
                assertThat(k.stored.cost()).as("cost of run " + i).isNull();
            } else {
                assertThat(k.stored.cost()).as("cost of run " + i).isNotNull();
                assertThat(k.stored.cost().toPlainString()).as("cost of run " + i).isEqualTo(expected.stripTrailingZeros().toPlainString());
            }
        }
        assertThat(all.get(4).stored.cost().toPlainString()).isEqualTo("3500000");
        assertThat(all.get(5).stored.cost().toPlainString()).isEqualTo("6.999999999996");

        List<Instant[]> ranges = List.of(new Instant[] {d1, Instant.parse("2026-03-05T00:00:00Z")},
                new Instant[] {change, Instant.parse("2026-03-03T23:59:59.999999Z")},
                new Instant[] {change.minusNanos(999), Instant.parse("2026-03-03T00:00:00.000000001Z")},
                new Instant[] {dev.atlas.Limits.MIN_INSTANT, dev.atlas.Limits.MAX_INSTANT});
        List<String> failures = new java.util.ArrayList<>();
        for (UsageGroup g : UsageGroup.values()) {
            for (Instant[] r : ranges) {
                // The other tenant's own report over the widest range only: its rows are a tenant report as acme's are.
                for (String tenant : r == ranges.get(3) ? java.util.Arrays.asList("acme", beta, null) : java.util.Arrays.asList("acme", null)) {
                    List<UsageRow> rows = tenant == null ? atlas.usageReport(g, r[0], r[1])
                            : atlas.tenant(tenant).executions().usageReport(g, r[0], r[1]);
                    List<String> want = expected(all, owners, g, tenant, r[0], r[1]);
                    if (!rendered(rows).equals(want)) {
                        failures.add(g + " of " + (tenant == null ? "the operator" : tenant) + " over [" + r[0] + ", " + r[1] + ")\n  was "
                                + rendered(rows) + "\n  not " + want);
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
        assertThat(other.executions().usageReport(UsageGroup.AGENT, d1, Instant.parse("2026-03-05T00:00:00Z"))).extracting(UsageRow::group)
                .containsExactly("Zed", "sales", "support", "\u00E9mile", "\uD83D\uDE00", "\uFF46", null);
        // A run still processing counts as an execution with no tokens and no cost: its finished step's usage is stored when it ends.
        clock.set(Instant.parse("2026-03-06T00:00:00Z"));
        ExecutionHandle running = acme.executions().start(gpt);
        running.step().finish("s", null, dev.atlas.execution.FinishReason.STOP, Usage.of(10, 1));
        running.usage(Usage.of(20, 2));
        assertThat(rendered(acme.executions().usageReport(UsageGroup.DAY, clock.instant(), clock.instant().plusSeconds(1))))
                .containsExactly("2026-03-06 [2026-03-06] [1, 0, 0, 0, 0, 0, 0] 0");
        // A price added after a run finished, valid from before it, bills nothing already stored: the unpriced run keeps no
        // cost and the report its totals; only runs finishing from then on are billed at it.
        List<UsageRow> models = acme.executions().usageReport(UsageGroup.MODEL, d1, Instant.parse("2026-03-05T00:00:00Z"));
        prices.create(ModelPrice.of("openai", "gpt-4o-mini", "1", "1", JAN));
        assertThat(acme.executions().require(acmeIds.get(3)).cost()).isNull();
        assertThat(acme.executions().usageReport(UsageGroup.MODEL, d1, Instant.parse("2026-03-05T00:00:00Z"))).isEqualTo(models);
    }

    @Test
    @DisplayName("SQLite: a report by day over an execution whose created_at is stored as a fraction of a microsecond fails with"
            + " UnreadableRowException naming executions, that execution's id and created_at (it named no table nor row)")
    void dayReportOverAnUnreadableCreationTimeNamesTheRow() throws java.sql.SQLException {
        org.junit.jupiter.api.Assumptions.assumeTrue(atlas.databaseKind() == dev.atlas.DatabaseKind.SQLITE,
                "only SQLite stores a value of another type in a timestamp column");
        standardPrices();
        Execution fine = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(10, 0), false);
        clock.advanceMicros(5);
        Execution bad = run(acme, ExecutionSpec.text("openai", "gpt-4o"), Usage.of(10, 0), false);
        try (java.sql.Connection c = database.dataSource().getConnection(); java.sql.Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("UPDATE atlas_executions SET created_at = created_at + 0.5 WHERE id = '" + bad.id() + "'")).isEqualTo(1);
        }
        Instant to = bad.createdAt().plusSeconds(1);
        for (Runnable report : List.<Runnable>of(() -> acme.executions().usageReport(UsageGroup.DAY, fine.createdAt(), to),
                () -> atlas.usageReport(UsageGroup.DAY, fine.createdAt(), to))) {
            Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(report::run);
            assertThat(thrown).isInstanceOf(dev.atlas.UnreadableRowException.class).hasMessageContaining("created_at");
            assertThat(((dev.atlas.UnreadableRowException) thrown).table()).isEqualTo("executions");
            assertThat(((dev.atlas.UnreadableRowException) thrown).rowId()).isEqualTo(bad.id().toString());
        }
        // The other groupings do not read the time back.
        assertThat(acme.executions().usageReport(UsageGroup.MODEL, fine.createdAt(), to)).extracting(UsageRow::executions).containsExactly(2L);
    }
}
