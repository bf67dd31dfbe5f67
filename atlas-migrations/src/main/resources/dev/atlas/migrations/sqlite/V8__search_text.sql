-- Full-text search on Atlas's own tokeniser (dev.atlas.jdbi.internal.SearchText), the same on
-- both databases. Atlas writes search_text with every content write: the content's words,
-- normalised and spelled with [a-z0-9] only, space-separated. This index preselects rows holding
-- every query term; Atlas then checks phrases and scores each row from its own terms, so no
-- statistic of another row (or tenant) enters a score.
--
-- Rows written before this version get search_text from Atlas in Java when it next opens (and
-- before a tenant's next search): SQL cannot reproduce the tokeniser. Until then they do not match.
ALTER TABLE ${prefix}messages ADD COLUMN search_text TEXT;
ALTER TABLE ${prefix}memories ADD COLUMN search_text TEXT;
CREATE INDEX ${prefix}messages_search_pending ON ${prefix}messages (tenant_id) WHERE search_text IS NULL;
CREATE INDEX ${prefix}memories_search_pending ON ${prefix}memories (tenant_id) WHERE search_text IS NULL;

DROP TRIGGER ${prefix}messages_fts_insert;
DROP TRIGGER ${prefix}messages_fts_update;
DROP TRIGGER ${prefix}messages_fts_delete;
DROP TRIGGER ${prefix}memories_fts_insert;
DROP TRIGGER ${prefix}memories_fts_update;
DROP TRIGGER ${prefix}memories_fts_delete;
DROP TABLE ${prefix}search_fts;
DELETE FROM ${prefix}search_keys;

-- Contentless (the terms are in the source rows) with the tenant and target stored beside the
-- rowid; detail=none: no positions, since phrases are checked on the source row's terms.
CREATE VIRTUAL TABLE ${prefix}search_fts USING fts5 (
    terms,
    tenant_id UNINDEXED,
    target_type UNINDEXED,
    target_id UNINDEXED,
    content = '',
    contentless_delete = 1,
    contentless_unindexed = 1,
    detail = none,
    tokenize = 'ascii'
);

CREATE TRIGGER ${prefix}messages_fts_insert AFTER INSERT ON ${prefix}messages
WHEN new.deleted_at IS NULL AND new.search_text IS NOT NULL
BEGIN
    INSERT INTO ${prefix}search_fts (terms, tenant_id, target_type, target_id)
        VALUES (new.search_text, new.tenant_id, 'message', new.id);
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        VALUES (new.tenant_id, 'message', new.id, last_insert_rowid());
END;

-- One trigger (not two): SQLite does not promise an order between triggers on one event. Every
-- content write sets search_text too, so search_text stands for content here.
CREATE TRIGGER ${prefix}messages_fts_update AFTER UPDATE OF search_text, deleted_at ON ${prefix}messages
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'message' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'message' AND target_id = old.id;
    INSERT INTO ${prefix}search_fts (terms, tenant_id, target_type, target_id)
        SELECT new.search_text, new.tenant_id, 'message', new.id WHERE new.deleted_at IS NULL AND new.search_text IS NOT NULL;
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        SELECT new.tenant_id, 'message', new.id, last_insert_rowid() WHERE new.deleted_at IS NULL AND new.search_text IS NOT NULL;
END;

CREATE TRIGGER ${prefix}messages_fts_delete AFTER DELETE ON ${prefix}messages
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'message' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'message' AND target_id = old.id;
END;

CREATE TRIGGER ${prefix}memories_fts_insert AFTER INSERT ON ${prefix}memories
WHEN new.deleted_at IS NULL AND new.search_text IS NOT NULL
BEGIN
    INSERT INTO ${prefix}search_fts (terms, tenant_id, target_type, target_id)
        VALUES (new.search_text, new.tenant_id, 'memory', new.id);
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        VALUES (new.tenant_id, 'memory', new.id, last_insert_rowid());
END;

CREATE TRIGGER ${prefix}memories_fts_update AFTER UPDATE OF search_text, deleted_at ON ${prefix}memories
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id;
    INSERT INTO ${prefix}search_fts (terms, tenant_id, target_type, target_id)
        SELECT new.search_text, new.tenant_id, 'memory', new.id WHERE new.deleted_at IS NULL AND new.search_text IS NOT NULL;
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        SELECT new.tenant_id, 'memory', new.id, last_insert_rowid() WHERE new.deleted_at IS NULL AND new.search_text IS NOT NULL;
END;

CREATE TRIGGER ${prefix}memories_fts_delete AFTER DELETE ON ${prefix}memories
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id;
END;
