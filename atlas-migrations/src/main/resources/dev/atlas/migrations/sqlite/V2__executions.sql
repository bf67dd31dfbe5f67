-- Atlas V2: executions, steps, tool calls, model prices, assets, message assets, voice calls (SQLite).
-- Ids are UUID text, timestamps INTEGER microseconds (UTC), JSON checked text. Costs are exact integers in
-- 10^-12 currency units and prices integers in 10^-6 currency units per million tokens (see the PostgreSQL file).

CREATE TABLE ${prefix}executions (
    tenant_id              TEXT  NOT NULL,
    id                     TEXT   NOT NULL,
    conversation_id        TEXT,
    assistant_revision_id  TEXT,
    provider               TEXT  NOT NULL,
    model                  TEXT  NOT NULL,
    agent                  TEXT,
    type                   TEXT  NOT NULL,
    status                 TEXT  NOT NULL CHECK (status IN ('pending', 'queued', 'processing', 'completed', 'failed', 'cancelled')),
    input_tokens           INTEGER  CHECK (input_tokens >= 0),
    output_tokens          INTEGER  CHECK (output_tokens >= 0),
    reasoning_tokens       INTEGER  CHECK (reasoning_tokens >= 0),
    cached_tokens          INTEGER  CHECK (cached_tokens >= 0),
    cache_write_tokens     INTEGER  CHECK (cache_write_tokens >= 0),
    cost_pico              INTEGER  CHECK (cost_pico >= 0),
    error                  TEXT,
    metadata               TEXT CHECK (json_valid(metadata)) NOT NULL,
    provider_response_id   TEXT,
    started_at             INTEGER,
    completed_at           INTEGER,
    duration_ms            INTEGER  CHECK (duration_ms >= 0),
    first_token_ms         INTEGER  CHECK (first_token_ms >= 0),
    created_at             INTEGER   NOT NULL,
    updated_at             INTEGER   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES ${prefix}conversations (tenant_id, id)
);

-- Listing is keyset on id (UUIDv7, so time-ordered); reports and the sweep range over created_at.
CREATE INDEX ${prefix}executions_conversation ON ${prefix}executions (tenant_id, conversation_id, id);
CREATE INDEX ${prefix}executions_agent ON ${prefix}executions (tenant_id, agent, id);
CREATE INDEX ${prefix}executions_provider_model ON ${prefix}executions (tenant_id, provider, model, id);
CREATE INDEX ${prefix}executions_created ON ${prefix}executions (tenant_id, created_at);
CREATE INDEX ${prefix}executions_status ON ${prefix}executions (tenant_id, status, created_at);

CREATE TABLE ${prefix}execution_steps (
    tenant_id              TEXT  NOT NULL,
    id                     TEXT   NOT NULL,
    execution_id           TEXT   NOT NULL,
    sequence               INTEGER NOT NULL CHECK (sequence > 0),
    status                 TEXT  NOT NULL CHECK (status IN ('pending', 'queued', 'processing', 'completed', 'failed', 'cancelled')),
    content                TEXT,
    reasoning              TEXT,
    finish_reason          TEXT,
    error                  TEXT,
    input_tokens           INTEGER  CHECK (input_tokens >= 0),
    output_tokens          INTEGER  CHECK (output_tokens >= 0),
    reasoning_tokens       INTEGER  CHECK (reasoning_tokens >= 0),
    cached_tokens          INTEGER  CHECK (cached_tokens >= 0),
    cache_write_tokens     INTEGER  CHECK (cache_write_tokens >= 0),
    started_at             INTEGER   NOT NULL,
    completed_at           INTEGER,
    duration_ms            INTEGER  CHECK (duration_ms >= 0),
    created_at             INTEGER   NOT NULL,
    updated_at             INTEGER   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, execution_id, sequence),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id)
);

CREATE INDEX ${prefix}execution_steps_status ON ${prefix}execution_steps (tenant_id, status, created_at);

-- arguments keep the model's text byte for byte (jsonb would reorder keys and respace it), so a
-- history replayed to the provider is exactly what it sent; the CHECK still proves it parses as json.
CREATE TABLE ${prefix}execution_tool_calls (
    tenant_id              TEXT  NOT NULL,
    id                     TEXT   NOT NULL,
    execution_id           TEXT   NOT NULL,
    step_id                TEXT   NOT NULL,
    provider_call_id       TEXT,
    call_index             INTEGER NOT NULL CHECK (call_index >= 0),
    name                   TEXT  NOT NULL,
    type                   TEXT  NOT NULL CHECK (type IN ('local', 'mcp', 'provider')),
    arguments              TEXT CHECK (json_valid(arguments)) NOT NULL,
    result                 TEXT,
    status                 TEXT  NOT NULL CHECK (status IN ('pending', 'queued', 'processing', 'completed', 'failed', 'cancelled')),
    error                  TEXT,
    started_at             INTEGER   NOT NULL,
    completed_at           INTEGER,
    duration_ms            INTEGER  CHECK (duration_ms >= 0),
    created_at             INTEGER   NOT NULL,
    updated_at             INTEGER   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, step_id, call_index),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id),
    FOREIGN KEY (tenant_id, step_id) REFERENCES ${prefix}execution_steps (tenant_id, id)
);

