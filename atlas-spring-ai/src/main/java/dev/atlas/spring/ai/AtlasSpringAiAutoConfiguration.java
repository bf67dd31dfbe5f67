package dev.atlas.spring.ai;

import dev.atlas.ConfigurationException;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import org.springframework.ai.chat.client.ChatClientCustomizer;
import org.springframework.ai.chat.client.advisor.MessageChatMemoryAdvisor;
import org.springframework.ai.chat.client.advisor.api.Advisor;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.memory.ChatMemoryRepository;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.model.tool.DefaultToolCallingManager;
import org.springframework.ai.model.tool.ToolCallingManager;
import org.springframework.ai.tool.execution.ToolExecutionExceptionProcessor;
import org.springframework.ai.tool.resolution.ToolCallbackResolver;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Spring AI on Atlas with no glue: with the Atlas starter and this module on the classpath, the
 * application's {@link ChatMemoryRepository} is an {@link AtlasChatMemoryRepository} (Spring AI's
 * {@code ChatMemoryAutoConfiguration} then builds its {@code MessageWindowChatMemory} on it instead
 * of the in-memory default, because it only creates a repository when none exists and runs after
 * this), and every {@code ChatClient} built from Boot's {@code ChatClient.Builder} gets
 * {@code MessageChatMemoryAdvisor} (on the {@code ChatMemory} bean, the {@code @Primary} one of several), the tool
 * loop in the advisor chain and {@link AtlasRecordingAdvisor}. {@code atlas.spring-ai.advisors=false} leaves the
 * builder alone.
 *
 * <p>Several {@code ChatMemory} beans and none primary do not stop start-up (a warning is logged once, when Boot's
 * builder is first made): a client of Boot's builder refuses a call naming a conversation with a {@link ConfigurationException}
 * saying what to do, unless the application added a memory advisor of its own to that client; a call without a
 * conversation goes through. Several {@link AtlasChatMemoryRepository} beans and none primary fail start-up with a
 * {@link ConfigurationException} naming them while the advisors are on (the recording links executions to one);
 * with them off the auto-configured {@link AtlasRecordingAdvisor} links executions to the one repository, or to no
 * conversation when there are several.
 */
@AutoConfiguration(afterName = "dev.atlas.spring.boot.AtlasAutoConfiguration",
        beforeName = {"org.springframework.ai.model.chat.memory.autoconfigure.ChatMemoryAutoConfiguration",
                "org.springframework.ai.model.chat.client.autoconfigure.ChatClientAutoConfiguration"})
