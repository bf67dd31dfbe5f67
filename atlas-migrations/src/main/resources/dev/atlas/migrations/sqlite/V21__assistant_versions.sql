-- Atlas V21: an assistant's definition carries a version, 1 when created and one more per update,
-- so an editor can update only the definition it read (AssistantStore.update with expectedVersion).
-- Rows written before start at 1.
ALTER TABLE ${prefix}assistants ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1);
