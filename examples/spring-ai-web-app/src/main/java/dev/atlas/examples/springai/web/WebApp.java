package dev.atlas.examples.springai.web;

import dev.atlas.examples.springai.scripted.ScriptedChatModel;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The Spring Boot web app a newcomer writes from README.md and docs/integrations.md: Spring MVC, Spring Data JPA
 * and Actuator on the application's one DataSource, and Spring AI's {@code ChatClient} with a tool that reads JPA.
 * No Atlas type appears here: the starter and {@code atlas-spring-ai} on the class path put the chat memory, the
 * recording of every model call, the {@code atlas} health component and the {@code atlas.*} meters on that DataSource.
 * The model is {@link ScriptedChatModel}, offline; with a provider's starter the app is the same.
 */
@SpringBootApplication
public class WebApp {
    public static void main(String[] args) {
        SpringApplication.run(WebApp.class, args);
    }

    @Bean
    ChatModel chatModel() {
        return new ScriptedChatModel();
    }
}
