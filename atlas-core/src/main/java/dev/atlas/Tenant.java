package dev.atlas;

/**
 * Everything Atlas stores, seen by one tenant. Every call through this view reads and writes
 * only this tenant's rows; obtain it with {@link Atlas#tenant(String)}.
 */
public interface Tenant {
    /** The tenant id every row written through this view carries. */
    String id();

    /** Conversations and messages of this tenant. */
    ConversationStore conversations();

    /** Long-term memories of this tenant. */
    MemoryStore memories();

    /** The memory graph (nodes and edges) of this tenant. */
    MemoryGraph graph();

    /** Full-text and semantic search over this tenant's messages, memories and assets. */
    Search search();

    /** Retention policies applied to this tenant's rows. */
    Retention retention();
}