CREATE INDEX ${prefix}execution_tool_calls_execution ON ${prefix}execution_tool_calls (tenant_id, execution_id);
CREATE INDEX ${prefix}execution_tool_calls_status ON ${prefix}execution_tool_calls (tenant_id, status, created_at);

-- A price row holds from valid_from until the next row of the same provider and model, so a price
-- change adds a row and never rewrites what past executions cost.
CREATE TABLE ${prefix}model_prices (
    tenant_id                 TEXT  NOT NULL,
    id                        TEXT   NOT NULL,
    provider                  TEXT  NOT NULL,
    model                     TEXT  NOT NULL,
    input_micros_per_mtok     INTEGER  NOT NULL CHECK (input_micros_per_mtok >= 0),
    output_micros_per_mtok    INTEGER  NOT NULL CHECK (output_micros_per_mtok >= 0),
    cached_micros_per_mtok    INTEGER  CHECK (cached_micros_per_mtok >= 0),
    cache_write_micros_per_mtok INTEGER CHECK (cache_write_micros_per_mtok >= 0),
    valid_from                INTEGER   NOT NULL,
    created_at                INTEGER   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, provider, model, valid_from)
);

CREATE TABLE ${prefix}assets (
    tenant_id              TEXT  NOT NULL,
    id                     TEXT   NOT NULL,
    type                   TEXT  NOT NULL,
    mime_type              TEXT,
    filename               TEXT  NOT NULL,
    blob_key               TEXT  NOT NULL,
    size_bytes             INTEGER  NOT NULL CHECK (size_bytes >= 0),
    sha256                 TEXT  NOT NULL,
    owner_type             TEXT,
    owner_id               TEXT,
    agent                  TEXT,
    execution_id           TEXT,
    tool_call_id           TEXT,
    description            TEXT,
    metadata               TEXT CHECK (json_valid(metadata)) NOT NULL,
    created_at             INTEGER   NOT NULL,
    updated_at             INTEGER   NOT NULL,
    deleted_at             INTEGER,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, blob_key),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id),
    FOREIGN KEY (tenant_id, tool_call_id) REFERENCES ${prefix}execution_tool_calls (tenant_id, id)
);

CREATE INDEX ${prefix}assets_execution ON ${prefix}assets (tenant_id, execution_id);

CREATE TABLE ${prefix}message_assets (
    tenant_id              TEXT  NOT NULL,
    id                     TEXT   NOT NULL,
    message_id             TEXT   NOT NULL,
    asset_id               TEXT   NOT NULL,
    metadata               TEXT CHECK (json_valid(metadata)) NOT NULL,
    created_at             INTEGER   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, message_id, asset_id),
    FOREIGN KEY (tenant_id, message_id) REFERENCES ${prefix}messages (tenant_id, id),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES ${prefix}assets (tenant_id, id)
);

CREATE INDEX ${prefix}message_assets_asset ON ${prefix}message_assets (tenant_id, asset_id);

CREATE TABLE ${prefix}voice_calls (
    tenant_id              TEXT  NOT NULL,
    id                     TEXT   NOT NULL,
    session_id             TEXT  NOT NULL,
    conversation_id        TEXT,
    execution_id           TEXT,
    owner_type             TEXT,
    owner_id               TEXT,
    agent                  TEXT,
    provider               TEXT  NOT NULL,
    model                  TEXT  NOT NULL,
    status                 TEXT  NOT NULL CHECK (status IN ('active', 'completed', 'failed')),
    transcript             TEXT CHECK (json_valid(transcript)) NOT NULL,
    summary                TEXT,
    duration_ms            INTEGER  CHECK (duration_ms >= 0),
    metadata               TEXT CHECK (json_valid(metadata)) NOT NULL,
    started_at             INTEGER   NOT NULL,
    completed_at           INTEGER,
    created_at             INTEGER   NOT NULL,
    updated_at             INTEGER   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES ${prefix}conversations (tenant_id, id),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id)
);

CREATE INDEX ${prefix}voice_calls_conversation ON ${prefix}voice_calls (tenant_id, conversation_id, started_at);
CREATE INDEX ${prefix}voice_calls_session ON ${prefix}voice_calls (tenant_id, session_id, started_at);
CREATE INDEX ${prefix}voice_calls_status ON ${prefix}voice_calls (tenant_id, status, started_at);
