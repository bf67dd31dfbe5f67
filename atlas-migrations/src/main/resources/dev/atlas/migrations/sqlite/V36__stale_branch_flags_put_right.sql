-- Atlas V36: a version from before deleted messages kept their place left messages flagged active
-- under a hidden one (a message deleted while shown, and what answers it, kept the flag when an
-- earlier answer was regenerated), so history showed them beside the answer that replaced them.
-- Hidden here once, with every active message below them: from now on a message's own flag is its
-- path's, and an append reads its parent's flag only instead of walking the whole path.
-- Reads every message once (an active message's parent by key), then the stale ones' replies by parent.
UPDATE ${prefix}messages SET is_active = 0 WHERE is_active = 1 AND (tenant_id, id) IN (
    WITH RECURSIVE stale (tenant_id, id, conversation_id, sequence) AS (
        SELECT m.tenant_id, m.id, m.conversation_id, m.sequence FROM ${prefix}messages m JOIN ${prefix}messages p
            ON p.tenant_id = m.tenant_id AND p.id = m.parent_id AND p.conversation_id = m.conversation_id
            AND p.sequence < m.sequence AND p.is_active = 0
        WHERE m.is_active = 1 AND m.parent_id IS NOT NULL
        UNION
        SELECT r.tenant_id, r.id, r.conversation_id, r.sequence FROM stale s JOIN ${prefix}messages r
            ON r.tenant_id = s.tenant_id AND r.parent_id = s.id AND r.conversation_id = s.conversation_id
            AND r.sequence > s.sequence AND r.is_active = 1)
    SELECT tenant_id, id FROM stale);
