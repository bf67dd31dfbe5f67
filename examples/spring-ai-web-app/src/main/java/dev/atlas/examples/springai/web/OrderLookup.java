package dev.atlas.examples.springai.web;

import org.springframework.ai.tool.annotation.Tool;
import org.springframework.stereotype.Component;

/** The model's tool: an order's status, read with JPA. */
@Component
public class OrderLookup {
    private final ShopOrders orders;

    public OrderLookup(ShopOrders orders) {
        this.orders = orders;
    }

    @Tool(description = "Looks up the status of an order")
    public String lookup(int order) {
        return "order " + order + " " + orders.findById((long) order).map(ShopOrder::getStatus).orElse("unknown");
    }
}
