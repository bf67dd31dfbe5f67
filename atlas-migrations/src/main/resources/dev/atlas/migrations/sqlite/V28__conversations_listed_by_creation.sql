-- Atlas V28: ConversationStore.list can page in creation order (ConversationQuery.Order.CREATION,
-- oldest first by id, UUIDv7). The activity order moves a conversation to the front on every
-- append, so a conversation that got a message while a job paged through it jumped ahead of the
-- cursor and was never listed; an id never changes. The primary key (tenant_id, id) serves the
-- unfiltered listing; these serve it by owner and by agent, read in order without a sort.
CREATE INDEX ${prefix}conversations_owner_created ON ${prefix}conversations (tenant_id, owner_type, owner_id, id);
CREATE INDEX ${prefix}conversations_agent_created ON ${prefix}conversations (tenant_id, agent, id);
