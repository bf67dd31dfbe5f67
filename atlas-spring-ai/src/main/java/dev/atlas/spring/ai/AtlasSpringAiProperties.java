package dev.atlas.spring.ai;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code atlas.spring-ai.*}: how Spring AI's chat memory and model calls land in Atlas. */
@ConfigurationProperties("atlas.spring-ai")
public class AtlasSpringAiProperties {
    /** Owner type of the conversations chat memory creates (Atlas conversations always have an owner). */
    private String ownerType = "app";
    /** Owner id of the conversations chat memory creates. */
    private String ownerId = "spring-ai";
    /** Agent key recorded on conversations and executions, or none. */
    private String agent;
    /** Provider name recorded on executions; by default taken from the ChatModel's class (OpenAiChatModel: "openai"; a lambda or anonymous class: "spring-ai"). */
    private String provider;
    /** Whether every ChatClient built from Boot's ChatClient.Builder gets the memory, tool loop and recording advisors. */
    private boolean advisors = true;
    /** Whether the tool loop runs in the advisor chain (so each round is recorded and kept in memory). */
    private boolean toolLoopAdvisor = true;

    public String getOwnerType() {
        return ownerType;
    }

    public void setOwnerType(String ownerType) {
        this.ownerType = ownerType;
    }

    public String getOwnerId() {
        return ownerId;
    }

    public void setOwnerId(String ownerId) {
        this.ownerId = ownerId;
    }

    public String getAgent() {
        return agent;
    }

    public void setAgent(String agent) {
        this.agent = agent;
    }

    public String getProvider() {
        return provider;
    }

    public void setProvider(String provider) {
        this.provider = provider;
    }

    public boolean isAdvisors() {
        return advisors;
    }

    public void setAdvisors(boolean advisors) {
        this.advisors = advisors;
    }

    public boolean isToolLoopAdvisor() {
        return toolLoopAdvisor;
    }

    public void setToolLoopAdvisor(boolean toolLoopAdvisor) {
        this.toolLoopAdvisor = toolLoopAdvisor;
    }
}
