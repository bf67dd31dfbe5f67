package dev.atlas.portability;

import dev.atlas.Owner;
import dev.atlas.internal.Check;

import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * What {@link Portability#exportTo} writes: the whole tenant, one owner's data, or one
 * conversation with its tool threads and everything hanging off them.
 *
 * @param owner        set for {@link #owner(Owner)}, or {@code null}
 * @param conversation set for {@link #conversation(UUID)}, or {@code null}
 */
public record ExportScope(@Nullable Owner owner, @Nullable UUID conversation) {
    /**
     * Checks that at most one of the two is set; both {@code null} means the whole tenant.
     *
     * @param owner        the owner whose data is exported, or {@code null}
     * @param conversation the conversation exported, or {@code null}
     * @throws dev.atlas.InvalidInputException when both are set
     */
    public ExportScope {
        if (owner != null && conversation != null) {
            throw new dev.atlas.InvalidInputException("scope", "is either an owner or a conversation, not both");
        }
    }

    /**
     * Every row of the tenant.
     *
     * @return the tenant-wide scope
     */
    public static ExportScope tenant() {
        return new ExportScope(null, null);
    }

    /**
     * The owner's conversations (with tool threads, messages, executions, assets, voice calls,
     * tasks and vectors hanging off them), executions without a conversation, memories, assets,
     * credentials, voice calls, tasks, task schedules and settings (with revisions), and the assistants
     * it owns or its conversations and executions ran with (with all their revisions). Not the memory
     * graph, whose nodes have no owner, nor model prices: only {@link #tenant()} exports them.
     *
     * @param owner whose data is exported
     * @return a scope for {@code owner}
     */
    public static ExportScope owner(Owner owner) {
        return new ExportScope(Check.notNull("owner", owner), null);
    }

    /**
     * One conversation, its tool threads and everything hanging off them.
     *
     * @param conversationId the conversation's id
     * @return a scope for that conversation
     * @throws dev.atlas.InvalidInputException naming {@code conversationId} when it is null
     */
    public static ExportScope conversation(UUID conversationId) {
        return new ExportScope(null, Check.notNull("conversationId", conversationId));
    }
}
