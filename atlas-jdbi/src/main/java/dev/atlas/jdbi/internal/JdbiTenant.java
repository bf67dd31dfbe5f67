package dev.atlas.jdbi.internal;

import dev.atlas.AssistantStore;
import dev.atlas.ConversationStore;
import dev.atlas.CredentialKeys;
import dev.atlas.CredentialStore;
import dev.atlas.TaskStore;
import dev.atlas.Tenant;

/** One tenant's view: every store is built with the tenant id and filters on it. */
public final class JdbiTenant implements Tenant {
    private final String id;
    private final ConversationStore conversations;
    private final AssistantStore assistants;
    private final CredentialStore credentials;
    private final TaskStore tasks;

    public JdbiTenant(Db db, String id, int historyLimit) {
        this(db, id, historyLimit, null);
    }

    /** {@code credentialKeys} may be null: credential calls then fail with a ConfigurationException. */
    public JdbiTenant(Db db, String id, int historyLimit, CredentialKeys credentialKeys) {
        this.id = id;
        this.conversations = new JdbiConversationStore(db, id, historyLimit);
        this.assistants = new JdbiAssistantStore(db, id);
        this.credentials = new JdbiCredentialStore(db, id, credentialKeys);
        this.tasks = new JdbiTaskStore(db, id);
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
    public AssistantStore assistants() {
        return assistants;
    }

    @Override
    public CredentialStore credentials() {
        return credentials;
    }

    @Override
    public TaskStore tasks() {
        return tasks;
    }

    @Override
    public String toString() {
        return "Tenant[" + id + "]";
    }
}
