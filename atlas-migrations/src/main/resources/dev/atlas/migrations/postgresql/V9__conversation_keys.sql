-- Atlas V9: external keys. A framework keys its chat memory by its own id (a chat id, a session
-- id); a conversation may carry that id, unique among the tenant's live conversations, so
-- ConversationStore.ensure can find or create it race-free. A soft-deleted conversation frees
-- its key (restore refuses while another live conversation holds it).
ALTER TABLE ${prefix}conversations ADD COLUMN external_key text;

CREATE UNIQUE INDEX ${prefix}conversations_external_key
    ON ${prefix}conversations (tenant_id, external_key)
    WHERE external_key IS NOT NULL AND deleted_at IS NULL;
