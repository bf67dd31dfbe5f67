package dev.atlas.jdbi.internal;

import dev.atlas.Tenant;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.BlobStore;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.execution.ExecutionRecorder;
import dev.atlas.execution.PriceStore;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.memory.MemoryStore;
import dev.atlas.retention.Retention;
import dev.atlas.search.Search;
import dev.atlas.task.TaskStore;
import dev.atlas.voice.VoiceCallStore;

/** One tenant's view: every store is built with the tenant id and filters on it. */
public final class JdbiTenant implements Tenant {
    private final String id;
    private final ConversationStore conversations;
    private final AssistantStore assistants;
    private final dev.atlas.assistant.SettingsStore settings;
    private final CredentialStore credentials;
    private final TaskStore tasks;
    private final ExecutionRecorder executions;
    private final PriceStore prices;
    private final AssetStore assets;
    private final VoiceCallStore voiceCalls;
    private final MemoryStore memories;
    private final MemoryGraph graph;
    private final Search search;
    private final Retention retention;
    private final dev.atlas.portability.Portability portability;

    /** {@code credentialKeys} may be null: credential calls then fail with a ConfigurationException. */
    public JdbiTenant(Db db, String id, int historyLimit, CredentialKeys credentialKeys, BlobStore blobs, PgVectorIndex.Settings pgvector) {
        this(db, id, historyLimit, credentialKeys, blobs, pgvector, java.util.List.of());
    }

    /** With the application's execution listeners, called after each commit. */
    public JdbiTenant(Db db, String id, int historyLimit, CredentialKeys credentialKeys, BlobStore blobs, PgVectorIndex.Settings pgvector,
                      java.util.List<dev.atlas.execution.ExecutionListener> executionListeners) {
        this.id = id;
        this.conversations = new JdbiConversationStore(db, id, historyLimit);
        this.assistants = new JdbiAssistantStore(db, id);
        this.settings = new JdbiSettingsStore(db, id);
        this.credentials = new JdbiCredentialStore(db, id, credentialKeys);
        this.tasks = new JdbiTaskStore(db, id);
        this.executions = new JdbiExecutionRecorder(db, id, conversations, executionListeners);
        this.prices = new JdbiPriceStore(db, id);
        this.assets = new JdbiAssetStore(db, id, blobs);
        this.voiceCalls = new JdbiVoiceCallStore(db, id);
        this.memories = new JdbiMemoryStore(db, id);
        this.graph = new JdbiMemoryGraph(db, id);
        this.search = new JdbiSearch(db, id, pgvector);
        this.retention = new JdbiRetention(db, id, blobs);
        this.portability = new dev.atlas.jdbi.internal.portability.JdbiPortability(db, id, blobs);
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
    public dev.atlas.assistant.SettingsStore settings() {
        return settings;
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
    public ExecutionRecorder executions() {
        return executions;
    }

    @Override
    public PriceStore prices() {
        return prices;
    }

    @Override
    public AssetStore assets() {
        return assets;
    }

    @Override
    public VoiceCallStore voiceCalls() {
        return voiceCalls;
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
    public dev.atlas.portability.Portability portability() {
        return portability;
    }

    @Override
    public String toString() {
        return "Tenant[" + id + "]";
    }
}
