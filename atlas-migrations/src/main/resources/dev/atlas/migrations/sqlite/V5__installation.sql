-- Atlas V5: one row naming this Atlas database. Blob keys start with it, so several Atlas
-- databases may share one blob directory and AssetStore.cleanupOrphanBlobs never mistakes
-- another database's files for its own orphans. Not tenant data: the one table without tenant_id.
CREATE TABLE ${prefix}installation (
    id         TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL
);

INSERT INTO ${prefix}installation (id, created_at)
VALUES (lower(hex(randomblob(16))), CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));
