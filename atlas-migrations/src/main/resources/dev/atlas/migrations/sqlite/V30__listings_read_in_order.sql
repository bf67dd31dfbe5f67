-- Atlas V30: VoiceCallStore.byConversation and bySession list oldest first in (started_at, id)
-- order and page with a cursor. The V2 indexes (tenant, conversation or session, started_at) lack
-- the id, so they could not serve that order: every page walked the tenant's calls of every
-- conversation in time order (the tenant's (started_at, id) index) and filtered out the others.
-- With these a page reads only its own calls, from the cursor on. They replace the V2 indexes,
-- their prefixes (retention's lookups by conversation use them as before).
CREATE INDEX ${prefix}voice_calls_conversation_recent ON ${prefix}voice_calls (tenant_id, conversation_id, started_at, id);
DROP INDEX ${prefix}voice_calls_conversation;
CREATE INDEX ${prefix}voice_calls_session_recent ON ${prefix}voice_calls (tenant_id, session_id, started_at, id);
DROP INDEX ${prefix}voice_calls_session;
-- CredentialStore.list pages an owner's credentials by name in code point order: the unique
-- (tenant, owner_type, owner_id, name) index is BINARY, code point order, and already serves it here.
-- TaskStore.list pages tasks oldest first in (created_at, id) order. A conversation's tasks
-- (forConversation) had V4's (tenant, conversation, created_at) index, which lacks the id, so every
-- page sorted the tasks it read by id within each creation time (a temporary B-tree for the ORDER
-- BY's last term); the unfiltered listing had no index in that order at all and sorted every task
-- of the tenant. These serve both from the cursor on; the first replaces V4's index, its prefix.
CREATE INDEX ${prefix}tasks_conversation_created ON ${prefix}tasks (tenant_id, conversation_id, created_at, id);
DROP INDEX ${prefix}tasks_conversation;
CREATE INDEX ${prefix}tasks_created ON ${prefix}tasks (tenant_id, created_at, id);
-- A purged execution's calls are found by (tenant, execution): V2 left that foreign key without an
-- index (messages, tool calls and assets have theirs), so retention's unlink of each batch and the
-- key's check of each deleted execution read every call of the tenant.
CREATE INDEX ${prefix}voice_calls_execution ON ${prefix}voice_calls (tenant_id, execution_id);
