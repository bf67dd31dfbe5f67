-- Atlas V5: one row naming this Atlas database. Blob keys start with it, so several Atlas
-- databases may share one blob directory (the default ./atlas-data/assets for JDBC URLs) and
-- AssetStore.cleanupOrphanBlobs never mistakes another database's files for its own orphans.
-- Not tenant data: the one table without tenant_id.
CREATE TABLE ${prefix}installation (
    id         text        NOT NULL PRIMARY KEY,
    created_at timestamptz NOT NULL
);

INSERT INTO ${prefix}installation (id, created_at) VALUES (replace(gen_random_uuid()::text, '-', ''), now());
