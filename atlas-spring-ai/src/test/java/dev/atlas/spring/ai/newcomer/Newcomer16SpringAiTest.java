package dev.atlas.spring.ai.newcomer;

import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.examples.springai.scripted.OrderTools;
import dev.atlas.examples.springai.scripted.ScriptedChatModel;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionTree;
import dev.atlas.execution.ToolCall;
import dev.atlas.execution.Usage;
import dev.atlas.spring.ai.AtlasChatMemoryRepository;
import dev.atlas.spring.ai.AtlasSpringAiAutoConfiguration;
import dev.atlas.spring.boot.AtlasAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.model.chat.client.autoconfigure.ChatClientAutoConfiguration;
import org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Spring Boot 3.5 + Spring AI developer adding Atlas by docs/integrations.md alone: the two
 * dependencies, no glue, Boot's {@code ChatClient.Builder} with the app's tool, and the documented call
 * with {@code ChatMemory.CONVERSATION_ID}. What Atlas stores is read back through its public API; a
 * restart of the application (a new context on the same SQLite file) keeps the memory.
 */
class Newcomer16SpringAiTest {
    /** Whether this runs on Spring AI 2.0 (atlas-spring-ai-compat runs these tests there too): its ChatModel has getOptions(). */
    private static final boolean SPRING_AI_2 = java.util.Arrays.stream(ChatModel.class.getMethods()).anyMatch(m -> m.getName().equals("getOptions"));

    @TempDir
    Path dir;

    /**
     * The app's model bean, of a provider's class name (as Spring AI's {@code VertexAiGeminiChatModel}), answering as the
     * scripted model does: the provider recorded is the class's simple name less {@code ChatModel}, in lower case.
     */
    static final class VertexAiGeminiChatModel implements ChatModel {
        final ScriptedChatModel scripted = new ScriptedChatModel();

        @Override
        public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
            return scripted.call(prompt);
        }

        @Override
        public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(
                org.springframework.ai.chat.prompt.Prompt prompt) {
            return scripted.stream(prompt);
        }

