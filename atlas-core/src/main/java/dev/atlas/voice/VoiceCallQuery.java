package dev.atlas.voice;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

/**
 * Filters for {@link VoiceCallStore#list(VoiceCallQuery)}; every filter is optional and they
 * combine with AND. Results are newest first ({@code startedAt}, then id, both descending), so
 * seed 002's {@code VoiceCall::active()} and {@code completed()->latest()->take(10)} are
 * {@code withStatus(ACTIVE)} and {@code withStatus(COMPLETED).limit(10)}.
 *
 * @param status only calls in this status, or {@code null} for any
 * @param owner  only this owner's calls, or {@code null} for any
 * @param agent  only this agent's calls, or {@code null} for any
 * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
 * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
 */
public record VoiceCallQuery(@Nullable VoiceCallStatus status, @Nullable Owner owner, @Nullable String agent, int limit, @Nullable String cursor) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param status only calls in this status, or {@code null} for any
     * @param owner  only this owner's calls, or {@code null} for any
     * @param agent  only this agent's calls, or {@code null} for any
     * @param limit  page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null}
     */
    public VoiceCallQuery {
        Check.optionalKey("agent", agent);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /**
     * Every call of the tenant, newest first, 50 per page.
     *
     * @return a query with no filter
     */
    public static VoiceCallQuery all() {
        return new VoiceCallQuery(null, null, null, 50, null);
    }

    /**
     * Calls in {@code status}, newest first, 50 per page.
     *
     * @param status the status to list
     * @return a query filtered on {@code status}
     */
    public static VoiceCallQuery withStatus(VoiceCallStatus status) {
        return all().status(Check.notNull("status", status));
    }

    /**
     * Returns a copy filtered on status.
     *
     * @param status only calls in this status, or {@code null} for any
     * @return a copy with this filter
     */
    public VoiceCallQuery status(@Nullable VoiceCallStatus status) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }

    /**
     * Returns a copy filtered on owner.
     *
     * @param owner only this owner's calls, or {@code null} for any
     * @return a copy with this filter
     */
    public VoiceCallQuery owner(@Nullable Owner owner) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }

    /**
     * Returns a copy filtered on agent.
     *
     * @param agent only this agent's calls, or {@code null} for any
     * @return a copy with this filter
     */
    public VoiceCallQuery agent(@Nullable String agent) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }

    /**
     * Returns a copy with another page size.
     *
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @return a copy with this page size
     */
    public VoiceCallQuery limit(int limit) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }

    /**
     * Continue after a previous page's {@link Page#nextCursor()}.
     *
     * @param cursor {@link Page#nextCursor()} of the previous page of the same query, or {@code null} for the first page
     * @return a copy that reads the page after {@code cursor}
     */
    public VoiceCallQuery after(@Nullable String cursor) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }
}
