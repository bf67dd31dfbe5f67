package dev.atlas.langchain4j;

import dev.langchain4j.agent.tool.Tool;

/** One tool: orders with an odd number fail, so results with {@code isError} appear. */
public final class OrderTools {
    @Tool("Looks up an order's status")
    public String lookup(String order) {
        if (Integer.parseInt(order) % 2 == 1) {
            throw new IllegalStateException("order " + order + " is archived");
        }
        return "order " + order + " shipped";
    }
}
