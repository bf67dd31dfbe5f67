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
    /** The tenant id every row written through this view carries. */
    String id();

    /** Conversations and messages of this tenant. */
    ConversationStore conversations();

    /** Assistants of this tenant and their versioned prompts and settings. */
    AssistantStore assistants();

    /**
     * Encrypted third-party credentials of this tenant's owners. Needs
     * {@link AtlasBuilder#credentialKeys(CredentialKeys)}; without keys its calls fail with
     * {@link ConfigurationException}.
     */
    CredentialStore credentials();

    /** Durable background tasks of this tenant. */
    TaskStore tasks();

    /** Executions (provider calls) with their steps, tool calls, usage and cost; usage reports. */
    dev.atlas.execution.ExecutionRecorder executions();

    /** Model prices per million tokens, from which execution costs are computed. */
    dev.atlas.execution.PriceStore prices();

    /** Generated and uploaded files, with their bytes in the configured blob store. */
    dev.atlas.asset.AssetStore assets();

    /** Voice call sessions and their transcripts. */
    dev.atlas.voice.VoiceCallStore voiceCalls();

    /** Long-term memories of this tenant. */
    MemoryStore memories();

    /** The memory graph (nodes and edges) of this tenant. */
    MemoryGraph graph();

    /** Full-text and semantic search over this tenant's messages, memories and assets. */
    Search search();

    /** Retention policies applied to this tenant's rows. */
    Retention retention();
}
