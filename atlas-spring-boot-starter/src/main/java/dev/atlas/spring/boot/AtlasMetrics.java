package dev.atlas.spring.boot;

import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionListener;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * of any later pair as {@code (other)} under its provider. The bounds are on what a registry holds: a
 * {@link CompositeMeterRegistry} admits a name only where every registry inside it has room for it (an Atlas reporting
 * through the composite and another using a member directly share the member's 100 names), and a name is released once
 * the registry holds no meter of Atlas carrying it (meters removed, or the registry cleared, on a context's restart).
 * Tenants are not a tag (unbounded cardinality); deny {@code atlas.*} with a {@code MeterFilter} to
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
    /** Held while a value is admitted into the bounds of a registry and of the registries inside it, as one step. */
    private static final Object ADMISSION = new Object();
    private static final List<String> METERS = List.of("atlas.executions", "atlas.execution.duration", "atlas.tokens", "atlas.cost",
            "atlas.tool.calls");

    private final MeterRegistry registry;
    private final Bounds own;

    /**
     * Meters in {@code registry}. The bounds on tag values hold for what the registry holds: every {@code AtlasMetrics}
     * on it (a restarted context, a second Atlas) shares the names admitted so far, a {@link CompositeMeterRegistry}
     * shares them with the registries inside it, and a name is released once the registry holds no meter carrying it.
     */
    public AtlasMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.own = bounds(registry);
    }

    /** The tag values admitted in one registry. Holds nothing of the registry, so the weak key can go. */
    private static final class Bounds {
        final BoundedTagValues tools = new BoundedTagValues(MAX_TOOL_NAMES);
        final BoundedTagValues models = new BoundedTagValues(MAX_MODEL_NAMES);
        final BoundedTagValues providers = new BoundedTagValues(MAX_MODEL_NAMES);
        final BoundedTagValues pairs = new BoundedTagValues(MAX_MODEL_PAIRS);
        /** Set when a meter of Atlas left the registry: the names it carried may be free. */
        volatile boolean removed;
    }

    private static Bounds bounds(MeterRegistry registry) {
        synchronized (BOUNDS) {
            Bounds b = BOUNDS.get(registry);
            if (b == null) {
                Bounds created = new Bounds();
                // Captures the bounds only, never the registry, or the weak key would never go.
                registry.config().onMeterRemoved(m -> {
                    if (METERS.contains(m.getId().getName())) {
                        created.removed = true;
                    }
                });
                // A meter of Atlas may land here without this class admitting its names: the registry added to a
                // composite later (the composite's meters copied in), or registered by an Atlas before this one. Its
                // names are in the registry, so they count against its bounds (even past them: the meters exist).
                registry.config().onMeterAdded(m -> counted(created, m.getId()));
                registry.getMeters().forEach(m -> counted(created, m.getId()));
                BOUNDS.put(registry, created);
                b = created;
            }
            return b;
        }
    }

    /** Counts the names an Atlas meter carries in {@code bounds}; {@link #OTHER} is no name. */
    private static void counted(Bounds bounds, Meter.Id id) {
        if (!METERS.contains(id.getName())) {
            return;
        }
        String tool = id.getTag("tool");
        if (tool != null && !tool.equals(OTHER)) {
            bounds.tools.count(tool);
        }
        String provider = id.getTag("provider");
        String model = id.getTag("model");
        if (provider != null && !provider.equals(OTHER)) {
            bounds.providers.count(provider);
        }
        if (model != null && !model.equals(OTHER)) {
            bounds.models.count(model);
            if (provider != null) {
                bounds.pairs.count(pairKey(provider, model));
            }
        }
    }

    /** The registry and, for a composite, every registry inside it (now: members may be added later). */
    private static void withMembers(MeterRegistry registry, List<MeterRegistry> out) {
        if (out.contains(registry)) {
            return;
        }
        out.add(registry);
        if (registry instanceof CompositeMeterRegistry composite) {
            for (MeterRegistry member : composite.getRegistries()) {
                withMembers(member, out);
            }
        }
    }

    private interface Which {
        BoundedTagValues of(Bounds bounds);
    }

    /** A value held in one registry's bounds until the meters carrying it are registered. */
    private record Hold(BoundedTagValues values, String value) {}

    private static void settle(List<Hold> held) {
        for (Hold h : held) {
            h.values().settle(h.value());
        }
    }

    /**
     * {@code value} if every registry its meters reach (this one, and those inside a composite) has admitted it or has
     * room for it, then admitted in each; {@link #OTHER} otherwise. A meter registered through a composite lands in
     * each member, so a member another Atlas uses directly must not take more names through the composite.
     */
    private String tag(Which which, String value, List<Hold> held) {
        if (!(registry instanceof CompositeMeterRegistry) && which.of(own).hold(value)) {
            held.add(new Hold(which.of(own), value));
            return value;
        }
        List<MeterRegistry> registries = new ArrayList<>(2);
        withMembers(registry, registries);
        List<Bounds> all = new ArrayList<>(registries.size());
        boolean known = true;
        for (MeterRegistry r : registries) {
            Bounds b = bounds(r);
            all.add(b);
            if (which.of(b).hold(value)) {
                held.add(new Hold(which.of(b), value));
            } else {
                known = false;
            }
        }
        if (known) {
            return value;
        }
        synchronized (ADMISSION) {
            for (int i = 0; i < all.size(); i++) {
                BoundedTagValues values = which.of(all.get(i));
                if (!values.contains(value) && !values.hasRoom()) {
                    release(registries.get(i), all.get(i));
                    if (!values.hasRoom()) {
                        return OTHER;
                    }
                }
            }
            for (Bounds b : all) {
                which.of(b).admit(value);
                held.add(new Hold(which.of(b), value));
            }
            return value;
        }
    }

    /**
     * Releases the names no meter of {@code registry} carries any more, once a meter of Atlas was removed from it. A
     * name held by a thread registering its meters is spared, so a name released is one no thread is about to register.
     */
    private static void release(MeterRegistry registry, Bounds bounds) {
        if (!bounds.removed) {
            return;
        }
        bounds.removed = false;
        Set<String> tools = new HashSet<>();
        Set<String> models = new HashSet<>();
        Set<String> providers = new HashSet<>();
        Set<String> pairs = new HashSet<>();
        for (Meter m : registry.getMeters()) {
            Meter.Id id = m.getId();
            if (!METERS.contains(id.getName())) {
                continue;
            }
            String tool = id.getTag("tool");
            if (tool != null) {
                tools.add(tool);
            }
            String provider = id.getTag("provider");
            String model = id.getTag("model");
            if (provider != null) {
                providers.add(provider);
            }
            if (model != null) {
                models.add(model);
            }
            if (provider != null && model != null) {
                pairs.add(pairKey(provider, model));
            }
        }
        bounds.tools.retainOnly(tools);
        bounds.models.retainOnly(models);
        bounds.providers.retainOnly(providers);
        bounds.pairs.retainOnly(pairs);
    }

    /** The length prefix keeps two pairs from sharing a key. */
    private static String pairKey(String provider, String model) {
        return provider.length() + ":" + provider + model;
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
        List<Hold> held = new ArrayList<>(2);
        try {
            Counter.builder("atlas.tool.calls").description("Tool calls finished, by tool and status")
                    .tags("tool", tag(b -> b.tools, toolCall.name(), held), "status", toolCall.status().toString())
                    .register(registry).increment();
        } finally {
            settle(held);
        }
    }

    private void finished(Execution e) {
        List<Hold> held = new ArrayList<>(6);
        try {
            finished(e, held);
        } finally {
            settle(held);
        }
    }

    private void finished(Execution e, List<Hold> held) {
        String provider = tag(b -> b.providers, e.provider(), held);
        String modelName = tag(b -> b.models, e.model(), held);
        // Each name within its bound, their combinations could still be 101 x 101 meters per status and token type.
        if (!modelName.equals(OTHER) && tag(b -> b.pairs, pairKey(provider, modelName), held).equals(OTHER)) {
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
