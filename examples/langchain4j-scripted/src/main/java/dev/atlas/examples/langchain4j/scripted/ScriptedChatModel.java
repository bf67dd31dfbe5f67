package dev.atlas.examples.langchain4j.scripted;

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
 * An offline model whose answer depends only on the request, so concurrent conversations stay
 * deterministic: a user message naming "order N" asks for the {@link OrderTools#lookup} tool with
 * {@code {"order":"N"}} and call id {@code call-N}; a tool result is answered with
 * "done: &lt;result&gt;"; anything else is echoed ("echo: &lt;text&gt;"). Usage is
 * {@link #inputTokens 10 + (messages in the request)} input tokens and 5 output tokens, so tests
 * can assert it exactly. The one scripted LangChain4j model: the example app and
 * atlas-langchain4j's tests use this class.
 */
public class ScriptedChatModel implements ChatModel {
    /** The model name requested (the response names {@code MODEL + "-2026"}, as providers add a date). */
    public static final String MODEL = "scripted-1";
    /** Output tokens reported for every answer. */
    public static final int OUTPUT_TOKENS = 5;
    private static final Pattern ORDER = Pattern.compile("order (\\d+)");

    private final List<ChatModelListener> listeners;

    /** A model notifying {@code listeners} of every call (LangChain4j calls them). */
    public ScriptedChatModel(List<ChatModelListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        ChatMessage last = messages.get(messages.size() - 1);
        AiMessage answer;
        FinishReason reason = FinishReason.STOP;
        Matcher order = last instanceof UserMessage u ? ORDER.matcher(u.singleText()) : null;
        if (order != null && order.find()) {
            answer = AiMessage.from(ToolExecutionRequest.builder().id("call-" + order.group(1)).name("lookup")
                    .arguments("{\"order\":\"" + order.group(1) + "\"}").build());
            reason = FinishReason.TOOL_EXECUTION;
        } else if (last instanceof ToolExecutionResultMessage t) {
            answer = AiMessage.from("done: " + t.text());
        } else {
            answer = AiMessage.from("echo: " + ((UserMessage) last).singleText());
        }
        return ChatResponse.builder().aiMessage(answer).id("resp-" + messages.size() + "-" + last.hashCode())
                .modelName(MODEL + "-2026").tokenUsage(new TokenUsage(inputTokens(messages.size()), OUTPUT_TOKENS))
                .finishReason(reason).build();
    }

    /** The input tokens reported for a request of {@code requestMessages} messages. */
    public static int inputTokens(int requestMessages) {
        return 10 + requestMessages;
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
