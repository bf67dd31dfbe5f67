package dev.atlas.examples;

import dev.atlas.Atlas;
import dev.atlas.Conversation;
import dev.atlas.ConversationStore;
import dev.atlas.Message;
import dev.atlas.NewConversation;
import dev.atlas.NewMessage;
import dev.atlas.Owner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * A short support conversation stored with Atlas in an SQLite file. No setup, no network:
 *
 * <pre>
 * ./mvnw -q install -DskipTests && ./mvnw -q -pl examples exec:java
 * </pre>
 *
 * In order, it:
 * <ol>
 *   <li>opens Atlas on {@code atlas-data/demo.db} and takes the view of tenant {@code acme};</li>
 *   <li>creates a conversation between user 42 and the {@code support} agent;</li>
 *   <li>appends a user message twice with the same client id (a network retry), which stores it once;</li>
 *   <li>stores an assistant reply, then a retry ("regenerate") of it: both answer the same user
 *       message, and the newest becomes the active one;</li>
 *   <li>plays a second turn, then prints the full transcript, the active history a model would be
 *       sent next, the title Atlas took from the first user message, and where the file is.</li>
 * </ol>
 *
 * The replies come from {@link ScriptedModel}, a stand-in for a real provider client.
 */
public final class SupportAgentDemo {

    private static final String TENANT = "acme";
    private static final Owner USER = Owner.user("42");
    private static final String AGENT = "support";

    public static void main(String[] args) throws IOException {
        Path databaseFile = Path.of("atlas-data", "demo.db");
        deleteDatabase(databaseFile); // start empty, so every run tells the same story

        ScriptedModel model = new ScriptedModel(
                "Sorry, I can't find an order with that number.",             // the reply the user regenerates
                "Order 1234 shipped this morning and should arrive on Thursday.", // the retry
                "Yes, until it leaves our depot tomorrow. Send me the new address and I'll update it.");

        try (Atlas atlas = Atlas.sqlite(databaseFile)) {          // creates and migrates the file
            ConversationStore chats = atlas.tenant(TENANT).conversations();

            Conversation conversation = chats.create(NewConversation.of(USER, AGENT));
            UUID id = conversation.id();
            System.out.printf("Created conversation %s (tenant %s, owner %s, agent %s)%n%n", id, TENANT, USER, AGENT);

            chats.append(id, NewMessage.system("You are Acme's support agent. Be brief and friendly."));

            // ---- Turn 1 ------------------------------------------------------------------
            // The client gives each user message its own id. If the request times out and the
            // client sends it again, Atlas returns the stored message instead of a duplicate.
            Message question = chats.append(id, NewMessage.user("Where is order 1234?").clientId("web-msg-1"));
            Message resent = chats.append(id, NewMessage.user("Where is order 1234?").clientId("web-msg-1"));
            printIdempotency(chats, id, question, resent);

            // What a real model would be sent: the active history (system prompt + question).
            List<Message> prompt = chats.history(id);
            Message firstReply = chats.append(id,
                    NewMessage.assistant(model.reply(prompt)).parent(question.id()));

            // The user clicks "regenerate". The model answers the same prompt again; the new reply
            // has the same parent, so it becomes the active sibling and the first one is kept but
            // deactivated.
            Message retry = chats.append(id,
                    NewMessage.assistant(model.reply(prompt)).parent(question.id()));
            System.out.printf("Retry: replies #%d and #%d both answer #%d; siblings(#%d) = %d messages%n%n",
                    firstReply.sequence(), retry.sequence(), question.sequence(),
                    retry.sequence(), chats.siblings(retry.id()).size());

            // ---- Turn 2 ------------------------------------------------------------------
            Message followUp = chats.append(id,
                    NewMessage.user("Can I still change the delivery address?").clientId("web-msg-2"));
            chats.append(id,
                    NewMessage.assistant(model.reply(chats.history(id))).parent(followUp.id()));

            // ---- Read it all back --------------------------------------------------------
            System.out.println("Transcript: messages(id, 0, 100), every stored message");
            for (Message m : chats.messages(id, 0, 100)) {
                System.out.printf("  #%d %-9s %s%s%n", m.sequence(), m.role(), m.content(),
                        m.active() ? "" : "   (replaced by retry)");
            }

            System.out.println();
            System.out.println("Active history: history(id), what the model is sent next turn");
            for (Message m : chats.history(id)) {
                System.out.printf("  %-10s %s%n", m.role() + ":", m.content());
            }

            System.out.println();
            System.out.printf("Title (set from the first user message): %s%n", chats.require(id).title());
        }
        System.out.printf("Database file: %s%n", databaseFile.toAbsolutePath().normalize());
    }

    /** Shows that the re-sent message is the stored one and that only one copy exists. */
    private static void printIdempotency(ConversationStore chats, UUID id, Message question, Message resent) {
        long copies = chats.messages(id, 0, 100).stream()
                .filter(m -> "web-msg-1".equals(m.clientId()))
                .count();
        System.out.println("Idempotent append: user message sent twice with clientId \"web-msg-1\"");
        System.out.printf("  first send -> message %s, #%d%n", question.id(), question.sequence());
        System.out.printf("  re-send    -> message %s, #%d%n", resent.id(), resent.sequence());
        System.out.printf("  same message: %s; stored copies: %d%n%n", question.id().equals(resent.id()) ? "yes" : "NO", copies);
    }

    /** Deletes the SQLite file and its write-ahead-log companions, if present. */
    private static void deleteDatabase(Path file) throws IOException {
        for (String suffix : List.of("", "-wal", "-shm")) {
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
        }
    }
}
