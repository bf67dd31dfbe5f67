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
}
