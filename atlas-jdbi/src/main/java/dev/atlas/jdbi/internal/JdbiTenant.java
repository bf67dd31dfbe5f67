package dev.atlas.jdbi.internal;

import dev.atlas.ConversationStore;
import dev.atlas.Tenant;

/** One tenant's view: every store is built with the tenant id and filters on it. */
public final class JdbiTenant implements Tenant {
    private final String id;
    private final ConversationStore conversations;

    public JdbiTenant(Db db, String id, int historyLimit) {
        this.id = id;
        this.conversations = new JdbiConversationStore(db, id, historyLimit);
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
    public String toString() {
        return "Tenant[" + id + "]";
    }
}
