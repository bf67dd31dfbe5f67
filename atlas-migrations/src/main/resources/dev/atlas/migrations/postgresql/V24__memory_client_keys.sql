-- Atlas V24: idempotent memory creates (NewMemory.clientKey).
-- An application's own key for a memory: a create retried after a timeout with the same key
-- returns the first memory instead of storing it twice. A key names at most one memory of its
-- tenant that is not deleted; Atlas frees the key of an expired memory when a create reuses it.
ALTER TABLE ${prefix}memories ADD COLUMN client_key TEXT;
CREATE UNIQUE INDEX ${prefix}memories_client_key ON ${prefix}memories (tenant_id, client_key)
    WHERE client_key IS NOT NULL AND deleted_at IS NULL;
