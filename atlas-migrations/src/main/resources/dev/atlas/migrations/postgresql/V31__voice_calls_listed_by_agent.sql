-- Atlas V31: VoiceCallStore.list filtered by agent alone (no status, no owner) had no index of its
-- own: each page walked the tenant's (started_at, id) index backwards from the cursor's time over
-- the calls of every agent and filtered them. This one serves it from the cursor on, newest first,
-- as V11's status and owner indexes serve theirs; a listing with several filters reads the index of
-- one of them and filters by the others. Partial: a call without an agent is never listed by one
-- (agent = :agent implies agent IS NOT NULL), and a statement with no agent term cannot use it.
CREATE INDEX ${prefix}voice_calls_agent_recent ON ${prefix}voice_calls (tenant_id, agent, started_at, id) WHERE agent IS NOT NULL;
