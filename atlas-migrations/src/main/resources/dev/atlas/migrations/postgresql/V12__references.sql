-- Atlas V12: the references the stores checked but the database did not (PostgreSQL). A message's
-- execution and step, a conversation's assistant and assistant revision, and an execution's
-- assistant revision become foreign keys, tenant first like every other key (so a Citus
-- deployment can keep them: each references a row of the same tenant, on the same shard).
-- The constraint names are the ones Atlas translates back into NotFoundException naming the
-- field (dev.atlas.jdbi.internal.References); same logical schema as the SQLite version.

-- Rows written before this version may point at rows that are gone (a purge used to delete an
-- execution while a message of another conversation still named it). Such a link leads nowhere
-- and cannot be repaired from anywhere else, so it is cleared: the row keeps its content and
-- loses only the dangling pointer. Refusing to migrate instead would leave the user with data
-- no Atlas call can fix.
UPDATE ${prefix}messages SET execution_id = NULL
WHERE execution_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}executions e WHERE e.tenant_id = ${prefix}messages.tenant_id AND e.id = ${prefix}messages.execution_id);
UPDATE ${prefix}messages SET step_id = NULL
WHERE step_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}execution_steps s WHERE s.tenant_id = ${prefix}messages.tenant_id AND s.id = ${prefix}messages.step_id);
UPDATE ${prefix}conversations SET assistant_id = NULL
WHERE assistant_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}assistants a WHERE a.tenant_id = ${prefix}conversations.tenant_id AND a.id = ${prefix}conversations.assistant_id);
UPDATE ${prefix}conversations SET assistant_revision_id = NULL
WHERE assistant_revision_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}assistant_revisions r WHERE r.tenant_id = ${prefix}conversations.tenant_id AND r.id = ${prefix}conversations.assistant_revision_id);
UPDATE ${prefix}executions SET assistant_revision_id = NULL
WHERE assistant_revision_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}assistant_revisions r WHERE r.tenant_id = ${prefix}executions.tenant_id AND r.id = ${prefix}executions.assistant_revision_id);

ALTER TABLE ${prefix}messages ADD CONSTRAINT ${prefix}messages_execution_fk
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id);
ALTER TABLE ${prefix}messages ADD CONSTRAINT ${prefix}messages_step_fk
    FOREIGN KEY (tenant_id, step_id) REFERENCES ${prefix}execution_steps (tenant_id, id);
ALTER TABLE ${prefix}conversations ADD CONSTRAINT ${prefix}conversations_assistant_fk
    FOREIGN KEY (tenant_id, assistant_id) REFERENCES ${prefix}assistants (tenant_id, id);
ALTER TABLE ${prefix}conversations ADD CONSTRAINT ${prefix}conversations_revision_fk
    FOREIGN KEY (tenant_id, assistant_revision_id) REFERENCES ${prefix}assistant_revisions (tenant_id, id);
ALTER TABLE ${prefix}executions ADD CONSTRAINT ${prefix}executions_revision_fk
    FOREIGN KEY (tenant_id, assistant_revision_id) REFERENCES ${prefix}assistant_revisions (tenant_id, id);

-- A purge deletes steps: the check that no message still names one must not scan the messages.
-- (messages_execution from V1 serves the execution side; assistants and revisions are never
-- deleted, so their references need no index.)
CREATE INDEX ${prefix}messages_step ON ${prefix}messages (tenant_id, step_id);
