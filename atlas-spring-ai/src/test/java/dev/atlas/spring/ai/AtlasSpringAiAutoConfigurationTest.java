package dev.atlas.spring.ai;

import dev.atlas.Tenant;
import dev.atlas.examples.springai.scripted.OrderTools;
import dev.atlas.examples.springai.scripted.ScriptedChatModel;
import dev.atlas.spring.boot.AtlasAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientCustomizer;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.memory.InMemoryChatMemoryRepository;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.model.chat.client.autoconfigure.ChatClientAutoConfiguration;
import org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The auto-configuration as Boot applies it, in Boot's order, with the app declaring only its model. */
class AtlasSpringAiAutoConfigurationTest {
    @TempDir
    Path dir;

    private ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, AtlasSpringAiAutoConfiguration.class,
                        ChatMemoryAutoConfiguration.class, ChatClientAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + dir.resolve("atlas.db"))
                .withBean(ChatModel.class, ScriptedChatModel::new);
    }

    @Test
    @org.junit.jupiter.api.DisplayName("the app declares its model (and a MeterRegistry): Boot's ChatClient keeps the memory in Atlas,"
            + " records each call as an execution and counts it in atlas.executions (on Boot 4 too: the compat build)")
    void zeroGlueChatClientKeepsMemoryAndRecordsInAtlas() {
        runner().withBean(io.micrometer.core.instrument.MeterRegistry.class, io.micrometer.core.instrument.simple.SimpleMeterRegistry::new)
                .run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(ChatMemoryRepository.class)).isInstanceOf(AtlasChatMemoryRepository.class);
            assertThat(context).hasSingleBean(AtlasRecordingAdvisor.class);
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new OrderTools()).build();
            String answer = chat.prompt().user("where is order 4?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "c1")).call().content();
            assertThat(answer).isEqualTo("Status: \"order 4 shipped\" \"order 5 packed\"");
            Tenant tenant = context.getBean(Tenant.class);
            var conversation = tenant.conversations().requireByKey("c1");
            assertThat(tenant.conversations().messages(conversation.id(), 0, 10)).hasSize(4);
            var execution = tenant.executions().list(dev.atlas.execution.ExecutionQuery.all().conversation(conversation.id())).items();
            assertThat(execution).singleElement().satisfies(e -> {
                assertThat(e.provider()).isEqualTo("scripted");
                assertThat(e.model()).isEqualTo("scripted-1");
            });
            // A stateless call (no chat id) goes through: no memory, an execution without a conversation.
            assertThat(chat.prompt().user("hi").call().content()).isEqualTo("echo: hi");
            assertThat(tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items())
                    .filteredOn(e -> e.conversationId() == null).hasSize(1);
            // The starter's meters: on Boot 4 its nested configurations were not read (no AtlasMetrics, no atlas.* meter).
            assertThat(context).hasSingleBean(dev.atlas.spring.boot.AtlasMetrics.class);
            assertThat(context.getBean(io.micrometer.core.instrument.MeterRegistry.class).get("atlas.executions")
                    .tags("status", "completed", "provider", "scripted", "model", "scripted-1").counter().count()).isEqualTo(2.0);
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("an AtlasTelemetry bean (docs/opentelemetry.md): each call's span, called or streamed, is a child of the"
            + " span current where the app calls ChatClient, with its tool spans inside it (a stream's rounds run on Reactor's threads);"
            + " a failed tool call's span is ERROR without its text, and no span carries the prompt, the answer or an error text;"
            + " a stream its caller leaves ends its span cancelled, not as an error")
    void callsAndStreamsAreSpansUnderTheCallersSpan() {
        var spans = io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter.create();
        var sdk = io.opentelemetry.sdk.OpenTelemetrySdk.builder().setTracerProvider(io.opentelemetry.sdk.trace.SdkTracerProvider.builder()
                .addSpanProcessor(io.opentelemetry.sdk.trace.export.SimpleSpanProcessor.create(spans)).build()).build();
        runner().withBean(dev.atlas.opentelemetry.AtlasTelemetry.class, () -> dev.atlas.opentelemetry.AtlasTelemetry.create(sdk)).run(context -> {
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new OrderTools()).build();
            io.opentelemetry.api.trace.Span request = sdk.getTracer("app").spanBuilder("GET /chat").startSpan();
            try (io.opentelemetry.context.Scope ignored = request.makeCurrent()) {
                chat.prompt().user("where is order 4?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "called")).call().content();
                chat.prompt().user("where is order 4?").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "streamed")).stream().content().blockLast();
            } finally {
                request.end();
            }
            // A tool failing with a secret in its message, its call failed: an ERROR tool span without the text, no attribute
            // holding it, the prompt or the answer (docs/opentelemetry.md).
            ChatClient failing = context.getBean(ChatClient.Builder.class).defaultTools(new ArchivedOrders()).build();
            failing.prompt().user("where is order 4? key sk-live-1234").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "failing"))
                    .stream().content().blockLast();
            List<io.opentelemetry.sdk.trace.data.SpanData> all = spans.getFinishedSpanItems();
            assertThat(all).filteredOn(s -> s.getStatus().getStatusCode() == io.opentelemetry.api.trace.StatusCode.ERROR)
                    .singleElement().satisfies(s -> {
                        assertThat(s.getName()).isEqualTo("execute_tool lookup");
                        assertThat(s.getStatus().getDescription()).isEmpty();
                        assertThat(s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("error.type"))).isEqualTo("_OTHER");
                    });
            assertThat(all).allSatisfy(s -> {
                assertThat(s.getEvents()).isEmpty();
                assertThat(s.getAttributes().asMap().values()).allSatisfy(v -> assertThat(String.valueOf(v))
                        .doesNotContain("archived").doesNotContain("sk-live").doesNotContain("order 4").doesNotContain("shipped"));
            });
            // A stream its caller leaves at the first chunk (take(1) cancels before the model's stream completes): its span ends
            // cancelled, not as an error.
            assertThat(chat.prompt().user("hi").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "left")).stream().content()
                    .take(1).collectList().block()).containsExactly("echo: hi");
            assertThat(spans.getFinishedSpanItems()).filteredOn(s -> "cancelled".equals(s.getAttributes()
                    .get(io.opentelemetry.api.common.AttributeKey.stringKey("atlas.execution.status")))).singleElement()
                    .satisfies(s -> assertThat(s.getStatus().getStatusCode()).isEqualTo(io.opentelemetry.api.trace.StatusCode.UNSET));
            List<io.opentelemetry.sdk.trace.data.SpanData> chats = spans.getFinishedSpanItems().stream()
                    .filter(s -> s.getName().equals("chat scripted-1")).filter(s -> s.getParentSpanId().equals(request.getSpanContext().getSpanId()))
                    .toList();
            assertThat(chats).extracting(s -> s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("atlas.execution.type")))
                    .containsExactly("text", "stream");
            assertThat(chats).allSatisfy(s -> {
                assertThat(s.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
                assertThat(s.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
                assertThat(spans.getFinishedSpanItems()).filteredOn(t -> t.getParentSpanId().equals(s.getSpanId()))
                        .extracting(io.opentelemetry.sdk.trace.data.SpanData::getName).containsExactly("execute_tool lookup", "execute_tool lookup");
            });
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a ChatModel bean behind a Spring AOP proxy (an aspect of the app's: @Timed, a retry) is recorded as its"
            + " provider, from the target's class, not the proxy's ($Proxy42, ScriptedChatModel$$SpringCGLIB$$0); a lambda's"
            + " (and an anonymous class's, #unstorableAnswerThroughBootIsKeptCleaned) as spring-ai, not its name of this run")
    void proxiedChatModelIsRecordedAsItsProvider() {
        org.springframework.aop.framework.ProxyFactory jdk = new org.springframework.aop.framework.ProxyFactory(new AcmeChatModel());
        jdk.addInterface(ChatModel.class);
        org.springframework.aop.framework.ProxyFactory cglib = new org.springframework.aop.framework.ProxyFactory(new AcmeChatModel());
        cglib.setProxyTargetClass(true);
        ScriptedChatModel scripted = new ScriptedChatModel();
        ChatModel lambda = scripted::call;
        Object[][] cases = {{jdk.getProxy(), "acme"}, {cglib.getProxy(), "acme"}, {lambda, "spring-ai"}};
        for (Object[] c : cases) {
            Object model = c[0];
            runner().withPropertyValues("atlas.sqlite-path=" + dir.resolve(model.getClass().getSimpleName().replaceAll("[^A-Za-z0-9]", "_") + ".db"))
                    .withBean("proxiedModel", ChatModel.class, () -> (ChatModel) model,
                    d -> d.setPrimary(true)).run(context -> {
                context.getBean(ChatClient.Builder.class).build().prompt().user("hi").call().content();
                assertThat(context.getBean(Tenant.class).executions().list(dev.atlas.execution.ExecutionQuery.all()).items())
                        .singleElement().satisfies(e -> assertThat(e.provider()).as(model.getClass().getName()).isEqualTo(c[1]));
            });
        }
    }

    /** A provider's model as an app's aspect proxies it (not final, unlike the scripted one it answers with). */
    public static class AcmeChatModel implements ChatModel {
        private final ScriptedChatModel scripted = new ScriptedChatModel();

        @Override
        public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
            return scripted.call(prompt);
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("an app that already adds MessageChatMemoryAdvisor itself (as Spring AI's guides do) stores and sends each message once")
    void appsOwnMemoryAdvisorIsNotDoubled() {
        runner().run(context -> {
            ChatMemory memory = context.getBean(ChatMemory.class);
            ScriptedChatModel model = (ScriptedChatModel) context.getBean(ChatModel.class);
            ChatClient chat = context.getBean(ChatClient.Builder.class)
                    .defaultAdvisors(org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor.builder(memory).build()).build();
            for (String q : new String[] {"hello", "again"}) {
                chat.prompt().user(q).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "own")).call().content();
                chat.prompt().user(q).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "own")).stream().content().blockLast();
            }
            Tenant tenant = context.getBean(Tenant.class);
            var rows = tenant.conversations().messages(tenant.conversations().requireByKey("own").id(), 0, 100);
            assertThat(rows).extracting(dev.atlas.conversation.Message::content)
                    .containsExactly("hello", "echo: hello", "hello", "echo: hello", "again", "echo: again", "again", "echo: again");
            assertThat(model.prompts().get(model.prompts().size() - 1)).extracting(org.springframework.ai.chat.messages.Message::getText)
                    .containsExactly("hello", "echo: hello", "hello", "echo: hello", "again", "echo: again", "again");
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("an app that also adds recordingAdvisor.advisors() itself gets each call recorded once, each round one step")
    void recordingAdvisorsAddedTwiceRecordOnce() {
        runner().run(context -> {
            AtlasRecordingAdvisor recording = context.getBean(AtlasRecordingAdvisor.class);
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultAdvisors(recording.advisors()).build();
            chat.prompt().user("hello").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "rec")).call().content();
            chat.prompt().user("again").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "rec")).stream().content().blockLast();
            Tenant tenant = context.getBean(Tenant.class);
            var executions = tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items();
            assertThat(executions).hasSize(2).allSatisfy(e -> {
                assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
                assertThat(e.usage().inputTokens()).isEqualTo(100L);
                assertThat(e.usage().outputTokens()).isEqualTo(20L);
                assertThat(tenant.executions().tree(e.id()).orElseThrow().steps()).hasSize(1);
            });
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a tenant's own memory and recording advisors on a client from Boot's builder (a multi-tenant app):"
            + " every call lands in that tenant, nothing in atlas.tenant's")
    void tenantsOwnAdvisorsOnBootsBuilderRecordInThatTenant() {
        runner().run(context -> {
            Tenant acme = context.getBean(dev.atlas.Atlas.class).tenant("acme");
            AtlasChatMemoryRepository repository = AtlasChatMemoryRepository.of(acme, dev.atlas.Owner.of("app", "spring-ai"), null);
            ChatMemory memory = org.springframework.ai.chat.memory.MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
            ChatClient chat = context.getBean(ChatClient.Builder.class).clone()
                    .defaultAdvisors(AtlasRecordingAdvisor.of(acme, repository, "scripted", null).advisors())
                    .defaultAdvisors(org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor.builder(memory).build()).build();
            chat.prompt().user("hello").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "user-42:chat-7")).call().content();
            chat.prompt().user("again").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "user-42:chat-7")).stream().content().blockLast();
            Tenant byDefault = context.getBean(Tenant.class);
            assertThat(byDefault.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items()).isEmpty();
            assertThat(byDefault.executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).isEmpty();
            var conversation = acme.conversations().requireByKey("user-42:chat-7");
            assertThat(acme.conversations().messages(conversation.id(), 0, 10)).extracting(dev.atlas.conversation.Message::content)
                    .containsExactly("hello", "echo: hello", "again", "echo: again");
            assertThat(acme.executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).hasSize(2).allSatisfy(e -> {
                assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
                assertThat(e.conversationId()).isEqualTo(conversation.id());
            });
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a conversation id Atlas cannot store (a NUL, 10,000 characters, a lone surrogate) is refused naming"
            + " conversationId, called or streamed, with nothing written; a blank one is refused by Spring AI's MessageWindowChatMemory"
            + " (IllegalArgumentException) before Atlas sees it, nothing written either. With two ChatMemory beans, Boot's ChatClient"
            + " keeps conversations in the @Primary one")
    void hostileConversationIdsAreRefusedNamingTheField() {
        // Two ChatMemory beans, the one on Atlas @Primary: Boot's ChatClient keeps conversations in it (the in-memory
        // scratch one would take the ids Atlas refuses), and the second turn is sent with the first.
        runner().withUserConfiguration(PrimaryOfTwoMemories.class).run(context -> {
            ChatClient chat = context.getBean(ChatClient.Builder.class).build();
            String[][] cases = {{"user\u000042", "conversationId: contains a NUL character (U+0000) at index 4, which databases cannot store"},
                    {"x".repeat(10_000), "conversationId: is 10000 characters; at most 255 are allowed"},
                    {"a\uD800b", "conversationId: contains an unpaired UTF-16 surrogate at index 1; text must be valid Unicode"},
                    {"", "conversationId cannot be null or empty"}, {" \t", "conversationId cannot be null or empty"}};
            for (String[] c : cases) {
                // A blank id never reaches Atlas: Spring AI's MessageWindowChatMemory refuses it, as with any repository.
                Class<? extends RuntimeException> type = c[1].startsWith("conversationId: ")
                        ? dev.atlas.InvalidInputException.class : IllegalArgumentException.class;
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> chat.prompt().user("hi")
                        .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, c[0])).call().content()))
                        .isExactlyInstanceOf(type).hasMessage(c[1]);
                assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> chat.prompt().user("hi")
                        .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, c[0])).stream().content().blockLast()))
                        .isExactlyInstanceOf(type).hasMessage(c[1]);
            }
            Tenant tenant = context.getBean(Tenant.class);
            assertThat(tenant.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items()).isEmpty();
            assertThat(tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).isEmpty();

            ScriptedChatModel model = (ScriptedChatModel) context.getBean(ChatModel.class);
            chat.prompt().user("hello").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "primary")).call().content();
            chat.prompt().user("again").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "primary")).call().content();
            assertThat(model.prompts().get(model.prompts().size() - 1)).extracting(org.springframework.ai.chat.messages.Message::getText)
                    .containsExactly("hello", "echo: hello", "again");
            assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("primary").id(), 0, 10))
                    .extracting(dev.atlas.conversation.Message::content).containsExactly("hello", "echo: hello", "again", "echo: again");
        });
    }

    /** {@link TwoMemories} with the one on Atlas {@code @Primary}. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class PrimaryOfTwoMemories {
        @org.springframework.context.annotation.Bean
        @org.springframework.context.annotation.Primary
        ChatMemory userMemory(ChatMemoryRepository repository) {
            return new TwoMemories().userMemory(repository);
        }

        @org.springframework.context.annotation.Bean
        ChatMemory scratchMemory() {
            return new TwoMemories().scratchMemory();
        }
    }

    /** A model that answers only once the test lets it, so that the context can close while a call waits on it. */
    static final class HeldModel implements ChatModel {
        final java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
        final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);

        @Override
        public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(
                    new org.springframework.ai.chat.messages.AssistantMessage("late"))));
        }

        @Override
        public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
            return getOptions();
        }

        /** The model named before the call (Spring AI 2.0 reads it here): the execution starts before the model answers. */
        public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
            return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m1").build();
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a call still waiting on its model when the context closes is failed, execution and step, before Atlas"
            + " closes: nothing is left processing")
    void callInFlightAtShutdownIsFailed() throws Exception {
        Path file = dir.resolve("held.db");
        HeldModel model = new HeldModel();
        java.util.concurrent.CompletableFuture<String> call = new java.util.concurrent.CompletableFuture<>();
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AtlasAutoConfiguration.class, AtlasSpringAiAutoConfiguration.class,
                        ChatMemoryAutoConfiguration.class, ChatClientAutoConfiguration.class))
                .withPropertyValues("atlas.sqlite-path=" + file)
                .withBean(ChatModel.class, () -> model)
                .run(context -> {
                    ChatClient chat = context.getBean(ChatClient.Builder.class).build();
                    Thread caller = new Thread(() -> {
                        try {
                            call.complete(chat.prompt().user("hi").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "held")).call().content());
                        } catch (Throwable t) {
                            call.completeExceptionally(t);
                        }
                    });
                    caller.start();
                    model.entered.await();
                    context.close();
                    model.release.countDown();
                    caller.join();
                });
        try (dev.atlas.Atlas atlas = dev.atlas.Atlas.sqlite(file)) {
            var execution = atlas.executions().list(dev.atlas.execution.ExecutionQuery.all()).items();
            assertThat(execution).singleElement().satisfies(e -> {
                assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
                assertThat(e.error()).isEqualTo(AtlasRecordingAdvisor.SHUT_DOWN);
                assertThat(atlas.executions().tree(e.id()).orElseThrow().steps()).singleElement().satisfies(step -> {
                    assertThat(step.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
                    assertThat(step.error()).isEqualTo(AtlasRecordingAdvisor.SHUT_DOWN);
                });
            });
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("zero glue: an answer with a NUL reaches the caller unchanged, called and streamed, and the chat memory"
            + " keeps a cleaned copy; the executions complete")
    void unstorableAnswerThroughBootIsKeptCleaned() {
        ChatModel nul = new ChatModel() {
            @Override
            public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
                return new org.springframework.ai.chat.model.ChatResponse(List.of(new org.springframework.ai.chat.model.Generation(
                        new org.springframework.ai.chat.messages.AssistantMessage("a\u0000b"))));
            }

            @Override
            public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
                return reactor.core.publisher.Flux.just(call(prompt));
            }

            @Override
            public org.springframework.ai.chat.prompt.ChatOptions getDefaultOptions() {
                return getOptions();
            }

            public org.springframework.ai.chat.prompt.ChatOptions getOptions() {
                return org.springframework.ai.model.tool.ToolCallingChatOptions.builder().model("m").build();
            }
        };
        runner().withBean("nulModel", ChatModel.class, () -> nul, d -> d.setPrimary(true)).run(context -> {
            ChatClient chat = context.getBean(ChatClient.Builder.class).build();
            assertThat(chat.prompt().user("hi").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "nul")).call().content()).isEqualTo("a\u0000b");
            assertThat(String.join("", chat.prompt().user("again").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "nul"))
                    .stream().content().collectList().block(java.time.Duration.ofMinutes(1)))).isEqualTo("a\u0000b");
            Tenant tenant = context.getBean(Tenant.class);
            var conversation = tenant.conversations().requireByKey("nul");
            assertThat(tenant.conversations().messages(conversation.id(), 0, 10)).extracting(dev.atlas.conversation.Message::content)
                    .containsExactly("hi", "a\uFFFDb", "again", "a\uFFFDb");
            assertThat(tenant.executions().list(dev.atlas.execution.ExecutionQuery.all().conversation(conversation.id())).items())
                    .hasSize(2).allSatisfy(e -> {
                        assertThat(e.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
                        // An anonymous class has no name to take a provider from (not AtlasSpringAiAutoConfigurationTest$12).
                        assertThat(e.provider()).isEqualTo("spring-ai");
                    });
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("memory beans the auto-configuration cannot use fail start-up naming them, instead of failing every chat"
            + " or keeping no memory: an AtlasChatMemoryRepository bean of another tenant than the Tenant bean's; two"
            + " AtlasChatMemoryRepository beans and none @Primary with the advisors on (the recording would link no conversation)")
    void unusableMemoryBeansFailStartUp() {
        runner().withUserConfiguration(OtherTenantsMemory.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(org.assertj.core.util.Throwables.getRootCause(context.getStartupFailure()))
                    .isInstanceOf(dev.atlas.ConfigurationException.class)
                    .hasMessage("the AtlasChatMemoryRepository bean is the chat memory of tenant other, not of the Tenant bean's default");
        });
        // Two repositories and none @Primary: the recording advisor would link executions to no conversation.
        runner().withUserConfiguration(TwoRepositories.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(org.assertj.core.util.Throwables.getRootCause(context.getStartupFailure()))
                    .isExactlyInstanceOf(dev.atlas.ConfigurationException.class)
                    .hasMessage("2 AtlasChatMemoryRepository beans (deskMemory, userMemory) and none is @Primary: mark the one the"
                            + " auto-configured AtlasRecordingAdvisor links executions to @Primary, or declare your own"
                            + " AtlasRecordingAdvisor bean (AtlasRecordingAdvisor.of)");
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("atlas.spring-ai.advisors=false (Boot's builder left alone) and two agents, each with its own"
            + " Atlas repository and ChatMemory, neither @Primary: the application starts (the repository lookup is the advisors')")
    void advisorsOffWithTwoRepositoriesStarts() {
        runner().withPropertyValues("atlas.spring-ai.advisors=false").withUserConfiguration(TwoAgents.class)
                .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    @org.junit.jupiter.api.DisplayName("two ChatMemory beans, neither @Primary: the application starts; a client of Boot's builder refuses a"
            + " call naming a conversation with a ConfigurationException saying what to do (it would keep no memory), answers one"
            + " without; a client adding its own MessageChatMemoryAdvisor keeps its memory. The start-up warning is logged once,"
            + " when Boot's builder is first made, however many builders and clients follow")
    @org.junit.jupiter.api.extension.ExtendWith(org.springframework.boot.test.system.OutputCaptureExtension.class)
    void twoMemoriesStartAndAClientWithoutItsOwnMemoryAdvisorRefusesConversations(org.springframework.boot.test.system.CapturedOutput log) {
        runner().withUserConfiguration(TwoMemories.class).run(context -> {
            assertThat(context).hasNotFailed();
            ChatClient plain = context.getBean(ChatClient.Builder.class).build();
            context.getBean(ChatClient.Builder.class).build();
            context.getBean(ChatClient.Builder.class).clone().build();
            // The application's log as the test's SLF4J binding writes it (logback's console; slf4j-simple's standard error):
            // one warning for the three builders, its text exact.
            assertThat(log.getAll().lines().filter(l -> l.contains("Atlas Spring AI: "))).singleElement().satisfies(line -> {
                assertThat(line).contains("WARN").contains("AtlasSpringAiAutoConfiguration");
                assertThat(line).endsWith(" Atlas Spring AI: 2 ChatMemory beans (scratchMemory, userMemory) and none is @Primary:"
                        + " a ChatClient of Boot's ChatClient.Builder refuses calls naming a conversation unless it has a memory"
                        + " advisor of its own");
            });
            String refusal = "this call names a conversation (ChatMemory.CONVERSATION_ID) but its ChatClient keeps no chat memory:"
                    + " the application has 2 ChatMemory beans (scratchMemory, userMemory) and none is @Primary, and the client"
                    + " has no memory advisor of its own; mark the one Boot's ChatClient.Builder keeps conversations in @Primary,"
                    + " or add the memory's advisor to the client (builder.defaultAdvisors(MessageChatMemoryAdvisor.builder(memory)"
                    + ".build()))";
            org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                            plain.prompt().user("hello").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "u0")).call().content())
                    .isExactlyInstanceOf(dev.atlas.ConfigurationException.class).hasMessage(refusal);
            // Streamed, the same refusal, as the stream's error.
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> plain.prompt().user("hello")
                            .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "u0")).stream().content().blockLast())
                    .isExactlyInstanceOf(dev.atlas.ConfigurationException.class).hasMessage(refusal);
            Tenant tenant = context.getBean(Tenant.class);
            // Refused before anything is written: no conversation, no execution.
            assertThat(tenant.conversations().getByKey("u0")).isEmpty();
            assertThat(tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items()).isEmpty();
            assertThat(plain.prompt().user("hi").call().content()).isEqualTo("echo: hi");
            ChatMemory user = context.getBean("userMemory", ChatMemory.class);
            ChatClient chat = context.getBean(ChatClient.Builder.class).clone()
                    .defaultAdvisors(org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor.builder(user).build()).build();
            chat.prompt().user("hello").advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "u1")).call().content();
            assertThat(tenant.conversations().messages(tenant.conversations().requireByKey("u1").id(), 0, 10))
                    .extracting(dev.atlas.conversation.Message::content).containsExactly("hello", "echo: hello");
        });
    }

    /** Two agents of one tenant, each with its own repository and memory; neither is {@code @Primary}. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class TwoAgents {
        @org.springframework.context.annotation.Bean
        AtlasChatMemoryRepository supportRepository(Tenant tenant) {
            return AtlasChatMemoryRepository.of(tenant, dev.atlas.Owner.of("app", "spring-ai"), "support");
        }

        @org.springframework.context.annotation.Bean
        AtlasChatMemoryRepository salesRepository(Tenant tenant) {
            return AtlasChatMemoryRepository.of(tenant, dev.atlas.Owner.of("app", "spring-ai"), "sales");
        }

        @org.springframework.context.annotation.Bean
        ChatMemory supportMemory(@org.springframework.beans.factory.annotation.Qualifier("supportRepository") AtlasChatMemoryRepository r) {
            return org.springframework.ai.chat.memory.MessageWindowChatMemory.builder().chatMemoryRepository(r).build();
        }

        @org.springframework.context.annotation.Bean
        ChatMemory salesMemory(@org.springframework.beans.factory.annotation.Qualifier("salesRepository") AtlasChatMemoryRepository r) {
            return org.springframework.ai.chat.memory.MessageWindowChatMemory.builder().chatMemoryRepository(r).build();
        }
    }

    /** Two Atlas repositories of the Tenant bean's tenant (other owners), neither {@code @Primary}, and the memory on one. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class TwoRepositories {
        @org.springframework.context.annotation.Bean
        AtlasChatMemoryRepository userMemory(Tenant tenant) {
            return AtlasChatMemoryRepository.of(tenant, dev.atlas.Owner.of("app", "users"), null);
        }

        @org.springframework.context.annotation.Bean
        AtlasChatMemoryRepository deskMemory(Tenant tenant) {
            return AtlasChatMemoryRepository.of(tenant, dev.atlas.Owner.of("app", "desk"), null);
        }

        @org.springframework.context.annotation.Bean
        ChatMemory chatMemory(@org.springframework.beans.factory.annotation.Qualifier("userMemory") AtlasChatMemoryRepository repository) {
            return org.springframework.ai.chat.memory.MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        }
    }

    /** Two chat memories, neither {@code @Primary}: one on Atlas, a scratch one in memory. */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class TwoMemories {
        @org.springframework.context.annotation.Bean
        ChatMemory userMemory(ChatMemoryRepository repository) {
            return org.springframework.ai.chat.memory.MessageWindowChatMemory.builder().chatMemoryRepository(repository).build();
        }

        @org.springframework.context.annotation.Bean
        ChatMemory scratchMemory() {
            return org.springframework.ai.chat.memory.MessageWindowChatMemory.builder()
                    .chatMemoryRepository(new InMemoryChatMemoryRepository()).build();
        }
    }

    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    static class OtherTenantsMemory {
        @org.springframework.context.annotation.Bean
        AtlasChatMemoryRepository otherMemory(dev.atlas.Atlas atlas) {
            return AtlasChatMemoryRepository.of(atlas.tenant("other"), dev.atlas.Owner.of("app", "x"), null);
        }
    }

    @Test
    void theApplicationsOwnRepositoryWinsAndAdvisorsCanBeOff() {
        runner().withBean(ChatMemoryRepository.class, InMemoryChatMemoryRepository::new)
                .withPropertyValues("atlas.spring-ai.advisors=false")
                .run(context -> {
                    assertThat(context.getBean(ChatMemoryRepository.class)).isInstanceOf(InMemoryChatMemoryRepository.class);
                    assertThat(context).doesNotHaveBean(ChatClientCustomizer.class);
                    assertThat(context).hasSingleBean(AtlasRecordingAdvisor.class);
                });
    }

    /** The scripted model's {@code lookup}, failing for odd orders. */
    public static class ArchivedOrders {
        @org.springframework.ai.tool.annotation.Tool(name = "lookup", description = "Looks up the status of an order")
        public String lookup(int order) {
            if (order % 2 == 1) {
                throw new IllegalStateException("order " + order + " is archived");
            }
            return "order " + order + " shipped";
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a streamed call through Boot's ChatClient whose tool throws for one of two calls: that call is recorded failed"
            + " with the tool's error, the other completed, and the model answers from Spring AI's error text")
    void streamedThrowingToolThroughBootIsRecordedAsFailed() {
        runner().run(context -> {
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new ArchivedOrders()).build();
            String answer = String.join("", chat.prompt().user("where is order 4?")
                    .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "archived")).stream().content().collectList().block());
            assertThat(answer).isEqualTo("Status: \"order 4 shipped\" order 5 is archived");
            Tenant tenant = context.getBean(Tenant.class);
            var execution = tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().get(0);
            assertThat(execution.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.COMPLETED);
            var calls = tenant.executions().tree(execution.id()).orElseThrow().toolCalls();
            assertThat(calls).extracting(dev.atlas.execution.ToolCall::status)
                    .containsExactly(dev.atlas.execution.ExecutionStatus.COMPLETED, dev.atlas.execution.ExecutionStatus.FAILED);
            assertThat(calls).extracting(dev.atlas.execution.ToolCall::error).containsExactly(null, "order 5 is archived");
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("without a ToolCallingManager bean, the tool loop's manager uses the application's ToolExecutionExceptionProcessor:"
            + " one that rethrows fails the call, and the tool call is recorded failed with the tool's error")
    void applicationsToolExecutionExceptionProcessorIsUsed() {
        runner().withBean(org.springframework.ai.tool.execution.ToolExecutionExceptionProcessor.class,
                () -> new org.springframework.ai.tool.execution.DefaultToolExecutionExceptionProcessor(true)).run(context -> {
            ChatClient chat = context.getBean(ChatClient.Builder.class).defaultTools(new ArchivedOrders()).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> chat.prompt().user("where is order 4?")
                    .advisors(a -> a.param(ChatMemory.CONVERSATION_ID, "rethrown")).call().content())
                    .hasMessage("order 5 is archived");
            Tenant tenant = context.getBean(Tenant.class);
            var execution = tenant.executions().list(dev.atlas.execution.ExecutionQuery.all()).items().get(0);
            assertThat(execution.status()).isEqualTo(dev.atlas.execution.ExecutionStatus.FAILED);
            // The lookup of order 4 ran, but its result never reached the model: the round was cut short.
            assertThat(tenant.executions().tree(execution.id()).orElseThrow().toolCalls())
                    .extracting(dev.atlas.execution.ToolCall::error).containsExactly("interrupted: "
                            + new org.springframework.ai.tool.execution.ToolExecutionException(null, new IllegalStateException("order 5 is archived")),
                            "order 5 is archived");
        });
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a switch set to neither true nor false fails start-up naming it, instead of silently switching the advisors off")
    void unknownSwitchValuesFailStartUp() {
        for (String property : new String[] {"atlas.spring-ai.advisors", "atlas.spring-ai.tool-loop-advisor", "atlas.migrate"}) {
            runner().withPropertyValues(property + "=maybe").run(context -> {
                assertThat(context).hasFailed();
                Throwable t = context.getStartupFailure();
                while (t != null && !(t instanceof org.springframework.boot.context.properties.bind.BindException)) {
                    t = t.getCause();
                }
                assertThat(t).as(property).isNotNull().hasMessage("Failed to bind properties under '" + property + "' to boolean");
            });
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a misspelt atlas.spring-ai.* property fails start-up naming it and the setting meant; the right ones start")
    void misspeltSpringAiPropertyIsNamed() {
        runner().withPropertyValues("atlas.spring-ai.ownr-id=support").run(context -> {
            assertThat(context).hasFailed();
            assertThat(org.assertj.core.util.Throwables.getRootCause(context.getStartupFailure()))
                    .isInstanceOf(dev.atlas.ConfigurationException.class)
                    .hasMessage("atlas.spring-ai.ownr-id is not an Atlas setting (did you mean atlas.spring-ai.owner-id?)");
        });
        runner().withPropertyValues("atlas.spring-ai.owner-id=support", "atlas.spring-ai.toolLoopAdvisor=true", "atlas.spring-ai.agent=desk")
                .run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a Spring AI setting written without its spring-ai segment (atlas.agent, atlas.provider, atlas.advisors)"
            + " fails start-up naming the atlas.spring-ai.* setting meant, not another one near in spelling (atlas.tenant)")
    void springAiSettingWithoutItsSegmentIsNamed() {
        String[][] cases = {{"atlas.agent=orders", "atlas.agent is not an Atlas setting (did you mean atlas.spring-ai.agent?)"},
                {"atlas.provider=openai", "atlas.provider is not an Atlas setting (did you mean atlas.spring-ai.provider?)"},
                {"atlas.advisors=false", "atlas.advisors is not an Atlas setting (did you mean atlas.spring-ai.advisors?)"},
                {"atlas.owner-id=desk", "atlas.owner-id is not an Atlas setting (did you mean atlas.spring-ai.owner-id?)"}};
        for (String[] c : cases) {
            runner().withPropertyValues(c[0]).run(context -> {
                assertThat(context).hasFailed();
                assertThat(org.assertj.core.util.Throwables.getRootCause(context.getStartupFailure()))
                        .isInstanceOf(dev.atlas.ConfigurationException.class).hasMessage(c[1]);
            });
        }
    }

    @Test
    @org.junit.jupiter.api.DisplayName("a bad atlas.spring-ai.* value fails start-up naming the property, before Atlas creates or migrates its database")
    void badSpringAiPropertiesFailStartUpNamingTheProperty() {
        String[][] cases = {{"atlas.spring-ai.owner-type= ", "atlas.spring-ai.owner-type: must not be blank"},
                {"atlas.spring-ai.agent=" + "x".repeat(256), "atlas.spring-ai.agent: is 256 characters; at most 255 are allowed"},
                {"atlas.spring-ai.provider= ", "atlas.spring-ai.provider: must not be blank"},
                {"atlas.spring-ai.owner-id=a\u0000b", "atlas.spring-ai.owner-id: contains a NUL character (U+0000) at index 1, which databases cannot store"},
                // An environment variable missing in this deployment: Boot binds the literal text, an owner id of '${...}'.
                {"atlas.spring-ai.owner-id=${ATLAS_TEST_UNSET_OWNER}", "atlas.spring-ai.owner-id refers to ATLAS_TEST_UNSET_OWNER, which is not"
                        + " set (no environment variable or property of that name): set it, or give a default with ${ATLAS_TEST_UNSET_OWNER:...}"},
                // The same in a relaxed form Boot binds as the setting.
                {"atlas.springAi.ownerId=${ATLAS_TEST_UNSET_OWNER}", "atlas.spring-ai.owner-id refers to ATLAS_TEST_UNSET_OWNER, which is not"
                        + " set (no environment variable or property of that name): set it, or give a default with ${ATLAS_TEST_UNSET_OWNER:...}"}};
        for (String[] c : cases) {
            runner().withPropertyValues(c[0]).run(context -> {
                assertThat(context).hasFailed();
                assertThat(rootOrSelf(context.getStartupFailure()))
                        .isInstanceOf(dev.atlas.ConfigurationException.class).hasMessage(c[1]);
            });
            // Refused before Atlas opened (and migrated) its database.
            assertThat(dir.resolve("atlas.db")).as(c[0]).doesNotExist();
        }
    }

    private static Throwable rootOrSelf(Throwable t) {
        Throwable root = org.assertj.core.util.Throwables.getRootCause(t);
        return root != null ? root : t;
    }
}
