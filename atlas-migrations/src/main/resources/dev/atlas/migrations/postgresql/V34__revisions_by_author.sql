-- Atlas V34: eraseOwner clears the author of the revisions the owner published or rolled back of
-- documents it does not own (portability.revisionsAuthoredElsewhere.assistant_revisions and
-- .settings_revisions, and their dry-run counts), batch by batch inside a write. No index led to a
-- revision's author: each batch read every revision of the tenant (100,000 revisions of other
-- authors: about 0.3 to 1.3 s per erase on SQLite, holding its single writer; 15 to 35 ms with
-- these indexes). They end with the id, the order the batches are read in, so a batch reads its
-- rows in order from the index (an index of the author alone left SQLite's planner the primary key,
-- which gives that order, and so the same scan).
-- Plain CREATE INDEX, as V27-V33: writes of revisions wait while these are built (one read of each table).
CREATE INDEX ${prefix}assistant_revisions_author ON ${prefix}assistant_revisions (tenant_id, author_type, author_id, id);
CREATE INDEX ${prefix}settings_revisions_author ON ${prefix}settings_revisions (tenant_id, author_type, author_id, id);
