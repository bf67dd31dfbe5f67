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
