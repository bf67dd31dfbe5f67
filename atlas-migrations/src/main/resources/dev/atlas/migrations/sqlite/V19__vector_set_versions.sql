-- Atlas V19: how many vectors each (tenant, model, target type) holds and a version that every
-- insert, update and delete of one of them raises, kept by triggers so that every writer is
-- counted: another process on the same file, an older Atlas, bulk SQL. SQLite's in-memory vector
-- cache compares both on each query; before, it compared only the count (a full index count per
-- query), so a vector replaced in place, or deleted and stored again, by another process was
-- ranked by its old value. Rows are never deleted, so a version never repeats for a key.
CREATE TABLE ${prefix}vector_sets (
    tenant_id   TEXT    NOT NULL,
    model       TEXT    NOT NULL,
    target_type TEXT    NOT NULL,
    vectors     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, model, target_type)
) WITHOUT ROWID;

INSERT INTO ${prefix}vector_sets (tenant_id, model, target_type, vectors, version)
SELECT tenant_id, model, target_type, COUNT(*), 1 FROM ${prefix}vectors GROUP BY tenant_id, model, target_type;

CREATE TRIGGER ${prefix}vectors_set_insert AFTER INSERT ON ${prefix}vectors
BEGIN
    INSERT INTO ${prefix}vector_sets (tenant_id, model, target_type, vectors, version)
    VALUES (new.tenant_id, new.model, new.target_type, 1, 1)
    ON CONFLICT (tenant_id, model, target_type) DO UPDATE SET vectors = vectors + 1, version = version + 1;
END;

CREATE TRIGGER ${prefix}vectors_set_delete AFTER DELETE ON ${prefix}vectors
BEGIN
    UPDATE ${prefix}vector_sets SET vectors = vectors - 1, version = version + 1
    WHERE tenant_id = old.tenant_id AND model = old.model AND target_type = old.target_type;
END;

-- An update may move a vector to another key (bulk SQL): the old key loses it, the new one gains it.
CREATE TRIGGER ${prefix}vectors_set_update AFTER UPDATE ON ${prefix}vectors
BEGIN
    UPDATE ${prefix}vector_sets SET vectors = vectors - 1, version = version + 1
    WHERE tenant_id = old.tenant_id AND model = old.model AND target_type = old.target_type;
    INSERT INTO ${prefix}vector_sets (tenant_id, model, target_type, vectors, version)
    VALUES (new.tenant_id, new.model, new.target_type, 1, 1)
    ON CONFLICT (tenant_id, model, target_type) DO UPDATE SET vectors = vectors + 1, version = version + 1;
END;
