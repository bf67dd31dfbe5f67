-- Atlas V35: tool results without an execution answering one assistant message are the answers
-- to its parallel tool calls, not retries of each other: all of them show (a provider refuses a
-- prompt with a tool call left unanswered). V15 let one of them be active per parent; the rule
-- now holds for the other roles only. Flags are kept as they are: a result V34 hid stays hidden
-- until activate shows it (it then hides no other result). Same logical schema as the SQLite version.
-- Plain DROP/CREATE INDEX, as V15: writes of messages wait while the index is built.
DROP INDEX ${prefix}messages_one_active_sibling;
CREATE UNIQUE INDEX ${prefix}messages_one_active_sibling ON ${prefix}messages (tenant_id, conversation_id, parent_id, role)
    WHERE is_active AND parent_id IS NOT NULL AND deleted_at IS NULL AND execution_id IS NULL AND role <> 'tool';
