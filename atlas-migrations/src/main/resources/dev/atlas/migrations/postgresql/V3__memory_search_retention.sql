-- Atlas V3: memories, memory graph, vectors, full-text search (PostgreSQL).
-- Same logical schema as the SQLite version. Provenance columns of memories are plain ids
-- without foreign keys: purging a conversation must never be blocked by the memories learnt from it.

CREATE TABLE ${prefix}memories (
    tenant_id       text             NOT NULL,
    id              uuid             NOT NULL,
    owner_type      text             NOT NULL,
    owner_id        text             NOT NULL,
    agent           text,
    kind            text             NOT NULL,
    content         text             NOT NULL,
    metadata        jsonb            NOT NULL,
    importance      double precision NOT NULL CHECK (importance >= 0 AND importance <= 1),
    conversation_id uuid,
    message_id      uuid,
    tool_call_id    uuid,
    expires_at      timestamptz,
    revision        integer          NOT NULL CHECK (revision > 0),
    created_at      timestamptz      NOT NULL,
    updated_at      timestamptz      NOT NULL,
    deleted_at      timestamptz,
    PRIMARY KEY (tenant_id, id)
);

CREATE INDEX ${prefix}memories_owner ON ${prefix}memories (tenant_id, owner_type, owner_id, id DESC);
CREATE INDEX ${prefix}memories_kind ON ${prefix}memories (tenant_id, kind, id DESC);
CREATE INDEX ${prefix}memories_expiry ON ${prefix}memories (tenant_id, expires_at);
CREATE INDEX ${prefix}memories_conversation ON ${prefix}memories (tenant_id, conversation_id);

CREATE TABLE ${prefix}memory_tags (
    tenant_id text NOT NULL,
    memory_id uuid NOT NULL,
    tag       text NOT NULL,
    PRIMARY KEY (tenant_id, memory_id, tag),
    FOREIGN KEY (tenant_id, memory_id) REFERENCES ${prefix}memories (tenant_id, id)
);

CREATE INDEX ${prefix}memory_tags_tag ON ${prefix}memory_tags (tenant_id, tag, memory_id);

CREATE TABLE ${prefix}memory_revisions (
    tenant_id   text        NOT NULL,
    id          uuid        NOT NULL,
    memory_id   uuid        NOT NULL,
    revision    integer     NOT NULL,
    content     text        NOT NULL,
    replaced_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, memory_id, revision),
    FOREIGN KEY (tenant_id, memory_id) REFERENCES ${prefix}memories (tenant_id, id)
);

CREATE TABLE ${prefix}graph_nodes (
    tenant_id  text        NOT NULL,
    id         uuid        NOT NULL,
    node_key   text        NOT NULL,
    label      text,
    type       text,
    metadata   jsonb       NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, node_key)
);

CREATE TABLE ${prefix}graph_edges (
    tenant_id  text             NOT NULL,
    id         uuid             NOT NULL,
    source_id  uuid             NOT NULL,
    target_id  uuid             NOT NULL,
    type       text             NOT NULL,
    weight     double precision NOT NULL,
    metadata   jsonb            NOT NULL,
    created_at timestamptz      NOT NULL,
    updated_at timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, source_id, target_id, type),
    FOREIGN KEY (tenant_id, source_id) REFERENCES ${prefix}graph_nodes (tenant_id, id),
    FOREIGN KEY (tenant_id, target_id) REFERENCES ${prefix}graph_nodes (tenant_id, id)
);

CREATE INDEX ${prefix}graph_edges_target ON ${prefix}graph_edges (tenant_id, target_id, type);

-- One dimension per embedding model and tenant: the first vector stored fixes it.
CREATE TABLE ${prefix}vector_models (
    tenant_id  text        NOT NULL,
    model      text        NOT NULL,
    dimension  integer     NOT NULL CHECK (dimension > 0),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, model)
);

-- Embeddings of messages, memories and assets: little-endian float32 values. target_id has
-- no foreign key (asset rows live in another table); conversation_id is the conversation the
-- target belongs to, so a purge finds the vectors of a conversation without joins. When the
-- pgvector extension is available Atlas adds an "embedding vector" column at run time.
CREATE TABLE ${prefix}vectors (
    tenant_id       text        NOT NULL,
    id              uuid        NOT NULL,
    target_type     text        NOT NULL CHECK (target_type IN ('message', 'memory', 'asset')),
    target_id       uuid        NOT NULL,
    model           text        NOT NULL,
    dimension       integer     NOT NULL CHECK (dimension > 0),
    vector          bytea       NOT NULL CHECK (length(vector) = 4 * dimension),
    conversation_id uuid,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, model, target_type, target_id)
);

CREATE INDEX ${prefix}vectors_target ON ${prefix}vectors (tenant_id, target_type, target_id);
CREATE INDEX ${prefix}vectors_conversation ON ${prefix}vectors (tenant_id, conversation_id);

-- Full-text search: expression GIN indexes with the 'simple' configuration (lower-cased words,
-- no stemming, no stop words), matching SQLite's unicode61 tokenizer as closely as possible.
-- An expression index needs no trigger: it follows every edit and delete by construction.
CREATE INDEX ${prefix}messages_fts ON ${prefix}messages USING gin (to_tsvector('simple'::regconfig, content));
CREATE INDEX ${prefix}memories_fts ON ${prefix}memories USING gin (to_tsvector('simple'::regconfig, content));

-- Retention: find old live messages, soft-deleted messages and purgeable conversations without scanning.
CREATE INDEX ${prefix}messages_live_created ON ${prefix}messages (tenant_id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX ${prefix}messages_deleted ON ${prefix}messages (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX ${prefix}conversations_archived ON ${prefix}conversations (tenant_id, archived_at) WHERE status = 'archived';
CREATE INDEX ${prefix}conversations_deleted ON ${prefix}conversations (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
