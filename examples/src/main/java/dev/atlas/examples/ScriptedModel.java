package dev.atlas.examples;

import dev.atlas.Message;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The examples' stand-in for a real model provider client (OpenAI, Anthropic, a local model...).
 *
 * <p>It has the shape of a real client: it is given the conversation history, exactly what
 * {@code ConversationStore.history(id)} returns, and answers with the assistant's next message.
 * But it ignores that history and hands back canned replies in order, so the demo runs offline,
 * needs no API key, and prints the same output every time. In your application, replace it with
 * a call to your provider, mapping each {@link Message}'s {@code role()} and {@code content()}
 * to the provider's chat format.
 */
final class ScriptedModel {
    private final Deque<String> replies;

    /** A model that answers with {@code replies}, one per call, in this order. */
    ScriptedModel(String... replies) {
        this.replies = new ArrayDeque<>(List.of(replies));
    }

    /** The assistant's reply to {@code history} (which a real model would read; this one does not). */
    String reply(List<Message> history) {
        if (replies.isEmpty()) {
            throw new IllegalStateException("ScriptedModel ran out of canned replies after "
                    + history.size() + " messages of history");
        }
        return replies.removeFirst();
    }
}
