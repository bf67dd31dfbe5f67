package dev.atlas.opentelemetry;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionListener;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ToolCall;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongHistogram;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Atlas executions as OpenTelemetry spans and metrics, following the GenAI semantic conventions.
 * Register it as a listener to export live, and call {@link #replay} to export what is stored:
 *
 * <pre>{@code
 * AtlasTelemetry telemetry = AtlasTelemetry.create(openTelemetry);     // the application's SDK
 * Atlas atlas = Atlas.builder().sqlite(Path.of("agent.db")).executionListener(telemetry).build();
 * }</pre>
 *
 * <p>Each execution (one call to a provider, with its tool loop) is one {@link SpanKind#CLIENT}
 * span named {@code {gen_ai.operation.name} {gen_ai.request.model}}, from the stored start to
 * the stored completion, whose parent is the span current on the thread that started the
 * execution. Each finished tool call is an {@link SpanKind#INTERNAL} span {@code execute_tool
 * {gen_ai.tool.name}} under it, with the tool call's stored start and end, but one stored with no
 * duration and not completed has none: so Atlas stores a call that never ran (cancelled, or
 * failed by the sweep, while queued). A completed or failed
 * execution also records {@code gen_ai.client.token.usage} (by {@code gen_ai.token.type}
 * {@code input} / {@code output}) and {@code gen_ai.client.operation.duration} (seconds); one
 * cancelled after it started records its (billed) tokens but no duration. The
 * attributes are listed in {@code docs/opentelemetry.md}; cost is {@code atlas.cost}, in the
 * currency of the tenant's price table. No stored text is exported (content, metadata values, and
 * error text unless {@link #create(OpenTelemetry, int, boolean)} asks for the latter).
 *
 * <p>Thread-safe. It keeps the span of each running execution until it finishes, is cancelled or
 * is failed by {@link dev.atlas.execution.ExecutionRecorder#sweepInterrupted}; an execution that
 * is never finished in this process (the process died; another process sweeps it later) leaves its
 * span unexported here, and {@link #replay} exports it once stored as failed; the sweep of the next
 * process exports it too, with the tool calls the sweep failed inside it (they are held until their
 * execution's failure is heard; at most 10,000, the eldest beyond that exported at once under the span current where
 * the sweep ran; one whose execution ended before waits until the sweeping thread reports anything else, or, once that
 * thread ended, until any thread does) but without finish reasons, since that process heard none of its
 * earlier steps. Executions another node finishes are not heard here: at most
 * {@link #create(OpenTelemetry, int) maxRunningSpans} spans stay open, the oldest beyond it ended as
 * evicted; one of them finishing here later exports a complete span with all its steps' finish reasons (kept for
 * the last 10,000 evicted).
 */
public final class AtlasTelemetry implements ExecutionListener {
    /** The instrumentation scope of the spans and metrics. */
    public static final String SCOPE = "dev.atlas.opentelemetry";

    private static final List<Long> TOKEN_BUCKETS = List.of(1L, 4L, 16L, 64L, 256L, 1024L, 4096L, 16384L, 65536L, 262144L,
            1048576L, 4194304L, 16777216L, 67108864L);
    private static final List<Double> DURATION_BUCKETS = List.of(0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12,
            10.24, 20.48, 40.96, 81.92);

    private final Tracer tracer;
    private final LongHistogram tokenUsage;
    private final DoubleHistogram operationDuration;
    /** Running executions' spans, oldest started first; guarded by itself. */
    private final Map<Key, Running> running = new LinkedHashMap<>();
    private final int maxRunning;
    /** Whether a failed span's status description is the stored error text (opt-in: it may hold content or secrets). */
    private final boolean errorText;
    /**
     * The span contexts of recently finished executions: a tool call may finish after its
     * execution (LangChain4j's tool calls complete when their results are stored) and must still
     * be a child of the execution's span. Bounded, oldest first out.
     */
    private final Map<Key, Context> finished = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Key, Context> eldest) {
                    return size() > FINISHED_KEPT;
                }
            });
    private static final int FINISHED_KEPT = 10_000;
    /**
     * Executions whose span was evicted while they ran here: the finish reasons of their steps, so
     * that the complete span exported if one finishes here later has them all. Bounded, oldest first
     * out (one then finishing exports no finish reasons: they are no longer all known). Guarded by itself.
     */
    private final Map<Key, Map<Integer, String>> evicted = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Map<Integer, String>> eldest) {
            return size() > FINISHED_KEPT;
        }
    };
    /**
     * Tool calls the sweep failed whose execution has no span here yet, by the thread that heard them, then by execution,
     * oldest first: the sweep reports its calls before the executions it fails, and a dead process's execution gets its
     * span only then. A thread's calls are all of one sweep (its next report of anything else releases them), so an event
     * looks at its own thread's batch and at the other threads' liveness, never at each held call. At most
     * {@link #PENDING_KEPT} in all; guarded by itself.
     */
    private final Map<Thread, Batch> pending = new LinkedHashMap<>();
    /** How many calls {@link #pending} holds; written under its lock, read without it so that no event takes the lock while none waits. */
    private volatile int pendingCount;
    /** Orders the held calls, for the eldest to go first beyond {@link #PENDING_KEPT}; guarded by {@link #pending}. */
    private long heldSeq;
    private static final int PENDING_KEPT = 10_000;
    /** The default cap on spans of running executions. */
    public static final int DEFAULT_MAX_RUNNING_SPANS = 10_000;
    /** The error the sweep stores on what it fails ({@code ExecutionRecorder#sweepInterrupted}). */
    private static final String SWEPT = "interrupted";

    /** The span of an execution in progress and the finish reasons of its steps so far, by step sequence. */
    private record Running(Span span, Context context, Map<Integer, String> finishReasons, Instant start) {}

    /** What a tool call's span is made of: only this is kept while it waits for its execution's span (no arguments, no result). */
    private record ToolSpan(String name, Attributes attributes, Instant start, Instant end, boolean failed, String error) {}

    /**
     * A swept tool call waiting for its execution's span; {@code fallback} is its parent if none comes. {@code sweptAt} is
     * the sweep's time, stored as the end of everything that sweep failed: it tells the thread's next sweep from this one.
     */
    private record Pending(ToolSpan tool, Context fallback, long seq) {}

    /**
     * What the spans of an execution are kept by: its tenant and its id. An import keeps ids, so a copy of an execution in
     * another tenant has the same id, and both may run in this process at once.
     */
    private record Key(String tenant, UUID execution) {}

    /** The calls one thread's sweep at {@code sweptAt} failed that wait for their executions, by execution, oldest first. */
    private record Batch(Instant sweptAt, Map<Key, List<Pending>> calls) {
        Batch(Instant sweptAt) {
            this(sweptAt, new LinkedHashMap<>());
        }

        long eldest() {
            return calls.values().iterator().next().get(0).seq();
        }

        void drainTo(List<Pending> out) {
            calls.values().forEach(out::addAll);
        }
    }

    /** How many distinct model names, and provider names, the metrics carry as they are; later ones are {@code _OTHER}. */
    static final int MAX_METRIC_NAMES = 100;

    /** How many distinct provider-model combinations the metrics carry as they are; a later one's model is {@code _OTHER}. */
    static final int MAX_METRIC_PAIRS = 300;

    // The series live as long as the meter provider, not as this listener: a context restarted on a shared
    // OpenTelemetry, or a second Atlas exporting through it, creates another AtlasTelemetry, which must not admit
    // another 100 names. So the names admitted are kept per meter (the SDK hands out one per scope and provider) and
    // per meter provider (the Java agent's bridge hands out a new meter on every call, from one provider), weakly: a
    // dropped provider takes its bounds with it.
    private static final Map<Object, MetricBounds> METRIC_BOUNDS = new java.util.WeakHashMap<>();

    /** The attribute values admitted for one meter. Holds nothing of the meter, so the weak key can go. */
    private static final class MetricBounds {
        final BoundedValues models = new BoundedValues(MAX_METRIC_NAMES);
        final BoundedValues providers = new BoundedValues(MAX_METRIC_NAMES);
        final BoundedValues pairs = new BoundedValues(MAX_METRIC_PAIRS);
    }

    private final BoundedValues metricModels;
    private final BoundedValues metricProviders;
    private final BoundedValues metricPairs;

    private AtlasTelemetry(OpenTelemetry openTelemetry, int maxRunning, boolean errorText) {
        this.maxRunning = maxRunning;
        this.errorText = errorText;
        this.tracer = openTelemetry.getTracer(SCOPE);
        Meter meter = openTelemetry.getMeter(SCOPE);
        io.opentelemetry.api.metrics.MeterProvider provider = openTelemetry.getMeterProvider();
        // The no-op provider is every OpenTelemetry's default, also of one overriding getMeter alone: no common series.
        Object shared = provider == io.opentelemetry.api.metrics.MeterProvider.noop() ? meter : provider;
        MetricBounds bounds;
        synchronized (METRIC_BOUNDS) {
            bounds = METRIC_BOUNDS.get(meter);
            if (bounds == null) {
                bounds = METRIC_BOUNDS.computeIfAbsent(shared, k -> new MetricBounds());
            }
            METRIC_BOUNDS.putIfAbsent(meter, bounds);
            METRIC_BOUNDS.putIfAbsent(shared, bounds);
        }
        this.metricModels = bounds.models;
        this.metricProviders = bounds.providers;
        this.metricPairs = bounds.pairs;
        this.tokenUsage = meter.histogramBuilder("gen_ai.client.token.usage").ofLongs()
                .setUnit("{token}")
                .setDescription("Number of input and output tokens used")
                .setExplicitBucketBoundariesAdvice(TOKEN_BUCKETS)
                .build();
        this.operationDuration = meter.histogramBuilder("gen_ai.client.operation.duration")
                .setUnit("s")
                .setDescription("GenAI operation duration")
                .setExplicitBucketBoundariesAdvice(DURATION_BUCKETS)
                .build();
    }

    /** Exports through {@code openTelemetry}'s tracer and meter providers. */
    public static AtlasTelemetry create(OpenTelemetry openTelemetry) {
        return new AtlasTelemetry(Limits.requireNonNull("openTelemetry", openTelemetry), DEFAULT_MAX_RUNNING_SPANS, false);
    }

    /**
     * Exports through {@code openTelemetry}'s tracer and meter providers, keeping at most
     * {@code maxRunningSpans} spans of running executions (default {@value #DEFAULT_MAX_RUNNING_SPANS}).
     * An execution finished by another node (its sweep, a cancel there), or whose finish was refused
     * here because another node finished it first, is never heard by this listener: beyond the cap
     * the oldest running span is ended, marked {@code atlas.span.evicted}, so such spans cannot
     * accumulate. Set it above the number of executions this process runs at once.
     *
     * @throws InvalidInputException naming {@code openTelemetry} when it is null, or
     *         {@code maxRunningSpans} when it is below 1
     */
    public static AtlasTelemetry create(OpenTelemetry openTelemetry, int maxRunningSpans) {
        return create(openTelemetry, maxRunningSpans, false);
    }

    /**
     * {@link #create(OpenTelemetry, int)}, and with {@code exportErrorText} true the status
     * description of a failed execution's or tool call's span is its stored error: the message of
     * the exception its body threw, the text given to {@code fail(error)}, a tool result marked as an
     * error. Without it (the default) that text is never exported, since it may quote content or
     * secrets (a provider URL with its key, a prompt echoed back): the span has status
     * {@code ERROR} and {@code error.type} {@code _OTHER}, and {@code atlas.execution.id} /
     * {@code atlas.tool_call.id} find the stored error.
     *
     * @throws InvalidInputException as {@link #create(OpenTelemetry, int)}
     */
    public static AtlasTelemetry create(OpenTelemetry openTelemetry, int maxRunningSpans, boolean exportErrorText) {
        Limits.requireNonNull("openTelemetry", openTelemetry);
        if (maxRunningSpans < 1) {
            throw new InvalidInputException("maxRunningSpans", "must be at least 1, was " + maxRunningSpans);
        }
        return new AtlasTelemetry(openTelemetry, maxRunningSpans, exportErrorText);
    }

    /** How many spans of running executions are open here now (at most the cap given to {@link #create(OpenTelemetry, int)}). */
    public int runningSpans() {
        synchronized (running) {
            return running.size();
        }
    }

    // ---- live export --------------------------------------------------------------------

    @Override
    public void started(String tenantId, Execution execution) {
        if (finished.containsKey(new Key(tenantId, execution.id()))) {
            // Its end was heard first (an integration delivers each thread's events once its lock is released, and another
            // thread ended it meanwhile): its span is exported already, and a new one would stay open.
            endBatch(null);
            return;
        }
        Context parent = Context.current();
        Span span = startSpan(parent, tenantId, execution);
        Instant start = execution.startedAt() != null ? execution.startedAt() : execution.createdAt();
        endBatch(null);
        Running r = new Running(span, parent.with(span), Collections.synchronizedMap(new TreeMap<>()), start);
        List<Map.Entry<Key, Running>> evicted = new ArrayList<>();
        synchronized (running) {
            running.put(new Key(tenantId, execution.id()), r);
            for (var it = running.entrySet().iterator(); running.size() > maxRunning && it.hasNext(); ) {
                Map.Entry<Key, Running> e = it.next();
                evicted.add(e);
                it.remove();
                // In the same lock: a step heard meanwhile finds its reasons in one map or the other.
                synchronized (this.evicted) {
                    this.evicted.put(e.getKey(), e.getValue().finishReasons());
                }
            }
        }
        // Outside the lock: ending a span may export synchronously.
        for (Map.Entry<Key, Running> e : evicted) {
            // Never before its own start (two starts on other threads may be put in either order).
            evict(e.getKey(), e.getValue(), start.isBefore(e.getValue().start()) ? e.getValue().start() : start);
        }
    }

    /**
     * Ends the span of an execution this listener stopped waiting for: its outcome is unknown here
     * (most likely another node finished it), so the status stays UNSET and no metric is recorded;
     * it ends at {@code at}, the last moment it was known running. A finish heard later still
     * exports a complete span of its own, with the finish reasons of all its steps (kept in
     * {@link #evicted}); its tool calls stay under the evicted span.
     */
    private void evict(Key id, Running r, Instant at) {
        r.span().setAttribute(GenAi.ATLAS_EXECUTION_STATUS, ExecutionStatus.PROCESSING.toString());
        r.span().setAttribute(GenAi.ATLAS_SPAN_EVICTED, true);
        r.span().end(at);
        finished.put(id, Context.root().with(Span.wrap(r.span().getSpanContext())));
    }

    private Running running(Key id) {
        synchronized (running) {
            return running.get(id);
        }
    }

    private Running removeRunning(Key id) {
        synchronized (running) {
            return running.remove(id);
        }
    }

    @Override
    public void stepFinished(String tenantId, ExecutionStep step) {
        reported(step.status(), step.error(), step.startedAt(), step.completedAt());
        if (step.finishReason() == null) {
            return;
        }
        Key key = new Key(tenantId, step.executionId());
        Running r = running(key);
        Map<Integer, String> reasons;
        if (r != null) {
            reasons = r.finishReasons();
        } else {
            synchronized (evicted) {
                reasons = evicted.get(key);
            }
        }
        // An execution not started here (another process's, failed by the sweep): its other steps were never heard.
        if (reasons != null) {
            reasons.put(step.sequence(), step.finishReason().toString());
        }
    }

    @Override
    public void toolCallFinished(String tenantId, ToolCall toolCall) {
        Instant sweptAt = reported(toolCall.status(), toolCall.error(), toolCall.startedAt(), toolCall.completedAt());
        ToolSpan tool = toolSpan(tenantId, toolCall);
        if (tool == null) {
            return;
        }
        Key key = new Key(tenantId, toolCall.executionId());
        Running r = running(key);
        Context parent = r != null ? r.context() : finished.get(key);
        if (parent == null && sweptAt != null) {
            // The sweep reports the calls it fails before their executions: a dead process's run gets its span only then.
            // (A call that ran, the only kind with a span, started before the sweep's time: its end is that time.)
            hold(key, tool, sweptAt);
            return;
        }
        emit(parent != null ? parent : Context.current(), tool);
    }

    @Override
    public void completed(String tenantId, Execution execution) {
        finish(tenantId, execution);
        recordMetrics(execution);
        endBatch(null);
    }

    @Override
    public void failed(String tenantId, Execution execution) {
        // The sweep fails pending executions too: one that never started made no call, so no span and no metrics.
        if (running(new Key(tenantId, execution.id())) != null || execution.startedAt() != null) {
            finish(tenantId, execution);
            recordMetrics(execution);
        }
        // The sweep's last events: tool calls it failed may still be waiting for the runs it fails next. Any other failure ends its batch.
        if (!SWEPT.equals(execution.error())) {
            endBatch(null);
        }
    }

    @Override
    public void cancelled(String tenantId, Execution execution) {
        // A cancelled execution that never started (pending or queued) made no call: no span.
        if (running(new Key(tenantId, execution.id())) != null || execution.startedAt() != null) {
            finish(tenantId, execution);
            // The tokens spent before the cancel are stored and billed: the conventions count billable tokens. No
            // duration: the time to a cancel is the user's, not the operation's.
            recordTokens(execution, tokenAttributes(execution));
        }
        endBatch(null);
    }

    private void finish(String tenantId, Execution execution) {
        Key key = new Key(tenantId, execution.id());
        Running r = removeRunning(key);
        Map<Integer, String> evictedReasons;
        synchronized (evicted) {
            evictedReasons = evicted.remove(key);
        }
        Span span = r != null ? r.span() : startSpan(Context.current(), tenantId, execution);
        Context inside = r != null ? r.context() : Context.current().with(span);
        for (Pending p : release(key)) {
            emit(inside, p.tool());
        }
        // The steps' reasons when this listener heard every step (it heard the start); otherwise unknown here, so none.
        Map<Integer, String> reasons = r != null ? r.finishReasons() : evictedReasons;
        List<String> ordered;
        if (reasons == null) {
            ordered = List.of();
        } else {
            synchronized (reasons) {
                ordered = List.copyOf(reasons.values());
            }
        }
        end(span, execution, ordered);
        // Only the span's identity is kept, not the context it started in.
        finished.put(key, Context.root().with(Span.wrap(span.getSpanContext())));
    }

    // ---- swept tool calls waiting for their execution's span ----------------------------

    private void hold(Key executionId, ToolSpan tool, Instant sweptAt) {
        List<Pending> out = new ArrayList<>();
        Context fallback = Context.current();
        Thread thread = Thread.currentThread();
        synchronized (pending) {
            Batch batch = pending.get(thread);
            if (batch != null && !batch.sweptAt().equals(sweptAt)) {
                // reported() ended this thread's earlier batch before the call came here; should one remain, it goes as endBatch sends it.
                pending.remove(thread);
                batch.drainTo(out);
                pendingCount -= out.size();
                batch = null;
            }
            if (batch == null) {
                batch = new Batch(sweptAt);
                pending.put(thread, batch);
            }
            batch.calls().computeIfAbsent(executionId, k -> new ArrayList<>()).add(new Pending(tool, fallback, heldSeq++));
            if (++pendingCount > PENDING_KEPT) {
                Map.Entry<Thread, Batch> oldest = null;
                for (Map.Entry<Thread, Batch> e : pending.entrySet()) {
                    if (oldest == null || e.getValue().eldest() < oldest.getValue().eldest()) {
                        oldest = e;
                    }
                }
                var eldest = oldest.getValue().calls().entrySet().iterator().next();
                out.add(eldest.getValue().remove(0));
                if (eldest.getValue().isEmpty()) {
                    oldest.getValue().calls().remove(eldest.getKey());
                    if (oldest.getValue().calls().isEmpty()) {
                        pending.remove(oldest.getKey());
                    }
                }
                pendingCount--;
            }
        }
        for (Pending p : out) {
            emit(p.fallback(), p.tool());
        }
    }

    private List<Pending> release(Key executionId) {
        if (pendingCount == 0) {
            return List.of();
        }
        List<Pending> mine = new ArrayList<>();
        synchronized (pending) {
            for (var it = pending.values().iterator(); it.hasNext(); ) {
                Batch batch = it.next();
                List<Pending> calls = batch.calls().remove(executionId);
                if (calls != null) {
                    mine.addAll(calls);
                    if (batch.calls().isEmpty()) {
                        it.remove();
                    }
                }
            }
            pendingCount -= mine.size();
        }
        return mine;
    }

    /**
     * A step or tool call reported on this thread: one no sweep failed ends the thread's batch of held calls; one a sweep
     * failed ends it when that sweep is a later one, told by its time, which the sweep stamps as the end of all it fails
     * but of a record that started after that time (another instance's clock ran ahead): such a one ends nothing.
     *
     * @return the time of the sweep that failed the record, or null (no sweep failed it, or its sweep's time is unknown)
     */
    private Instant reported(ExecutionStatus status, String error, Instant startedAt, Instant completedAt) {
        if (status != ExecutionStatus.FAILED || !SWEPT.equals(error)) {
            endBatch(null);
            return null;
        }
        if (completedAt == null || !startedAt.isBefore(completedAt)) {
            return null;
        }
        endBatch(completedAt);
        return completedAt;
    }

    /**
     * This thread reports something its sweep at {@code sweptAt} did not fail (null: something no sweep reports; another
     * time: a later sweep): the calls an earlier sweep of it failed that are still held, their execution not failed by that
     * sweep (it ended before, in another process or beyond what is kept here), will get no execution span here, so they are
     * exported under the span current where they were heard. A sweep reports all its calls, then its steps, then its runs,
     * on one thread, each with the sweep's time as its end. The calls held by a thread that ended (a start-up sweep's) go
     * out too: that thread reports nothing more.
     */
    private void endBatch(Instant sweptAt) {
        if (pendingCount == 0) {
            return;
        }
        List<Pending> stale = new ArrayList<>();
        Thread thread = Thread.currentThread();
        synchronized (pending) {
            for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Thread, Batch> e = it.next();
                if (e.getKey() == thread ? !e.getValue().sweptAt().equals(sweptAt) : !e.getKey().isAlive()) {
                    int before = stale.size();
                    e.getValue().drainTo(stale);
                    pendingCount -= stale.size() - before;
                    it.remove();
                }
            }
        }
        for (Pending p : stale) {
            emit(p.fallback(), p.tool());
        }
    }

    // ---- back-fill ----------------------------------------------------------------------

    /**
     * Exports the tenant's finished executions created in [{@code from}, {@code to}) as spans, with
     * their stored times, attributes and tool calls, exactly as the live export would have: for
     * back-filling a tracing backend with what Atlas recorded before it was connected. The spans'
     * parent is the span current on the calling thread (none: each execution is a trace of its
     * own). Executions still running, or cancelled before they started, are skipped. Metrics are
     * not replayed: the metrics API records at the current time only. An empty range
     * ({@code from} equal to {@code to}) exports nothing; a bound beyond the years Atlas stores
     * (0001 to 9999; {@link Instant#MIN}, {@link Instant#MAX}) leaves that side open.
     *
     * @return how many executions were exported
     * @throws InvalidInputException naming {@code tenant}, {@code from} or {@code to} when one is null,
     *         or {@code to} when it is before {@code from}
     */
    public int replay(Tenant tenant, Instant from, Instant to) {
        Limits.requireNonNull("tenant", tenant);
        Limits.requireNonNull("from", from);
        Limits.requireNonNull("to", to);
        if (to.isBefore(from)) {
            throw new InvalidInputException("to", "must not be before from (" + from + "), was " + to);
        }
        // An empty range, or one outside the years a row can be stored in, holds nothing; a bound beyond them is no bound.
        if (!to.isAfter(from) || !to.isAfter(Limits.MIN_INSTANT) || from.isAfter(Limits.MAX_INSTANT)) {
            return 0;
        }
        Instant lower = from.isBefore(Limits.MIN_INSTANT) ? null : from;
        Instant upper = to.isAfter(Limits.MAX_INSTANT) ? null : to;
        Context parent = Context.current();
        int exported = 0;
        String cursor = null;
        do {
            ExecutionQuery query = ExecutionQuery.all().between(lower, upper).limit(Limits.MAX_PAGE_SIZE);
            Page<Execution> page = tenant.executions().list(cursor == null ? query : query.after(cursor));
            for (Execution e : page.items()) {
                if (e.startedAt() == null || e.completedAt() == null || !e.status().isFinal()) {
                    continue;
                }
                Optional<ExecutionTree> tree = tenant.executions().tree(e.id());
                if (tree.isPresent()) {
                    export(parent, tenant.id(), tree.get());
                    exported++;
                }
            }
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        return exported;
    }

    private void export(Context parent, String tenantId, ExecutionTree tree) {
        Execution e = tree.execution();
        Span span = startSpan(parent, tenantId, e);
        Context inside = parent.with(span);
        List<String> reasons = new ArrayList<>();
        for (ExecutionStep step : tree.steps()) {
            if (step.finishReason() != null) {
                reasons.add(step.finishReason().toString());
            }
        }
        // Every call, those outside any step (a voice session's) included, as the live export saw them finish.
        for (ToolCall call : tree.toolCalls()) {
            ToolSpan tool = call.status().isFinal() ? toolSpan(tenantId, call) : null;
            if (tool != null) {
                emit(inside, tool);
            }
        }
        end(span, e, reasons);
    }

    // ---- spans and metrics --------------------------------------------------------------

    private Span startSpan(Context parent, String tenantId, Execution e) {
        return tracer.spanBuilder(GenAi.spanName(e))
                .setSpanKind(SpanKind.CLIENT)
                .setParent(parent)
                .setStartTimestamp(e.startedAt() != null ? e.startedAt() : e.createdAt())
                .setAllAttributes(GenAi.request(tenantId, e))
                .startSpan();
    }

    private void end(Span span, Execution e, List<String> finishReasons) {
        span.setAllAttributes(GenAi.response(e, finishReasons));
        if (e.status() == ExecutionStatus.FAILED) {
            failed(span, e.error());
        }
        span.end(e.completedAt() != null ? e.completedAt() : e.updatedAt());
    }

    /** The span of a finished tool call, or null for one that never ran. */
    private ToolSpan toolSpan(String tenantId, ToolCall call) {
        // A call that never ran (cancelled while queued, or queued when the sweep failed it: stored with no duration) executed
        // no tool: no span, as an execution that never started makes none. Its startedAt is its creation: a span would show the
        // wait as execution time. A completed call ran.
        if (call.durationMs() == null && call.status() != ExecutionStatus.COMPLETED) {
            return null;
        }
        AttributesBuilder attributes = Attributes.builder()
                .put(GenAi.OPERATION_NAME, GenAi.EXECUTE_TOOL)
                .put(GenAi.TOOL_NAME, call.name())
                .put(GenAi.TOOL_TYPE, GenAi.toolType(call.type()))
                .put(GenAi.ATLAS_TENANT_ID, tenantId)
                .put(GenAi.ATLAS_TOOL_CALL_ID, call.id().toString());
        if (call.providerCallId() != null) {
            attributes.put(GenAi.TOOL_CALL_ID, call.providerCallId());
        }
        if (call.status() == ExecutionStatus.FAILED) {
            attributes.put(GenAi.ERROR_TYPE, GenAi.OTHER_ERROR);
        }
        boolean failed = call.status() == ExecutionStatus.FAILED;
        return new ToolSpan(GenAi.EXECUTE_TOOL + " " + call.name(), attributes.build(), call.startedAt(),
                call.completedAt() != null ? call.completedAt() : call.startedAt(), failed, failed && errorText ? call.error() : null);
    }

    private void emit(Context parent, ToolSpan tool) {
        Span span = tracer.spanBuilder(tool.name())
                .setSpanKind(SpanKind.INTERNAL)
                .setParent(parent)
                .setStartTimestamp(tool.start())
                .setAllAttributes(tool.attributes())
                .startSpan();
        if (tool.failed()) {
            failed(span, tool.error());
        }
        span.end(tool.end());
    }

    /** Status ERROR, described by the stored error only when {@link #create(OpenTelemetry, int, boolean)} asked for it. */
    private void failed(Span span, String error) {
        if (errorText && error != null) {
            span.setStatus(StatusCode.ERROR, error);
        } else {
            span.setStatus(StatusCode.ERROR);
        }
    }

    private AttributesBuilder tokenAttributes(Execution e) {
        String model = metricModels.value(e.model());
        String provider = metricProviders.value(e.provider());
        // Each name within its bound, their combinations could still be 101 x 101 series per token type, past the SDK's
        // limit. The length prefix keeps two pairs from sharing a key.
        if (!model.equals(GenAi.OTHER_ERROR) && metricPairs.value(provider.length() + ":" + provider + model).equals(GenAi.OTHER_ERROR)) {
            model = GenAi.OTHER_ERROR;
        }
        return Attributes.builder()
                .put(GenAi.OPERATION_NAME, GenAi.operation(e.type()))
                .put(GenAi.PROVIDER_NAME, provider)
                .put(GenAi.REQUEST_MODEL, model)
                .put(GenAi.RESPONSE_MODEL, model);
    }

    /**
     * The values one metric attribute takes: the first {@code max} distinct ones as they are, any later one
     * {@code _OTHER}. Model and provider names may come from users (a model chosen per request), and each distinct
     * value is a series the SDK keeps; past its cardinality limit it folds every new series, legitimate ones too, into
     * one overflow point. Spans keep the names as recorded.
     */
    private static final class BoundedValues {
        private final int max;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();

        BoundedValues(int max) {
            this.max = max;
        }

        String value(String name) {
            if (seen.contains(name)) {
                return name;
            }
            // The size check and the add are one step, or racing threads could pass the bound together.
            synchronized (seen) {
                if (seen.size() < max) {
                    seen.add(name);
                    return name;
                }
            }
            return seen.contains(name) ? name : GenAi.OTHER_ERROR;
        }
    }

    private void recordMetrics(Execution e) {
        AttributesBuilder common = tokenAttributes(e);
        recordTokens(e, common);
        if (e.startedAt() != null && e.completedAt() != null) {
            if (e.status() == ExecutionStatus.FAILED) {
                common.put(GenAi.ERROR_TYPE, GenAi.OTHER_ERROR);
            }
            double seconds = Duration.between(e.startedAt(), e.completedAt()).toNanos() / 1e9;
            operationDuration.record(seconds, common.build());
        }
    }

    private void recordTokens(Execution e, AttributesBuilder common) {
        Long input = GenAi.inputTokens(e.usage());
        if (input != null) {
            tokenUsage.record(input, common.build().toBuilder().put(GenAi.TOKEN_TYPE, "input").build());
        }
        if (e.usage().outputTokens() != null) {
            tokenUsage.record(e.usage().outputTokens(), common.build().toBuilder().put(GenAi.TOKEN_TYPE, "output").build());
        }
    }
}