        @Override
        public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
            return scripted.getDefaultOptions();
        }

        /** Where Spring AI 2.0's ChatClient reads the options (absent on 1.1, so no {@code @Override}). */
        public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
            return scripted.getOptions();
        }
    }

    private ApplicationContextRunner app(ChatModel model) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, AtlasSpringAiAutoConfiguration.class,
                        ChatMemoryAutoConfiguration.class, ChatClientAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + dir.resolve("app.db"))
                .withBean(ChatModel.class, () -> model);
    }

    private static String ask(ChatClient chatClient, String chatId, String question) {
        return chatClient.prompt().user(question).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, chatId)).call().content();
    }

    @Test
    void zeroGlueAppStoresTurnsToolRoundsAndUsageAndKeepsTheMemoryOverARestart() {
        VertexAiGeminiChatModel gemini = new VertexAiGeminiChatModel();
        ScriptedChatModel first = gemini.scripted;
        app(gemini).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(ChatMemoryRepository.class)).isInstanceOf(AtlasChatMemoryRepository.class);
            ChatClient chatClient = context.getBean(ChatClient.Builder.class).defaultTools(new OrderTools()).build();
            assertThat(ask(chatClient, "user-42:chat-7", "where is order 4?")).isEqualTo("Status: \"order 4 shipped\" \"order 5 packed\"");
            assertThat(ask(chatClient, "user-42:chat-7", "thanks")).isEqualTo("echo: thanks");
            assertThat(ask(chatClient, "user-43:chat-1", "hi")).isEqualTo("echo: hi");
            // A second chat id is its own memory: the model got only that chat's message.
            assertThat(first.prompts().get(first.prompts().size() - 1)).extracting(m -> m.getText()).containsExactly("hi");

            Tenant tenant = context.getBean(Tenant.class);
            Conversation chat = tenant.conversations().requireByKey("user-42:chat-7");
            // Documented defaults: owner app / spring-ai, no agent.
            assertThat(chat.owner()).isEqualTo(Owner.of("app", "spring-ai"));
            assertThat(chat.agent()).isNull();
            List<Message> messages = tenant.conversations().messages(chat.id(), 0, 20);
            assertThat(messages).extracting(m -> m.role().toString() + ":" + m.content()).containsExactly(
                    "user:where is order 4?", "assistant:", "tool:[{\"id\":\"call_1_a\",\"name\":\"lookup\",\"responseData\":\"\\\"order 4 shipped\\\"\"},"
                            + "{\"id\":\"call_1_b\",\"name\":\"lookup\",\"responseData\":\"\\\"order 5 packed\\\"\"}]",
                    "assistant:Status: \"order 4 shipped\" \"order 5 packed\"", "user:thanks", "assistant:echo: thanks");
            assertThat(messages).extracting(Message::sequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);

            List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(chat.id())).items();
            assertThat(executions).hasSize(2).allSatisfy(e -> {
                assertThat(e.provider()).isEqualTo("vertexaigemini");
                assertThat(e.model()).isEqualTo("scripted-1");
                assertThat(e.agent()).isNull();
                assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            });
            Execution toolTurn = executions.stream().filter(e -> e.usage().inputTokens() == 200L).findFirst().orElseThrow();
            // Two model rounds of 100 in / 20 out: the execution's usage is the sum of its steps.
            assertThat(toolTurn.usage()).isEqualTo(new Usage(200L, 40L, null, null, null));
            ExecutionTree tree = tenant.executions().tree(toolTurn.id()).orElseThrow();
            assertThat(tree.steps()).hasSize(2);
            assertThat(tree.toolCalls()).extracting(ToolCall::providerCallId, ToolCall::name, ToolCall::arguments, ToolCall::result)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("call_1_a", "lookup", "{\"order\":4}", "\"order 4 shipped\""),
                            org.assertj.core.groups.Tuple.tuple("call_1_b", "lookup", "{\"order\":5}", "\"order 5 packed\""));
            // The final answer is linked to the call's execution.
            assertThat(messages.get(3).executionId()).isEqualTo(toolTurn.id());

            Conversation other = tenant.conversations().requireByKey("user-43:chat-1");
            assertThat(other.id()).isNotEqualTo(chat.id());
            assertThat(tenant.conversations().messages(other.id(), 0, 20)).extracting(Message::content).containsExactly("hi", "echo: hi");
            assertThat(tenant.executions().list(ExecutionQuery.all().conversation(other.id())).items()).hasSize(1);
            assertThat(context.getBean(ChatMemoryRepository.class).findConversationIds())
                    .containsExactlyInAnyOrder("user-42:chat-7", "user-43:chat-1");
        });

        // The application restarted (same database), now with the documented provider, agent and tool-loop-advisor settings.
        ScriptedChatModel second = new ScriptedChatModel();
        app(second).withPropertyValues("atlas.spring-ai.provider=openai", "atlas.spring-ai.agent=support", "atlas.spring-ai.tool-loop-advisor=false").run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient chatClient = context.getBean(ChatClient.Builder.class).defaultTools(new OrderTools()).build();
            assertThat(ask(chatClient, "user-42:chat-7", "bye")).isEqualTo("echo: bye");
            // The memory survived: the model got the whole window stored before the restart, then the question.
            assertThat(second.prompts()).singleElement().satisfies(prompt -> assertThat(prompt)
                    .extracting(m -> m.getMessageType().getValue() + ":" + m.getText()).containsExactly(
                            "user:where is order 4?", "assistant:", "tool:",
                            "assistant:Status: \"order 4 shipped\" \"order 5 packed\"", "user:thanks", "assistant:echo: thanks",
                            "user:bye"));
            // The tool round is given back as Spring AI's own messages: the calls, then their results.
            List<org.springframework.ai.chat.messages.Message> prompt = second.prompts().get(0);
            assertThat(((org.springframework.ai.chat.messages.AssistantMessage) prompt.get(1)).getToolCalls())
                    .extracting(c -> c.id() + " " + c.name() + " " + c.arguments())
                    .containsExactly("call_1_a lookup {\"order\":4}", "call_1_b lookup {\"order\":5}");
            assertThat(((org.springframework.ai.chat.messages.ToolResponseMessage) prompt.get(2)).getResponses())
                    .extracting(r -> r.id() + " " + r.name() + " " + r.responseData())
                    .containsExactly("call_1_a lookup \"order 4 shipped\"", "call_1_b lookup \"order 5 packed\"");
            Tenant tenant = context.getBean(Tenant.class);
            Conversation chat = tenant.conversations().requireByKey("user-42:chat-7");
            // Same conversation, the owner it was created with; agent is only what a new conversation carries.
            assertThat(chat.agent()).isNull();
            assertThat(tenant.conversations().messages(chat.id(), 0, 20)).extracting(Message::content).endsWith("bye", "echo: bye")
                    .hasSize(8);
            List<Execution> executions = tenant.executions().list(ExecutionQuery.all().conversation(chat.id())).items();
            assertThat(executions).hasSize(3);
            assertThat(executions).filteredOn(e -> "openai".equals(e.provider())).singleElement().satisfies(e -> {
                assertThat(e.agent()).isEqualTo("support");
                assertThat(e.usage()).isEqualTo(new Usage(100L, 20L, null, null, null));
            });
            // atlas.spring-ai.tool-loop-advisor=false: no Atlas tool loop in the chain.
            String answer = ask(chatClient, "user-44:chat-1", "where is order 6?");
            Conversation unrun = tenant.conversations().requireByKey("user-44:chat-1");
            List<Execution> unrunExecutions = tenant.executions().list(ExecutionQuery.all().conversation(unrun.id())).items();
            assertThat(unrunExecutions).hasSize(1);
            Execution e = unrunExecutions.get(0);
            assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            List<ToolCall> calls = tenant.executions().tree(e.id()).orElseThrow().toolCalls();
            if (SPRING_AI_2) {
                // Spring AI 2.0's ChatClient runs the tool loop itself: both rounds recorded, the calls completed; the
                // memory keeps the question and the final answer.
                assertThat(answer).isEqualTo("Status: \"order 6 shipped\" \"order 7 packed\"");
                assertThat(tenant.conversations().messages(unrun.id(), 0, 20)).extracting(m -> m.role().toString() + ":" + m.content())
                        .containsExactly("user:where is order 6?", "assistant:" + answer);
                assertThat(e.usage()).isEqualTo(new Usage(200L, 40L, null, null, null));
                assertThat(calls).extracting(ToolCall::providerCallId, ToolCall::status, ToolCall::result).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("call_2_a", dev.atlas.execution.ExecutionStatus.COMPLETED, "\"order 6 shipped\""),
                        org.assertj.core.groups.Tuple.tuple("call_2_b", dev.atlas.execution.ExecutionStatus.COMPLETED, "\"order 7 packed\""));
            } else {
                // Spring AI 1.1: a model that hands its tool calls back unrun (this one; a provider model would run them
                // inside its own call) gives the caller the empty answer; one round is recorded, its tool calls cancelled
                // when the call ends, as nothing ran them or sent their results to the model: no error, no result.
                assertThat(answer).isEmpty();
                assertThat(tenant.conversations().messages(unrun.id(), 0, 20)).extracting(m -> m.role().toString() + ":" + m.content())
                        .containsExactly("user:where is order 6?", "assistant:");
                assertThat(e.usage()).isEqualTo(new Usage(100L, 20L, null, null, null));
                assertThat(calls).extracting(ToolCall::providerCallId, ToolCall::status, ToolCall::result, ToolCall::error).containsExactly(
                        org.assertj.core.groups.Tuple.tuple("call_2_a", dev.atlas.execution.ExecutionStatus.CANCELLED, null, null),
                        org.assertj.core.groups.Tuple.tuple("call_2_b", dev.atlas.execution.ExecutionStatus.CANCELLED, null, null));
            }
        });
    }
}
