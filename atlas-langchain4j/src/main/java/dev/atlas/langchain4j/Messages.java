package dev.atlas.langchain4j;

import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import dev.langchain4j.data.image.Image;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.CustomMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;

import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
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

    /**
     * The row for {@code message} whose inline images are the assets {@code assetIds} (in the order
     * of {@link #inlineImages}; empty when it has none): its JSON refers to them instead of holding
     * their bytes, which would not fit in a message's metadata.
     */
    @SuppressWarnings("unchecked")
    static NewMessage toAtlas(ChatMessage message, List<UUID> assetIds) {
        if (assetIds.isEmpty()) {
            return toAtlas(message);
        }
        NewMessage m = toAtlas(withImageReferences(message, assetIds));
        Map<String, Object> extra = new LinkedHashMap<>((Map<String, Object>) m.metadata().get(KEY));
        extra.put("assets", assetIds.stream().map(UUID::toString).toList());
        return m.metadata(Map.of(KEY, extra));
    }

    /** A message as a row, and the JSON to keep as an asset when it does not fit the row's metadata (else {@code null}). */
    record Mapped(NewMessage row, String json) {
        /** The row referring to {@code jsonAsset} as the asset holding {@link #json}. */
        @SuppressWarnings("unchecked")
        NewMessage row(UUID jsonAsset) {
            Map<String, Object> extra = new LinkedHashMap<>((Map<String, Object>) row.metadata().get(KEY));
            extra.put("jsonAsset", jsonAsset.toString());
            return row.metadata(Map.of(KEY, extra));
        }
    }

    // Room left in a row's metadata for what the store adds (the executionId of a response).
    private static final int METADATA_MARGIN = 4096;
    static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * The row for {@code message} as {@link #toAtlas(ChatMessage, List)} maps it; when its JSON
     * would make the row's metadata too large (a PDF, a tool call carrying a file, long thinking),
     * the metadata refers to the asset {@code jsonAsset} instead and {@link Mapped#json} is the text
     * to store there.
     */
    @SuppressWarnings("unchecked")
    static Mapped map(ChatMessage message, List<UUID> imageAssets, UUID jsonAsset, String field) {
        NewMessage m;
        try {
            m = toAtlas(message, imageAssets);
        } catch (dev.atlas.AtlasException e) {
            throw e;
        } catch (RuntimeException e) {
            // LangChain4j's serializer refuses what Jackson cannot write (an Instant, a bare Object in its attributes).
            throw new dev.atlas.InvalidInputException(field, "cannot be written as LangChain4j's JSON (" + e.getMessage()
                    + "); nothing was stored");
        }
        if (m.metadata().get(KEY) instanceof Map<?, ?> extra && extra.get("json") instanceof String json
                && (dev.atlas.Limits.storable(json) != json || json.contains("\\u0000") || tooLarge(m.metadata(), json))) {
            Map<String, Object> small = new LinkedHashMap<>((Map<String, Object>) extra);
            small.remove("json");
            small.put("jsonAsset", jsonAsset.toString());
            String escaped = escapeUnpairedSurrogates(json);
            if (escaped != json && !readsBack(json, escaped)) {
                // Stored, it would make every later read of the memory fail.
                throw new dev.atlas.InvalidInputException(field, "has a map key with an unpaired surrogate (in its attributes),"
                        + " which JSON cannot give back; nothing was stored");
            }
            return new Mapped(m.metadata(Map.of(KEY, small)), escaped);
        }
        return new Mapped(m, null);
    }

    /**
     * The class of {@code message}, or of one of its contents, that is not LangChain4j's own for its
     * type (an app's subclass, or its own implementation); {@code null} when there is none.
     */
    static String foreignClass(ChatMessage message) {
        if (message.type() == null || message.getClass() != message.type().messageClass()) {
            return message.getClass().getName();
        }
        for (Content c : contents(message)) {
            if (c == null || c.type() == null || c.getClass() != c.type().getContentClass()) {
                return c == null ? "null content" : c.getClass().getName();
            }
        }
        return null;
    }

    /**
     * LangChain4j's own message JSON (its mapper's mix-ins), read without Jackson's default read
     * limits, which writing does not apply: a 16 MB PDF's base64 (over 20 million characters) or an
     * attribute's 1,500-digit number would be written, then fail every later read of the memory.
     */
    private static final com.fasterxml.jackson.databind.ObjectMapper CODEC = codec();

    private static com.fasterxml.jackson.databind.ObjectMapper codec() {
        com.fasterxml.jackson.databind.ObjectMapper mapper = dev.langchain4j.data.message.JacksonChatMessageJsonCodec.chatMessageJsonMapperBuilder().build();
        mapper.getFactory().setStreamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE).maxNumberLength(Integer.MAX_VALUE).maxNameLength(Integer.MAX_VALUE).build());
        return mapper;
    }

    static String toJson(ChatMessage message) {
        try {
            return CODEC.writeValueAsString(message);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
    }

    static ChatMessage fromJson(String json) {
        try {
            return CODEC.readValue(json, ChatMessage.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(e.getOriginalMessage(), e);
        }
    }

    /** Whether {@code escaped} reads back as the message {@code json} describes: a parser refuses an unpaired surrogate in a key. */
    private static boolean readsBack(String json, String escaped) {
        try {
            return toJson(fromJson(escaped)).equals(json);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The JSON with unpaired surrogates (inside its strings) as {@code \\uXXXX} escapes, which UTF-8 bytes keep and a parser restores. */
    private static String escapeUnpairedSurrogates(String json) {
        StringBuilder out = null;
        for (int i = 0, n = json.length(); i < n; i++) {
            char c = json.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(json.charAt(i + 1));
            boolean lone = !pair && Character.isSurrogate(c);
            if (lone && out == null) {
                out = new StringBuilder(n + 16).append(json, 0, i);
            }
            if (out != null) {
                if (lone) {
                    out.append(String.format("\\u%04X", (int) c));
                } else {
                    out.append(c);
                    if (pair) {
                        out.append(json.charAt(i + 1));
                    }
                }
            }
            if (pair) {
                i++;
            }
        }
        return out == null ? json : out.toString();
    }

    private static boolean tooLarge(Map<String, Object> metadata, String json) {
        // Escaping at most sextuples a character: most messages are far below the limit.
        return json.length() >= (dev.atlas.Limits.MAX_METADATA_LENGTH - METADATA_MARGIN) / 6 && tooLarge(metadata);
    }

    private static boolean tooLarge(Map<String, Object> metadata) {
        try {
            // Serialised as Atlas serialises metadata (Jackson, non-ASCII as is), so lengths agree.
            return JSON.writeValueAsString(metadata).length() > dev.atlas.Limits.MAX_METADATA_LENGTH - METADATA_MARGIN;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return false; // Atlas refuses it with its own message
        }
    }


    /** Whether the small fields would make a row's metadata too large (a provider's huge tool call id, say). */
    private static boolean fieldsTooLarge(Map<String, Object> fields) {
        long length = 0;
        for (Object v : fields.values()) {
            length += v instanceof String text ? text.length() : 0;
        }
        return length >= (dev.atlas.Limits.MAX_METADATA_LENGTH - METADATA_MARGIN) / 6 && tooLarge(Map.of(KEY, fields));
    }

    /** Whether every text of the small fields is stored as is. */
    private static boolean storable(Map<String, Object> fields) {
        for (Object v : fields.values()) {
            if (v instanceof String text && (dev.atlas.Limits.storable(text) != text)) {
                return false;
            }
        }
        return true;
    }

    /** The text of {@code message} as its row's content column holds it. */
    static String columnText(ChatMessage message) {
        return dev.atlas.Limits.storable(text(message));
    }

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
        String column = dev.atlas.Limits.storable(content);
        // A text the column cannot hold as is (a tool's NUL byte, an emoji cut in half, more than
        // the column's limit) gets a storable copy there; the message itself is kept exactly as JSON.
        // So is one whose small fields (a tool call id, a user name) hold what metadata cannot (a NUL),
        // or more than it holds: that JSON then goes to an asset (see map).
        if (column != content || !storable(extra) || fieldsTooLarge(extra) || !exact(message, rebuild(role, content, extra))) {
            extra.clear();
            extra.put("json", toJson(message));
        }
        NewMessage m = message instanceof CustomMessage
                ? NewMessage.json(role, "{}")
                : NewMessage.of(role, column);
        if (!extra.isEmpty()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put(KEY, extra);
            m = m.metadata(meta);
        }
        return m;
    }

    /** The message a row holds; for rows without assets (their bytes need the tenant's asset store). */
    static ChatMessage fromAtlas(Message row) {
        Function<UUID, String> none = id -> {
            throw new IllegalStateException("asset " + id + " is read through AtlasChatMemoryStore");
        };
        return fromAtlas(row, none, none);
    }

    /**
     * The message a row holds, its inline images' base64 text given by {@code assetBase64}, and its
     * JSON, when kept as an asset, by {@code assetText}. Either function returns null for an asset
     * that is gone: a gone image is left out of its message (an empty text stands in when nothing
     * else remains, as LangChain4j needs a content), a gone JSON leaves the message its columns
     * describe, or null when they describe none.
     */
    static ChatMessage fromAtlas(Message row, Function<UUID, String> assetBase64, Function<UUID, String> assetText) {
        Object extra = row.metadata().get(KEY);
        Map<?, ?> fields = extra instanceof Map<?, ?> map ? map : Map.of();
        Object json = fields.get("json");
        if (!(json instanceof String) && fields.get("jsonAsset") instanceof String id) {
            json = assetText.apply(uuid(row, "jsonAsset", id));
            if (json == null) {
                // The asset holding the message's JSON is gone (deleted, purged): what the columns hold
                // (role and text) is what is left of it, as the transcript shows; null when they describe
                // no message (a blank system text), which is then left out of the window.
                return rebuild(row.role(), row.content(), Map.of());
            }
        }
        if (json instanceof String s) {
            ChatMessage message;
            try {
                message = fromJson(s);
            } catch (RuntimeException e) {
                throw unreadable(row, "json", "is not a LangChain4j message: " + e.getMessage(), e);
            }
            return fields.get("assets") instanceof List<?> assets && !assets.isEmpty() ? withInlineImages(row, message, assets, assetBase64) : message;
        }
        return rebuild(row.role(), row.content(), fields);
    }

    // ---- inline images: their bytes live in Atlas assets, the message's JSON refers to them ----

    private static final String ASSET_SCHEME = "atlas-asset:";

    /**
     * The base64 images of a user message or a tool result (a screenshot tool's, say) that are kept
     * as assets: data without a URL whose standard Base64 encoding is exactly the given text
     * (anything else stays inline, as given).
     */
    static List<Image> inlineImages(ChatMessage message) {
        List<Image> out = new ArrayList<>();
        for (Content c : contents(message)) {
            if (c instanceof ImageContent ic && externalizable(ic.image())) {
                out.add(ic.image());
            }
        }
        return out;
    }

    /** The contents that may hold images. */
    private static List<Content> contents(ChatMessage message) {
        if (message instanceof UserMessage user) {
            return user.contents();
        }
        if (message instanceof ToolExecutionResultMessage tool) {
            return tool.contents();
        }
        return List.of();
    }

    /** {@code message} with {@code contents} instead of its own. */
    private static ChatMessage withContents(ChatMessage message, List<Content> contents) {
        return message instanceof UserMessage user
                ? user.toBuilder().contents(contents).build()
                : ((ToolExecutionResultMessage) message).toBuilder().contents(contents).build();
    }

    private static boolean externalizable(Image image) {
        if (image.url() != null || image.base64Data() == null || image.base64Data().isEmpty()) {
            return false;
        }
        try {
            return Base64.getEncoder().encodeToString(Base64.getDecoder().decode(image.base64Data())).equals(image.base64Data());
        } catch (IllegalArgumentException notBase64) {
            return false;
        }
    }

    /** The message with its {@link #inlineImages} replaced, in order, by references to {@code assetIds}. */
    static ChatMessage withImageReferences(ChatMessage message, List<UUID> assetIds) {
        if (assetIds.isEmpty()) {
            return message;
        }
        List<Content> contents = new ArrayList<>();
        int next = 0;
        for (Content c : contents(message)) {
            if (c instanceof ImageContent ic && externalizable(ic.image())) {
                Image ref = Image.builder().url(URI.create(ASSET_SCHEME + assetIds.get(next++)))
                        .mimeType(ic.image().mimeType()).revisedPrompt(ic.image().revisedPrompt()).build();
                contents.add(ImageContent.from(ref, ic.detailLevel()));
            } else {
                contents.add(c);
            }
        }
        return withContents(message, contents);
    }

    private static UUID uuid(Message row, String field, String value) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw unreadable(row, field, "'" + value + "' is not an asset id", e);
        }
    }

    private static dev.atlas.UnreadableRowException unreadable(Message row, String field, String why, Throwable cause) {
        return new dev.atlas.UnreadableRowException("messages", row.id().toString(), KEY + "." + field + " " + why, cause);
    }

    private static ChatMessage withInlineImages(Message row, ChatMessage message, List<?> assets, Function<UUID, String> assetBase64) {
        if (!(message instanceof UserMessage) && !(message instanceof ToolExecutionResultMessage)) {
            return message;
        }
        List<Content> contents = new ArrayList<>();
        for (Content c : contents(message)) {
            URI url = c instanceof ImageContent ic ? ic.image().url() : null;
            String ref = url == null ? null : url.toString();
            if (ref != null && ref.startsWith(ASSET_SCHEME) && assets.contains(ref.substring(ASSET_SCHEME.length()))) {
                ImageContent ic = (ImageContent) c;
                String base64 = assetBase64.apply(uuid(row, "assets", ref.substring(ASSET_SCHEME.length())));
                if (base64 == null) {
                    continue;
                }
                Image image = Image.builder().base64Data(base64)
                        .mimeType(ic.image().mimeType()).revisedPrompt(ic.image().revisedPrompt()).build();
                contents.add(ImageContent.from(image, ic.detailLevel()));
            } else {
                contents.add(c);
            }
        }
        if (contents.isEmpty()) {
            // Its only contents were images that are gone: LangChain4j needs one, and "" is what the row's text holds.
            contents.add(TextContent.from(""));
        }
        return withContents(message, contents);
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

    private static String texts(List<Content> contents) {
        return contents.stream().filter(TextContent.class::isInstance).map(c -> ((TextContent) c).text())
                .collect(Collectors.joining("\n"));
    }
}
