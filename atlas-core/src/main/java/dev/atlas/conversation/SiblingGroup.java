package dev.atlas.conversation;

import dev.atlas.internal.Check;
import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.UUID;

/**
 * The answers to one parent message that one response produced: the messages of one execution
 * (a multi-step answer stays together), or a single message that has no execution. Switching the
 * active group with {@link ConversationStore#activate} switches all of its messages.
 *
 * @param executionId the execution that produced the messages, or {@code null} for a single message without one
 * @param messages    its messages that are not deleted, in sequence order (never empty)
 * @param active      whether its messages are the active answer (shown by {@code history})
 */
public record SiblingGroup(@Nullable UUID executionId, List<Message> messages, boolean active) {
    /**
     * Copies {@code messages}.
     *
     * @param executionId the execution, or {@code null}
     * @param messages    the messages, in sequence order
     * @param active      whether the group is active
     */
    public SiblingGroup {
        messages = Check.copy("messages", messages);
    }
}
