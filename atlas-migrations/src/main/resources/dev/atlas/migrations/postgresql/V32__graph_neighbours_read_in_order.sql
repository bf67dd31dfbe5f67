-- Atlas V32: MemoryGraph.neighbours pages a node's edges heaviest first, then by id, and each page
-- read every edge of the node (of the type asked for) from V3's indexes ((tenant, source, target,
-- type) unique, (tenant, target, type)) and sorted them all to return one page: a hub's pages cost
-- its whole degree each. These serve that order for each direction, with and without an edge type
-- (BOTH merges its two directions), so a page reads its own edges from the cursor's weight on.
-- graph_edges_target keeps its name (SQLite's traversal names it) and its leading columns (a
-- traversal's and a node delete's lookups by target). Plain CREATE INDEX, as V27-V31: Flyway runs
-- each migration in a transaction, where PostgreSQL's CREATE INDEX CONCURRENTLY is not allowed, so
-- writes of graph_edges wait while these are built (a table of millions of edges: plan the upgrade).
CREATE INDEX ${prefix}graph_edges_source_weight ON ${prefix}graph_edges (tenant_id, source_id, weight DESC, id);
CREATE INDEX ${prefix}graph_edges_target_weight ON ${prefix}graph_edges (tenant_id, target_id, weight DESC, id);
CREATE INDEX ${prefix}graph_edges_source_type_weight ON ${prefix}graph_edges (tenant_id, source_id, type, weight DESC, id);
DROP INDEX ${prefix}graph_edges_target;
CREATE INDEX ${prefix}graph_edges_target ON ${prefix}graph_edges (tenant_id, target_id, type, weight DESC, id);
