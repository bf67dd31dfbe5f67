package dev.atlas;

import dev.atlas.assistant.AssistantStore;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.memory.MemoryStore;
import dev.atlas.retention.Retention;
import dev.atlas.search.Search;
import dev.atlas.task.TaskStore;

/**
 * Everything Atlas stores, seen by one tenant. Every call through this view reads and writes
 * only this tenant's rows; obtain it with {@link Atlas#tenant(String)}.
 */
public interface Tenant {
    /**
     * The tenant id every row written through this view carries, as given to {@link Atlas#tenant(String)}.
     *
     * @return the tenant id the application chose
     */
    String id();

    /**
     * The Atlas that handed out this view. Every view of one Atlas instance returns the same
     * object and views of two instances different ones, even for one tenant id: state an
     * integration keeps per tenant within the JVM (a lock, a cache) is keyed by it too, so two
     * databases' tenants that share an id share none of it. Compare it by identity; holding it in a
     * static structure keeps that Atlas alive, so hold it weakly there.
     *
     * @return the Atlas instance this view belongs to
     */
    Atlas atlas();

    /**
     * Conversations and messages of this tenant.
     *
     * @return the conversationStore
     */
    ConversationStore conversations();

    /**
     * Assistants of this tenant and their versioned prompts and settings.
     *
     * @return the assistantStore
     */
    AssistantStore assistants();

    /**
     * Versioned settings documents that need no assistant (model, temperature … for a plain chat).
     *
     * @return this tenant's settings store
     */
    dev.atlas.assistant.SettingsStore settings();

    /**
     * Encrypted third-party credentials of this tenant's owners. Needs
     * {@link AtlasBuilder#credentialKeys(CredentialKeys)}; without keys its calls fail with
     * {@link ConfigurationException}.
     *
     * @return the credentialStore
     */
    CredentialStore credentials();

    /**
     * Durable background tasks of this tenant.
     *
     * @return the tasks to create
     */
    TaskStore tasks();

    /**
     * Executions (provider calls) with their steps, tool calls, usage and cost; usage reports.
     *
     * @return the executionRecorder
     */
    dev.atlas.execution.ExecutionRecorder executions();

    /**
     * Model prices per million tokens, from which execution costs are computed.
     *
     * @return the priceStore
     */
    dev.atlas.execution.PriceStore prices();

    /**
     * Generated and uploaded files, with their bytes in the configured blob store.
     *
     * @return the assetStore
     */
    dev.atlas.asset.AssetStore assets();

    /**
     * Voice call sessions and their transcripts.
     *
     * @return the voiceCallStore
     */
    dev.atlas.voice.VoiceCallStore voiceCalls();

    /**
     * Long-term memories of this tenant.
     *
     * @return the memoryStore
     */
    MemoryStore memories();

    /**
     * The memory graph (nodes and edges) of this tenant.
     *
     * @return the memoryGraph
     */
    MemoryGraph graph();

    /**
     * Full-text and semantic search over this tenant's messages, memories and assets.
     *
     * @return the search
     */
    Search search();

    /**
     * Retention policies applied to this tenant's rows.
     *
     * @return the retention
     */
    Retention retention();

    /**
     * Import and export of this tenant's history as JSON Lines, and erasure of an owner's data.
     *
     * @return this tenant's portability operations
     */
    dev.atlas.portability.Portability portability();
}
