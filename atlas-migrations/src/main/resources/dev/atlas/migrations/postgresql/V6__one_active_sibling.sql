-- Atlas V6: at most one active message per (conversation, parent, role), enforced by the
-- database so that no interleaving of appends and activations can leave two answers active
-- (history would send both to the model). Same logical schema as the SQLite version.

-- Earlier versions could leave several active siblings after concurrent activate() calls:
-- keep the latest (highest sequence) of each group active, as an append would have.
UPDATE ${prefix}messages SET is_active = FALSE
WHERE is_active AND parent_id IS NOT NULL AND deleted_at IS NULL
  AND EXISTS (SELECT 1 FROM ${prefix}messages o
              WHERE o.tenant_id = ${prefix}messages.tenant_id AND o.conversation_id = ${prefix}messages.conversation_id
                AND o.parent_id = ${prefix}messages.parent_id AND o.role = ${prefix}messages.role
                AND o.is_active AND o.deleted_at IS NULL AND o.sequence > ${prefix}messages.sequence);

CREATE UNIQUE INDEX ${prefix}messages_one_active_sibling ON ${prefix}messages (tenant_id, conversation_id, parent_id, role)
    WHERE is_active AND parent_id IS NOT NULL AND deleted_at IS NULL;
