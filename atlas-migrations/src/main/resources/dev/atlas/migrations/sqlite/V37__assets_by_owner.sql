-- Atlas V37: eraseOwner (and its dry run, and an owner's export) takes the owner's own assets, those
-- stored with the owner and neither made by the owner's executions nor attached to the owner's
-- messages. No index led to an asset's owner: each batch of the erase's assets, attachments and
-- asset vectors read every asset of the tenant (on PostgreSQL, 400,000 assets of other owners: about
-- 200 ms per batch; under 4 ms with this index). Partial, as executions_owner: an asset an execution
-- made has no owner, and is found through its execution.
CREATE INDEX ${prefix}assets_owner ON ${prefix}assets (tenant_id, owner_type, owner_id) WHERE owner_type IS NOT NULL;
