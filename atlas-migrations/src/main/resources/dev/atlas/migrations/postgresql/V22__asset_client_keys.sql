-- Atlas V22: idempotent asset uploads and lookup by content.
-- An application's own key for an upload (NewAsset.clientKey): a retried create with the same key
-- returns the first asset instead of storing the bytes again. A key names one live asset of its
-- tenant; deleting the asset frees it.
ALTER TABLE ${prefix}assets ADD COLUMN client_key TEXT;
CREATE UNIQUE INDEX ${prefix}assets_client_key ON ${prefix}assets (tenant_id, client_key)
    WHERE client_key IS NOT NULL AND deleted_at IS NULL;
-- AssetStore.getBySha256 finds a tenant's oldest live asset with these bytes through this index
-- instead of scanning the tenant's assets.
CREATE INDEX ${prefix}assets_sha256 ON ${prefix}assets (tenant_id, sha256, created_at, id) WHERE deleted_at IS NULL;
