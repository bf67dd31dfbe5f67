package dev.atlas.examples.springai.web;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.http.MediaType;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;

/**
 * {@code POST /chats/{id}} asks the model in chat {@code id}, {@code POST /chats/{id}/stream} likewise with the answer
 * streamed; {@code PUT /orders/{id}} stores an order's status.
 */
@RestController
public class ChatController {
    private final ChatClient chat;
    private final ShopOrders orders;

    public ChatController(ChatClient.Builder builder, OrderLookup tools, ShopOrders orders) {
        this.chat = builder.defaultTools(tools).build();
        this.orders = orders;
    }

    @PostMapping("/chats/{id}")
    public String ask(@PathVariable String id, @RequestBody String question) {
        return chat.prompt().user(question).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, id)).call().content();
    }

    /** The answer as server-sent events, streamed as the model sends it. */
    @PostMapping(value = "/chats/{id}/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<String> stream(@PathVariable String id, @RequestBody String question) {
        return chat.prompt().user(question).advisors(a -> a.param(ChatMemory.CONVERSATION_ID, id)).stream().content();
    }

    @PutMapping("/orders/{id}")
    @Transactional
    public String order(@PathVariable long id, @RequestBody String status) {
        orders.save(new ShopOrder(id, status));
        return status;
    }
}
