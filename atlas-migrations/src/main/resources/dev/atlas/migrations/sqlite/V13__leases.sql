-- Atlas V13: named leases per tenant. Retention.runExclusive takes the 'retention' lease before a
-- run, so several processes running a RetentionWorker for one tenant purge one at a time. A lease
-- whose expires_at (the database's clock, as for task leases) has passed may be taken over.
CREATE TABLE ${prefix}leases (
    tenant_id  TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

-- Retention of finished tasks, detached executions and deleted assets finds its rows without a scan.
CREATE INDEX ${prefix}tasks_finished ON ${prefix}tasks (tenant_id, finished_at) WHERE status IN ('completed', 'failed', 'cancelled');
CREATE INDEX ${prefix}executions_detached ON ${prefix}executions (tenant_id, created_at) WHERE conversation_id IS NULL;
CREATE INDEX ${prefix}assets_deleted ON ${prefix}assets (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
