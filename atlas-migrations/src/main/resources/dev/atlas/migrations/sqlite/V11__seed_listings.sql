-- Atlas V11: indexes behind the seeds' listings (issue 15). Each listing is oldest or newest
-- first on a time column with the id as tie-break, so each index ends in (time, id) and a page
-- is read in index order without a sort.

-- TaskStore.list by status (seed 003 pending promises), by kind, by owner.
CREATE INDEX ${prefix}tasks_status_created ON ${prefix}tasks (tenant_id, status, created_at, id);
CREATE INDEX ${prefix}tasks_kind_created ON ${prefix}tasks (tenant_id, kind, created_at, id);
CREATE INDEX ${prefix}tasks_owner_created ON ${prefix}tasks (tenant_id, owner_type, owner_id, created_at, id);
