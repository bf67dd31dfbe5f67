-- Atlas V23: the full-text indexes hold each row's tenant beside its terms, and a search asks for
-- both, so a tenant's search reads its own matches only. Before, the expression index on
-- to_tsvector(search_text) matched every tenant's rows and the tenant filter came after (a small
-- tenant's search beside a large one read the large tenant's matches), and a plan that scanned
-- the table recomputed to_tsvector for every row.
--
-- The index is now GIN over a text array: the row's terms (search_text is already Atlas's terms,
-- [a-z0-9] words separated by single spaces) and ':' followed by the tenant id, which no term can
-- equal (terms hold no ':'). No hashing is needed, and an array has no 1 MB limit as a tsvector
-- has, so a content of many distinct words is indexed as on SQLite instead of refused. Scores
-- are unchanged: Atlas scores a row from its search_text column, not from the index.
DROP INDEX ${prefix}messages_fts;
DROP INDEX ${prefix}memories_fts;
CREATE INDEX ${prefix}messages_fts ON ${prefix}messages
    USING gin (array_append(string_to_array(search_text, ' '), ':' || tenant_id));
CREATE INDEX ${prefix}memories_fts ON ${prefix}memories
    USING gin (array_append(string_to_array(search_text, ' '), ':' || tenant_id));
