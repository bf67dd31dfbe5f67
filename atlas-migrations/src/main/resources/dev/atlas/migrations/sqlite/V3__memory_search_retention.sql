-- Atlas V3: memories, memory graph, vectors, full-text search (SQLite).
-- Provenance columns of memories are plain ids without foreign keys: purging a conversation
-- must never be blocked by (or cascade into) the memories learnt from it.

CREATE TABLE ${prefix}memories (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    owner_type      TEXT    NOT NULL,
    owner_id        TEXT    NOT NULL,
    agent           TEXT,
    kind            TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    metadata        TEXT    NOT NULL CHECK (json_valid(metadata)),
    importance      REAL    NOT NULL CHECK (importance >= 0 AND importance <= 1),
    conversation_id TEXT,
    message_id      TEXT,
    tool_call_id    TEXT,
    expires_at      INTEGER,
    revision        INTEGER NOT NULL CHECK (revision > 0),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    deleted_at      INTEGER,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX ${prefix}memories_owner ON ${prefix}memories (tenant_id, owner_type, owner_id, id DESC);
CREATE INDEX ${prefix}memories_kind ON ${prefix}memories (tenant_id, kind, id DESC);
CREATE INDEX ${prefix}memories_expiry ON ${prefix}memories (tenant_id, expires_at);
CREATE INDEX ${prefix}memories_conversation ON ${prefix}memories (tenant_id, conversation_id);

CREATE TABLE ${prefix}memory_tags (
    tenant_id TEXT NOT NULL,
    memory_id TEXT NOT NULL,
    tag       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, memory_id, tag),
    FOREIGN KEY (tenant_id, memory_id) REFERENCES ${prefix}memories (tenant_id, id)
);

CREATE INDEX ${prefix}memory_tags_tag ON ${prefix}memory_tags (tenant_id, tag, memory_id);

CREATE TABLE ${prefix}memory_revisions (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    memory_id   TEXT    NOT NULL,
    revision    INTEGER NOT NULL,
    content     TEXT    NOT NULL,
    replaced_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, memory_id, revision),
    FOREIGN KEY (tenant_id, memory_id) REFERENCES ${prefix}memories (tenant_id, id)
);

CREATE TABLE ${prefix}graph_nodes (
    tenant_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    node_key   TEXT    NOT NULL,
    label      TEXT,
    type       TEXT,
    metadata   TEXT    NOT NULL CHECK (json_valid(metadata)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, node_key)
);

CREATE TABLE ${prefix}graph_edges (
    tenant_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    source_id  TEXT    NOT NULL,
    target_id  TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    weight     REAL    NOT NULL,
    metadata   TEXT    NOT NULL CHECK (json_valid(metadata)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, source_id, target_id, type),
    FOREIGN KEY (tenant_id, source_id) REFERENCES ${prefix}graph_nodes (tenant_id, id),
    FOREIGN KEY (tenant_id, target_id) REFERENCES ${prefix}graph_nodes (tenant_id, id)
);

CREATE INDEX ${prefix}graph_edges_target ON ${prefix}graph_edges (tenant_id, target_id, type);

-- One dimension per embedding model and tenant: the first vector stored fixes it.
CREATE TABLE ${prefix}vector_models (
    tenant_id  TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    dimension  INTEGER NOT NULL CHECK (dimension > 0),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, model)
);

-- Embeddings of messages, memories and assets: little-endian float32 values. target_id has
-- no foreign key (asset rows live in another table); conversation_id is the conversation the
-- target belongs to, so a purge finds the vectors of a conversation without joins.
CREATE TABLE ${prefix}vectors (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    target_type     TEXT    NOT NULL CHECK (target_type IN ('message', 'memory', 'asset')),
    target_id       TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    dimension       INTEGER NOT NULL CHECK (dimension > 0),
    vector          BLOB    NOT NULL CHECK (length(vector) = 4 * dimension),
    conversation_id TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, model, target_type, target_id)
);

CREATE INDEX ${prefix}vectors_target ON ${prefix}vectors (tenant_id, target_type, target_id);
CREATE INDEX ${prefix}vectors_conversation ON ${prefix}vectors (tenant_id, conversation_id);

