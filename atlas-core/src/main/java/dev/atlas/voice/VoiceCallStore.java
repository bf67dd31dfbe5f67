package dev.atlas.voice;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Voice sessions of one tenant, from {@code atlas.tenant("acme").voiceCalls()}. The transcript is
 * always written whole in one statement, so a reader never sees half of a checkpoint.
 *
 * <p>A call belongs to its conversation: while the conversation is soft-deleted, every method
 * treats its calls as not found (absent from reads and listings, {@link dev.atlas.NotFoundException}
 * from writes, untouched by {@link #completeStale}) until the conversation is restored.
 * Retention removes a call with its conversation; a finished call of no conversation only under
 * {@link dev.atlas.retention.RetentionPolicy#purgeDetachedVoiceCallsAfter(Duration)}, kept for ever without it.
 */
public interface VoiceCallStore {
    /**
     * Starts a call in status active with an empty transcript. An unknown conversation or
     * execution, or another tenant's, is a {@link dev.atlas.NotFoundException} naming
     * {@code conversationId} or {@code executionId}. The execution need not be of the call's
     * conversation: a call may record its usage on another conversation's execution, or on one of
     * none; when that execution is erased or purged the call stays, with {@code executionId} cleared.
     *
     * @param call the call
     * @return the voiceCall
     */
    VoiceCall start(NewVoiceCall call);

    /**
     * Replaces the transcript of an active call with {@code transcript} (the whole list so far).
     * A finished call is a {@link dev.atlas.ConflictException} on {@code callId}. The transcript
     * as JSON ({@code [{"role":…,"content":…},…]}, control characters escaped) is at most
     * {@link Limits#MAX_CONTENT_LENGTH} characters; a longer one is an
     * {@link InvalidInputException} on {@code transcript} and the saved one stays.
     *
     * <p>Repeating a checkpoint (a retry after a timeout) is harmless. Checkpoints of one call
     * from several writers at once each land whole, never mixed, and the last to commit wins, even
     * when it is the older, shorter list: keep one writer per call, and finish with
     * {@link #complete} and the final list.
     *
     * @param callId the voice call's id
     * @param transcript the turns so far, replacing the stored ones
     * @return the voiceCall
     */
    VoiceCall checkpoint(UUID callId, List<VoiceTurn> transcript);

    /**
     * active → completed with the final transcript; records the completion time and the duration
     * from the start to it. The completion is never dated before the call's last write (start,
     * checkpoint, summary): from an instance whose clock runs behind the one that wrote last, it is
     * that write's time, and the duration counts to it (so it is 0, never negative, when nothing
     * was written since the start). A call that already finished is an
     * {@link dev.atlas.IllegalTransitionException} on {@code status}.
     *
     * @param callId the voice call's id
     * @param transcript the turns so far, replacing the stored ones
     * @return the voiceCall
     */
    VoiceCall complete(UUID callId, List<VoiceTurn> transcript);

    /**
     * active → failed; the transcript so far is kept, and the duration recorded as for
     * {@link #complete}. A call that already finished is an
     * {@link dev.atlas.IllegalTransitionException} on {@code status}.
     *
     * @param callId the voice call's id
     * @return the voiceCall
     */
    VoiceCall fail(UUID callId);

    /**
     * Sets the summary (any status); {@code null} clears it. A blank summary is refused with an
     * {@link dev.atlas.InvalidInputException} on {@code summary} (clear it with {@code null}). An
     * unknown id, or another tenant's, is a {@link dev.atlas.NotFoundException}.
     *
     * @param callId the voice call's id
     * @param summary the summary, or {@code null}
     * @return the voiceCall
     */
    VoiceCall summarize(UUID callId, @Nullable String summary);

    /**
     * Reads a call; absent for an unknown id or another tenant's.
     *
     * @param callId the voice call's id
     * @return the VoiceCall, or empty when there is none (an id of another tenant is absent)
     */
    Optional<VoiceCall> get(UUID callId);

    /**
     * The call with this id; throws {@link dev.atlas.NotFoundException} when absent or another tenant's.
     *
     * @param callId the voice call's id
     * @return the voiceCall
     */
    default VoiceCall require(UUID callId) {
        return get(callId).orElseThrow(() -> new dev.atlas.NotFoundException("voice call", callId));
    }

    /**
     * One page of the conversation's calls, oldest first.
     *
     * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null} for the first
     * @param conversationId the conversation's id
     * @return one page of results and the cursor of the next
     */
    Page<VoiceCall> byConversation(UUID conversationId, int limit, @Nullable String cursor);

    /**
     * One page of the calls with the provider's session id, oldest first.
     *
     * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page, or {@code null} for the first
     * @param sessionId the provider's session id
     * @return one page of results and the cursor of the next
     */
    Page<VoiceCall> bySession(String sessionId, int limit, @Nullable String cursor);

    /**
     * Every call of the conversation, oldest first, when there are at most
     * {@link Limits#MAX_PAGE_SIZE}; with more it fails with {@link InvalidInputException} naming
     * {@code conversationId} (never a silently shortened list): page them with
     * {@link #byConversation(UUID, int, String)}.
     *
     * @param conversationId the conversation's id
     * @return the matching items, in order
     */
    default List<VoiceCall> byConversation(UUID conversationId) {
        Page<VoiceCall> page = byConversation(conversationId, Limits.MAX_PAGE_SIZE, null);
        if (page.hasMore()) {
            throw new InvalidInputException("conversationId", "has more than " + Limits.MAX_PAGE_SIZE
                    + " voice calls; page them with byConversation(conversationId, limit, cursor)");
        }
        return page.items();
    }

    /**
     * Every call with the session id, oldest first, when there are at most
     * {@link Limits#MAX_PAGE_SIZE}; with more it fails with {@link InvalidInputException} naming
     * {@code sessionId}: page them with {@link #bySession(String, int, String)}.
     *
     * @param sessionId the provider's session id
     * @return the matching items, in order
     */
    default List<VoiceCall> bySession(String sessionId) {
        Page<VoiceCall> page = bySession(sessionId, Limits.MAX_PAGE_SIZE, null);
        if (page.hasMore()) {
            throw new InvalidInputException("sessionId", "has more than " + Limits.MAX_PAGE_SIZE
                    + " voice calls; page them with bySession(sessionId, limit, cursor)");
        }
        return page.items();
    }

    /**
     * Calls matching {@code query}, newest first ({@code startedAt}, then id, both descending),
     * keyset-paged: the calls active now, the latest completed, an owner's or an agent's calls.
     *
     * @param query the filters, page size and cursor
     * @return one page of calls and the cursor of the next
     */
    Page<VoiceCall> list(VoiceCallQuery query);

    /**
     * Marks active calls completed whose last write (start, {@link #checkpoint} or {@link #summarize})
     * is more than {@code olderThan} ago, by Atlas's clock; returns how many. A long call that keeps
     * checkpointing is never stale, whatever its age; choose {@code olderThan} well above the
     * interval between checkpoints plus the clock skew between instances.
     *
     * @param olderThan how long a call must have been silent
     * @return how many calls were completed
     */
    int completeStale(Duration olderThan);
}
