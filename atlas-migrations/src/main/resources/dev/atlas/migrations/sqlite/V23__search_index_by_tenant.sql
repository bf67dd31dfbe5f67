-- Atlas V23: the full-text index holds each row's tenant as a term, and a search asks for it
-- with its words, so FTS5 intersects the tenant's rows with the words' instead of matching every
-- tenant's rows and filtering them afterwards. Before, a small tenant's search for a word common
-- in a large tenant read all of the large tenant's matches (about 1 s beside 500,000 of them);
-- now it reads its own only. The term is "x0" and the hex of the tenant id's UTF-8: a stored term
-- of a word is either plain [a-z0-9] not starting with x, or x and an even number of hex digits,
-- so this odd-length one can never be a word's. Scores are unchanged: Atlas scores a row from its
-- search_text column, not from the index.
--
-- The triggers of V8 are recreated with the term, and the index is rebuilt keeping each row's
-- index rowid, so search_keys stays as it is.
DROP TRIGGER ${prefix}messages_fts_insert;
DROP TRIGGER ${prefix}messages_fts_update;
DROP TRIGGER ${prefix}messages_fts_delete;
DROP TRIGGER ${prefix}memories_fts_insert;
DROP TRIGGER ${prefix}memories_fts_update;
DROP TRIGGER ${prefix}memories_fts_delete;

CREATE TRIGGER ${prefix}messages_fts_insert AFTER INSERT ON ${prefix}messages
WHEN new.deleted_at IS NULL AND new.search_text IS NOT NULL
BEGIN
    INSERT INTO ${prefix}search_fts (terms, tenant_id, target_type, target_id)
        VALUES ('x0' || lower(hex(new.tenant_id)) || ' ' || new.search_text, new.tenant_id, 'message', new.id);
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
        SELECT 'x0' || lower(hex(new.tenant_id)) || ' ' || new.search_text, new.tenant_id, 'message', new.id WHERE new.deleted_at IS NULL AND new.search_text IS NOT NULL;
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
        VALUES ('x0' || lower(hex(new.tenant_id)) || ' ' || new.search_text, new.tenant_id, 'memory', new.id);
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        VALUES (new.tenant_id, 'memory', new.id, last_insert_rowid());
END;

CREATE TRIGGER ${prefix}memories_fts_update AFTER UPDATE OF search_text, deleted_at ON ${prefix}memories
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id;
    INSERT INTO ${prefix}search_fts (terms, tenant_id, target_type, target_id)
        SELECT 'x0' || lower(hex(new.tenant_id)) || ' ' || new.search_text, new.tenant_id, 'memory', new.id WHERE new.deleted_at IS NULL AND new.search_text IS NOT NULL;
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        SELECT new.tenant_id, 'memory', new.id, last_insert_rowid() WHERE new.deleted_at IS NULL AND new.search_text IS NOT NULL;
END;

CREATE TRIGGER ${prefix}memories_fts_delete AFTER DELETE ON ${prefix}memories
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id;
END;

INSERT INTO ${prefix}search_fts (${prefix}search_fts) VALUES ('delete-all');
INSERT INTO ${prefix}search_fts (rowid, terms, tenant_id, target_type, target_id)
    SELECT k.fts_rowid, 'x0' || lower(hex(m.tenant_id)) || ' ' || m.search_text, m.tenant_id, 'message', m.id
    FROM ${prefix}search_keys k JOIN ${prefix}messages m ON m.tenant_id = k.tenant_id AND m.id = k.target_id
    WHERE k.target_type = 'message' AND m.deleted_at IS NULL AND m.search_text IS NOT NULL;
INSERT INTO ${prefix}search_fts (rowid, terms, tenant_id, target_type, target_id)
    SELECT k.fts_rowid, 'x0' || lower(hex(m.tenant_id)) || ' ' || m.search_text, m.tenant_id, 'memory', m.id
    FROM ${prefix}search_keys k JOIN ${prefix}memories m ON m.tenant_id = k.tenant_id AND m.id = k.target_id
    WHERE k.target_type = 'memory' AND m.deleted_at IS NULL AND m.search_text IS NOT NULL;
-- A key whose row is no longer indexed would point at nothing now: V8's triggers never left one.
DELETE FROM ${prefix}search_keys WHERE fts_rowid NOT IN (SELECT rowid FROM ${prefix}search_fts);
