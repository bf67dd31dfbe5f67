-- Atlas V4: assistants with an immutable revision history, encrypted credentials, durable
-- tasks, and the assistant revision a conversation runs with (SQLite).
-- Same logical schema as PostgreSQL; decimals are NUMERIC, byte strings BLOB.

CREATE TABLE ${prefix}assistants (
    tenant_id           TEXT    NOT NULL,
    id                  TEXT    NOT NULL,
    slug                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    description         TEXT,
    is_active           INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    is_public           INTEGER NOT NULL CHECK (is_public IN (0, 1)),
    owner_type          TEXT,
    owner_id            TEXT,
    default_model       TEXT,
    temperature         NUMERIC CHECK (temperature >= 0 AND temperature <= 2),
    top_p               NUMERIC CHECK (top_p >= 0 AND top_p <= 1),
    max_output_tokens   INTEGER CHECK (max_output_tokens > 0),
    tools               TEXT    NOT NULL CHECK (json_valid(tools)),
    metadata            TEXT    NOT NULL CHECK (json_valid(metadata)),
    last_revision       INTEGER NOT NULL DEFAULT 0,
    current_revision_id TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    deleted_at          INTEGER,
    PRIMARY KEY (tenant_id, id),
    -- SQLite resolves foreign keys when rows are written, so the forward reference is fine.
    FOREIGN KEY (tenant_id, current_revision_id) REFERENCES ${prefix}assistant_revisions (tenant_id, id)
);

-- A slug is unique among live assistants; a soft-deleted one frees it.
CREATE UNIQUE INDEX ${prefix}assistants_slug ON ${prefix}assistants (tenant_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE ${prefix}assistant_revisions (
    tenant_id      TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    assistant_id   TEXT    NOT NULL,
    number         INTEGER NOT NULL CHECK (number > 0),
    kind           TEXT    NOT NULL CHECK (kind IN ('published', 'rollback')),
    rolled_back_to TEXT,
    system_prompt  TEXT    NOT NULL,
    settings       TEXT    NOT NULL CHECK (json_valid(settings)),
    label          TEXT,
    author_type    TEXT,
    author_id      TEXT,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, assistant_id, number),
    CHECK ((kind = 'rollback') = (rolled_back_to IS NOT NULL)),
    FOREIGN KEY (tenant_id, assistant_id) REFERENCES ${prefix}assistants (tenant_id, id),
    FOREIGN KEY (tenant_id, rolled_back_to) REFERENCES ${prefix}assistant_revisions (tenant_id, id)
);

-- No foreign key: the store checks the revision when the conversation is created.
ALTER TABLE ${prefix}conversations ADD COLUMN assistant_revision_id TEXT;

CREATE TABLE ${prefix}credentials (
    tenant_id   TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    owner_type  TEXT    NOT NULL,
    owner_id    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    key_id      TEXT    NOT NULL,
    nonce       BLOB    NOT NULL CHECK (length(nonce) = 12),
    ciphertext  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, owner_type, owner_id, name)
);

CREATE INDEX ${prefix}credentials_key ON ${prefix}credentials (tenant_id, key_id);

-- conversation_id and message_id are plain ids, not foreign keys: retention may purge the
-- conversation while the task's outcome is kept.
CREATE TABLE ${prefix}tasks (
    tenant_id        TEXT    NOT NULL,
    id               TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    payload          TEXT    NOT NULL CHECK (json_valid(payload)),
    conversation_id  TEXT,
    message_id       TEXT,
    owner_type       TEXT,
    owner_id         TEXT,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    attempts         INTEGER NOT NULL CHECK (attempts >= 0),
    max_attempts     INTEGER NOT NULL CHECK (max_attempts > 0),
    result           TEXT    CHECK (result IS NULL OR json_valid(result)),
    error            TEXT,
    run_after        INTEGER NOT NULL,
    claim_id         TEXT,
    lease_expires_at INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    PRIMARY KEY (tenant_id, id),
    CHECK ((status = 'running') = (claim_id IS NOT NULL AND lease_expires_at IS NOT NULL))
);

CREATE INDEX ${prefix}tasks_due ON ${prefix}tasks (tenant_id, status, run_after, id);
CREATE INDEX ${prefix}tasks_lease ON ${prefix}tasks (tenant_id, status, lease_expires_at);
CREATE INDEX ${prefix}tasks_conversation ON ${prefix}tasks (tenant_id, conversation_id, created_at);
