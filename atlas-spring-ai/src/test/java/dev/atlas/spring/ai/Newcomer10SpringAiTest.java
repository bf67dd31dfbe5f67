package dev.atlas.spring.ai;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.examples.springai.scripted.ScriptedChatModel;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.spring.boot.AtlasAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.model.chat.client.autoconfigure.ChatClientAutoConfiguration;
import org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A newcomer following docs/integrations.md: the auto-configuration as Boot applies it. */
class Newcomer10SpringAiTest {
    @TempDir
    Path dir;

    private ApplicationContextRunner runner(String db) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, AtlasSpringAiAutoConfiguration.class,
                        ChatMemoryAutoConfiguration.class, ChatClientAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + dir.resolve(db));
    }

    /**
     * docs/integrations.md: with several ChatModel beans and none {@code @Primary}, the provider is
     * {@code spring-ai}, every call of the auto-configured advisor recorded with that name. (Boot's own
     * ChatClient.Builder needs one model, so such an app builds its clients itself.) In the same context, the
     * documented {@code atlas.spring-ai.owner-type}, {@code owner-id} and {@code agent} are what the conversations
     * chat memory creates carry, and the agent every recorded call carries.
     */
    @Test
    void severalChatModelsWithoutAPrimaryAreRecordedAsSpringAi() {
        runner("models.db").withPropertyValues("spring.ai.chat.client.enabled=false", "atlas.spring-ai.owner-type=user",
                        "atlas.spring-ai.owner-id=desk-7", "atlas.spring-ai.agent=support")
                .withBean("openAiModel", ChatModel.class, ScriptedChatModel::new)
                .withBean("anthropicModel", ChatModel.class, ScriptedChatModel::new).run(context -> {
                    assertThat(context).hasNotFailed();
                    AtlasRecordingAdvisor recording = context.getBean(AtlasRecordingAdvisor.class);
                    ChatMemory memory = context.getBean(ChatMemory.class);
                    ChatClient chat = ChatClient.builder(context.getBean("anthropicModel", ChatModel.class))
                            .defaultAdvisors(recording.advisors()).defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build()).build();
                    assertThat(chat.prompt().user("hi").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "desk:1")).call().content())
                            .isEqualTo("echo: hi");
                    Tenant tenant = context.getBean(Tenant.class);
                    Conversation conversation = tenant.conversations().requireByKey("desk:1");
                    assertThat(conversation.owner()).isEqualTo(Owner.of("user", "desk-7"));
                    assertThat(conversation.agent()).isEqualTo("support");
                    assertThat(tenant.conversations().messages(conversation.id(), 0, 10)).extracting(Message::content)
                            .containsExactly("hi", "echo: hi");
                    assertThat(tenant.executions().list(ExecutionQuery.all()).items()).singleElement().satisfies(e -> {
                        assertThat(e.provider()).isEqualTo("spring-ai");
                        assertThat(e.agent()).isEqualTo("support");
                        assertThat(e.conversationId()).isEqualTo(conversation.id());
                    });
                });
    }
}
