-- Atlas V12: the references the stores checked but the database did not (SQLite). A message's
-- execution and step, a conversation's assistant and assistant revision, and an execution's
-- assistant revision get the guarantee of a foreign key. SQLite's ALTER TABLE cannot add a
-- foreign key, and rebuilding messages and conversations (with their search triggers) in a
-- migration is a larger risk than the gap, so triggers do the same two checks a foreign key
-- does: a row may only name a row of its own tenant that exists, and a named row may not be
-- deleted. They raise the PostgreSQL constraint's name in PostgreSQL's wording, so Atlas
-- translates both dialects alike (dev.atlas.jdbi.internal.References). Keys (tenant_id, id)
-- are never updated, so no trigger watches them.

-- Rows written before this version may point at rows that are gone (a purge used to delete an
-- execution while a message of another conversation still named it). Such a link leads nowhere
-- and cannot be repaired from anywhere else, so it is cleared: the row keeps its content and
-- loses only the dangling pointer. Refusing to migrate instead would leave the user with data
-- no Atlas call can fix.
UPDATE ${prefix}messages SET execution_id = NULL
WHERE execution_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}executions x WHERE x.tenant_id = ${prefix}messages.tenant_id AND x.id = ${prefix}messages.execution_id);
UPDATE ${prefix}messages SET step_id = NULL
WHERE step_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}execution_steps x WHERE x.tenant_id = ${prefix}messages.tenant_id AND x.id = ${prefix}messages.step_id);
UPDATE ${prefix}conversations SET assistant_id = NULL
WHERE assistant_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}assistants x WHERE x.tenant_id = ${prefix}conversations.tenant_id AND x.id = ${prefix}conversations.assistant_id);
UPDATE ${prefix}conversations SET assistant_revision_id = NULL
WHERE assistant_revision_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}assistant_revisions x WHERE x.tenant_id = ${prefix}conversations.tenant_id AND x.id = ${prefix}conversations.assistant_revision_id);
UPDATE ${prefix}executions SET assistant_revision_id = NULL
WHERE assistant_revision_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM ${prefix}assistant_revisions x WHERE x.tenant_id = ${prefix}executions.tenant_id AND x.id = ${prefix}executions.assistant_revision_id);

CREATE TRIGGER ${prefix}messages_execution_fk_insert BEFORE INSERT ON ${prefix}messages
WHEN NEW.execution_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}executions x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.execution_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}messages violates foreign key constraint ${prefix}messages_execution_fk');
END;

CREATE TRIGGER ${prefix}messages_execution_fk_update BEFORE UPDATE OF tenant_id, execution_id ON ${prefix}messages
WHEN NEW.execution_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}executions x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.execution_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}messages violates foreign key constraint ${prefix}messages_execution_fk');
END;

CREATE TRIGGER ${prefix}messages_execution_fk_delete BEFORE DELETE ON ${prefix}executions
WHEN EXISTS (SELECT 1 FROM ${prefix}messages x WHERE x.tenant_id = OLD.tenant_id AND x.execution_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'update or delete on table ${prefix}executions violates foreign key constraint ${prefix}messages_execution_fk');
END;

CREATE TRIGGER ${prefix}messages_step_fk_insert BEFORE INSERT ON ${prefix}messages
WHEN NEW.step_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}execution_steps x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.step_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}messages violates foreign key constraint ${prefix}messages_step_fk');
END;

CREATE TRIGGER ${prefix}messages_step_fk_update BEFORE UPDATE OF tenant_id, step_id ON ${prefix}messages
WHEN NEW.step_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}execution_steps x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.step_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}messages violates foreign key constraint ${prefix}messages_step_fk');
END;

CREATE TRIGGER ${prefix}messages_step_fk_delete BEFORE DELETE ON ${prefix}execution_steps
WHEN EXISTS (SELECT 1 FROM ${prefix}messages x WHERE x.tenant_id = OLD.tenant_id AND x.step_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'update or delete on table ${prefix}execution_steps violates foreign key constraint ${prefix}messages_step_fk');
END;

CREATE TRIGGER ${prefix}conversations_assistant_fk_insert BEFORE INSERT ON ${prefix}conversations
WHEN NEW.assistant_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}assistants x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.assistant_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}conversations violates foreign key constraint ${prefix}conversations_assistant_fk');
END;

CREATE TRIGGER ${prefix}conversations_assistant_fk_update BEFORE UPDATE OF tenant_id, assistant_id ON ${prefix}conversations
WHEN NEW.assistant_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}assistants x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.assistant_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}conversations violates foreign key constraint ${prefix}conversations_assistant_fk');
END;

CREATE TRIGGER ${prefix}conversations_assistant_fk_delete BEFORE DELETE ON ${prefix}assistants
WHEN EXISTS (SELECT 1 FROM ${prefix}conversations x WHERE x.tenant_id = OLD.tenant_id AND x.assistant_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'update or delete on table ${prefix}assistants violates foreign key constraint ${prefix}conversations_assistant_fk');
END;

CREATE TRIGGER ${prefix}conversations_revision_fk_insert BEFORE INSERT ON ${prefix}conversations
WHEN NEW.assistant_revision_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}assistant_revisions x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.assistant_revision_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}conversations violates foreign key constraint ${prefix}conversations_revision_fk');
END;

CREATE TRIGGER ${prefix}conversations_revision_fk_update BEFORE UPDATE OF tenant_id, assistant_revision_id ON ${prefix}conversations
WHEN NEW.assistant_revision_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}assistant_revisions x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.assistant_revision_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}conversations violates foreign key constraint ${prefix}conversations_revision_fk');
END;

CREATE TRIGGER ${prefix}conversations_revision_fk_delete BEFORE DELETE ON ${prefix}assistant_revisions
WHEN EXISTS (SELECT 1 FROM ${prefix}conversations x WHERE x.tenant_id = OLD.tenant_id AND x.assistant_revision_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'update or delete on table ${prefix}assistant_revisions violates foreign key constraint ${prefix}conversations_revision_fk');
END;

CREATE TRIGGER ${prefix}executions_revision_fk_insert BEFORE INSERT ON ${prefix}executions
WHEN NEW.assistant_revision_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}assistant_revisions x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.assistant_revision_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}executions violates foreign key constraint ${prefix}executions_revision_fk');
END;

CREATE TRIGGER ${prefix}executions_revision_fk_update BEFORE UPDATE OF tenant_id, assistant_revision_id ON ${prefix}executions
WHEN NEW.assistant_revision_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ${prefix}assistant_revisions x WHERE x.tenant_id = NEW.tenant_id AND x.id = NEW.assistant_revision_id)
BEGIN
    SELECT RAISE(ABORT, 'insert or update on table ${prefix}executions violates foreign key constraint ${prefix}executions_revision_fk');
END;

CREATE TRIGGER ${prefix}executions_revision_fk_delete BEFORE DELETE ON ${prefix}assistant_revisions
WHEN EXISTS (SELECT 1 FROM ${prefix}executions x WHERE x.tenant_id = OLD.tenant_id AND x.assistant_revision_id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'update or delete on table ${prefix}assistant_revisions violates foreign key constraint ${prefix}executions_revision_fk');
END;

-- A purge deletes steps: the check that no message still names one must not scan the messages.
-- (messages_execution from V1 serves the execution side; assistants and revisions are never
-- deleted, so their references need no index.)
CREATE INDEX ${prefix}messages_step ON ${prefix}messages (tenant_id, step_id);
