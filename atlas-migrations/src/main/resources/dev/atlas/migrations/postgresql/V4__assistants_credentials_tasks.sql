-- Atlas V4: assistants with an immutable revision history, encrypted credentials, durable
-- tasks, and the assistant revision a conversation runs with (PostgreSQL).

CREATE TABLE ${prefix}assistants (
    tenant_id           text         NOT NULL,
    id                  uuid         NOT NULL,
    slug                text         NOT NULL,
    name                text         NOT NULL,
    description         text,
    is_active           boolean      NOT NULL,
    is_public           boolean      NOT NULL,
    owner_type          text,
    owner_id            text,
    default_model       text,
    temperature         numeric(3,2) CHECK (temperature >= 0 AND temperature <= 2),
    top_p               numeric(3,2) CHECK (top_p >= 0 AND top_p <= 1),
    max_output_tokens   integer      CHECK (max_output_tokens > 0),
    tools               jsonb        NOT NULL,
    metadata            jsonb        NOT NULL,
    last_revision       integer      NOT NULL DEFAULT 0,
    current_revision_id uuid,
    created_at          timestamptz  NOT NULL,
    updated_at          timestamptz  NOT NULL,
    deleted_at          timestamptz,
    PRIMARY KEY (tenant_id, id)
);

-- A slug is unique among live assistants; a soft-deleted one frees it.
CREATE UNIQUE INDEX ${prefix}assistants_slug ON ${prefix}assistants (tenant_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE ${prefix}assistant_revisions (
    tenant_id      text        NOT NULL,
    id             uuid        NOT NULL,
    assistant_id   uuid        NOT NULL,
    number         integer     NOT NULL CHECK (number > 0),
    kind           text        NOT NULL CHECK (kind IN ('published', 'rollback')),
    rolled_back_to uuid,
    system_prompt  text        NOT NULL,
    settings       jsonb       NOT NULL,
    label          text,
    author_type    text,
    author_id      text,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, assistant_id, number),
    CHECK ((kind = 'rollback') = (rolled_back_to IS NOT NULL)),
    FOREIGN KEY (tenant_id, assistant_id) REFERENCES ${prefix}assistants (tenant_id, id),
    FOREIGN KEY (tenant_id, rolled_back_to) REFERENCES ${prefix}assistant_revisions (tenant_id, id)
);

ALTER TABLE ${prefix}assistants ADD FOREIGN KEY (tenant_id, current_revision_id)
    REFERENCES ${prefix}assistant_revisions (tenant_id, id);

-- No foreign key: the store checks the revision when the conversation is created.
ALTER TABLE ${prefix}conversations ADD COLUMN assistant_revision_id uuid;

CREATE TABLE ${prefix}credentials (
    tenant_id   text        NOT NULL,
    id          uuid        NOT NULL,
    owner_type  text        NOT NULL,
    owner_id    text        NOT NULL,
    name        text        NOT NULL,
    key_id      text        NOT NULL,
    nonce       bytea       NOT NULL CHECK (length(nonce) = 12),
    ciphertext  bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, owner_type, owner_id, name)
);

CREATE INDEX ${prefix}credentials_key ON ${prefix}credentials (tenant_id, key_id);

-- conversation_id and message_id are plain ids, not foreign keys: retention may purge the
-- conversation while the task's outcome is kept.
CREATE TABLE ${prefix}tasks (
    tenant_id        text        NOT NULL,
    id               uuid        NOT NULL,
    kind             text        NOT NULL,
    payload          jsonb       NOT NULL,
    conversation_id  uuid,
    message_id       uuid,
    owner_type       text,
    owner_id         text,
    status           text        NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    attempts         integer     NOT NULL CHECK (attempts >= 0),
    max_attempts     integer     NOT NULL CHECK (max_attempts > 0),
    result           jsonb,
    error            text,
    run_after        timestamptz NOT NULL,
    claim_id         uuid,
    lease_expires_at timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    PRIMARY KEY (tenant_id, id),
    CHECK ((status = 'running') = (claim_id IS NOT NULL AND lease_expires_at IS NOT NULL))
);

CREATE INDEX ${prefix}tasks_due ON ${prefix}tasks (tenant_id, status, run_after, id);
CREATE INDEX ${prefix}tasks_lease ON ${prefix}tasks (tenant_id, status, lease_expires_at);
CREATE INDEX ${prefix}tasks_conversation ON ${prefix}tasks (tenant_id, conversation_id, created_at);
