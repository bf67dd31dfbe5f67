package dev.atlas.jdbi.internal;

import dev.atlas.ConversationStore;
import dev.atlas.MemoryGraph;
import dev.atlas.MemoryStore;
import dev.atlas.Retention;
import dev.atlas.Search;
import dev.atlas.Tenant;

/** One tenant's view: every store is built with the tenant id and filters on it. */
public final class JdbiTenant implements Tenant {
    private final String id;
    private final ConversationStore conversations;
    private final MemoryStore memories;
    private final MemoryGraph graph;
    private final Search search;
    private final Retention retention;

    public JdbiTenant(Db db, String id, int historyLimit) {
        this.id = id;
        this.conversations = new JdbiConversationStore(db, id, historyLimit);
        this.memories = new JdbiMemoryStore(db, id);
        this.graph = new JdbiMemoryGraph(db, id);
        this.search = new JdbiSearch(db, id);
        this.retention = new JdbiRetention(db, id);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public ConversationStore conversations() {
        return conversations;
    }

    @Override
    public MemoryStore memories() {
        return memories;
    }

    @Override
    public MemoryGraph graph() {
        return graph;
    }

    @Override
    public Search search() {
        return search;
    }

    @Override
    public Retention retention() {
        return retention;
    }

    @Override
    public String toString() {
        return "Tenant[" + id + "]";
    }
}
