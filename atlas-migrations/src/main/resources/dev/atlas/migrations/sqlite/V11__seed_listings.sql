-- Atlas V11: indexes behind the seeds' listings (issue 15). Each listing is oldest or newest
-- first on a time column with the id as tie-break, so each index ends in (time, id) and a page
-- is read in index order without a sort.

-- TaskStore.list by status (seed 003 pending promises), by kind, by owner.
CREATE INDEX ${prefix}tasks_status_created ON ${prefix}tasks (tenant_id, status, created_at, id);
CREATE INDEX ${prefix}tasks_kind_created ON ${prefix}tasks (tenant_id, kind, created_at, id);
CREATE INDEX ${prefix}tasks_owner_created ON ${prefix}tasks (tenant_id, owner_type, owner_id, created_at, id);

-- VoiceCallStore.list newest first, by status (seed 002 active / latest completed), by owner, or all.
CREATE INDEX ${prefix}voice_calls_status_recent ON ${prefix}voice_calls (tenant_id, status, started_at, id);
CREATE INDEX ${prefix}voice_calls_owner_recent ON ${prefix}voice_calls (tenant_id, owner_type, owner_id, started_at, id);
CREATE INDEX ${prefix}voice_calls_recent ON ${prefix}voice_calls (tenant_id, started_at, id);
-- The V2 (tenant_id, status, started_at) index is a prefix of voice_calls_status_recent.
DROP INDEX ${prefix}voice_calls_status;
