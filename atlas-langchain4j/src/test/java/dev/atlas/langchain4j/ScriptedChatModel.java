package dev.atlas.langchain4j;

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

/**
 * An offline model whose answer depends only on the request: a user message containing "order N"
 * asks for the {@code lookup} tool with {@code {"order":"N"}}; a tool result is answered with
 * "done: <result>"; anything else is echoed. Usage is 10 + (messages in the request) input
 * tokens and 5 output tokens, so tests can assert it exactly.
 */
class ScriptedChatModel implements ChatModel {
    static final String MODEL = "scripted-1";

    private final List<ChatModelListener> listeners;

    ScriptedChatModel(List<ChatModelListener> listeners) {
        this.listeners = listeners;
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        List<ChatMessage> messages = request.messages();
        ChatMessage last = messages.get(messages.size() - 1);
        AiMessage answer;
        FinishReason reason = FinishReason.STOP;
        if (last instanceof UserMessage u && u.singleText().contains("order ")) {
            String order = u.singleText().substring(u.singleText().indexOf("order ") + 6).trim();
            answer = AiMessage.from(ToolExecutionRequest.builder().id("call-" + order).name("lookup")
                    .arguments("{\"order\":\"" + order + "\"}").build());
            reason = FinishReason.TOOL_EXECUTION;
        } else if (last instanceof ToolExecutionResultMessage t) {
            answer = AiMessage.from("done: " + t.text());
        } else {
            answer = AiMessage.from("echo: " + ((UserMessage) last).singleText());
        }
        return ChatResponse.builder().aiMessage(answer).id("resp-" + messages.size() + "-" + last.hashCode())
                .modelName(MODEL + "-2026").tokenUsage(new TokenUsage(10 + messages.size(), 5)).finishReason(reason).build();
    }

    static int inputTokens(int requestMessages) {
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
