package dev.atlas.examples.langchain4j;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An offline stand-in for a provider's chat model: it asks for the {@code orderStatus} tool when
 * the user names an order, answers from the tool's result, and otherwise replies politely. It
 * reports usage like a provider would (about four characters per token).
 */
final class ScriptedModel implements ChatModel {
    static final String MODEL = "gpt-4o-mini";
    private static final Pattern ORDER = Pattern.compile("order (\\d+)");

    private final List<ChatModelListener> listeners;
    private int calls;
    private int toolCalls;

    ScriptedModel(List<ChatModelListener> listeners) {
        this.listeners = listeners;
    }

    @Override
    public synchronized ChatResponse doChat(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        ChatMessage last = messages.get(messages.size() - 1);
        AiMessage answer;
        FinishReason reason = FinishReason.STOP;
        Matcher order = last instanceof UserMessage u ? ORDER.matcher(u.singleText()) : null;
        if (order != null && order.find()) {
            answer = AiMessage.from(ToolExecutionRequest.builder().id("call_" + (++toolCalls)).name("orderStatus")
                    .arguments("{\"orderId\":\"" + order.group(1) + "\"}").build());
            reason = FinishReason.TOOL_EXECUTION;
        } else if (last instanceof ToolExecutionResultMessage result) {
            answer = Boolean.TRUE.equals(result.isError())
                    ? AiMessage.from("I could not find that order (" + result.text() + ").")
                    : AiMessage.from("Your order is " + result.text() + ".");
        } else {
            answer = AiMessage.from("You're welcome! Anything else?");
        }
        int input = messages.stream().mapToInt(m -> m.toString().length()).sum() / 4;
        int output = Math.max(1, String.valueOf(answer.text()).length() / 4);
        return ChatResponse.builder().aiMessage(answer).id("chatcmpl-" + (++calls)).modelName(MODEL + "-2024-07-18")
                .tokenUsage(new TokenUsage(input, output)).finishReason(reason).build();
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return DefaultChatRequestParameters.builder().modelName(MODEL).build();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }
}
