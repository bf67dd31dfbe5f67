-- Atlas V15 (issue 15): message audit events admit 'metadata_updated', 'restored' and
-- application types 'app.<name>' (the name as MessageEventType.app validates it: lower-case words
-- of a-z, 0-9 and _ separated by dots, starting with a letter, at most 64 characters); and sibling
-- groups (seed 002): the answers one execution wrote to a parent are active together. Same logical
-- schema as the SQLite version.
ALTER TABLE ${prefix}message_events DROP CONSTRAINT ${prefix}message_events_type_check;
ALTER TABLE ${prefix}message_events ADD CONSTRAINT ${prefix}message_events_type_check
    CHECK (type IN ('created', 'edited', 'deleted', 'status_changed', 'activated', 'metadata_updated', 'restored')
           OR (type ~ '^app\.[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$' AND length(type) <= 68));

-- V6 allowed one active answer per (conversation, parent, role). Answers of one execution now
-- share the active flag, so the database keeps the rule for answers without an execution (each
-- its own group); that only one execution's group is active is kept by activate() and append(),
-- which serialise on the conversation's row lock.
DROP INDEX ${prefix}messages_one_active_sibling;
CREATE UNIQUE INDEX ${prefix}messages_one_active_sibling ON ${prefix}messages (tenant_id, conversation_id, parent_id, role)
    WHERE is_active AND parent_id IS NOT NULL AND deleted_at IS NULL AND execution_id IS NULL;
