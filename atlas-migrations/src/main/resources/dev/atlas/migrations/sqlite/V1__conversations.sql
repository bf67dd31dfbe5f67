-- Atlas V1: conversations, messages and the message audit trail (SQLite).
-- Ids are UUID text, timestamps are INTEGER microseconds since the epoch (UTC),
-- JSON is text checked with json_valid, booleans are 0/1.
-- Keys lead with tenant_id so the same shape distributes on tenant_id on PostgreSQL.

CREATE TABLE ${prefix}conversations (
    tenant_id              TEXT    NOT NULL,
    id                     TEXT    NOT NULL,
    owner_type             TEXT    NOT NULL,
    owner_id               TEXT    NOT NULL,
    agent                  TEXT,
    assistant_id           TEXT,
    type                   TEXT    NOT NULL CHECK (type IN ('user', 'tool')),
    parent_conversation_id TEXT,
    parent_tool_call_id    TEXT,
    title                  TEXT,
    summary                TEXT,
    status                 TEXT    NOT NULL CHECK (status IN ('open', 'archived', 'closed')),
    metadata               TEXT    NOT NULL CHECK (json_valid(metadata)),
    last_sequence          INTEGER NOT NULL DEFAULT 0,
    last_message_at        INTEGER,
    activity_at            INTEGER NOT NULL,
    archived_at            INTEGER,
    closed_at              INTEGER,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    deleted_at             INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_conversation_id) REFERENCES ${prefix}conversations (tenant_id, id)
);

CREATE INDEX ${prefix}conversations_owner_activity
    ON ${prefix}conversations (tenant_id, owner_type, owner_id, activity_at DESC, id DESC);
CREATE INDEX ${prefix}conversations_agent_activity
    ON ${prefix}conversations (tenant_id, agent, activity_at DESC, id DESC);
CREATE INDEX ${prefix}conversations_activity
    ON ${prefix}conversations (tenant_id, activity_at DESC, id DESC);
CREATE INDEX ${prefix}conversations_parent
    ON ${prefix}conversations (tenant_id, parent_conversation_id);

CREATE TABLE ${prefix}messages (
    tenant_id         TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    conversation_id   TEXT    NOT NULL,
    sequence          INTEGER NOT NULL CHECK (sequence > 0),
    role              TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content_type      TEXT    NOT NULL CHECK (content_type IN ('text', 'json')),
    content           TEXT    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('queued', 'processing', 'delivered', 'failed')),
    failure_reason    TEXT,
    is_active         INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    client_message_id TEXT,
    author_type       TEXT,
    author_id         TEXT,
    agent             TEXT,
    parent_id         TEXT,
    execution_id      TEXT,
    step_id           TEXT,
    metadata          TEXT    NOT NULL CHECK (json_valid(metadata)),
    read_at           INTEGER,
    edited_at         INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    deleted_at        INTEGER,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, conversation_id, sequence),
    UNIQUE (tenant_id, conversation_id, client_message_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES ${prefix}conversations (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES ${prefix}messages (tenant_id, id)
);

CREATE INDEX ${prefix}messages_parent ON ${prefix}messages (tenant_id, parent_id);
CREATE INDEX ${prefix}messages_execution ON ${prefix}messages (tenant_id, execution_id);

CREATE TABLE ${prefix}message_events (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    conversation_id TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    type            TEXT    NOT NULL CHECK (type IN ('created', 'edited', 'deleted', 'status_changed', 'activated')),
    details         TEXT    NOT NULL CHECK (json_valid(details)),
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, message_id) REFERENCES ${prefix}messages (tenant_id, id)
);

CREATE INDEX ${prefix}message_events_message ON ${prefix}message_events (tenant_id, message_id, created_at);
CREATE INDEX ${prefix}message_events_conversation ON ${prefix}message_events (tenant_id, conversation_id, created_at);
