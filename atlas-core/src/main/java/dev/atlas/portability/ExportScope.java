package dev.atlas.portability;

import dev.atlas.Owner;
import dev.atlas.internal.Check;

import java.util.UUID;

/**
 * What {@link Portability#exportTo} writes: the whole tenant, one owner's data, or one
 * conversation with its tool threads and everything hanging off them.
 *
 * @param owner        set for {@link #owner(Owner)}
 * @param conversation set for {@link #conversation(UUID)}
 */
public record ExportScope(Owner owner, UUID conversation) {
    public ExportScope {
        if (owner != null && conversation != null) {
            throw new dev.atlas.InvalidInputException("scope", "is either an owner or a conversation, not both");
        }
    }

    /** Every row of the tenant. */
    public static ExportScope tenant() {
        return new ExportScope(null, null);
    }

    /**
     * The owner's conversations (with tool threads, messages, executions, assets, voice calls,
     * tasks and vectors hanging off them), memories, assets, credentials, voice calls, tasks and
     * assistants.
     */
    public static ExportScope owner(Owner owner) {
        return new ExportScope(Check.notNull("owner", owner), null);
    }

    /** One conversation, its tool threads and everything hanging off them. */
    public static ExportScope conversation(UUID id) {
        return new ExportScope(null, Check.notNull("conversation", id));
    }
}
