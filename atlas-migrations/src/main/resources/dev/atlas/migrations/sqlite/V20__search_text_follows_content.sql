-- Atlas V20: a content change by a writer that does not maintain search_text (an Atlas before V8
-- during a rolling upgrade, plain SQL) clears the row's search column, so the old words stop
-- matching at once and Atlas indexes the new content before the tenant's next search, as it does
-- for rows written without the column. Before, such a row kept its old terms: search found it by
-- words it no longer held and not by its new ones. Atlas's own writes set search_text with the
-- content; when the terms did not change either (only punctuation did), the row is re-indexed the
-- same way, to the same terms. The nested UPDATE fires the full-text triggers of V8.
CREATE TRIGGER ${prefix}messages_search_text_stale AFTER UPDATE OF content ON ${prefix}messages
WHEN new.content IS NOT old.content AND new.search_text IS old.search_text AND new.search_text IS NOT NULL
BEGIN
    UPDATE ${prefix}messages SET search_text = NULL WHERE tenant_id = new.tenant_id AND id = new.id;
END;

CREATE TRIGGER ${prefix}memories_search_text_stale AFTER UPDATE OF content ON ${prefix}memories
WHEN new.content IS NOT old.content AND new.search_text IS old.search_text AND new.search_text IS NOT NULL
BEGIN
    UPDATE ${prefix}memories SET search_text = NULL WHERE tenant_id = new.tenant_id AND id = new.id;
END;
