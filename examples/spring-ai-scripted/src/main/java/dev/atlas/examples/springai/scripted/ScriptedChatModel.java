package dev.atlas.examples.springai.scripted;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import reactor.core.publisher.Flux;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An offline model: a user message containing "order N" gets two tool calls ({@code lookup} for
 * orders N and N+1, ids {@code call_<n>_a/b} where n counts this model's calls); a tool response
 * gets an answer quoting it; anything else is echoed. Every answer reports 100 input and 20 output
 * tokens. Keeps every prompt it was sent, so two runs can be compared. The one scripted Spring AI
 * model: the example app and atlas-spring-ai's tests use this class.
 */
public final class ScriptedChatModel implements ChatModel {
    private final List<List<Message>> prompts = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger calls = new AtomicInteger();

    /** Every prompt this model was sent, in order (a live, synchronised list). */
    public List<List<Message>> prompts() {
        return prompts;
    }

    /** Options naming the model {@code scripted-1}; tool calling options, as a provider's are (Spring AI 1.1). */
    @Override
    public ChatOptions getDefaultOptions() {
        return getOptions();
    }

    /**
     * The same options where Spring AI 2.0's {@code ChatClient} reads them ({@code ChatModel.getOptions()},
     * absent on 1.1, so no {@code @Override}): without tool calling options there, a 2.0 ChatClient
     * attaches no tools and the tool loop lets the call through.
     */
    public ChatOptions getOptions() {
        return ToolCallingChatOptions.builder().model("scripted-1").build();
    }

    /** One chunk per answer: what a provider streams, already whole. */
    @Override
    public Flux<ChatResponse> stream(Prompt prompt) {
        return Flux.defer(() -> Flux.just(call(prompt)));
    }

    @Override
    public ChatResponse call(Prompt prompt) {
        List<Message> in = prompt.getInstructions();
        prompts.add(List.copyOf(in));
        int n = calls.incrementAndGet();
        Message last = in.get(in.size() - 1);
        AssistantMessage out;
        String finish;
        if (last instanceof ToolResponseMessage tool) {
            StringBuilder b = new StringBuilder("Status:");
            tool.getResponses().forEach(r -> b.append(' ').append(r.responseData()));
            out = new AssistantMessage(b.toString());
            finish = "STOP";
        } else if (last instanceof UserMessage user && user.getText().contains("order ")) {
            int order = Integer.parseInt(user.getText().replaceAll("\\D+", " ").trim().split(" ")[0]);
            out = AssistantMessage.builder().content("")
                    .toolCalls(List.of(
                            new AssistantMessage.ToolCall("call_" + n + "_a", "function", "lookup", "{\"order\":" + order + "}"),
                            new AssistantMessage.ToolCall("call_" + n + "_b", "function", "lookup", "{\"order\":" + (order + 1) + "}")))
                    .build();
            finish = "TOOL_CALLS";
        } else {
            out = new AssistantMessage("echo: " + last.getText());
            finish = "STOP";
        }
        return new ChatResponse(List.of(new Generation(out, ChatGenerationMetadata.builder().finishReason(finish).build())),
                ChatResponseMetadata.builder().id("resp_" + n).model("scripted-1").usage(new DefaultUsage(100, 20)).build());
    }
}
