package dev.atlas.spring.boot;

import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionListener;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.Objects;

/**
 * Micrometer meters for what Atlas records, fed by the execution listener events (after each
 * commit). The starter registers it when Micrometer and a {@link MeterRegistry} bean are present.
 *
 * <ul>
 *   <li>{@code atlas.executions} (counter): finished executions by {@code status} (completed, failed,
 *       cancelled), {@code provider} and {@code model};</li>
 *   <li>{@code atlas.execution.duration} (timer): start to completion of executions that ran, same tags;</li>
 *   <li>{@code atlas.tokens} (counter): tokens of finished executions by {@code type} ({@code input},
 *       {@code output}, {@code reasoning}, {@code cached}, {@code cache_write}, as {@link Usage} counts
 *       them: input excludes cache reads and writes, output includes reasoning), {@code provider}, {@code model};</li>
 *   <li>{@code atlas.cost} (counter): cost of finished executions in the price table's currency, by
 *       {@code provider} and {@code model};</li>
 *   <li>{@code atlas.tool.calls} (counter): finished tool calls by {@code tool} and {@code status}. Tool
 *       names come from the model, which may ask for any name (a hallucinated tool, a prompt injection):
 *       the first 100 distinct names the registry sees are tagged as they are, the calls of any later
 *       name count under tool {@code (other)} (a name no provider accepts for a tool), so a model cannot
 *       grow the registry without bound.</li>
 * </ul>
 * {@code model} and {@code provider} are bounded likewise: the first 100 distinct model names and the first 100
 * distinct provider names the registry sees (through every {@code AtlasMetrics} on it: a restarted context, a second
 * Atlas) are tagged as they are, later ones as {@code (other)} (their executions,
 * tokens and cost still counted there), since an application may take either from its users (a model chosen per
 * request); so are their combinations: the first 300 distinct provider-model pairs are tagged as they are, the model
 * of any later pair as {@code (other)} under its provider. Tenants are not a tag (unbounded cardinality); deny {@code atlas.*} with a {@code MeterFilter} to
 * switch the meters off.
 */
public final class AtlasMetrics implements ExecutionListener {
    /** How many distinct tool names are tagged as they are. */
    static final int MAX_TOOL_NAMES = 100;
    /** How many distinct model names, and how many distinct provider names, are tagged as they are. */
    static final int MAX_MODEL_NAMES = 100;
    /** How many distinct provider-model combinations are tagged as they are; a later one's model is {@link #OTHER}. */
    static final int MAX_MODEL_PAIRS = 300;
    /** The tag value of the names beyond the bounds. */
    static final String OTHER = "(other)";
    /** The tag of the calls of tools beyond {@link #MAX_TOOL_NAMES}. */
    static final String OTHER_TOOL = OTHER;

    // The meters live as long as their registry, not as this listener: a context restarted on a shared registry, or a
    // second Atlas reporting to it, builds another AtlasMetrics, which must not admit another 100 names. So the names
    // admitted are kept per registry (weakly: a dropped registry takes its bounds with it).
    private static final Map<MeterRegistry, Bounds> BOUNDS = new WeakHashMap<>();

    private final MeterRegistry registry;
    private final BoundedTagValues tools;
    private final BoundedTagValues models;
    private final BoundedTagValues providers;
    private final BoundedTagValues pairs;

    /**
     * Meters in {@code registry}. The bounds on tag values hold for the registry: every {@code AtlasMetrics} on it
     * (a restarted context, a second Atlas) shares the names admitted so far.
     */
    public AtlasMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        Bounds bounds;
        synchronized (BOUNDS) {
            bounds = BOUNDS.computeIfAbsent(registry, r -> new Bounds());
        }
        this.tools = bounds.tools;
        this.models = bounds.models;
        this.providers = bounds.providers;
        this.pairs = bounds.pairs;
    }

    /** The tag values admitted in one registry. Holds nothing of the registry, so the weak key can go. */
    private static final class Bounds {
        final BoundedTagValues tools = new BoundedTagValues(MAX_TOOL_NAMES);
        final BoundedTagValues models = new BoundedTagValues(MAX_MODEL_NAMES);
        final BoundedTagValues providers = new BoundedTagValues(MAX_MODEL_NAMES);
        final BoundedTagValues pairs = new BoundedTagValues(MAX_MODEL_PAIRS);
    }

    @Override
    public void completed(String tenantId, Execution execution) {
        finished(execution);
    }

    @Override
    public void failed(String tenantId, Execution execution) {
        finished(execution);
    }

    @Override
    public void cancelled(String tenantId, Execution execution) {
        finished(execution);
    }

    @Override
    public void toolCallFinished(String tenantId, ToolCall toolCall) {
        Counter.builder("atlas.tool.calls").description("Tool calls finished, by tool and status")
                .tags("tool", toolTag(toolCall.name()), "status", toolCall.status().toString())
                .register(registry).increment();
    }

    private String toolTag(String name) {
        return tools.tag(name);
    }

    private void finished(Execution e) {
        String provider = providers.tag(e.provider());
        String modelName = models.tag(e.model());
        // Each name within its bound, their combinations could still be 101 x 101 meters per status and token type.
        // The length prefix keeps two pairs from sharing a key.
        if (!modelName.equals(OTHER) && pairs.tag(provider.length() + ":" + provider + modelName).equals(OTHER)) {
            modelName = OTHER;
        }
        Tags model = Tags.of("provider", provider, "model", modelName);
        Tags withStatus = model.and("status", e.status().toString());
        Counter.builder("atlas.executions").description("Executions finished, by status, provider and model")
                .tags(withStatus).register(registry).increment();
        if (e.startedAt() != null && e.completedAt() != null) {
            Timer.builder("atlas.execution.duration").description("Executions from start to completion")
                    .tags(withStatus).register(registry).record(Duration.between(e.startedAt(), e.completedAt()));
        }
        Usage u = e.usage();
        tokens(model, "input", u.inputTokens());
        tokens(model, "output", u.outputTokens());
        tokens(model, "reasoning", u.reasoningTokens());
        tokens(model, "cached", u.cachedTokens());
        tokens(model, "cache_write", u.cacheWriteTokens());
        if (e.cost() != null) {
            Counter.builder("atlas.cost").description("Cost of finished executions, in the price table's currency")
                    .tags(model).register(registry).increment(e.cost().doubleValue());
        }
    }

    private void tokens(Tags model, String type, Long count) {
        if (count != null) {
            Counter.builder("atlas.tokens").baseUnit("tokens").description("Tokens of finished executions, by type, provider and model")
                    .tags(model.and("type", type)).register(registry).increment(count);
        }
    }
}
