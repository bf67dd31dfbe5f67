package dev.atlas.spring.ai.newcomer;

import dev.atlas.spring.ai.AtlasSpringAiAutoConfiguration;
import dev.atlas.spring.boot.AtlasAutoConfiguration;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.model.chat.client.autoconfigure.ChatClientAutoConfiguration;
import org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;
import java.util.List;

/**
 * The app the Spring AI newcomer tests build from README.md and docs/integrations.md (the starter, atlas-spring-ai and
 * Boot's chat client on one SQLite file), the documented call, and a message as the model sees it. One copy, so the
 * newcomer classes compare what the model saw with Spring AI's in-memory reference the same way.
 */
final class NewcomerSpringAiApp {
    private NewcomerSpringAiApp() {
    }

    static ApplicationContextRunner app(Path sqliteFile, ChatModel model) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, AtlasSpringAiAutoConfiguration.class,
                        ChatMemoryAutoConfiguration.class, ChatClientAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + sqliteFile)
                .withBean(ChatModel.class, () -> model);
    }

    static String ask(ChatClient client, String chat, String text) {
        return client.prompt().user(text).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, chat)).call().content();
    }

    /** What a message says, without metadata: type, text, tool calls, tool responses. */
    static String shape(Message m) {
        if (m instanceof ToolResponseMessage t) {
            return "TOOL" + t.getResponses();
        }
        if (m instanceof AssistantMessage a) {
            return "ASSISTANT[" + a.getText() + "]" + a.getToolCalls();
        }
        return m.getMessageType() + "[" + m.getText() + "]";
    }

    static List<String> shapes(List<Message> messages) {
        return messages.stream().map(NewcomerSpringAiApp::shape).toList();
    }
}
