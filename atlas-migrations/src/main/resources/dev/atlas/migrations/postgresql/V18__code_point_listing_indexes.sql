-- Atlas V18: listings keyed by text (assistants and settings by slug, task schedules by name) sort
-- and page by code point, COLLATE "C", so that both dialects return the same order (SQLite's BINARY
-- is code point order). An index only serves an ORDER BY or a range in its own collation, so the
-- slug and name indexes, built in the database's collation, could not serve those pages: each page
-- was a scan and sort of the tenant's rows of that kind. These indexes serve them. The unique
-- indexes stay as they are; they still enforce the keys and serve lookups by equality.
CREATE INDEX ${prefix}assistants_slug_c ON ${prefix}assistants (tenant_id, slug COLLATE "C") WHERE deleted_at IS NULL;
DROP INDEX ${prefix}assistants_owner_slug;
CREATE INDEX ${prefix}assistants_owner_slug ON ${prefix}assistants (tenant_id, owner_type, owner_id, slug COLLATE "C") WHERE deleted_at IS NULL;
DROP INDEX ${prefix}assistants_public_slug;
CREATE INDEX ${prefix}assistants_public_slug ON ${prefix}assistants (tenant_id, is_public, slug COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX ${prefix}settings_slug_c ON ${prefix}settings (tenant_id, slug COLLATE "C") WHERE deleted_at IS NULL;
DROP INDEX ${prefix}settings_owner_slug;
CREATE INDEX ${prefix}settings_owner_slug ON ${prefix}settings (tenant_id, owner_type, owner_id, slug COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX ${prefix}task_schedules_name_c ON ${prefix}task_schedules (tenant_id, name COLLATE "C");
