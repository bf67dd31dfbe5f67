-- Full-text search on Atlas's own tokeniser (dev.atlas.jdbi.internal.SearchText), the same on
-- both databases. Atlas writes search_text with every content write: the content's words,
-- normalised and spelled with [a-z0-9] only, space-separated, so the 'simple' parser sees one
-- lexeme per word whatever the script (it would otherwise keep emails, URLs, versions and
-- decimals whole, and split or drop some scripts). This index preselects rows holding every query
-- term; Atlas then checks phrases and scores each row from its own terms.
--
-- Rows written before this version get search_text from Atlas in Java when it next opens (and
-- before a tenant's next search): SQL cannot reproduce the tokeniser. Until then they do not match.
ALTER TABLE ${prefix}messages ADD COLUMN search_text text;
ALTER TABLE ${prefix}memories ADD COLUMN search_text text;
CREATE INDEX ${prefix}messages_search_pending ON ${prefix}messages (tenant_id) WHERE search_text IS NULL;
CREATE INDEX ${prefix}memories_search_pending ON ${prefix}memories (tenant_id) WHERE search_text IS NULL;

DROP INDEX ${prefix}messages_fts;
DROP INDEX ${prefix}memories_fts;
CREATE INDEX ${prefix}messages_fts ON ${prefix}messages USING gin (to_tsvector('simple'::regconfig, search_text));
CREATE INDEX ${prefix}memories_fts ON ${prefix}memories USING gin (to_tsvector('simple'::regconfig, search_text));
