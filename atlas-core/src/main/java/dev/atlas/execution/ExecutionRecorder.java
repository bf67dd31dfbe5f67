package dev.atlas.execution;

import dev.atlas.NotFoundException;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Records every call to an AI provider with its tool loop, usage and cost, scoped to one tenant.
 * Obtain it from {@code atlas.tenant("acme").executions()}.
 *
 * <pre>{@code
 * String answer = recorder.record(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()), exec -> {
 *     var step = exec.step();
 *     var reply = llm.call(history);                       // the application's own client
 *     step.finish(reply.text(), FinishReason.STOP);
 *     exec.usage(Usage.of(reply.inputTokens(), reply.outputTokens()));
 *     exec.reply(step, reply.text());                      // assistant message linked to execution and step
 *     return reply.text();
 * });
 * }</pre>
 *
 * Ids of another tenant behave like ids that do not exist. Bad arguments throw
 * {@link dev.atlas.InvalidInputException} before any write; illegal status changes throw
 * {@link dev.atlas.IllegalTransitionException}.
 */
public interface ExecutionRecorder {

    // ---- recording ----------------------------------------------------------------------

    /**
     * Runs {@code body} as one execution: creates it in status processing, lets the body record
     * steps, tool calls and usage through the handle, then completes it when the body returns. When
     * the body throws, the execution is marked failed with the exception's message (the message of
     * its cause for a {@link java.util.concurrent.CompletionException} or
     * {@link java.util.concurrent.ExecutionException}, which a body joining or getting a failed
     * future throws, so a provider's error is stored as the provider gave it) and the very
     * same exception instance is rethrown (checked exceptions included; if recording the failure
     * fails too, that error is added as suppressed); a {@link java.util.concurrent.CancellationException}
     * (the call was stopped, not failed) marks it cancelled instead, also as the cause of a
     * {@link java.util.concurrent.CompletionException} or {@link java.util.concurrent.ExecutionException}
     * (the body joined or got a stage of a cancelled future); the exception thrown is still rethrown as is. When the complete after the body is refused (a
     * cost that does not fit, see {@link ExecutionHandle#complete()}), the execution is failed
     * with that refusal's message and the refusal is thrown instead of the body's value. Ending a
     * run failed never leaves it processing: a usage whose cost cannot be stored is dropped then,
     * as {@link ExecutionHandle#cancel()} drops it (failed without usage and cost). A body that
     * finishes the execution itself (for example {@link ExecutionHandle#cancel()}) is left as it
     * is; one ended elsewhere meanwhile (cancelled, swept, another process) makes the complete, and
     * so this call, fail with {@link dev.atlas.ConflictException} on {@code executionId} naming the
     * stored status, which stays. A run erased or purged meanwhile is not failed: the
     * {@link dev.atlas.NotFoundException} on {@code executionId} that refused the body's call or
     * the complete is thrown alone.
     *
     * @param spec the description of what to create
     * @param body the body
     * @param <T> the type of the body's value
     * @param <E> the checked exception the body may throw
     * @return the body's value, once the execution is stored completed
     * @throws E the body's own exception, rethrown after the execution is stored failed
     */
    <T, E extends Exception> T record(ExecutionSpec spec, ExecutionBody<T, E> body) throws E;

    /**
     * The asynchronous form for clients that return a {@link CompletableFuture}: the returned
     * future completes after the execution is stored completed (with the body's value) or failed
     * (with the body's exception, unwrapped from {@link java.util.concurrent.CompletionException},
     * also when the body throws it instead of returning a future, and stored with that exception's
     * message),
     * or failed with the refusal of the complete, ending the execution as {@link #record} does.
     * A body future that is cancelled ends the execution cancelled; cancelling the returned future
     * cancels the body's future, and so the execution. A body that returns {@code null} instead of
     * a future ends the execution failed with error {@code body result: is required}, and the
     * returned future with that {@link dev.atlas.InvalidInputException} on {@code body result}.
     * Arguments are checked, and the execution is created, before this returns: a bad spec or a
     * failed start throws here, as {@link #start} does, and the body is not called.
     *
     * @param spec the description of what to create
     * @param body the body
     * @param <T> the value's type
     * @return the future of the body's value, completed once the execution is stored finished
     * @throws dev.atlas.InvalidInputException when {@code spec} or {@code body} is invalid
     */
    <T> CompletableFuture<T> recordAsync(ExecutionSpec spec, Function<ExecutionHandle, CompletableFuture<T>> body);

