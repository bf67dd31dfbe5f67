-- Atlas V20: a content change by a writer that does not maintain search_text (an Atlas before V8
-- during a rolling upgrade, plain SQL) clears the row's search column, so the old words stop
-- matching at once and Atlas indexes the new content before the tenant's next search, as it does
-- for rows written without the column. Before, such a row kept its old terms: search found it by
-- words it no longer held and not by its new ones. Atlas's own writes set search_text with the
-- content; when the terms did not change either (only punctuation did), the row is re-indexed the
-- same way, to the same terms. A BEFORE row trigger that only edits the row being written.
CREATE FUNCTION ${prefix}search_text_follows_content() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.content IS DISTINCT FROM OLD.content AND NEW.search_text IS NOT DISTINCT FROM OLD.search_text THEN
        NEW.search_text := NULL;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER ${prefix}messages_search_text_stale BEFORE UPDATE OF content ON ${prefix}messages
    FOR EACH ROW EXECUTE FUNCTION ${prefix}search_text_follows_content();

CREATE TRIGGER ${prefix}memories_search_text_stale BEFORE UPDATE OF content ON ${prefix}memories
    FOR EACH ROW EXECUTE FUNCTION ${prefix}search_text_follows_content();
