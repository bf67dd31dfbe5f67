-- Atlas V27: ExecutionRecorder.toolCalls pages by id (UUIDv7: creation order), newest first. It
-- paged by started_at, which starting a queued call moves: a call started while a client paged
-- through the listing went from behind its cursor to before it and was never listed. An id never
-- changes, so a keyset on it never skips nor repeats a call that exists through the listing.
-- The by-name index follows the new order; the by-status one ends with the id as well, so a
-- listing filtered on status reads in order too (the sweep still uses its leading columns).
DROP INDEX ${prefix}execution_tool_calls_name_recent;
CREATE INDEX ${prefix}execution_tool_calls_name ON ${prefix}execution_tool_calls (tenant_id, name, id);
DROP INDEX ${prefix}execution_tool_calls_status;
CREATE INDEX ${prefix}execution_tool_calls_status ON ${prefix}execution_tool_calls (tenant_id, status, id);
