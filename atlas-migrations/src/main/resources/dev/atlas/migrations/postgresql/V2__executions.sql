-- Atlas V2: executions, steps, tool calls, model prices, assets, message assets, voice calls (PostgreSQL).
-- Same logical schema as the SQLite version. Costs are exact integers in 10^-12 currency units and
-- prices integers in 10^-6 currency units per million tokens, so sums never drift on either database.

CREATE TABLE ${prefix}executions (
    tenant_id              text  NOT NULL,
    id                     uuid   NOT NULL,
    conversation_id        uuid,
    assistant_revision_id  uuid,
    provider               text  NOT NULL,
    model                  text  NOT NULL,
    agent                  text,
    type                   text  NOT NULL,
    status                 text  NOT NULL CHECK (status IN ('pending', 'queued', 'processing', 'completed', 'failed', 'cancelled')),
    input_tokens           bigint  CHECK (input_tokens >= 0),
    output_tokens          bigint  CHECK (output_tokens >= 0),
    reasoning_tokens       bigint  CHECK (reasoning_tokens >= 0),
    cached_tokens          bigint  CHECK (cached_tokens >= 0),
    cache_write_tokens     bigint  CHECK (cache_write_tokens >= 0),
    cost_pico              bigint  CHECK (cost_pico >= 0),
    error                  text,
    metadata               jsonb NOT NULL,
    provider_response_id   text,
    started_at             timestamptz,
    completed_at           timestamptz,
    duration_ms            bigint  CHECK (duration_ms >= 0),
    first_token_ms         bigint  CHECK (first_token_ms >= 0),
    created_at             timestamptz   NOT NULL,
    updated_at             timestamptz   NOT NULL,
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
    tenant_id              text  NOT NULL,
    id                     uuid   NOT NULL,
    execution_id           uuid   NOT NULL,
    sequence               integer NOT NULL CHECK (sequence > 0),
    status                 text  NOT NULL CHECK (status IN ('pending', 'queued', 'processing', 'completed', 'failed', 'cancelled')),
    content                text,
    reasoning              text,
    finish_reason          text,
    error                  text,
    input_tokens           bigint  CHECK (input_tokens >= 0),
    output_tokens          bigint  CHECK (output_tokens >= 0),
    reasoning_tokens       bigint  CHECK (reasoning_tokens >= 0),
    cached_tokens          bigint  CHECK (cached_tokens >= 0),
    cache_write_tokens     bigint  CHECK (cache_write_tokens >= 0),
    started_at             timestamptz   NOT NULL,
    completed_at           timestamptz,
    duration_ms            bigint  CHECK (duration_ms >= 0),
    created_at             timestamptz   NOT NULL,
    updated_at             timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, execution_id, sequence),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id)
);

CREATE INDEX ${prefix}execution_steps_status ON ${prefix}execution_steps (tenant_id, status, created_at);

-- arguments keep the model's text byte for byte (jsonb would reorder keys and respace it), so a
-- history replayed to the provider is exactly what it sent; the CHECK still proves it parses as json.
CREATE TABLE ${prefix}execution_tool_calls (
    tenant_id              text  NOT NULL,
    id                     uuid   NOT NULL,
    execution_id           uuid   NOT NULL,
    step_id                uuid   NOT NULL,
    provider_call_id       text,
    call_index             integer NOT NULL CHECK (call_index >= 0),
    name                   text  NOT NULL,
    type                   text  NOT NULL CHECK (type IN ('local', 'mcp', 'provider')),
    arguments              text CHECK ((arguments::jsonb) IS NOT NULL) NOT NULL,
    result                 text,
    status                 text  NOT NULL CHECK (status IN ('pending', 'queued', 'processing', 'completed', 'failed', 'cancelled')),
    error                  text,
    started_at             timestamptz   NOT NULL,
    completed_at           timestamptz,
    duration_ms            bigint  CHECK (duration_ms >= 0),
    created_at             timestamptz   NOT NULL,
    updated_at             timestamptz   NOT NULL,
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
    tenant_id                 text  NOT NULL,
    id                        uuid   NOT NULL,
    provider                  text  NOT NULL,
    model                     text  NOT NULL,
    input_micros_per_mtok     bigint  NOT NULL CHECK (input_micros_per_mtok >= 0),
    output_micros_per_mtok    bigint  NOT NULL CHECK (output_micros_per_mtok >= 0),
    cached_micros_per_mtok    bigint  CHECK (cached_micros_per_mtok >= 0),
    cache_write_micros_per_mtok bigint CHECK (cache_write_micros_per_mtok >= 0),
    valid_from                timestamptz   NOT NULL,
    created_at                timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, provider, model, valid_from)
);

CREATE TABLE ${prefix}assets (
    tenant_id              text  NOT NULL,
    id                     uuid   NOT NULL,
    type                   text  NOT NULL,
    mime_type              text,
    filename               text  NOT NULL,
    blob_key               text  NOT NULL,
    size_bytes             bigint  NOT NULL CHECK (size_bytes >= 0),
    sha256                 text  NOT NULL,
    owner_type             text,
    owner_id               text,
    agent                  text,
    execution_id           uuid,
    tool_call_id           uuid,
    description            text,
    metadata               jsonb NOT NULL,
    created_at             timestamptz   NOT NULL,
    updated_at             timestamptz   NOT NULL,
    deleted_at             timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, blob_key),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id),
    FOREIGN KEY (tenant_id, tool_call_id) REFERENCES ${prefix}execution_tool_calls (tenant_id, id)
);

CREATE INDEX ${prefix}assets_execution ON ${prefix}assets (tenant_id, execution_id);

CREATE TABLE ${prefix}message_assets (
    tenant_id              text  NOT NULL,
    id                     uuid   NOT NULL,
    message_id             uuid   NOT NULL,
    asset_id               uuid   NOT NULL,
    metadata               jsonb NOT NULL,
    created_at             timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, message_id, asset_id),
    FOREIGN KEY (tenant_id, message_id) REFERENCES ${prefix}messages (tenant_id, id),
    FOREIGN KEY (tenant_id, asset_id) REFERENCES ${prefix}assets (tenant_id, id)
);

CREATE INDEX ${prefix}message_assets_asset ON ${prefix}message_assets (tenant_id, asset_id);

CREATE TABLE ${prefix}voice_calls (
    tenant_id              text  NOT NULL,
    id                     uuid   NOT NULL,
    session_id             text  NOT NULL,
    conversation_id        uuid,
    execution_id           uuid,
    owner_type             text,
    owner_id               text,
    agent                  text,
    provider               text  NOT NULL,
    model                  text  NOT NULL,
    status                 text  NOT NULL CHECK (status IN ('active', 'completed', 'failed')),
    transcript             jsonb NOT NULL,
    summary                text,
    duration_ms            bigint  CHECK (duration_ms >= 0),
    metadata               jsonb NOT NULL,
    started_at             timestamptz   NOT NULL,
    completed_at           timestamptz,
    created_at             timestamptz   NOT NULL,
    updated_at             timestamptz   NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES ${prefix}conversations (tenant_id, id),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id)
);

CREATE INDEX ${prefix}voice_calls_conversation ON ${prefix}voice_calls (tenant_id, conversation_id, started_at);
CREATE INDEX ${prefix}voice_calls_session ON ${prefix}voice_calls (tenant_id, session_id, started_at);
CREATE INDEX ${prefix}voice_calls_status ON ${prefix}voice_calls (tenant_id, status, started_at);
