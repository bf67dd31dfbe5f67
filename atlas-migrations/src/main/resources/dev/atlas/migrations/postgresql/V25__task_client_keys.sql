-- Atlas V25: idempotent task creation. An application's own key for a task (NewTask.clientKey):
-- a create retried after a timeout with the same key returns the first task instead of queueing
-- the work twice. A key names one task of its tenant while the row exists (retention's purge of
-- finished tasks frees it).
ALTER TABLE ${prefix}tasks ADD COLUMN client_key TEXT;
CREATE UNIQUE INDEX ${prefix}tasks_client_key ON ${prefix}tasks (tenant_id, client_key) WHERE client_key IS NOT NULL;
