package dev.atlas.examples;

import dev.atlas.Atlas;
import dev.atlas.Conversation;
import dev.atlas.ConversationStore;
import dev.atlas.Message;
import dev.atlas.NewConversation;
import dev.atlas.NewMessage;
import dev.atlas.Owner;

import java.nio.file.Path;

/**
 * The smallest useful integration: open a file, store one exchange, read the history back.
 * Each run adds a new conversation to {@code atlas-data/minimal.db}.
 */
public final class MinimalIntegration {
    public static void main(String[] args) {
        try (Atlas atlas = Atlas.sqlite(Path.of("atlas-data", "minimal.db"))) {
            ConversationStore chats = atlas.conversations();  // the default tenant

            Conversation convo = chats.create(NewConversation.of(Owner.user("42"), "support"));
            Message question = chats.append(convo.id(), NewMessage.user("Where is order 1234?"));
            String answer = "It ships today."; // in your app: the reply from your model provider
            chats.append(convo.id(), NewMessage.assistant(answer).parent(question.id()));

            for (Message m : chats.history(convo.id())) {
                System.out.println(m.role() + ": " + m.content());
            }
        }
    }
}
