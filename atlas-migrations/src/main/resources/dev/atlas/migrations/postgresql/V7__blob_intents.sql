-- Atlas V7 (PostgreSQL): blob intents, and no vectors for deleted assets.
--
-- AssetStore.store records the key of a blob it is about to write here, in its own committed
-- transaction, before writing any byte; the transaction that inserts the asset row removes the
-- intent. cleanupOrphanBlobs deletes only keys listed here (older than its minAge, no asset row),
-- so it never touches a blob it cannot prove is an orphan of this database: not the bytes of an
-- upload still in progress, nor those of another database sharing the blob directory (a
-- restored backup, a staging clone). claimed_at marks an intent cleanup has taken: from then on
-- the upload's row insert is refused, and the bytes are deleted before the intent.
CREATE TABLE ${prefix}blob_intents (
    tenant_id  text        NOT NULL,
    blob_key   text        NOT NULL,
    created_at timestamptz NOT NULL,
    claimed_at timestamptz,
    PRIMARY KEY (tenant_id, blob_key)
);

CREATE INDEX ${prefix}blob_intents_created ON ${prefix}blob_intents (tenant_id, created_at);

-- Deleting an asset now deletes its vectors; drop those of assets deleted before this version.
DELETE FROM ${prefix}vectors
WHERE target_type = 'asset'
  AND EXISTS (SELECT 1 FROM ${prefix}assets a
              WHERE a.tenant_id = ${prefix}vectors.tenant_id AND a.id = ${prefix}vectors.target_id AND a.deleted_at IS NOT NULL);
