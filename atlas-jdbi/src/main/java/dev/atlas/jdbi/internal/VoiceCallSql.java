package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The voice call store's statements. */
final class VoiceCallSql {
    private static final String COLUMNS = "tenant_id, id, session_id, conversation_id, execution_id, owner_type, owner_id, agent,"
            + " provider, model, status, transcript, summary, duration_ms, metadata, started_at, completed_at, created_at, updated_at";
    private static final String V = "SELECT " + COLUMNS + " FROM <p>voice_calls";
    /**
     * A call belongs to its conversation: while that conversation is soft-deleted the call is not
     * found by any read or write, as its messages are, until the conversation is restored.
     */
    static final String VISIBLE = " AND NOT EXISTS (SELECT 1 FROM <p>conversations dc WHERE dc.tenant_id = <p>voice_calls.tenant_id"
            + " AND dc.id = <p>voice_calls.conversation_id AND dc.deleted_at IS NOT NULL)";
    /** Keyset on (started_at, id), oldest first: the order of V30's (tenant, conversation or session, started_at, id) indexes. */
    private static final String AFTER = " AND " + Keyset.after("started_at", "id", "at", "after");
    /** The keyset of {@link #list}, newest first: strictly before the cursor's call in (started_at, id) order. */
    static final String LIST_BEFORE = Keyset.before("started_at", "id", "at", "after");
    private static final String OLDEST = " ORDER BY started_at, id LIMIT :limit";

    private final Catalogue c;
    final Statement liveConversation;
    final Statement execution;
    final Statement executionOwner;
    final Statement insert;
    final Statement checkpoint;
    final Statement complete;
    final Statement fail;
    final Statement summarize;
    final Statement get;
    final Statement getForUpdate;
    final Statement byConversation;
    final Statement byConversationAfter;
    final Statement bySession;
    final Statement bySessionAfter;
    final Statement completeStale;

    VoiceCallSql(Catalogue c) {
        this.c = c;
        // Share-locked on PostgreSQL: a retention purge cannot remove the row between this check and the
        // insert (which would fail on the foreign key); the purge waits, or the start sees the row gone.
        liveConversation = c.sql("voice.liveConversation", "SELECT owner_type, owner_id FROM <p>conversations WHERE tenant_id = :t AND id = :id"
                + " AND deleted_at IS NULL" + c.dialect().forShare());
        execution = c.sql("voice.execution", "SELECT 1 FROM <p>executions WHERE tenant_id = :t AND id = :id" + c.dialect().forShare());
        executionOwner = c.sql("voice.executionOwner", ExecutionSql.OWNER_OF_EXECUTION);
        insert = c.sql("voice.insert", "INSERT INTO <p>voice_calls (tenant_id, id, session_id, conversation_id, execution_id, owner_type,"
                + " owner_id, agent, provider, model, status, transcript, metadata, started_at, created_at, updated_at) VALUES (:t, :id,"
                + " :session, :c, :e, :ownerType, :ownerId, :agent, :provider, :model, 'active', :transcript, :metadata, :now, :now, :now)"
                + " RETURNING " + COLUMNS);
        checkpoint = c.sql("voice.checkpoint", "UPDATE <p>voice_calls SET transcript = :transcript, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id AND status = 'active'" + VISIBLE + " RETURNING " + COLUMNS);
        // A call ends no earlier than its last write (start, checkpoint, summary), whatever the finishing
        // instance's clock says: its end is the later of :now and updated_at, and the store counts the
        // duration to that same end.
        String finish = "UPDATE <p>voice_calls SET status = :status, completed_at = " + Dialect.LATER + ", duration_ms = :duration, updated_at = " + Dialect.LATER;
        String active = " WHERE tenant_id = :t AND id = :id AND status = 'active'" + VISIBLE + " RETURNING " + COLUMNS;
        complete = c.sql("voice.complete", finish + ", transcript = :transcript" + active);
        fail = c.sql("voice.fail", finish + active);
        summarize = c.sql("voice.summarize", "UPDATE <p>voice_calls SET summary = :summary, updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND id = :id" + VISIBLE + " RETURNING " + COLUMNS);
        get = c.sql("voice.get", V + " WHERE tenant_id = :t AND id = :id" + VISIBLE);
        // A finish reads the row it ends under the row lock (PostgreSQL; SQLite's write lock already
        // holds it), so the end it stamps and the duration it counts are from the last write committed.
        getForUpdate = c.sql("voice.getForUpdate", V + " WHERE tenant_id = :t AND id = :id" + VISIBLE + c.dialect().forUpdate());
        String conversation = V + " WHERE tenant_id = :t AND conversation_id = :key" + VISIBLE;
        byConversation = c.sql("voice.byConversation", conversation + OLDEST);
        byConversationAfter = c.sql("voice.byConversationAfter", conversation + AFTER + OLDEST);
        String session = V + " WHERE tenant_id = :t AND session_id = :key" + VISIBLE;
        bySession = c.sql("voice.bySession", session + OLDEST);
        bySessionAfter = c.sql("voice.bySessionAfter", session + AFTER + OLDEST);
        // The real end of a stale call is unknown, so its duration stays empty. Stale is silent since
        // the last write (start, checkpoint, summary), not long since the start: a long call that keeps
        // checkpointing must keep its final transcript.
        completeStale = c.sql("voice.completeStale", "UPDATE <p>voice_calls SET status = 'completed', completed_at = " + Dialect.LATER + ", updated_at = " + Dialect.LATER
                + " WHERE tenant_id = :t AND status = 'active' AND updated_at < :cutoff" + VISIBLE);
    }

    /** The newest-first listing with the optional filters and cursor {@code where} renders. */
    Statement list(String where) {
        return c.render("voice.list", V + " WHERE tenant_id = :t" + VISIBLE + where + " ORDER BY started_at DESC, id DESC LIMIT :limit");
    }
}
