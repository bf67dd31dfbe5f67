-- Atlas V17: a blob key registered with AssetStore.register belongs to one tenant at a time. Its
-- bytes were written by the application, not by Atlas, so nothing in the key says whose they are;
-- register therefore looks the key up across tenants (asset rows, live or soft-deleted, and the
-- blob intents of purges whose bytes are not deleted yet) and refuses it while anyone holds it.
-- Keys are compared ignoring ASCII case, as case-insensitive file systems (macOS, Windows) open one
-- file under both spellings. These indexes serve that lookup. They are plain, not unique, so
-- tenant_id need not lead them and Citus can still distribute both tables on tenant_id; the lookup
-- fans out to every shard, which register (rare, and already reading a whole file) can afford.
-- Exclusivity itself is enforced by register under a lock on the key (SQLite: its single writer;
-- PostgreSQL: a transaction advisory lock), not by the schema: a unique index without tenant_id
-- would stop these tables from being distributed. Keys two tenants registered before this version
-- stay as they are.
CREATE INDEX ${prefix}assets_blob_key_any_tenant ON ${prefix}assets (lower(blob_key));
CREATE INDEX ${prefix}blob_intents_blob_key_any_tenant ON ${prefix}blob_intents (lower(blob_key));
