package dev.atlas.examples;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;

import java.nio.file.Path;

/**
 * The smallest useful integration: open a file, store a question, record the model call that
 * answers it (timing, usage, the reply linked to the call), read the history back. Each run adds
 * a new conversation to {@code atlas-data/minimal.db}.
 */
public final class MinimalIntegration {
    public static void main(String[] args) {
        try (Atlas atlas = Atlas.sqlite(Path.of("atlas-data", "minimal.db"))) {
            ConversationStore chats = atlas.conversations();  // the default tenant

            Conversation convo = chats.create(NewConversation.of(Owner.user("42"), "support"));
            Message question = chats.append(convo.id(), NewMessage.user("Where is order 1234?").clientId("web-1"));

            atlas.defaultTenant().executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(convo.id()), exec -> {
                StepHandle step = exec.step();
                String answer = "It ships today."; // in your app: send chats.history(convo.id()) to your provider
                step.finish(answer, FinishReason.STOP);
                exec.usage(Usage.of(12, 4));       // the token counts your provider reports
                return exec.reply(step, NewMessage.assistant(answer).parent(question.id()));
            });

            for (Message m : chats.history(convo.id())) {
                System.out.println(m.role() + ": " + m.content());
            }
        }
    }
}