@ConditionalOnClass({Tenant.class, ChatMemoryRepository.class})
@ConditionalOnBean(Tenant.class)
@EnableConfigurationProperties(AtlasSpringAiProperties.class)
public class AtlasSpringAiAutoConfiguration {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AtlasSpringAiAutoConfiguration.class);

    /**
     * {@code atlas.spring-ai.*} checked before any bean is made: the beans that use them need the
     * Tenant bean, so Atlas would otherwise have created and migrated its database before a bad
     * value stopped start-up.
     */
    @Bean
    static BeanFactoryPostProcessor atlasSpringAiPropertiesCheck(Environment environment) {
        return factory -> {
            AtlasSpringAiProperties p = Binder.get(environment).bindOrCreate("atlas.spring-ai", AtlasSpringAiProperties.class);
            try {
                Owner.of(p.getOwnerType(), p.getOwnerId());
                if (p.getAgent() != null) {
                    Limits.requireKey("agent", p.getAgent());
                }
                if (p.getProvider() != null) {
                    Limits.requireKey("provider", p.getProvider());
                }
            } catch (InvalidInputException e) {
                throw asProperty(e);
            }
        };
    }

    @Bean
    @ConditionalOnMissingBean(ChatMemoryRepository.class)
    public AtlasChatMemoryRepository atlasChatMemoryRepository(Tenant tenant, AtlasSpringAiProperties properties) {
        try {
            return AtlasChatMemoryRepository.of(tenant, Owner.of(properties.getOwnerType(), properties.getOwnerId()), properties.getAgent());
        } catch (InvalidInputException e) {
            throw asProperty(e);
        }
    }

    @Bean
    @ConditionalOnMissingBean
    public AtlasRecordingAdvisor atlasRecordingAdvisor(Tenant tenant, ObjectProvider<AtlasChatMemoryRepository> repository,
                                                       ObjectProvider<ChatModel> chatModel, AtlasSpringAiProperties properties) {
        String provider = properties.getProvider();
        if (provider == null) {
            ChatModel model = chatModel.getIfUnique();
            // The target's class: an aspect of the application's proxies the model ($Proxy42, *$$SpringCGLIB$$0).
            provider = model == null ? "spring-ai" : providerOf(org.springframework.aop.support.AopUtils.getTargetClass(model));
        }
        AtlasChatMemoryRepository conversations;
        try {
            // With the advisors off the application builds its clients (and often its own recording advisors, one per
            // repository): several repositories are its design, and this bean links executions to the one of them only.
            conversations = properties.isAdvisors() ? repository.getIfAvailable() : repository.getIfUnique();
        } catch (org.springframework.beans.factory.NoUniqueBeanDefinitionException e) {
            // getIfUnique gave null: every execution through Boot's builder would silently have no conversation.
            throw new ConfigurationException(e.getNumberOfBeansFound() + " AtlasChatMemoryRepository beans (" + names(e)
                    + ") and none is @Primary: mark the one the auto-configured AtlasRecordingAdvisor links executions to @Primary,"
                    + " or declare your own AtlasRecordingAdvisor bean (AtlasRecordingAdvisor.of)");
        }
        try {
            return AtlasRecordingAdvisor.of(tenant, conversations, provider, properties.getAgent());
        } catch (InvalidInputException e) {
            if ("conversations".equals(e.field())) {
                // The application's own repository bean, not a property: every chat would fail on it.
                throw new ConfigurationException("the AtlasChatMemoryRepository bean is the chat memory of tenant "
                        + conversations.tenant().id() + ", not of the Tenant bean's " + tenant.id());
            }
            throw asProperty(e);
        }
    }

    /** The names of the beans {@code e} found, sorted, comma-separated. */
    static String names(org.springframework.beans.factory.NoUniqueBeanDefinitionException e) {
        return e.getBeanNamesFound() == null ? "" : String.join(", ", e.getBeanNamesFound().stream().sorted().toList());
    }

    /** A refused setting, named as the {@code atlas.spring-ai.*} property the application set. */
    static ConfigurationException asProperty(InvalidInputException e) {
        String property = switch (e.field()) {
            case "owner.type" -> "owner-type";
            case "owner.id" -> "owner-id";
            default -> e.field();
        };
        return new ConfigurationException("atlas.spring-ai." + property + e.getMessage().substring(e.field().length()));
    }

    /**
     * "OpenAiChatModel" → "openai"; a class not named *ChatModel gives its simple name in lower case; a class
     * without a name of its own (a lambda's hidden class, named anew every run; an anonymous or synthetic one)
     * "spring-ai", so that its executions keep one provider (and its prices) across restarts.
     */
    static String providerOf(Class<?> type) {
        if (type.isHidden() || type.isAnonymousClass() || type.isSynthetic()) {
            return "spring-ai";
        }
        String name = type.getSimpleName();
        if (name.endsWith("ChatModel") && name.length() > "ChatModel".length()) {
            name = name.substring(0, name.length() - "ChatModel".length());
        }
        return name.toLowerCase(Locale.ROOT);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ChatClientCustomizer.class)
    @ConditionalOnProperty(prefix = "atlas.spring-ai", name = "advisors", havingValue = "true", matchIfMissing = true)
    static class Advisors {
        @Bean
        ChatClientCustomizer atlasChatClientCustomizer(AtlasRecordingAdvisor recording, ObjectProvider<ChatMemory> chatMemory,
                                                       ObjectProvider<ToolCallingManager> toolCallingManager,
                                                       ObjectProvider<ToolExecutionExceptionProcessor> exceptionProcessor,
                                                       ObjectProvider<ToolCallbackResolver> toolCallbackResolver,
                                                       ObjectProvider<ObservationRegistry> observationRegistry,
                                                       AtlasSpringAiProperties properties) {
            java.util.concurrent.atomic.AtomicBoolean warned = new java.util.concurrent.atomic.AtomicBoolean();
            return builder -> {
                List<Advisor> advisors = new ArrayList<>(recording.advisors());
                // Looked up when Boot's builder is made (as a client is built), not at start-up: an application with
                // several memories and its own advisors, or one that never uses Boot's builder, starts.
                ChatMemory memory = null;
                try {
                    memory = chatMemory.getIfAvailable();
                } catch (org.springframework.beans.factory.NoUniqueBeanDefinitionException e) {
                    String refusal = "this call names a conversation (ChatMemory.CONVERSATION_ID) but its ChatClient keeps no chat"
                            + " memory: the application has " + e.getNumberOfBeansFound() + " ChatMemory beans (" + names(e)
                            + ") and none is @Primary, and the client has no memory advisor of its own; mark the one Boot's"
                            + " ChatClient.Builder keeps conversations in @Primary, or add the memory's advisor to the client"
                            + " (builder.defaultAdvisors(MessageChatMemoryAdvisor.builder(memory).build()))";
                    if (warned.compareAndSet(false, true)) {
                        log.warn("Atlas Spring AI: {} ChatMemory beans ({}) and none is @Primary: a ChatClient of Boot's"
                                + " ChatClient.Builder refuses calls naming a conversation unless it has a memory advisor of its own",
                                e.getNumberOfBeansFound(), names(e));
                    }
                    advisors.add(ConversationScopedAdvisor.refusing(refusal));
                }
                if (memory != null) {
                    advisors.add(new ConversationScopedAdvisor(MessageChatMemoryAdvisor.builder(memory).build()));
                }
                if (properties.isToolLoopAdvisor()) {
                    ToolCallingManager manager = toolCallingManager.getIfUnique(() -> {
                        // No manager bean (Spring AI's tool auto-configuration is absent): one built as it would
                        // build it, from the application's beans, so that a processor set to rethrow still does.
                        DefaultToolCallingManager.Builder b = ToolCallingManager.builder();
                        exceptionProcessor.ifUnique(b::toolExecutionExceptionProcessor);
                        toolCallbackResolver.ifUnique(b::toolCallbackResolver);
                        observationRegistry.ifUnique(b::observationRegistry);
                        return b.build();
                    });
                    advisors.add(AtlasToolLoopAdvisor.of(manager, memory == null));
                }
                builder.defaultAdvisors(advisors);
            };
        }
    }
}
