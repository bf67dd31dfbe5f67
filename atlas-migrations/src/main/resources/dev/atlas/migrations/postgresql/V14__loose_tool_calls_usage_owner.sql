-- Atlas V14: tool calls outside a step, and usage attributed without a conversation.
--
-- A voice session (seed 002) calls tools with no model round trip around them: such a call
-- belongs to its execution and to no step. Calls outside a step are numbered per execution
-- (0, 1, 2 ...) the way a step's calls are numbered per step.
ALTER TABLE ${prefix}execution_tool_calls ALTER COLUMN step_id DROP NOT NULL;
CREATE UNIQUE INDEX ${prefix}execution_tool_calls_outside_step ON ${prefix}execution_tool_calls (tenant_id, execution_id, call_index)
    WHERE step_id IS NULL;

-- A call made for a user or a project rather than in a conversation (seed 003 token_usage.user_id,
-- project_id) is attributed to its owner and project; reports group and listings filter by them.
ALTER TABLE ${prefix}executions ADD COLUMN owner_type text;
ALTER TABLE ${prefix}executions ADD COLUMN owner_id text;
ALTER TABLE ${prefix}executions ADD COLUMN project text;
ALTER TABLE ${prefix}executions ADD CONSTRAINT ${prefix}executions_owner_pair CHECK ((owner_type IS NULL) = (owner_id IS NULL));
CREATE INDEX ${prefix}executions_owner ON ${prefix}executions (tenant_id, owner_type, owner_id, id) WHERE owner_type IS NOT NULL;
CREATE INDEX ${prefix}executions_project ON ${prefix}executions (tenant_id, project, id) WHERE project IS NOT NULL;
