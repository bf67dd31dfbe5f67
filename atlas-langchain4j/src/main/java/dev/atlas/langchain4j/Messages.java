package dev.atlas.langchain4j;

import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ChatMessageDeserializer;
import dev.langchain4j.data.message.ChatMessageSerializer;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.CustomMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Maps LangChain4j messages to Atlas rows and back. Role and text go to Atlas's own columns so
 * Atlas's history reads naturally; whatever those columns cannot carry exactly (tool requests, a
 * tool result's id, name and error flag, a user name, thinking, attributes, non-text contents) is
 * kept under the {@value #KEY} metadata key, and a message is rebuilt from it exactly.
 */
final class Messages {
    /** The metadata key holding what the columns cannot carry. */
    static final String KEY = "langchain4j";

    private Messages() {}

    static NewMessage toAtlas(ChatMessage message) {
        Role role = role(message);
        String content = text(message);
        Map<String, Object> extra = new LinkedHashMap<>();
        if (message instanceof ToolExecutionResultMessage tool) {
            // The common tool result (one text, no attributes) keeps its identity as three small
            // fields rather than a second copy of its possibly large text.
            extra.put("toolCallId", tool.id());
            extra.put("toolName", tool.toolName());
            extra.put("isError", tool.isError());
        } else if (message instanceof UserMessage user && user.name() != null) {
            extra.put("name", user.name());
        }
        if (!exact(message, rebuild(role, content, extra))) {
            extra.clear();
            extra.put("json", ChatMessageSerializer.messageToJson(message));
        }
        NewMessage m = message instanceof CustomMessage
                ? NewMessage.json(role, "{}")
                : NewMessage.of(role, content);
        if (!extra.isEmpty()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put(KEY, extra);
            m = m.metadata(meta);
        }
        return m;
    }

    static ChatMessage fromAtlas(Message row) {
        Object extra = row.metadata().get(KEY);
        Map<?, ?> fields = extra instanceof Map<?, ?> map ? map : Map.of();
        Object json = fields.get("json");
        if (json instanceof String s) {
            return ChatMessageDeserializer.messageFromJson(s);
        }
        return rebuild(row.role(), row.content(), fields);
    }

    private static boolean exact(ChatMessage original, ChatMessage rebuilt) {
        return rebuilt != null && rebuilt.equals(original);
    }

    /** The message the columns (and the small fields) describe, or {@code null} when they cannot describe one. */
    private static ChatMessage rebuild(Role role, String content, Map<?, ?> fields) {
        try {
            return switch (role) {
                case SYSTEM -> SystemMessage.from(content);
                case USER -> fields.get("name") instanceof String name ? UserMessage.from(name, content) : UserMessage.from(content);
                case ASSISTANT -> AiMessage.from(content);
                case TOOL -> ToolExecutionResultMessage.builder()
                        .id((String) fields.get("toolCallId"))
                        .toolName((String) fields.get("toolName"))
                        .text(content)
                        .isError((Boolean) fields.get("isError"))
                        .build();
            };
        } catch (RuntimeException e) {
            // LangChain4j refuses some shapes (a blank text, for one): such a message is kept as JSON.
            return null;
        }
    }

    private static Role role(ChatMessage message) {
        return switch (message.type()) {
            case SYSTEM -> Role.SYSTEM;
            case USER, CUSTOM -> Role.USER;
            case AI -> Role.ASSISTANT;
            case TOOL_EXECUTION_RESULT -> Role.TOOL;
        };
    }

    private static String text(ChatMessage message) {
        String text;
        if (message instanceof SystemMessage m) {
            text = m.text();
        } else if (message instanceof UserMessage m) {
            text = m.hasSingleText() ? m.singleText() : texts(m.contents());
        } else if (message instanceof AiMessage m) {
            text = m.text();
        } else if (message instanceof ToolExecutionResultMessage m) {
            text = m.hasSingleText() ? m.text() : texts(m.contents());
        } else {
            text = "";
        }
        return text == null ? "" : text;
    }

    private static String texts(java.util.List<Content> contents) {
        return contents.stream().filter(TextContent.class::isInstance).map(c -> ((TextContent) c).text())
                .collect(Collectors.joining("\n"));
    }
}
