package dev.atlas.spring.ai.newcomer;

import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.examples.springai.scripted.ScriptedChatModel;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionQuery;
import dev.atlas.execution.ExecutionStatus;
import dev.atlas.spring.ai.AtlasSpringAiAutoConfiguration;
import dev.atlas.spring.boot.AtlasAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.memory.MessageWindowChatMemory;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.chat.client.autoconfigure.ChatClientAutoConfiguration;
import org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.publisher.Flux;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Spring Boot 3.5 + Spring AI app written from docs/integrations.md alone (the starter, Boot's
 * {@code ChatClient.Builder}, the documented {@code ChatMemory.CONVERSATION_ID} call) whose client retries
 * after the provider failed a call: the memory is what Spring AI's own in-memory repository holds after the
 * same calls, and the failed call is recorded failed, the retry completed, both in the chat's conversation.
 */
class Newcomer26SpringAiTest {
    @TempDir
    Path dir;

    /** The scripted model failing the calls whose (1-based) number {@code fails} names, as a provider's 503 does. */
    static final class FlakyModel implements ChatModel {
        final ScriptedChatModel scripted = new ScriptedChatModel();
        final java.util.Set<Integer> fails;
        final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

        FlakyModel(Integer... fails) {
            this.fails = java.util.Set.of(fails);
        }

        @Override
        public ChatResponse call(Prompt prompt) {
            if (fails.contains(calls.incrementAndGet())) {
                throw new IllegalStateException("503 Service Unavailable");
            }
            return scripted.call(prompt);
        }

        @Override
        public Flux<ChatResponse> stream(Prompt prompt) {
            return Flux.defer(() -> Flux.just(call(prompt)));
        }

        @Override
        public ChatOptions getDefaultOptions() {
            return scripted.getDefaultOptions();
        }

        public ChatOptions getOptions() {
            return scripted.getOptions();
        }
    }

    /** Asks, and asks again once when the call fails (the client's retry); the answer. */
    private static String askWithOneRetry(Function<String, String> ask, String question) {
        try {
            return ask.apply(question);
        } catch (RuntimeException first) {
            return ask.apply(question);
        }
    }

    private static List<String> window(List<org.springframework.ai.chat.messages.Message> messages) {
        List<String> out = new ArrayList<>();
        messages.forEach(m -> out.add(m.getMessageType().getValue() + ":" + m.getText()));
        return out;
    }

    @Test
    void aClientRetryingAFailedCallKeepsTheMemorySpringAiKeepsAndRecordsBothCalls() {
        // The reference: Spring AI's own repository, same model behaviour, same calls.
        FlakyModel referenceModel = new FlakyModel(2);
        ChatMemory referenceMemory = MessageWindowChatMemory.builder().chatMemoryRepository(new InMemoryChatMemoryRepository()).build();
        ChatClient reference = ChatClient.builder(referenceModel).defaultAdvisors(MessageChatMemoryAdvisor.builder(referenceMemory).build()).build();
        Function<String, String> askReference = q -> reference.prompt().user(q)
                .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "user-42:chat-7")).call().content();
        List<String> referenceAnswers = List.of(askWithOneRetry(askReference, "hello"), askWithOneRetry(askReference, "again"));

        FlakyModel model = new FlakyModel(2);
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, AtlasSpringAiAutoConfiguration.class,
                        ChatMemoryAutoConfiguration.class, ChatClientAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + dir.resolve("app.db"))
                .withBean(ChatModel.class, () -> model)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    ChatClient chatClient = context.getBean(ChatClient.Builder.class).build();
                    Function<String, String> ask = q -> chatClient.prompt().user(q)
                            .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "user-42:chat-7")).call().content();
                    
                    List<String> answers = List.of(askWithOneRetry(ask, "hello"), askWithOneRetry(ask, "again"));
                    assertThat(answers).isEqualTo(referenceAnswers).containsExactly("echo: hello", "echo: again");

                    ChatMemory memory = context.getBean(ChatMemory.class);
                    assertThat(window(memory.get("user-42:chat-7"))).isEqualTo(window(referenceMemory.get("user-42:chat-7")));
                    // Every prompt the model got is the one it got over Spring AI's repository.
                    assertThat(model.scripted.prompts().stream().map(Newcomer26SpringAiTest::window).toList())
                            .isEqualTo(referenceModel.scripted.prompts().stream().map(Newcomer26SpringAiTest::window).toList());

                    Tenant tenant = context.getBean(Tenant.class);
                    Conversation chat = tenant.conversations().requireByKey("user-42:chat-7");
                    List<Execution> executions = new ArrayList<>(tenant.executions().list(ExecutionQuery.all().conversation(chat.id())).items());
                    executions.sort(java.util.Comparator.comparing(Execution::createdAt).thenComparing(e -> e.id().toString()));
                    assertThat(executions).extracting(Execution::status).containsExactlyInAnyOrder(
                            ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.COMPLETED);
                    assertThat(executions).filteredOn(e -> e.status() == ExecutionStatus.FAILED).singleElement()
                            .satisfies(e -> assertThat(e.error()).contains("503 Service Unavailable"));
                    assertThat(context.getBean(ChatMemoryRepository.class).findConversationIds()).containsExactly("user-42:chat-7");
                });
    }
}