    /**
     * Creates an execution in status processing and returns its handle; finish it with complete, fail or cancel.
     *
     * @param spec the description of what to create
     * @return the executionHandle
     * @throws dev.atlas.NotFoundException naming {@code conversationId} when the spec's conversation is
     *         unknown, another tenant's or deleted, or {@code assistantRevisionId} when its assistant
     *         revision is not this tenant's or its assistant is deleted; nothing is written
     */
    ExecutionHandle start(ExecutionSpec spec);

    /**
     * Creates an execution in status pending, for work that will be queued and run later.
     *
     * @param spec the description of what to create
     * @return the execution
     * @throws dev.atlas.NotFoundException naming {@code conversationId} when the spec's conversation is
     *         unknown, another tenant's or deleted, or {@code assistantRevisionId} when its assistant
     *         revision is not this tenant's or its assistant is deleted; nothing is written
     */
    Execution create(ExecutionSpec spec);

    /**
     * pending → queued.
     *
     * @param executionId the execution's id
     * @return the execution
     */
    Execution queue(UUID executionId);

    /**
     * pending or queued → processing, returning the handle to record the run.
     *
     * @param executionId the execution's id
     * @return the executionHandle
     */
    ExecutionHandle resume(UUID executionId);

    /**
     * pending, queued or processing → cancelled. A processing execution ends as
     * {@link ExecutionHandle#cancel()} ends it: with its finished steps' usage, their cost and its
     * duration (the tokens were spent all the same; a cost that cannot be stored is left out with its usage).
     *
     * @param executionId the execution's id
     * @return the execution
     */
    Execution cancel(UUID executionId);

    // ---- reads --------------------------------------------------------------------------

    /**
     * Reads an execution; absent for an unknown id or another tenant's.
     *
     * @param executionId the execution's id
     * @return the Execution, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Execution> get(UUID executionId);

    /**
     * Like {@link #get(UUID)}, for callers that expect the execution.
     *
     * @param executionId the execution's id
     * @return the execution
     */
    default Execution require(UUID executionId) {
        return get(executionId).orElseThrow(() -> new NotFoundException("execution", executionId));
    }

    /**
     * The execution with its steps and tool calls, in three queries whatever their number.
     *
     * @param executionId the execution's id
     * @return the ExecutionTree, or empty when there is none (an id of another tenant is absent)
     */
    Optional<ExecutionTree> tree(UUID executionId);

    /**
     * Executions matching the query, newest first by id (ids are UUIDv7 stamped by the creating
     * instance's clock, so with several instances this is creation order by each one's clock),
     * keyset-paginated on the id: paging never skips nor repeats an execution that exists and
     * matches the filters through the listing.
     *
     * @param query the query: filters, limit and cursor
     * @return the page
     */
    dev.atlas.Page<Execution> list(ExecutionQuery query);

    /**
     * Tool calls across every execution of the tenant matching {@code query}, newest first by
     * creation (id descending: ids are UUIDv7), keyset-paginated on the id, which never changes: a
     * queued call started while a client pages is listed once, in its place by creation, never
     * skipped nor repeated. With several instances, creation order is by the clock of the instance
     * that created each call: one whose clock runs behind lists its calls after (older than) those
     * another created earlier.
     *
     * @param query the filters, page size and cursor
     * @return one page of tool calls and the cursor of the next
     */
    dev.atlas.Page<ToolCall> toolCalls(ToolCallQuery query);

    /**
     * The conversation's last {@code limit} active, delivered messages, oldest first, each with
     * the tool rounds (steps with their tool calls and results) that led to it, as
     * {@link MessageWithTools} describes: three queries whatever the history's length.
     *
     * @param conversationId the conversation's id
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @return the matching items, in order
     */
    List<MessageWithTools> historyWithTools(UUID conversationId, int limit);

