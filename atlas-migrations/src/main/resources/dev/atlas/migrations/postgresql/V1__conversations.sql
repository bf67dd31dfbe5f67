-- Atlas V1: conversations, messages and the message audit trail (PostgreSQL).
-- Same logical schema as the SQLite version: uuid ids, timestamptz (microseconds, UTC),
-- jsonb documents. Every key leads with tenant_id so each table can be distributed on it.

CREATE TABLE ${prefix}conversations (
    tenant_id              text        NOT NULL,
    id                     uuid        NOT NULL,
    owner_type             text        NOT NULL,
    owner_id               text        NOT NULL,
    agent                  text,
    assistant_id           uuid,
    type                   text        NOT NULL CHECK (type IN ('user', 'tool')),
    parent_conversation_id uuid,
    parent_tool_call_id    uuid,
    title                  text,
    summary                text,
    status                 text        NOT NULL CHECK (status IN ('open', 'archived', 'closed')),
    metadata               jsonb       NOT NULL,
    last_sequence          bigint      NOT NULL DEFAULT 0,
    last_message_at        timestamptz,
    activity_at            timestamptz NOT NULL,
    archived_at            timestamptz,
    closed_at              timestamptz,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    deleted_at             timestamptz,
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
    tenant_id         text        NOT NULL,
    id                uuid        NOT NULL,
    conversation_id   uuid        NOT NULL,
    sequence          bigint      NOT NULL CHECK (sequence > 0),
    role              text        NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content_type      text        NOT NULL CHECK (content_type IN ('text', 'json')),
    content           text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('queued', 'processing', 'delivered', 'failed')),
    failure_reason    text,
    is_active         boolean     NOT NULL,
    client_message_id text,
    author_type       text,
    author_id         text,
    agent             text,
    parent_id         uuid,
    execution_id      uuid,
    step_id           uuid,
    metadata          jsonb       NOT NULL,
    read_at           timestamptz,
    edited_at         timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    deleted_at        timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, conversation_id, sequence),
    UNIQUE (tenant_id, conversation_id, client_message_id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES ${prefix}conversations (tenant_id, id),
    FOREIGN KEY (tenant_id, parent_id) REFERENCES ${prefix}messages (tenant_id, id)
);

CREATE INDEX ${prefix}messages_parent ON ${prefix}messages (tenant_id, parent_id);
CREATE INDEX ${prefix}messages_execution ON ${prefix}messages (tenant_id, execution_id);

CREATE TABLE ${prefix}message_events (
    tenant_id       text        NOT NULL,
    id              uuid        NOT NULL,
    conversation_id uuid        NOT NULL,
    message_id      uuid        NOT NULL,
    type            text        NOT NULL CHECK (type IN ('created', 'edited', 'deleted', 'status_changed', 'activated')),
    details         jsonb       NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, message_id) REFERENCES ${prefix}messages (tenant_id, id)
);

CREATE INDEX ${prefix}message_events_message ON ${prefix}message_events (tenant_id, message_id, created_at);
CREATE INDEX ${prefix}message_events_conversation ON ${prefix}message_events (tenant_id, conversation_id, created_at);
