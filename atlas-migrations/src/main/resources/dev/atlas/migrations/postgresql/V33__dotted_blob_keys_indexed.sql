-- Atlas V33: a blob key with a segment ending in . (scans/report., scans./old) names the file
-- Windows opens for the key without those dots (scans/report, scans/old). Register refuses such
-- keys since V17, but versions before it stored them and an import of their files restores them, so
-- AssetStore.register and the deletion of a purged asset's bytes (and its dry run) read the stored
-- ones, of every tenant, to treat each as the key Windows opens (assets.keyHolders for register,
-- assets.dottedKeys for the deletion; import's portability.dottedBlobKeyContent the same). No index found them: each register read the whole
-- assets table. These partial indexes hold only those keys (none on nearly every database), so the
-- statements read as many rows as there are such keys. Their condition is the statements' own
-- (BlobReaper.dottedKey: right and strpos, as SQLite's substr and instr), else the planner cannot
-- tell that the index holds every row they ask for. They hold the tenant too, as the statements
-- read it: a scan of the index alone (without it SQLite read the whole (tenant, key) unique index).
-- Plain CREATE INDEX, as V27-V32: writes of assets and blob_intents wait while these are built (one
-- read of each table).
CREATE INDEX ${prefix}assets_dotted_blob_key ON ${prefix}assets (tenant_id, blob_key)
    WHERE (right(blob_key, 1) = '.' OR strpos(blob_key, './') > 0);
CREATE INDEX ${prefix}blob_intents_dotted_blob_key ON ${prefix}blob_intents (tenant_id, blob_key)
    WHERE (right(blob_key, 1) = '.' OR strpos(blob_key, './') > 0);
