package dev.atlas.execution;

/**
 * Hears what the {@link ExecutionRecorder} stored: register one or more with
 * {@link dev.atlas.AtlasBuilder#executionListener(ExecutionListener)} to export executions to an
 * observability stack (see the {@code atlas-opentelemetry} module) or to count them.
 *
 * <p>Guarantees, for every callback:
 * <ul>
 *   <li>it runs <b>after the write committed</b>, never inside a transaction, on the thread that made
 *       the call (for {@link ExecutionRecorder#recordAsync} the thread that completed the future), so
 *       it may call Atlas itself and sees the committed row; an end event ({@link #completed},
 *       {@link #failed}, {@link #cancelled}) is heard once the handle has finished, so usage set on
 *       that handle from it is refused with {@link dev.atlas.ConflictException}, never lost;</li>
 *   <li>it receives the records <b>as stored</b> (the values a read returns right after), with the id
 *       of the tenant they belong to;</li>
 *   <li>a write that failed or rolled back calls nothing;</li>
 *   <li>an exception thrown by a listener, or its stack overflowing, is logged (SLF4J, warn, with the
 *       exception) and swallowed: the recording and the other listeners go on as if it had returned
 *       (only the JVM's own failures, such as {@link OutOfMemoryError}, propagate).</li>
 * </ul>
 * Listeners hear the writes of their own Atlas instance only. With several instances on one database,
 * an execution started on one and cancelled, swept, or resumed and finished on another is heard as
 * started on the first and as ended on the other; a finish the first then tries is refused and
 * heard nowhere. Use {@link ExecutionRecorder#get} (or the stored rows) for outcomes another
 * instance stored.
 * Listeners run in registration order and synchronously, so a slow listener slows the caller: hand
 * heavy work to another thread. {@link ExecutionRecorder#create} and {@link ExecutionRecorder#queue}
 * fire nothing; {@link ExecutionRecorder#sweepInterrupted} fires {@link #toolCallFinished} for each
 * tool call it failed, then {@link #stepFinished} for each step it failed (with its tool calls as
 * stored, finish reason {@link FinishReason#ERROR}, as a step's {@code fail} is heard), then
 * {@link #failed} for each execution it failed (pending ones included: their {@code startedAt} is
 * null). Every method has an empty default;
 * implement what you need.
 */
public interface ExecutionListener {

    /**
     * An execution moved to processing: {@link ExecutionRecorder#start}, {@code record}, {@code resume}.
     *
     * @param tenantId  the tenant the execution belongs to
     * @param execution the execution as stored, now processing
     */
    default void started(String tenantId, Execution execution) {}

    /**
     * A step was finished or failed; {@code step.toolCalls()} are its tool calls as stored at that moment.
     *
     * @param tenantId the tenant the step belongs to
     * @param step     the step as stored, now completed or failed
     */
    default void stepFinished(String tenantId, ExecutionStep step) {}

    /**
     * A tool call was completed, failed or cancelled.
     *
     * @param tenantId the tenant the tool call belongs to
     * @param toolCall the call as stored, now completed, failed or cancelled
     */
    default void toolCallFinished(String tenantId, ToolCall toolCall) {}

    /**
     * An execution completed, with its usage, cost and timing.
     *
     * @param tenantId  the tenant the execution belongs to
     * @param execution the execution as stored, now completed
     */
    default void completed(String tenantId, Execution execution) {}

    /**
     * An execution failed (the body threw, {@link ExecutionHandle#fail(String)}, or
     * {@link ExecutionRecorder#sweepInterrupted} found it left open).
     *
     * @param tenantId  the tenant the execution belongs to
     * @param execution the execution as stored, now failed, with its error
     */
    default void failed(String tenantId, Execution execution) {}

    /**
     * An execution was cancelled.
     *
     * @param tenantId  the tenant the execution belongs to
     * @param execution the execution as stored, now cancelled
     */
    default void cancelled(String tenantId, Execution execution) {}
}
