package dev.atlas.jdbi.internal;

import dev.atlas.Atlas;
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

/**
 * One tenant's view: every store is built with the tenant id and filters on it. Each store is
 * built on first use: building one loads its classes and declares its statements, and most
 * applications use a few of the fourteen (a first message needs the conversation store only).
 */
public final class JdbiTenant implements Tenant {
    private final Atlas atlas;
    private final String id;
    private final Lazy<JdbiConversationStore> conversations;
    private final Lazy<AssistantStore> assistants;
    private final Lazy<dev.atlas.assistant.SettingsStore> settings;
    private final Lazy<CredentialStore> credentials;
    private final Lazy<TaskStore> tasks;
    private final Lazy<ExecutionRecorder> executions;
    private final Lazy<PriceStore> prices;
    private final Lazy<AssetStore> assets;
    private final Lazy<VoiceCallStore> voiceCalls;
    private final Lazy<MemoryStore> memories;
    private final Lazy<MemoryGraph> graph;
    private final Lazy<Search> search;
    private final Lazy<Retention> retention;
    private final Lazy<dev.atlas.portability.Portability> portability;

    /** {@code credentialKeys} may be null: credential calls then fail with a ConfigurationException. */
    public JdbiTenant(Atlas atlas, Db db, String id, int historyLimit, CredentialKeys credentialKeys, BlobStore blobs,
                      PgVectorIndex.Settings pgvector) {
        this(atlas, db, id, historyLimit, credentialKeys, blobs, pgvector, java.util.List.of());
    }

    /** With the application's execution listeners, called after each commit. */
    public JdbiTenant(Atlas atlas, Db db, String id, int historyLimit, CredentialKeys credentialKeys, BlobStore blobs,
                      PgVectorIndex.Settings pgvector, java.util.List<dev.atlas.execution.ExecutionListener> executionListeners) {
        this.atlas = atlas;
        this.id = id;
        this.conversations = new Lazy<>(() -> new JdbiConversationStore(db, id, historyLimit));
        this.assistants = new Lazy<>(() -> new JdbiAssistantStore(db, id));
        this.settings = new Lazy<>(() -> new JdbiSettingsStore(db, id));
        this.credentials = new Lazy<>(() -> new JdbiCredentialStore(db, id, credentialKeys));
        this.tasks = new Lazy<>(() -> new JdbiTaskStore(db, id));
        this.executions = new Lazy<>(() -> new JdbiExecutionRecorder(db, id, conversations.get(), executionListeners));
        this.prices = new Lazy<>(() -> new JdbiPriceStore(db, id));
        this.assets = new Lazy<>(() -> new JdbiAssetStore(db, id, blobs));
        this.voiceCalls = new Lazy<>(() -> new JdbiVoiceCallStore(db, id));
        this.memories = new Lazy<>(() -> new JdbiMemoryStore(db, id));
        this.graph = new Lazy<>(() -> new JdbiMemoryGraph(db, id));
        this.search = new Lazy<>(() -> new JdbiSearch(db, id, pgvector));
        this.retention = new Lazy<>(() -> new JdbiRetention(db, id, blobs));
        this.portability = new Lazy<>(() -> new dev.atlas.jdbi.internal.portability.JdbiPortability(db, id, blobs, credentialKeys));
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public Atlas atlas() {
        return atlas;
    }

    @Override
    public ConversationStore conversations() {
        return conversations.get();
    }

    @Override
    public AssistantStore assistants() {
        return assistants.get();
    }

    @Override
    public dev.atlas.assistant.SettingsStore settings() {
        return settings.get();
    }

    @Override
    public CredentialStore credentials() {
        return credentials.get();
    }

    @Override
    public TaskStore tasks() {
        return tasks.get();
    }

    @Override
    public ExecutionRecorder executions() {
        return executions.get();
    }

    @Override
    public PriceStore prices() {
        return prices.get();
    }

    @Override
    public AssetStore assets() {
        return assets.get();
    }

    @Override
    public VoiceCallStore voiceCalls() {
        return voiceCalls.get();
    }

    @Override
    public MemoryStore memories() {
        return memories.get();
    }

    @Override
    public MemoryGraph graph() {
        return graph.get();
    }

    @Override
    public Search search() {
        return search.get();
    }

    @Override
    public Retention retention() {
        return retention.get();
    }

    @Override
    public dev.atlas.portability.Portability portability() {
        return portability.get();
    }

    /** A store built once, on the first call, by whichever thread gets there first. */
    private static final class Lazy<T> {
        private java.util.function.Supplier<T> make;
        private volatile T value;

        Lazy(java.util.function.Supplier<T> make) {
            this.make = make;
        }

        T get() {
            T v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) {
                        v = make.get();
                        value = v;
                        make = null;
                    }
                }
            }
            return v;
        }
    }

    @Override
    public String toString() {
        return "Tenant[" + id + "]";
    }
}
