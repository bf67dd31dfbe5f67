-- Atlas V11: what the seeds list (issue 15): indexes behind the listings, and settings that need no assistant.
-- Each listing is oldest or newest first on a time column with the id as tie-break, so each
-- index ends in (time, id) and a page is read in index order without a sort.

-- TaskStore.list by status (seed 003 pending promises), by kind, by owner.
CREATE INDEX ${prefix}tasks_status_created ON ${prefix}tasks (tenant_id, status, created_at, id);
CREATE INDEX ${prefix}tasks_kind_created ON ${prefix}tasks (tenant_id, kind, created_at, id);
CREATE INDEX ${prefix}tasks_owner_created ON ${prefix}tasks (tenant_id, owner_type, owner_id, created_at, id);

-- VoiceCallStore.list newest first, by status (seed 002 active / latest completed), by owner, or all.
CREATE INDEX ${prefix}voice_calls_status_recent ON ${prefix}voice_calls (tenant_id, status, started_at, id);
CREATE INDEX ${prefix}voice_calls_owner_recent ON ${prefix}voice_calls (tenant_id, owner_type, owner_id, started_at, id);
CREATE INDEX ${prefix}voice_calls_recent ON ${prefix}voice_calls (tenant_id, started_at, id);
-- The V2 (tenant_id, status, started_at) index is a prefix of voice_calls_status_recent.
DROP INDEX ${prefix}voice_calls_status;

-- ConversationStore.toolThreads (children of a conversation, oldest first) and toolThread (the
-- thread a tool call spawned). The V1 (tenant_id, parent_conversation_id) index is a prefix of
-- the first, which also serves the self-referencing foreign key.
CREATE INDEX ${prefix}conversations_parent_created ON ${prefix}conversations (tenant_id, parent_conversation_id, created_at, id);
DROP INDEX ${prefix}conversations_parent;
CREATE INDEX ${prefix}conversations_parent_tool_call ON ${prefix}conversations (tenant_id, parent_tool_call_id, created_at, id);

-- ExecutionRecorder.toolCalls by tool name across executions, newest first.
CREATE INDEX ${prefix}execution_tool_calls_name_recent ON ${prefix}execution_tool_calls (tenant_id, name, started_at, id);

-- AssistantStore.list by owner and by the public flag (seed 001 agents.user_id, agents.public), by slug.
CREATE INDEX ${prefix}assistants_owner_slug ON ${prefix}assistants (tenant_id, owner_type, owner_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX ${prefix}assistants_public_slug ON ${prefix}assistants (tenant_id, is_public, slug) WHERE deleted_at IS NULL;

-- SettingsStore (seed 001 settings and setting_revisions): the assistants' revision scheme
-- without an assistant. A slug is unique among live documents; a soft-deleted one frees it.
CREATE TABLE ${prefix}settings (
    tenant_id           TEXT    NOT NULL,
    id                  TEXT    NOT NULL,
    slug                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    owner_type          TEXT,
    owner_id            TEXT,
    last_revision       INTEGER NOT NULL DEFAULT 0,
    current_revision_id TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    deleted_at          INTEGER,
    PRIMARY KEY (tenant_id, id),
    -- SQLite resolves foreign keys when rows are written, so the forward reference is fine.
    FOREIGN KEY (tenant_id, current_revision_id) REFERENCES ${prefix}settings_revisions (tenant_id, id)
);

CREATE UNIQUE INDEX ${prefix}settings_slug ON ${prefix}settings (tenant_id, slug) WHERE deleted_at IS NULL;
CREATE INDEX ${prefix}settings_owner_slug ON ${prefix}settings (tenant_id, owner_type, owner_id, slug) WHERE deleted_at IS NULL;

CREATE TABLE ${prefix}settings_revisions (
    tenant_id      TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    settings_id    TEXT    NOT NULL,
    number         INTEGER NOT NULL CHECK (number > 0),
    kind           TEXT    NOT NULL CHECK (kind IN ('published', 'rollback')),
    rolled_back_to TEXT,
    value          TEXT    NOT NULL CHECK (json_valid(value)),
    label          TEXT,
    author_type    TEXT,
    author_id      TEXT,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, settings_id, number),
    CHECK ((kind = 'rollback') = (rolled_back_to IS NOT NULL)),
    FOREIGN KEY (tenant_id, settings_id) REFERENCES ${prefix}settings (tenant_id, id),
    FOREIGN KEY (tenant_id, rolled_back_to) REFERENCES ${prefix}settings_revisions (tenant_id, id)
);

-- Application data on execution steps and tool calls (seed 002 step and tool-call metadata,
-- seed 000 ai_tool_runs.metadata: timing, token usage, details); existing rows get {}.
ALTER TABLE ${prefix}execution_steps ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata));
ALTER TABLE ${prefix}execution_tool_calls ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(metadata));
