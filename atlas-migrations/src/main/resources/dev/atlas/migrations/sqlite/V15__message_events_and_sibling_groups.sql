-- Atlas V15 (issue 15): message audit events admit 'metadata_updated', 'restored' and
-- application types 'app.<name>' (the name as MessageEventType.app validates it: lower-case words
-- of a-z, 0-9 and _ separated by dots, starting with a letter, at most 64 characters); and sibling
-- groups (seed 002): the answers one execution wrote to a parent are active together.
--
-- SQLite cannot change a CHECK in place: message_events is rebuilt (no table references it, so
-- foreign keys need not be turned off), keeping every row as it was.
CREATE TABLE ${prefix}message_events_v15 (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    type            TEXT    NOT NULL CHECK (type IN ('created', 'edited', 'deleted', 'status_changed', 'activated',
                                                     'metadata_updated', 'restored')
                                            OR (type GLOB 'app.[a-z]*' AND NOT type GLOB 'app.*[^a-z0-9_.]*'
                                                AND NOT type GLOB '*..*' AND NOT type GLOB '*.' AND NOT type GLOB '*.[0-9_]*'
                                                AND length(type) <= 68)),
    details         TEXT    NOT NULL CHECK (json_valid(details)),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, message_id) REFERENCES ${prefix}messages (tenant_id, id)
);
INSERT INTO ${prefix}message_events_v15 (tenant_id, id, conversation_id, message_id, type, details, created_at)
    SELECT tenant_id, id, conversation_id, message_id, type, details, created_at FROM ${prefix}message_events;
DROP TABLE ${prefix}message_events;
ALTER TABLE ${prefix}message_events_v15 RENAME TO ${prefix}message_events;
CREATE INDEX ${prefix}message_events_message ON ${prefix}message_events (tenant_id, message_id, created_at);
CREATE INDEX ${prefix}message_events_conversation ON ${prefix}message_events (tenant_id, conversation_id, created_at);

-- V6 allowed one active answer per (conversation, parent, role). Answers of one execution now
-- share the active flag, so the database keeps the rule for answers without an execution (each
-- its own group); that only one execution's group is active is kept by activate() and append(),
-- which serialise on the conversation (SQLite: one writer; PostgreSQL: its row lock).
DROP INDEX ${prefix}messages_one_active_sibling;
CREATE UNIQUE INDEX ${prefix}messages_one_active_sibling ON ${prefix}messages (tenant_id, conversation_id, parent_id, role)
    WHERE is_active = 1 AND parent_id IS NOT NULL AND deleted_at IS NULL AND execution_id IS NULL;
