-- Atlas V29: AssetStore.forMessage lists a message's attachments in attachment order (created_at,
-- then id) and pages them with a cursor. Without this index every page (and the unpaged listing)
-- sorted all of the message's attachments; with it a page reads only its rows, in order.
CREATE INDEX ${prefix}message_assets_message_created ON ${prefix}message_assets (tenant_id, message_id, created_at, id);