-- Full-text index of message and memory content. FTS5 stores its own copy of the text (so
-- snippet() works) with its own rowids; search_keys maps a row to its FTS rowid so triggers
-- can remove it. Rowids of the source tables are not used: VACUUM may renumber them.
CREATE VIRTUAL TABLE ${prefix}search_fts USING fts5 (
    body,
    tenant_id UNINDEXED,
    target_type UNINDEXED,
    target_id UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 0'
);

CREATE TABLE ${prefix}search_keys (
    tenant_id   TEXT    NOT NULL,
    target_type TEXT    NOT NULL,
    target_id   TEXT    NOT NULL,
    fts_rowid   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, target_type, target_id)
) WITHOUT ROWID;

CREATE TRIGGER ${prefix}messages_fts_insert AFTER INSERT ON ${prefix}messages
WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO ${prefix}search_fts (body, tenant_id, target_type, target_id)
        VALUES (new.content, new.tenant_id, 'message', new.id);
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        VALUES (new.tenant_id, 'message', new.id, last_insert_rowid());
END;

-- One trigger (not two): SQLite does not promise an order between triggers on one event.
CREATE TRIGGER ${prefix}messages_fts_update AFTER UPDATE OF content, deleted_at ON ${prefix}messages
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'message' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'message' AND target_id = old.id;
    INSERT INTO ${prefix}search_fts (body, tenant_id, target_type, target_id)
        SELECT new.content, new.tenant_id, 'message', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        SELECT new.tenant_id, 'message', new.id, last_insert_rowid() WHERE new.deleted_at IS NULL;
END;

CREATE TRIGGER ${prefix}messages_fts_delete AFTER DELETE ON ${prefix}messages
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'message' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'message' AND target_id = old.id;
END;

CREATE TRIGGER ${prefix}memories_fts_insert AFTER INSERT ON ${prefix}memories
WHEN new.deleted_at IS NULL
BEGIN
    INSERT INTO ${prefix}search_fts (body, tenant_id, target_type, target_id)
        VALUES (new.content, new.tenant_id, 'memory', new.id);
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        VALUES (new.tenant_id, 'memory', new.id, last_insert_rowid());
END;

-- One trigger (not two): SQLite does not promise an order between triggers on one event.
CREATE TRIGGER ${prefix}memories_fts_update AFTER UPDATE OF content, deleted_at ON ${prefix}memories
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id;
    INSERT INTO ${prefix}search_fts (body, tenant_id, target_type, target_id)
        SELECT new.content, new.tenant_id, 'memory', new.id WHERE new.deleted_at IS NULL;
    INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
        SELECT new.tenant_id, 'memory', new.id, last_insert_rowid() WHERE new.deleted_at IS NULL;
END;

CREATE TRIGGER ${prefix}memories_fts_delete AFTER DELETE ON ${prefix}memories
BEGIN
    DELETE FROM ${prefix}search_fts WHERE rowid = (SELECT fts_rowid FROM ${prefix}search_keys
        WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id);
    DELETE FROM ${prefix}search_keys WHERE tenant_id = old.tenant_id AND target_type = 'memory' AND target_id = old.id;
END;

-- Messages written before this version.
INSERT INTO ${prefix}search_fts (rowid, body, tenant_id, target_type, target_id)
    SELECT rowid, content, tenant_id, 'message', id FROM ${prefix}messages WHERE deleted_at IS NULL;
INSERT INTO ${prefix}search_keys (tenant_id, target_type, target_id, fts_rowid)
    SELECT tenant_id, 'message', id, rowid FROM ${prefix}messages WHERE deleted_at IS NULL;

-- Retention: find old live messages, soft-deleted messages and purgeable conversations without scanning.
CREATE INDEX ${prefix}messages_live_created ON ${prefix}messages (tenant_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX ${prefix}messages_deleted ON ${prefix}messages (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX ${prefix}conversations_archived ON ${prefix}conversations (tenant_id, archived_at) WHERE status = 'archived';
CREATE INDEX ${prefix}conversations_deleted ON ${prefix}conversations (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
