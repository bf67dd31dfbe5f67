package dev.atlas.examples.springai.scripted;

import org.springframework.ai.tool.annotation.Tool;

/** The one tool of the Spring AI example and tests: order statuses, deterministic. */
public class OrderTools {
    /** The status of {@code order}: even orders are shipped, odd ones packed. */
    @Tool(description = "Looks up the status of an order")
    public String lookup(int order) {
        return "order " + order + " " + (order % 2 == 0 ? "shipped" : "packed");
    }
}
