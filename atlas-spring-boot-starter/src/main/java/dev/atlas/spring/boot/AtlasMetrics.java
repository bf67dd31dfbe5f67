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
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

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
 * the registry holds no meter of Atlas carrying it (meters removed, or the registry cleared, on a context's restart),
 * also where a {@code MeterFilter} renamed the meters or their tags, on the registry or on a registry inside a composite
 * (only a registry added to a composite after Atlas's meters, whose filters rename a tag key, never releases: which
 * names the meters copied into it carry is not known there).
 * Tenants are not a tag (unbounded cardinality); deny {@code atlas.*} with a {@code MeterFilter} to
 * switch the meters off. A meter of another type that the application registered under one of these names and the same
 * tags is left as it is (the registry refuses Atlas's, logged once) and the event's other meters still count.
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
    private static final String EXECUTIONS = "Executions finished, by status, provider and model";
    private static final String DURATION = "Executions from start to completion";
    private static final String TOKENS = "Tokens of finished executions, by type, provider and model";
    private static final String COST = "Cost of finished executions, in the price table's currency";
    private static final String TOOL_CALLS = "Tool calls finished, by tool and status";
    private static final List<String> METERS = List.of("atlas.executions", "atlas.execution.duration", "atlas.tokens", "atlas.cost",
            "atlas.tool.calls");
    // A MeterFilter may rename a meter (a prefix of the application's) or its tags, but keeps its description: a meter
    // of Atlas that no registration announced (see REGISTERING) is known by its name or its description.
    private static final List<String> DESCRIPTIONS = List.of(EXECUTIONS, DURATION, TOKENS, COST, TOOL_CALLS);
    /**
     * The names of the meters this thread is registering, set around Atlas's {@code register} calls. A registry, and
     * each registry inside a composite, announces a meter new to it on the registering thread, with the id its own
     * filters made: so every registry learns which of its meters are Atlas's, and the names they carry, whatever its
     * filters renamed (the filters of a composite's members are not the composite's).
     */
    private static final ThreadLocal<Names> REGISTERING = new ThreadLocal<>();

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AtlasMetrics.class);

    private final MeterRegistry registry;
    private final Bounds own;
    /** The meter names a collision was logged for. */
    private final Set<String> collisions = ConcurrentHashMap.newKeySet();
    /** The registries the meters reach and their bounds, as last seen; rebuilt when a composite's members change. */
    private volatile Members members;

    /**
     * Meters in {@code registry}. The bounds on tag values hold for what the registry holds: every {@code AtlasMetrics}
     * on it (a restarted context, a second Atlas) shares the names admitted so far, a {@link CompositeMeterRegistry}
     * shares them with the registries inside it, and a name is released once the registry holds no meter carrying it.
     */
    public AtlasMetrics(MeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.own = bounds(registry);
        this.members = Members.of(registry);
    }

    /** The tag values admitted in one registry. Holds nothing of the registry, so the weak key can go. */
    private static final class Bounds {
        final BoundedTagValues tools = new BoundedTagValues(MAX_TOOL_NAMES);
        final BoundedTagValues models = new BoundedTagValues(MAX_MODEL_NAMES);
        final BoundedTagValues providers = new BoundedTagValues(MAX_MODEL_NAMES);
        final BoundedTagValues pairs = new BoundedTagValues(MAX_MODEL_PAIRS);
        /**
         * The names Atlas gave each of its meters whose id, as the registry's filters made it, no longer says them (the
         * meter or a tag renamed, a value mapped), by that id.
         */
        final Map<Meter.Id, Names> filtered = new ConcurrentHashMap<>();
        /** Set when a meter of Atlas left the registry: the names it carried may be free. */
        volatile boolean removed;
    }

    /** The names one meter of Atlas carries; {@code null} where the meter has no such tag. */
    private record Names(@Nullable String tool, @Nullable String provider, @Nullable String model) {
        /** A meter of Atlas whose names cannot be read (a filter renamed a tag key it carries). */
        static final Names UNREADABLE = new Names(null, null, null);
    }

    private static Bounds bounds(MeterRegistry registry) {
        synchronized (BOUNDS) {
            Bounds b = BOUNDS.get(registry);
            if (b == null) {
                Bounds created = new Bounds();
                // Captures the bounds only, never the registry, or the weak key would never go.
                registry.config().onMeterRemoved(m -> {
                    if (created.filtered.remove(m.getId()) != null || atlas(m.getId())) {
                        created.removed = true;
                    }
                });
                // A meter of Atlas may land here without this class admitting its names: the registry added to a
                // composite later (the composite's meters copied in), or registered by an Atlas before this one. Its
                // names are in the registry, so they count against its bounds (even past them: the meters exist).
                registry.config().onMeterAdded(m -> {
                    Names registering = REGISTERING.get();
                    if (registering != null) {
                        given(created, m.getId(), registering);
                    }
                    counted(created, m.getId());
                });
                registry.getMeters().forEach(m -> counted(created, m.getId()));
                BOUNDS.put(registry, created);
                b = created;
            }
            return b;
        }
    }

    /** Remembers the names of a meter of Atlas whose id, as the registry's filters made it, does not say them. */
    private static void given(Bounds bounds, Meter.Id id, Names names) {
        if (!METERS.contains(id.getName()) || !Objects.equals(names.tool(), id.getTag("tool"))
                || !Objects.equals(names.provider(), id.getTag("provider")) || !Objects.equals(names.model(), id.getTag("model"))) {
            bounds.filtered.put(id, names);
        }
    }

    /**
     * Whether {@code id} is one of Atlas's meters, by its name or, renamed by a filter, its description (for a meter
     * no registration of Atlas announced here: one a composite copied into a registry added to it later).
     */
    private static boolean atlas(Meter.Id id) {
        // Most meters have no description, and List.of's contains(null) throws: that in a registry's listener would
        // fail the application's own registrations.
        String description = id.getDescription();
        return METERS.contains(id.getName()) || description != null && DESCRIPTIONS.contains(description);
    }

    /**
     * The names a meter carries: as Atlas gave them when a filter changed them, read from its tags otherwise;
     * {@code null} for a meter not of Atlas, {@link Names#UNREADABLE} for one whose tag keys a filter renamed.
     */
    private static @Nullable Names names(Bounds bounds, Meter.Id id) {
        Names given = bounds.filtered.get(id);
        if (given != null) {
            return given;
        }
        if (!atlas(id)) {
            return null;
        }
        boolean tool = "atlas.tool.calls".equals(id.getName()) || TOOL_CALLS.equals(id.getDescription());
        Names names = new Names(id.getTag("tool"), id.getTag("provider"), id.getTag("model"));
        boolean readable = tool ? names.tool() != null : names.provider() != null && names.model() != null;
        return readable ? names : Names.UNREADABLE;
    }

    /** Counts the names an Atlas meter carries in {@code bounds}; {@link #OTHER} is no name. */
    private static void counted(Bounds bounds, Meter.Id id) {
        Names names = names(bounds, id);
        if (names == null) {
            return;
        }
        String tool = names.tool();
        if (tool != null && !tool.equals(OTHER)) {
            bounds.tools.count(tool);
        }
        String provider = names.provider();
        String model = names.model();
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

    /** Ends the holds on the values of one event, once the meters carrying them are registered. */
    private static void settle(List<AtomicInteger> held) {
        for (AtomicInteger h : held) {
            BoundedTagValues.settle(h);
        }
    }

    /**
     * {@code value} if every registry its meters reach (this one, and those inside a composite) has admitted it or has
     * room for it, then admitted in each; {@link #OTHER} otherwise. A meter registered through a composite lands in
     * each member, so a member another Atlas uses directly must not take more names through the composite.
     */
    private static String tag(Members members, Which which, String value, List<AtomicInteger> held) {
        MeterRegistry[] registries = members.registries;
        Bounds[] all = members.bounds;
        boolean known = true;
        for (Bounds b : all) {
            AtomicInteger hold = which.of(b).hold(value);
            if (hold != null) {
                held.add(hold);
            } else {
                known = false;
            }
        }
        if (known) {
            return value;
        }
        synchronized (ADMISSION) {
            for (int i = 0; i < all.length; i++) {
                BoundedTagValues values = which.of(all[i]);
                if (!values.contains(value) && !values.hasRoom()) {
                    release(registries[i], all[i]);
                    if (!values.hasRoom()) {
                        return OTHER;
                    }
                }
            }
            for (Bounds b : all) {
                held.add(which.of(b).admit(value));
            }
            return value;
        }
    }

    /**
     * The registries the meters reach, with their bounds, as of the last event; rebuilt (taking the lock of the bounds
     * once per registry) only when a composite's members changed. Looking the bounds up on every event took that lock
     * once per registry and tag: through a composite of two registries an execution's meters cost 7.1 to 11.7
     * microseconds against 3.8 to 5.5 for the same meters registered plainly, and 4.8 to 7.1 with this snapshot and
     * the held counters of {@link BoundedTagValues} (best of 6 rounds of 400,000 events, one JVM, 2 busy cores).
     */
    private Members members() {
        Members m = members;
        if (m.current(registry)) {
            return m;
        }
        m = Members.of(registry);
        members = m;
        return m;
    }

    /** The registries a registry's meters reach (itself, and the members of a composite, depth first) and their bounds. */
    private static final class Members {
        final MeterRegistry[] registries;
        final Bounds[] bounds;

        private Members(MeterRegistry[] registries, Bounds[] bounds) {
            this.registries = registries;
            this.bounds = bounds;
        }

        static Members of(MeterRegistry registry) {
            List<MeterRegistry> list = new ArrayList<>(2);
            withMembers(registry, list);
            Bounds[] bounds = new Bounds[list.size()];
            for (int i = 0; i < bounds.length; i++) {
                bounds[i] = bounds(list.get(i));
            }
            return new Members(list.toArray(new MeterRegistry[0]), bounds);
        }

        /** Whether {@code registry} still reaches exactly these registries, in this order. */
        boolean current(MeterRegistry registry) {
            return !(registry instanceof CompositeMeterRegistry) || walk(registry, 0) == registries.length;
        }

        /** Matches {@code registry} and its members from {@code at} on, as {@link #withMembers} lists them; -1 on a difference. */
        private int walk(MeterRegistry registry, int at) {
            for (int i = 0; i < at; i++) {
                if (registries[i] == registry) {
                    return at;
                }
            }
            if (at >= registries.length || registries[at] != registry) {
                return -1;
            }
            int next = at + 1;
            if (registry instanceof CompositeMeterRegistry composite) {
                for (MeterRegistry member : composite.getRegistries()) {
                    next = walk(member, next);
                    if (next < 0) {
                        return -1;
                    }
                }
            }
            return next;
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
            Names names = names(bounds, m.getId());
            if (names == null) {
                continue;
            }
            if (names == Names.UNREADABLE) {
                // A filter renamed a tag key of a meter no registration announced here (a composite copied it in):
                // which names it carries is unknown, so none is released rather than one still in use.
                return;
            }
            String tool = names.tool();
            if (tool != null) {
                tools.add(tool);
            }
            String provider = names.provider();
            String model = names.model();
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
        List<AtomicInteger> held = new ArrayList<>(2);
        try {
            String tool = tag(members(), b -> b.tools, toolCall.name(), held);
            REGISTERING.set(new Names(tool, null, null));
            count(Counter.builder("atlas.tool.calls").description(TOOL_CALLS).tags("tool", tool, "status", toolCall.status().toString()), 1);
        } finally {
            REGISTERING.remove();
            settle(held);
        }
    }

    private void finished(Execution e) {
        List<AtomicInteger> held = new ArrayList<>(6);
        try {
            finished(e, held);
        } finally {
            REGISTERING.remove();
            settle(held);
        }
    }

    private void finished(Execution e, List<AtomicInteger> held) {
        Members reach = members();
        String provider = tag(reach, b -> b.providers, e.provider(), held);
        String modelName = tag(reach, b -> b.models, e.model(), held);
        // Each name within its bound, their combinations could still be 101 x 101 meters per status and token type.
        if (!modelName.equals(OTHER) && tag(reach, b -> b.pairs, pairKey(provider, modelName), held).equals(OTHER)) {
            modelName = OTHER;
        }
        REGISTERING.set(new Names(null, provider, modelName));
        Tags model = Tags.of("provider", provider, "model", modelName);
        Tags withStatus = model.and("status", e.status().toString());
        count(Counter.builder("atlas.executions").description(EXECUTIONS).tags(withStatus), 1);
        if (e.startedAt() != null && e.completedAt() != null) {
            Timer.Builder duration = Timer.builder("atlas.execution.duration").description(DURATION).tags(withStatus);
            try {
                duration.register(registry).record(Duration.between(e.startedAt(), e.completedAt()));
            } catch (IllegalArgumentException collision) {
                collided("atlas.execution.duration", collision);
            }
        }
        Usage u = e.usage();
        tokens(model, "input", u.inputTokens());
        tokens(model, "output", u.outputTokens());
        tokens(model, "reasoning", u.reasoningTokens());
        tokens(model, "cached", u.cachedTokens());
        tokens(model, "cache_write", u.cacheWriteTokens());
        if (e.cost() != null) {
            count(Counter.builder("atlas.cost").description(COST).tags(model), e.cost().doubleValue());
        }
    }

    private void tokens(Tags model, String type, @Nullable Long count) {
        if (count != null) {
            count(Counter.builder("atlas.tokens").baseUnit("tokens").description(TOKENS).tags(model.and("type", type)), count);
        }
    }

    /**
     * Registers (or finds) the counter and adds {@code amount}. A meter of another type under the same name and tags
     * (the application's own {@code atlas.executions} gauge, say) makes the registry refuse it: that one meter is left
     * out, and the event's other meters still count, instead of the refusal ending the event.
     */
    private void count(Counter.Builder counter, double amount) {
        try {
            counter.register(registry).increment(amount);
        } catch (IllegalArgumentException collision) {
            collided(counter, collision);
        }
    }

    private void collided(Counter.Builder counter, IllegalArgumentException collision) {
        // The builder does not say its name; the registry's message does.
        collided(String.valueOf(collision.getMessage()).replaceAll(".*with the same name: ", ""), collision);
    }

    /** Logs once per meter name that the registry refused one of Atlas's meters for a meter of another type. */
    private void collided(String name, IllegalArgumentException collision) {
        if (collisions.add(name)) {
            log.warn("{}: the registry holds a meter of another type under that name and tags, not Atlas's, so Atlas does not"
                    + " count it there; its other meters go on ({})", name, collision.getMessage());
        }
    }
}
