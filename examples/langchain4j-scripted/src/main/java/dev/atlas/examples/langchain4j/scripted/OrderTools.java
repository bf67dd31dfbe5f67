package dev.atlas.examples.langchain4j.scripted;

import dev.langchain4j.agent.tool.Tool;

/** The one tool of the LangChain4j example and tests: odd order numbers fail, so results with {@code isError} appear. */
public final class OrderTools {
    /** The status of {@code order}; throws for an odd number (LangChain4j sends the model an error result). */
    @Tool("Looks up an order's status")
    public String lookup(String order) {
        if (Integer.parseInt(order) % 2 == 1) {
            throw new IllegalStateException("order " + order + " is archived");
        }
        return "order " + order + " shipped";
    }
}