    // ---- maintenance and reports --------------------------------------------------------

    /**
     * Moves this tenant's executions, steps and tool calls still pending or processing and started
     * (an execution never started: created) more than {@code olderThan} ago to failed with error
     * {@code "interrupted"}; a queued execution resumed later counts from its resume. Run it at start-up
     * to close what a crashed process left open. A step still open is failed once its execution is
     * over, whatever its age (it can no longer finish), and never before; a running tool call only by its age (its
     * result may come after its execution ended). Queued executions are left to their queue; a queued
     * tool call is failed only once its execution is over (nothing can start it then). After the
     * commit, each tool call it fails is passed to the {@link ExecutionListener}s' {@code toolCallFinished},
     * then each step it fails to their {@code stepFinished}, then each execution it fails to their
     * {@code failed}. A step it fails ends as {@link StepHandle#fail(String)} ends one, with finish
     * reason {@link FinishReason#ERROR}. Each record it fails gets its end and its duration as a
     * fail stores them: {@code durationMs} from its start to that end (none for an execution or a
     * queued tool call never started). A failed run keeps its finished steps'
     * usage with its cost, as a finish stores them (what its open step spent is unknown).
     *
     * @param olderThan only items older than this
     * @return the sweepResult
     */
    SweepResult sweepInterrupted(Duration olderThan);

    /**
     * Totals of tokens, executions, failures and cost of executions created in [{@code from},
     * {@code to}), grouped by {@code group}, in one SQL aggregate, ordered by {@link UsageRow#parts()},
     * part by part, each compared as {@link String#compareTo} compares text (by UTF-16 code unit,
     * not by the database's collation, so alike on every database), the group without a value
     * last (not by {@link UsageRow#group()}, whose escapes sort otherwise). At most
     * {@link dev.atlas.Limits#MAX_REPORT_ROWS} rows: a report with more groups (by conversation
     * over a long period, say) fails with {@link dev.atlas.InvalidInputException} naming
     * {@code to} instead of being cut short, as does a group whose token count of one kind sums
     * past {@link Long#MAX_VALUE} (the message names the count). Costs are exact, whatever their size.
     *
     * @param group how to group the rows
     * @param from inclusive lower bound of the creation time
     * @param to exclusive upper bound of the creation time; {@link dev.atlas.Limits#MAX_INSTANT},
     *        the latest accepted, includes itself
     * @return the matching items, in order
     */
    List<UsageRow> usageReport(UsageGroup group, Instant from, Instant to);

    /**
     * The {@link #usageReport} by {@code group} of each day of {@code zone} from {@code first} to
     * {@code last}, both included: a day is the zone's wall-clock day, 23 or 25 hours long when
     * its offset from UTC changes that day. The database groups by day and {@code group} in one
     * SQL aggregate per stretch of the period over which the zone's offset does not change: one
     * for UTC or a fixed offset, three for a year of a zone with daylight saving time. Days
     * without executions are left out. The period covers at most {@link dev.atlas.Limits#MAX_REPORT_DAYS}
     * days and holds at most {@link dev.atlas.Limits#MAX_REPORT_ROWS} rows in all, else it fails with
     * {@link dev.atlas.InvalidInputException} naming {@code last}, as does a token count past
     * {@link Long#MAX_VALUE}.
     *
     * @param group how to group each day's rows; not {@link UsageGroup#DAY}
     * @param first the first day reported
     * @param last the last day reported, not before {@code first}
     * @param zone the time zone whose days these are
     * @return each day with executions, in order, to its rows, ordered as {@link #usageReport} orders them
     * @throws dev.atlas.InvalidInputException naming {@code group}, {@code first}, {@code last} or {@code zone}
     */
    java.util.SortedMap<java.time.LocalDate, List<UsageRow>> dailyUsageReport(UsageGroup group, java.time.LocalDate first,
            java.time.LocalDate last, java.time.ZoneId zone);
}
