-- Atlas V14: tool calls outside a step, and usage attributed without a conversation.
--
-- A voice session (seed 002) calls tools with no model round trip around them: such a call
-- belongs to its execution and to no step. SQLite cannot drop a NOT NULL, so the table is
-- rebuilt with every column, constraint, foreign key and index it had (V2, V11). The rows are
-- kept aside, the table dropped and created again under its own name, and the rows put back:
-- the references into it (assets.tool_call_id) keep naming it, and with foreign keys enforced
-- (a host DataSource may turn them on) the deferred check balances to zero before COMMIT.
PRAGMA defer_foreign_keys = ON;

CREATE TABLE ${prefix}execution_tool_calls_v14 AS SELECT tenant_id, id, execution_id, step_id, provider_call_id, call_index, name,
    type, arguments, result, status, error, started_at, completed_at, duration_ms, created_at, updated_at, metadata
    FROM ${prefix}execution_tool_calls;

DROP TABLE ${prefix}execution_tool_calls;

CREATE TABLE ${prefix}execution_tool_calls (
    tenant_id              TEXT  NOT NULL,
    id                     TEXT   NOT NULL,
    execution_id           TEXT   NOT NULL,
    step_id                TEXT,
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
    metadata               TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, step_id, call_index),
    FOREIGN KEY (tenant_id, execution_id) REFERENCES ${prefix}executions (tenant_id, id),
    FOREIGN KEY (tenant_id, step_id) REFERENCES ${prefix}execution_steps (tenant_id, id)
);

INSERT INTO ${prefix}execution_tool_calls (tenant_id, id, execution_id, step_id, provider_call_id, call_index, name, type,
    arguments, result, status, error, started_at, completed_at, duration_ms, created_at, updated_at, metadata)
    SELECT tenant_id, id, execution_id, step_id, provider_call_id, call_index, name, type, arguments, result, status, error,
    started_at, completed_at, duration_ms, created_at, updated_at, metadata FROM ${prefix}execution_tool_calls_v14;

DROP TABLE ${prefix}execution_tool_calls_v14;

CREATE INDEX ${prefix}execution_tool_calls_execution ON ${prefix}execution_tool_calls (tenant_id, execution_id);
CREATE INDEX ${prefix}execution_tool_calls_status ON ${prefix}execution_tool_calls (tenant_id, status, created_at);
CREATE INDEX ${prefix}execution_tool_calls_name_recent ON ${prefix}execution_tool_calls (tenant_id, name, started_at, id);
-- Calls outside a step are numbered per execution (0, 1, 2 ...) as a step's are per step.
CREATE UNIQUE INDEX ${prefix}execution_tool_calls_outside_step ON ${prefix}execution_tool_calls (tenant_id, execution_id, call_index)
    WHERE step_id IS NULL;

-- A call made for a user or a project rather than in a conversation (seed 003 token_usage.user_id,
-- project_id) is attributed to its owner and project; reports group and listings filter by them.
ALTER TABLE ${prefix}executions ADD COLUMN owner_type TEXT;
ALTER TABLE ${prefix}executions ADD COLUMN owner_id TEXT CHECK ((owner_type IS NULL) = (owner_id IS NULL));
ALTER TABLE ${prefix}executions ADD COLUMN project TEXT;
CREATE INDEX ${prefix}executions_owner ON ${prefix}executions (tenant_id, owner_type, owner_id, id) WHERE owner_type IS NOT NULL;
CREATE INDEX ${prefix}executions_project ON ${prefix}executions (tenant_id, project, id) WHERE project IS NOT NULL;
