package dev.atlas.examples.springai;

import org.springframework.ai.tool.annotation.Tool;

/** The one tool of the tests: order statuses, deterministic. */
public class OrderTools {
    @Tool(description = "Looks up the status of an order")
    public String lookup(int order) {
        return "order " + order + " " + (order % 2 == 0 ? "shipped" : "packed");
    }
}
