package dev.atlas.voice;

import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.internal.Check;

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
public record VoiceCallQuery(VoiceCallStatus status, Owner owner, String agent, int limit, String cursor) {
    public VoiceCallQuery {
        Check.optionalKey("agent", agent);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
        Check.optional("cursor", cursor, 200);
    }

    /** Every call of the tenant, newest first, 50 per page. */
    public static VoiceCallQuery all() {
        return new VoiceCallQuery(null, null, null, 50, null);
    }

    /** Calls in {@code status}, newest first, 50 per page. */
    public static VoiceCallQuery withStatus(VoiceCallStatus status) {
        return all().status(Check.notNull("status", status));
    }

    public VoiceCallQuery status(VoiceCallStatus status) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }

    public VoiceCallQuery owner(Owner owner) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }

    public VoiceCallQuery agent(String agent) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }

    public VoiceCallQuery limit(int limit) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }

    /** Continue after a previous page's {@link Page#nextCursor()}. */
    public VoiceCallQuery after(String cursor) {
        return new VoiceCallQuery(status, owner, agent, limit, cursor);
    }
}
