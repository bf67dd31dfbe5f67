package dev.atlas.spring.ai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.conversation.ContentType;
import dev.atlas.conversation.NewMessage;
import dev.atlas.conversation.Role;
import org.springframework.ai.chat.messages.AbstractMessage;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.content.Media;
import org.springframework.ai.content.MediaContent;
import org.springframework.util.MimeType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Converts Spring AI messages to Atlas messages and back, keeping tool calls and tool responses
 * exact. Spring AI's own metadata is kept where it is JSON in Java's plain types, as Atlas takes it
 * ({@link Limits#MAX_METADATA_LENGTH}: strings, booleans, numbers of Java's own number classes, maps with
 * String keys and lists of those; numbers read back as JSON numbers read: Integer, Long or BigInteger, Double);
 * other values (provider objects, an enum, an Instant, a subclass of BigDecimal, NaN, a decimal no double holds
 * exactly, a map or list that holds itself) are not stored. Media are described in the
 * message's metadata (mime type, name, id, and the URL or the id of the asset holding the bytes).
 */
final class SpringMessages {
    /** Metadata key carrying the Atlas message id of a message read from the repository. */
    static final String MESSAGE_ID = "atlas_message_id";
    /**
     * Metadata key carrying the Atlas conversation a message was read from: a save told by it that an id it no longer finds
     * was removed from this very conversation (retention's hard delete leaves no trail to ask), not a message new to it.
     */
    static final String CONVERSATION_ID = "atlas_conversation_id";
    /** Metadata key carrying the Atlas execution that produced an assistant message. */
    static final String EXECUTION_ID = "atlas_execution_id";
    /** Metadata key carrying the Atlas execution step that produced an assistant message. */
    static final String STEP_ID = "atlas_step_id";

    /** The Atlas message metadata key under which the Spring AI form is kept. */
    static final String KEY = "spring_ai";
    /** Key, in the Spring AI form, of the message's media descriptions. */
    static final String MEDIA = "media";

    private static final ObjectMapper JSON = new ObjectMapper();

    private SpringMessages() {
    }

    static UUID uuid(Message message, String key) {
        Object v = message.getMetadata().get(key);
        if (v == null) {
            return null;
        }
        try {
            return v instanceof UUID u ? u : UUID.fromString(v.toString());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static Role role(Message m) {
        return switch (m.getMessageType()) {
            case USER -> Role.USER;
            case ASSISTANT -> Role.ASSISTANT;
            case SYSTEM -> Role.SYSTEM;
            case TOOL -> Role.TOOL;
        };
    }

    /** The Atlas message to append for {@code m} (without links; the caller adds them). */
    static NewMessage toAtlas(Message m) {
        Map<String, Object> spring = new LinkedHashMap<>();
        Map<String, Object> meta = jsonMetadata(m.getMetadata());
        warnLeftOut(m.getMetadata(), meta);
        if (!meta.isEmpty()) {
            spring.put("metadata", meta);
        }
        NewMessage out;
        if (m instanceof ToolResponseMessage tool) {
            out = NewMessage.json(Role.TOOL, responsesJson(tool.getResponses()));
        } else {
            if (m.getText() == null) {
                spring.put("nullText", true);
            }
            out = NewMessage.of(role(m), m.getText() == null ? "" : m.getText());
            if (m instanceof AssistantMessage a && a.hasToolCalls()) {
                List<Map<String, Object>> calls = new ArrayList<>();
                for (AssistantMessage.ToolCall c : a.getToolCalls()) {
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put("id", c.id());
                    one.put("type", c.type());
                    one.put("name", c.name());
                    one.put("arguments", c.arguments());
                    calls.add(one);
                }
                spring.put("toolCalls", calls);
            }
        }
        return spring.isEmpty() ? out : out.metadata(Map.of(KEY, spring));
    }

    /** The content of the tool message holding {@code responses}. */
    private static String responsesJson(List<ToolResponseMessage.ToolResponse> responses) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ToolResponseMessage.ToolResponse r : responses) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("id", r.id());
            one.put("name", r.name());
            one.put("responseData", r.responseData());
            out.add(one);
        }
        return write(out);
    }

    /**
     * The Atlas message for {@code messages[i]}, or {@link InvalidInputException} naming
     * {@code messages[i]} and the part Atlas cannot store ({@code text}, {@code metadata},
     * {@code toolCalls}, {@code responses}): checked before a save writes anything, so a refused
     * save creates no conversation. The store checks again as it writes.
     */
    static NewMessage checked(int i, Message m) {
        String at = "messages[" + i + "]";
        if (m instanceof ToolResponseMessage tool) {
            for (ToolResponseMessage.ToolResponse r : tool.getResponses()) {
                storable(at + ".responses", r.id());
                storable(at + ".responses", r.name());
                storable(at + ".responses", r.responseData());
            }
        } else if (m instanceof AssistantMessage a && a.hasToolCalls()) {
            for (AssistantMessage.ToolCall c : a.getToolCalls()) {
                storable(at + ".toolCalls", c.id());
                storable(at + ".toolCalls", c.type());
                storable(at + ".toolCalls", c.name());
                storable(at + ".toolCalls", c.arguments());
            }
        }
        NewMessage out;
        try {
            out = toAtlas(m);
        } catch (InvalidInputException e) {
            String part = "content".equals(e.field()) ? (m instanceof ToolResponseMessage ? "responses" : "text") : e.field();
            throw new InvalidInputException(at + "." + part, e.getMessage().substring(e.field().length() + 2));
        }
        json(at + ".metadata", out.metadata(), 1);
        if (write(out.metadata()).length() > Limits.MAX_METADATA_LENGTH) {
            throw new InvalidInputException(at + ".metadata", "is more than " + Limits.MAX_METADATA_LENGTH + " characters as JSON");
        }
        List<Media> media = media(m);
        if (!media.isEmpty()) {
            // The media's descriptions join the metadata when the save writes them: checked now, before any asset is.
            if (write(withMedia(out, descriptions(media)).metadata()).length() > Limits.MAX_METADATA_LENGTH) {
                throw new InvalidInputException(at + ".metadata", "is more than " + Limits.MAX_METADATA_LENGTH
                        + " characters as JSON with the descriptions of its media");
            }
        }
        return out;
    }

    /** How the message's metadata describes {@code m}: mime type, id, name, and its URL or the {@code asset} holding its bytes. */
    static Map<String, Object> description(Media m, UUID asset) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("mimeType", m.getMimeType().toString());
        if (m.getId() != null) {
            d.put("id", m.getId());
        }
        if (m.getName() != null) {
            d.put("name", m.getName());
        }
        if (asset == null) {
            d.put("url", m.getData());
        } else {
            d.put("asset", asset.toString());
        }
        return d;
    }

    /**
     * Whether {@code m} is what a recorded call's model or tool loop sent: an assistant message or
     * tool response carrying the execution and step ids {@link AtlasRecordingAdvisor} tags them with.
     */
    static boolean recorded(Message m) {
        return (m instanceof AssistantMessage || m instanceof ToolResponseMessage)
                && uuid(m, EXECUTION_ID) != null && uuid(m, STEP_ID) != null;
    }

    /**
     * {@code m} with media Atlas can store, when it is what a recorded call's model sent
     * ({@link #recorded}): each medium's URL, id and name {@linkplain Limits#storable made storable},
     * a medium holding neither a URL nor bytes left out, then the largest left out while their
     * descriptions take more than a message's metadata holds with room for the window marker.
     * Refusing them would fail a call the model answered. Else (or when nothing needs it) {@code m}.
     */
    static Message withStorableMedia(Message m) {
        if (!(m instanceof AssistantMessage a) || media(m).isEmpty() || !recorded(m)) {
            return m;
        }
        boolean changed = false;
        List<Media> kept = new ArrayList<>();
        for (Media d : media(m)) {
            Object data = d == null ? null : d.getData();
            if (d instanceof AssetMedia) {
                kept.add(d);
            } else if (!(data instanceof String) && !(data instanceof byte[])) {
                changed = true;
            } else {
                String url = data instanceof String s ? Limits.storable(s) : null;
                String id = text(d.getId());
                String name = text(d.getName());
                // storable returns its argument when it needs no change.
                if ((url == null || url == data) && id == d.getId() && name == d.getName()) {
                    kept.add(d);
                    continue;
                }
                changed = true;
                Media.Builder copy = Media.builder().mimeType(d.getMimeType()).id(id).name(name);
                kept.add((url != null ? copy.data(url) : copy.data((byte[]) data)).build());
            }
        }
        while (!kept.isEmpty() && write(descriptions(kept)).length() > Limits.MAX_METADATA_LENGTH - MARKER_ROOM) {
            int largest = 0;
            for (int k = 1; k < kept.size(); k++) {
                if (write(descriptions(List.of(kept.get(k)))).length() > write(descriptions(List.of(kept.get(largest)))).length()) {
                    largest = k;
                }
            }
            kept.remove(largest);
            changed = true;
        }
        return changed ? AssistantMessage.builder().content(a.getText()).properties(a.getMetadata()).toolCalls(a.getToolCalls())
                .media(kept).build() : m;
    }

    /** The descriptions of {@code media} as a save writes them (bytes named by an asset id, a placeholder until written). */
    private static List<Map<String, Object>> descriptions(List<Media> media) {
        List<Map<String, Object>> described = new ArrayList<>();
        for (Media d : media) {
            described.add(description(d, d instanceof AssetMedia a ? a.asset() : d.getData() instanceof String ? null : new UUID(0, 0)));
        }
        return described;
    }

    /** Room left in a message's metadata for the window marker a save adds to its last message. */
    static final int MARKER_ROOM = 16_384;

    /**
     * The Atlas message for {@code messages[i]}, what the model or the tool loop sent
     * ({@link #recorded}), as a copy Atlas can store, as the recording keeps it: text, tool call
     * fields, tool responses and metadata strings (keys too) {@linkplain Limits#storable made storable};
     * metadata entries nested too deep left out; then, until the metadata fits with room for the
     * window marker, the largest part reduced first (a metadata entry left out, or the longest tool
     * arguments cut); tool results cut until their JSON fits a message. Refusing it would fail a call the model answered.
     */
    static NewMessage cleaned(int i, Message m) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : m.getMetadata().entrySet()) {
            Object value = clean(e.getValue(), 4);
            if (value != TOO_DEEP) {
                metadata.put(Limits.storable(e.getKey()), value);
            }
        }
        if (m instanceof ToolResponseMessage tool) {
            List<ToolResponseMessage.ToolResponse> responses = new ArrayList<>(tool.getResponses().stream()
                    .map(r -> new ToolResponseMessage.ToolResponse(text(r.id()), text(r.name()), text(r.responseData()))).toList());
            while (true) {
                int over = responsesJson(responses).length() - Limits.MAX_CONTENT_LENGTH;
                if (over <= 0) {
                    break;
                }
                // Each character cut shortens the JSON by one at least: one cut of the longest result does, unless it is shorter.
                int longest = longest(responses.stream().map(ToolResponseMessage.ToolResponse::responseData).toList());
                ToolResponseMessage.ToolResponse r = responses.get(longest);
                if (length(r.responseData()) == 0) {
                    break;
                }
                responses.set(longest, new ToolResponseMessage.ToolResponse(r.id(), r.name(), cut(r.responseData(), over)));
            }
            return checked(i, fit(metadata, List.of(), md -> ToolResponseMessage.builder().responses(responses).metadata(md).build()));
        }
        if (!(m instanceof AssistantMessage a)) {
            return checked(i, m);
        }
        List<AssistantMessage.ToolCall> calls = new ArrayList<>(a.getToolCalls().stream()
                .map(c -> new AssistantMessage.ToolCall(text(c.id()), text(c.type()), text(c.name()), text(c.arguments()))).toList());
        return checked(i, fit(metadata, calls, md -> AssistantMessage.builder().content(text(a.getText()))
                .properties(md).toolCalls(calls).media(media(a)).build()));
    }

    /**
     * The message {@code build} makes of {@code metadata} and {@code calls} (both changed here) once
     * its metadata fits, with room for the window marker: the largest part goes first, until it
     * fits: the largest metadata entry is left out, or the longest tool arguments, when longer, are
     * cut (not below that entry's size).
     */
    private static Message fit(Map<String, Object> metadata, List<AssistantMessage.ToolCall> calls,
            java.util.function.Function<Map<String, Object>, Message> build) {
        while (true) {
            Message copy = build.apply(metadata);
            // The media's descriptions join the metadata as the save writes it (made to fit by withStorableMedia).
            NewMessage atlas = media(copy).isEmpty() ? toAtlas(copy) : withMedia(toAtlas(copy), descriptions(media(copy)));
            int over = write(atlas.metadata()).length() - (Limits.MAX_METADATA_LENGTH - MARKER_ROOM);
            if (over <= 0) {
                return copy;
            }
            String largest = null;
            int size = 0;
            for (Map.Entry<String, Object> e : jsonMetadata(metadata).entrySet()) {
                int n = write(e.getValue()).length();
                if (n > size) {
                    largest = e.getKey();
                    size = n;
                }
            }
            int longest = longest(calls.stream().map(AssistantMessage.ToolCall::arguments).toList());
            AssistantMessage.ToolCall c = calls.isEmpty() ? null : calls.get(longest);
            if (c != null && length(c.arguments()) > size) {
                // Each character cut shortens the JSON by one at least; not below the largest entry, which goes next.
                String cut = Limits.storable(c.arguments().substring(0, Math.max(c.arguments().length() - over, size)));
                calls.set(longest, new AssistantMessage.ToolCall(c.id(), c.type(), c.name(), cut));
            } else if (largest != null) {
                metadata.remove(largest);
            } else {
                return copy;
            }
        }
    }

    private static final Object TOO_DEEP = new Object();

    /** {@code value} at {@code depth} with its strings and keys made storable, or {@link #TOO_DEEP}. */
    private static Object clean(Object value, int depth) {
        if (value instanceof String s) {
            return Limits.storable(s);
        }
        if (!(value instanceof Map<?, ?>) && !(value instanceof List<?>)) {
            return value;
        }
        if (depth > Limits.MAX_JSON_DEPTH) {
            return TOO_DEEP;
        }
        if (value instanceof Map<?, ?> map) {
            Map<Object, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                Object v = clean(e.getValue(), depth + 1);
                if (v == TOO_DEEP) {
                    return TOO_DEEP;
                }
                out.put(e.getKey() instanceof String k ? Limits.storable(k) : e.getKey(), v);
            }
            return out;
        }
        List<Object> out = new ArrayList<>();
        for (Object o : (List<?>) value) {
            Object v = clean(o, depth + 1);
            if (v == TOO_DEEP) {
                return TOO_DEEP;
            }
            out.add(v);
        }
        return out;
    }

    private static String text(String s) {
        return s == null ? null : Limits.storable(s);
    }

    /** {@code s} less its last {@code n} characters (a surrogate pair the cut splits mended). */
    private static String cut(String s, int n) {
        return Limits.storable(s.substring(0, Math.max(0, s.length() - n)));
    }

    /** The index of the longest of {@code texts} (null counts as empty). */
    private static int longest(List<String> texts) {
        int at = 0;
        for (int k = 1; k < texts.size(); k++) {
            if (length(texts.get(k)) > length(texts.get(at))) {
                at = k;
            }
        }
        return at;
    }

    private static int length(String s) {
        return s == null ? 0 : s.length();
    }

    /** Checks the strings (keys too) and the nesting of a JSON value at {@code depth} (the document itself is 1). */
    private static void json(String field, Object value, int depth) {
        if (value instanceof Map<?, ?> || value instanceof List<?>) {
            if (depth > Limits.MAX_JSON_DEPTH) {
                throw new InvalidInputException(field, "nests deeper than " + Limits.MAX_JSON_DEPTH + " levels");
            }
            if (value instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    storable(field, (String) e.getKey());
                    json(field, e.getValue(), depth + 1);
                }
            } else {
                for (Object o : (List<?>) value) {
                    json(field, o, depth + 1);
                }
            }
        } else if (value instanceof String s) {
            storable(field, s);
        }
    }

    /** Refuses text a database cannot store: a NUL, or an unpaired surrogate (as Atlas refuses them). */
    static void storable(String field, String text) {
        if (text == null) {
            return;
        }
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            if (c == 0) {
                throw new InvalidInputException(field, "contains a NUL character (U+0000) at index " + k + ", which databases cannot store");
            }
            if (Character.isHighSurrogate(c) && k + 1 < text.length() && Character.isLowSurrogate(text.charAt(k + 1))) {
                k++;
            } else if (Character.isSurrogate(c)) {
                throw new InvalidInputException(field, "contains an unpaired UTF-16 surrogate at index " + k + "; text must be valid Unicode");
            }
        }
    }

    /** The media of a user or assistant message; none for other messages. */
    static List<Media> media(Message m) {
        return m instanceof MediaContent c && c.getMedia() != null ? c.getMedia() : List.of();
    }

    /** {@code out} with {@code media} (descriptions: mime type, name, id, url or asset) in its Spring AI metadata. */
    @SuppressWarnings("unchecked")
    static NewMessage withMedia(NewMessage out, List<Map<String, Object>> media) {
        Map<String, Object> metadata = new LinkedHashMap<>(out.metadata());
        Map<String, Object> spring = metadata.get(KEY) instanceof Map<?, ?> s
                ? new LinkedHashMap<>((Map<String, Object>) s) : new LinkedHashMap<>();
        spring.put(MEDIA, media);
        metadata.put(KEY, spring);
        return out.metadata(metadata);
    }

    /**
     * The Spring AI message for a stored Atlas message, without the bytes of its media: for
     * comparing what a message says, where media play no part.
     */
    static Message toSpring(dev.atlas.conversation.Message stored) {
        return toSpring(stored, null, null);
    }

    /**
     * The Spring AI message for a stored Atlas message, carrying its Atlas ids in its metadata;
     * the bytes of a media asset are read by what {@code assetBytes} gives for it, when the media's
     * data is first asked for (null: no media; a null result: the asset is gone, left out); what Spring AI reads of a
     * message atlas-langchain4j's store kept as JSON in an asset is what {@code assetJson} gives for it (null: none read).
     */
    static Message toSpring(dev.atlas.conversation.Message stored, Function<UUID, Supplier<byte[]>> assetBytes,
            Function<UUID, LangChain4jJson> assetJson) {
        return toSpring(stored, assetBytes, assetJson, null);
    }

    /**
     * As {@link #toSpring(dev.atlas.conversation.Message, Function, Function)}, telling {@code lost} (when not null, and
     * media are read) what stored media the message read leaves out because Spring AI's message cannot carry them or this
     * adapter cannot read them, in a few words without content: a LangChain4j content of a kind Spring AI's message does
     * not take ({@code audio}, {@code pdf}, an image of a tool result …), an image or description unreadable as a medium,
     * media of a system or tool message. An asset that is gone (deleted, purged) is not told: it was removed on purpose.
     */
    @SuppressWarnings("unchecked")
    static Message toSpring(dev.atlas.conversation.Message stored, Function<UUID, Supplier<byte[]>> assetBytes,
            Function<UUID, LangChain4jJson> assetJson, java.util.function.Consumer<String> lost) {
        java.util.function.Consumer<String> tell = lost == null || assetBytes == null ? x -> { } : lost;
        Map<String, Object> spring = stored.metadata().get(KEY) instanceof Map<?, ?> s ? (Map<String, Object>) s : Map.of();
        Map<String, Object> meta = new LinkedHashMap<>();
        if (spring.get("metadata") instanceof Map<?, ?> m) {
            meta.putAll((Map<String, Object>) m);
        }
        meta.put(MESSAGE_ID, stored.id().toString());
        meta.put(CONVERSATION_ID, stored.conversationId().toString());
        if (stored.executionId() != null) {
            meta.put(EXECUTION_ID, stored.executionId().toString());
        }
        if (stored.stepId() != null) {
            meta.put(STEP_ID, stored.stepId().toString());
        }
        LangChain4jJson lcJson = langChain4jJson(stored.metadata(), assetJson);
        String text = Boolean.TRUE.equals(spring.get("nullText")) ? null
                : lcJson.text() != null && stored.role() != Role.TOOL ? lcJson.text() : stored.content();
        List<Media> media = new ArrayList<>();
        if (assetBytes != null && spring.get(MEDIA) instanceof List<?> described) {
            for (Object o : described) {
                // A description this adapter did not write (an app's metadata, hostile or imported) is left out, as
                // an unreadable LangChain4j image is: failing would make every read of the conversation fail.
                if (!(o instanceof Map<?, ?> d) || !(d.get("mimeType") instanceof String type)
                        || !stringOrAbsent(d.get("id")) || !stringOrAbsent(d.get("name"))) {
                    tell.accept("a medium described in another shape");
                    continue;
                }
                MimeType mime;
                try {
                    mime = MimeType.valueOf(type);
                } catch (RuntimeException notAMimeType) {
                    tell.accept("a medium described in another shape");
                    continue;
                }
                if (d.get("asset") instanceof String id) {
                    Media asset = assetMedia(mime, id, (String) d.get("id"), (String) d.get("name"), assetBytes);
                    if (asset != null) {
                        media.add(asset);
                    } else if (assetId(id) == null) {
                        tell.accept("a medium described in another shape");
                    }
                    continue;
                }
                if (!(d.get("url") instanceof String url)) {
                    tell.accept("a medium described in another shape");
                    continue;
                }
                Media.Builder b = Media.builder().mimeType(mime);
                if (d.get("id") != null) {
                    b.id((String) d.get("id"));
                }
                if (d.get("name") != null) {
                    b.name((String) d.get("name"));
                }
                b.data(url);
                media.add(b.build());
            }
        }
        if (assetBytes != null && stored.role() == Role.USER && !(spring.get(MEDIA) instanceof List<?>)) {
            media.addAll(langChain4jImages(stored.metadata(), lcJson, assetBytes, tell));
        }
        lcJson.unread().forEach(tell);
        if (!media.isEmpty() && (stored.role() == Role.SYSTEM || stored.role() == Role.TOOL)) {
            tell.accept(media.size() + " media of a " + stored.role().name().toLowerCase(java.util.Locale.ROOT) + " message, which carries none in Spring AI");
        }
        return switch (stored.role()) {
            case USER -> UserMessage.builder().text(text).media(media).metadata(meta).build();
            case SYSTEM -> SystemMessage.builder().text(text).metadata(meta).build();
            case ASSISTANT -> {
                List<AssistantMessage.ToolCall> calls = new ArrayList<>();
                if (spring.get("toolCalls") instanceof List<?> list) {
                    for (Object o : list) {
                        if (!(o instanceof Map<?, ?> c) || !stringOrAbsent(c.get("id")) || !stringOrAbsent(c.get("type"))
                                || !stringOrAbsent(c.get("name")) || !stringOrAbsent(c.get("arguments"))) {
                            // Calls this adapter did not write: the answer reads as its text, as a foreign row.
                            calls.clear();
                            break;
                        }
                        calls.add(new AssistantMessage.ToolCall((String) c.get("id"), (String) c.get("type"),
                                (String) c.get("name"), (String) c.get("arguments")));
                    }
                } else {
                    calls.addAll(lcJson.calls());
                }
                yield AssistantMessage.builder().content(text).properties(meta).toolCalls(calls).media(media).build();
            }
            case TOOL -> {
                List<ToolResponseMessage.ToolResponse> responses = stored.contentType() == ContentType.JSON ? responses(stored.content()) : null;
                if (responses == null) {
                    // Not written by this adapter (the Atlas API, another framework): its content is the one response,
                    // answering the call LangChain4j's store names (a service on LangChain4j sharing the conversation), in
                    // its metadata's fields or, for a result whose text the columns cannot hold as is, in its JSON.
                    Map<String, Object> lc = stored.metadata().get(LANGCHAIN4J) instanceof Map<?, ?> l ? (Map<String, Object>) l : Map.of();
                    LangChain4jJson json = lcJson;
                    responses = List.of(new ToolResponseMessage.ToolResponse(
                            lc.get("toolCallId") instanceof String id ? id : json.toolCallId(),
                            lc.get("toolName") instanceof String name ? name : json.toolName(),
                            json.text() != null ? json.text() : stored.content()));
                }
                yield ToolResponseMessage.builder().responses(responses).metadata(meta).build();
            }
        };
    }

    /**
     * Whether the stored message with {@code metadata} holds tool calls in its Spring AI form of a shape this adapter does
     * not write (an app's metadata, hostile or imported): it reads as its text with no calls, so results after it answer
     * none.
     */
    static boolean foreignToolCalls(Map<String, Object> metadata) {
        if (!(metadata.get(KEY) instanceof Map<?, ?> spring) || !spring.containsKey("toolCalls")) {
            return false;
        }
        if (!(spring.get("toolCalls") instanceof List<?> list)) {
            return true;
        }
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> c) || !stringOrAbsent(c.get("id")) || !stringOrAbsent(c.get("type"))
                    || !stringOrAbsent(c.get("name")) || !stringOrAbsent(c.get("arguments"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean stringOrAbsent(Object value) {
        return value == null || value instanceof String;
    }

    /** The metadata key under which atlas-langchain4j's store keeps what Atlas's columns cannot carry. */
    private static final String LANGCHAIN4J = "langchain4j";

    /**
     * What Spring AI reads of a LangChain4j message's JSON (the format of {@code ChatMessageSerializer}): an answer's tool
     * calls ({@code toolExecutionRequests}: id, name, arguments byte for byte), or the call a tool result answers
     * ({@code id}, {@code toolName}) and its exact text (its text contents, one per line); absent parts are empty or null.
     * {@code unread} names the contents Spring AI's message does not take ({@code "audio content"}, …), for the read's warning.
     */
    record LangChain4jJson(List<AssistantMessage.ToolCall> calls, String toolCallId, String toolName, String text,
            List<LangChain4jImage> images, List<String> unread) {
        static final LangChain4jJson NONE = new LangChain4jJson(List.of(), null, null, null, List.of(), List.of());
        /**
         * What a message whose JSON asset is gone (deleted, discarded, purged, another tenant's) reads as: nothing, as
         * {@link #NONE}, told apart by identity, so that its tool round can be left out whole.
         */
        static final LangChain4jJson GONE = new LangChain4jJson(List.of(), null, null, null, List.of(), List.of());

        /** About how many characters this holds (a cache's budget). */
        long chars() {
            long n = (toolCallId == null ? 0 : toolCallId.length()) + (toolName == null ? 0 : toolName.length())
                    + (text == null ? 0 : text.length());
            for (AssistantMessage.ToolCall c : calls) {
                n += (c.id() == null ? 0 : c.id().length()) + (c.name() == null ? 0 : c.name().length())
                        + (c.arguments() == null ? 0 : c.arguments().length());
            }
            for (LangChain4jImage i : images) {
                n += (i.url() == null ? 0 : i.url().length()) + (i.base64() == null ? 0 : i.base64().length()) + 32;
            }
            return n;
        }
    }

    /**
     * What Spring AI reads of a message atlas-langchain4j's store wrote with its LangChain4j JSON (kept in the message's
     * metadata, or in an asset {@code assetJson} reads), so a Spring AI service sharing the conversation reads its tool
     * rounds as tool rounds, each result answering its call; {@link LangChain4jJson#NONE} for any other message.
     */
    private static LangChain4jJson langChain4jJson(Map<String, Object> metadata, Function<UUID, LangChain4jJson> assetJson) {
        if (!(metadata.get(LANGCHAIN4J) instanceof Map<?, ?> lc)) {
            return LangChain4jJson.NONE;
        }
        if (lc.get("json") instanceof String json) {
            return langChain4jJson(json);
        }
        if (assetJson != null && lc.get("jsonAsset") instanceof String asset) {
            try {
                return assetJson.apply(UUID.fromString(asset));
            } catch (IllegalArgumentException notAnId) {
                return LangChain4jJson.NONE;
            }
        }
        return LangChain4jJson.NONE;
    }

    /**
     * Whether the stored message with {@code metadata} is one atlas-langchain4j's store kept as JSON in an asset that is
     * gone ({@code assetJson} gives {@link LangChain4jJson#GONE} for it): read as its text, it lost its tool calls or the
     * call it answers.
     */
    static boolean langChain4jJsonGone(Map<String, Object> metadata, Function<UUID, LangChain4jJson> assetJson) {
        if (!(metadata.get(LANGCHAIN4J) instanceof Map<?, ?> lc) || lc.get("json") instanceof String
                || !(lc.get("jsonAsset") instanceof String asset)) {
            return false;
        }
        try {
            return assetJson.apply(UUID.fromString(asset)) == LangChain4jJson.GONE;
        } catch (IllegalArgumentException notAnId) {
            return false;
        }
    }

    /** Reads LangChain4j's JSON without Jackson's default read limits, as atlas-langchain4j writes it. */
    private static final ObjectMapper LANGCHAIN4J_JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE).maxNumberLength(Integer.MAX_VALUE).maxNameLength(Integer.MAX_VALUE)
                    .maxNestingDepth(Integer.MAX_VALUE).build())
            .build());

    /**
     * What Spring AI reads of a LangChain4j message's JSON; {@link LangChain4jJson#NONE} when it is no such JSON (the
     * message then reads as its row's text).
     */
    static LangChain4jJson langChain4jJson(String json) {
        Map<String, Object> message;
        try {
            message = LANGCHAIN4J_JSON.readValue(json, new TypeReference<>() {
            });
        } catch (JsonProcessingException | RuntimeException notAnObject) {
            return LangChain4jJson.NONE;
        }
        if (message == null) {
            return LangChain4jJson.NONE;
        }
        List<AssistantMessage.ToolCall> calls = new ArrayList<>();
        if (message.get("toolExecutionRequests") instanceof List<?> requests) {
            for (Object o : requests) {
                if (o instanceof Map<?, ?> r) {
                    calls.add(new AssistantMessage.ToolCall(r.get("id") instanceof String id ? id : null, "function",
                            r.get("name") instanceof String name ? name : null, r.get("arguments") instanceof String args ? args : null));
                }
            }
        }
        // The exact text (the row's column holds a storable copy: a NUL or a lone surrogate replaced): a message's text, or
        // its text contents, one per line, as atlas-langchain4j's store writes its row's text.
        String text = message.get("text") instanceof String t ? t : null;
        if (message.get("contents") instanceof List<?> contents) {
            StringBuilder texts = new StringBuilder();
            for (Object o : contents) {
                if (o instanceof Map<?, ?> c && "TEXT".equals(c.get("type")) && c.get("text") instanceof String t) {
                    texts.append(texts.isEmpty() ? "" : "\n").append(t);
                }
            }
            text = texts.toString();
        }
        boolean user = "USER".equals(message.get("type"));
        // Contents Spring AI's message does not take (its tool responses are text only; its user media are read from images).
        List<String> unread = new ArrayList<>();
        if (message.get("contents") instanceof List<?> contents) {
            for (Object o : contents) {
                Object type = o instanceof Map<?, ?> c ? c.get("type") : null;
                if (!"TEXT".equals(type) && !(user && "IMAGE".equals(type))) {
                    // Named only by LangChain4j's own kinds: a type of another shape may be anything, content included.
                    unread.add((type instanceof String t && CONTENT_KINDS.contains(t) ? t.toLowerCase(java.util.Locale.ROOT) : "other") + " content");
                }
            }
        }
        if (user) {
            return new LangChain4jJson(List.of(), null, null, text, images(message.get("contents")), List.copyOf(unread));
        }
        if (!"TOOL_EXECUTION_RESULT".equals(message.get("type"))) {
            return new LangChain4jJson(List.copyOf(calls), null, null, text, List.of(), List.copyOf(unread));
        }
        return new LangChain4jJson(List.copyOf(calls), message.get("id") instanceof String id ? id : null,
                message.get("toolName") instanceof String name ? name : null, text, List.of(), List.copyOf(unread));
    }

    private static final java.util.Set<String> CONTENT_KINDS = java.util.Set.of("IMAGE", "AUDIO", "VIDEO", "PDF");

    /**
     * An image of a LangChain4j user message as its JSON holds it ({@code ImageContent}'s {@code image}): a URL (an
     * {@value #ASSET_SCHEME} one names the Atlas asset atlas-langchain4j's store keeps its bytes in) or base64 data, and
     * its mime type; null where absent.
     */
    record LangChain4jImage(String url, String base64, String mimeType) {
    }

    /** The reference atlas-langchain4j's store puts in an image's URL for the asset holding its bytes. */
    private static final String ASSET_SCHEME = "atlas-asset:";

    /** The images among a LangChain4j message's {@code contents}, in order. */
    private static List<LangChain4jImage> images(Object contents) {
        if (!(contents instanceof List<?> list)) {
            return List.of();
        }
        List<LangChain4jImage> out = new ArrayList<>();
        for (Object o : list) {
            if (o instanceof Map<?, ?> c && "IMAGE".equals(c.get("type")) && c.get("image") instanceof Map<?, ?> image) {
                out.add(new LangChain4jImage(image.get("url") instanceof String u ? u : null,
                        image.get("base64Data") instanceof String b ? b : null, image.get("mimeType") instanceof String m ? m : null));
            }
        }
        return List.copyOf(out);
    }

    /**
     * The media of a user message atlas-langchain4j's store wrote, from the images of its JSON: an image kept as an asset
     * of the message (listed under {@code assets} in its metadata) is that asset's bytes, read when first asked for, and
     * is left out when the asset is gone, as LangChain4j's store leaves it out; a URL stays a URL; base64 data is its
     * bytes. Spring AI's media need a mime type: an image LangChain4j gave none reads as {@code image/*}. An image whose
     * reference or data cannot be read as such (an asset reference the message does not list, data that is not base64)
     * is left out rather than sent to a model as a URL no one can fetch.
     */
    private static List<Media> langChain4jImages(Map<String, Object> metadata, LangChain4jJson json,
            Function<UUID, Supplier<byte[]>> assetBytes, java.util.function.Consumer<String> lost) {
        if (json.images().isEmpty()) {
            return List.of();
        }
        List<?> assets = metadata.get(LANGCHAIN4J) instanceof Map<?, ?> lc && lc.get("assets") instanceof List<?> l ? l : List.of();
        List<Media> out = new ArrayList<>();
        for (LangChain4jImage image : json.images()) {
            MimeType mime;
            try {
                mime = MimeType.valueOf(image.mimeType() == null ? "image/*" : image.mimeType());
            } catch (RuntimeException notAMimeType) {
                mime = MimeType.valueOf("image/*");
            }
            if (image.url() != null && image.url().startsWith(ASSET_SCHEME)) {
                String id = image.url().substring(ASSET_SCHEME.length());
                Media asset = assets.contains(id) ? assetMedia(mime, id, null, null, assetBytes) : null;
                if (asset != null) {
                    out.add(asset);
                } else if (!assets.contains(id) || assetId(id) == null) {
                    lost.accept("an image whose asset the message does not list");
                }
            } else if (image.url() != null) {
                out.add(Media.builder().mimeType(mime).data(image.url()).build());
            } else if (image.base64() != null) {
                byte[] bytes = base64(image.base64());
                if (bytes != null) {
                    out.add(Media.builder().mimeType(mime).data(bytes).build());
                } else {
                    lost.accept("an image whose data is no base64");
                }
            } else {
                lost.accept("an image with neither URL nor data");
            }
        }
        return out;
    }

    /**
     * The bytes {@code data} encodes in Base64, standard or URL-safe, line breaks allowed (MIME's); null when it is no such
     * encoding. Not the MIME decoder alone: it skips every character outside its alphabet, so text that is no base64 (or
     * URL-safe base64) would reach a model as other bytes.
     */
    private static byte[] base64(String data) {
        String compact = data.indexOf('\r') < 0 && data.indexOf('\n') < 0 ? data : data.replace("\r", "").replace("\n", "");
        try {
            return java.util.Base64.getDecoder().decode(compact);
        } catch (IllegalArgumentException notStandard) {
            try {
                return java.util.Base64.getUrlDecoder().decode(compact);
            } catch (IllegalArgumentException notBase64) {
                return null;
            }
        }
    }

    /**
     * The medium whose bytes are those of the asset {@code id} names, as {@code assetBytes} reads them; null when {@code id}
     * is no asset id or the asset is gone ({@code assetBytes} gives null).
     */
    private static Media assetMedia(MimeType mime, String id, String mediaId, String name, Function<UUID, Supplier<byte[]>> assetBytes) {
        UUID asset = assetId(id);
        Supplier<byte[]> bytes = asset == null ? null : assetBytes.apply(asset);
        return bytes == null ? null : new AssetMedia(mime, asset, mediaId, name, bytes);
    }

    private static UUID assetId(Object id) {
        try {
            return id instanceof String s ? UUID.fromString(s) : null;
        } catch (IllegalArgumentException notAnId) {
            return null;
        }
    }

    /**
     * Adds to {@code out} the assets {@link #toSpring} may read for {@code stored}: the asset holding its LangChain4j JSON
     * and, with {@code media}, those its media may name (its Spring AI media descriptions', or, for a user message
     * atlas-langchain4j's store wrote, the assets that message lists, its images among them). For one lookup of a whole
     * window's live assets, without reading any asset first; an id no medium ends up using costs only its place in it.
     */
    static void assetsRead(dev.atlas.conversation.Message stored, boolean media, List<UUID> out) {
        Map<?, ?> lc = stored.metadata().get(LANGCHAIN4J) instanceof Map<?, ?> m ? m : Map.of();
        UUID json = lc.get("json") instanceof String ? null : assetId(lc.get("jsonAsset"));
        if (json != null) {
            out.add(json);
        }
        if (!media) {
            return;
        }
        Object spring = stored.metadata().get(KEY) instanceof Map<?, ?> s ? s.get(MEDIA) : null;
        if (spring instanceof List<?> described) {
            for (Object o : described) {
                UUID asset = o instanceof Map<?, ?> d ? assetId(d.get("asset")) : null;
                if (asset != null) {
                    out.add(asset);
                }
            }
        } else if (stored.role() == Role.USER && lc.get("assets") instanceof List<?> listed) {
            for (Object id : listed) {
                UUID asset = assetId(id);
                if (asset != null) {
                    out.add(asset);
                }
            }
        }
    }

    /**
     * Media whose bytes are those of an Atlas asset, read on the first {@link #getData()} (by the
     * model, when it builds its request) and kept: listing a conversation, as chat memory does three
     * times a turn, reads no bytes. Spring AI's own {@code Media} from a {@code Resource} reads it at
     * once, so the laziness lives here; to a provider it is media with {@code byte[]} data.
     */
    static final class AssetMedia extends Media {
        private final UUID asset;
        private final String id;
        private final String name;
        private final Supplier<byte[]> load;
        private volatile byte[] bytes;

        AssetMedia(MimeType mimeType, UUID asset, String id, String name, Supplier<byte[]> load) {
            super(mimeType, java.net.URI.create("urn:atlas:asset:" + asset));
            this.asset = asset;
            this.id = id;
            this.name = name;
            this.load = load;
        }

        /** The asset holding the bytes. */
        UUID asset() {
            return asset;
        }

        @Override
        public Object getData() {
            return getDataAsByteArray();
        }

        @Override
        public byte[] getDataAsByteArray() {
            byte[] b = bytes;
            if (b == null) {
                synchronized (this) {
                    b = bytes;
                    if (b == null) {
                        b = load.get();
                        bytes = b;
                    }
                }
            }
            return b;
        }

        @Override
        public String getId() {
            return id;
        }

        @Override
        public String getName() {
            return name != null ? name : super.getName();
        }
    }

    /** Whether {@code given} says the same as {@code stored} (type, text, tool calls, tool responses). */
    static boolean sameContent(Message given, Message stored) {
        if (given.getMessageType() != stored.getMessageType()) {
            return false;
        }
        if (given instanceof ToolResponseMessage g && stored instanceof ToolResponseMessage s) {
            return g.getResponses().equals(s.getResponses());
        }
        if (!Objects.equals(given.getText(), stored.getText())) {
            return false;
        }
        if (given instanceof AssistantMessage g && stored instanceof AssistantMessage s) {
            return g.getToolCalls().equals(s.getToolCalls());
        }
        return true;
    }

    /** Spring AI metadata entries that are JSON, without Atlas's own keys and the message type. */
    /** The metadata keys (with their value's class) already warned about in this JVM: each is told once, not on every turn. */
    private static final Set<String> WARNED = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Enough distinct keys to find the provider sending them; past that, a hostile stream of keys cannot grow memory or the log. */
    private static final int MAX_WARNED = 256;

    /**
     * Warns, in one line on {@link AtlasChatMemoryRepository}'s logger, of the metadata entries {@code kept} leaves out of
     * {@code metadata} (their values are no JSON Atlas stores): each key and its value's class, never the value, which may
     * be personal data; once per key and class in this JVM. Not refused: a provider's object on a model's answer must not
     * fail the call it answered.
     */
    private static void warnLeftOut(Map<String, Object> metadata, Map<String, Object> kept) {
        StringBuilder text = null;
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            String k = e.getKey();
            if (kept.containsKey(k) || k.equals(AbstractMessage.MESSAGE_TYPE) || k.equals(MESSAGE_ID) || k.equals(CONVERSATION_ID)
                    || k.equals(EXECUTION_ID) || k.equals(STEP_ID)) {
                continue;
            }
            String type = e.getValue().getClass().getName();
            if (WARNED.size() >= MAX_WARNED || !WARNED.add(k + '\u0000' + type)) {
                continue;
            }
            text = text == null ? new StringBuilder("Spring AI message metadata left out, its value being no JSON Atlas stores"
                    + " (see docs/integrations.md, \"Metadata\"): ") : text.append(", ");
            text.append('\'').append(printable(k)).append("' (").append(type).append(')');
        }
        if (text != null) {
            System.getLogger(AtlasChatMemoryRepository.class.getName()).log(System.Logger.Level.WARNING,
                    text.append("; not repeated for these keys").toString());
        }
    }

    /** {@code key} fit for one log line: at most 100 characters, control characters and lone surrogates escaped. */
    private static String printable(String key) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < key.length() && out.length() < 100; i++) {
            char ch = key.charAt(i);
            boolean pair = Character.isHighSurrogate(ch) && i + 1 < key.length() && Character.isLowSurrogate(key.charAt(i + 1));
            if (pair) {
                out.append(ch).append(key.charAt(++i));
            } else if (Character.isISOControl(ch) || Character.isSurrogate(ch)) {
                out.append(String.format("\\u%04x", (int) ch));
            } else {
                out.append(ch);
            }
        }
        return i < key.length() ? out.append('…').toString() : out.toString();
    }

    private static Map<String, Object> jsonMetadata(Map<String, Object> metadata) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Object> open = new ArrayList<>();
        for (Map.Entry<String, Object> e : metadata.entrySet()) {
            String k = e.getKey();
            if (k.equals(AbstractMessage.MESSAGE_TYPE) || k.equals(MESSAGE_ID) || k.equals(CONVERSATION_ID) || k.equals(EXECUTION_ID) || k.equals(STEP_ID)) {
                continue;
            }
            if (isJson(e.getValue(), open)) {
                out.put(k, e.getValue());
            }
        }
        return out;
    }

    /** Whether {@code v}, inside the maps and lists in {@code open} (outermost first), is JSON Atlas stores as it is. */
    private static boolean isJson(Object v, List<Object> open) {
        if (v == null || v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
                || v instanceof Short || v instanceof Byte) {
            return true;
        }
        if (v instanceof Double || v instanceof Float) {
            return Double.isFinite(((Number) v).doubleValue());
        }
        // Java's own classes only, as Atlas takes them (Limits.MAX_METADATA_LENGTH): a subclass is a provider object.
        if (v != null && v.getClass() == java.math.BigInteger.class) {
            java.math.BigInteger i = (java.math.BigInteger) v;
            return i.abs().toString().length() <= Limits.MAX_JSON_NUMBER_LENGTH;
        }
        if (v != null && v.getClass() == java.math.BigDecimal.class) {
            java.math.BigDecimal d = (java.math.BigDecimal) v;
            // Atlas reads fractions back as doubles and refuses one a double does not hold exactly.
            double read = d.doubleValue();
            return Double.isFinite(read) && java.math.BigDecimal.valueOf(read).compareTo(d) == 0;
        }
        if (!(v instanceof Map<?, ?>) && !(v instanceof List<?>)) {
            return false;
        }
        if (open.size() >= Limits.MAX_JSON_DEPTH) {
            // Deeper than Atlas stores: kept, for the depth check of the save to refuse it naming the field (a walk on
            // would overflow the stack on a provider's runaway nesting).
            return true;
        }
        for (Object o : open) {
            if (o == v) {
                return false; // a map or list that holds itself: not JSON, which Atlas refuses
            }
        }
        open.add(v);
        boolean json = v instanceof Map<?, ?> m
                ? m.keySet().stream().allMatch(String.class::isInstance) && m.values().stream().allMatch(x -> isJson(x, open))
                : ((List<?>) v).stream().allMatch(x -> isJson(x, open));
        open.remove(open.size() - 1);
        return json;
    }

    static String write(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("could not write tool responses as JSON", e);
        }
    }

    private static final java.util.Set<String> RESPONSE_FIELDS = java.util.Set.of("id", "name", "responseData");

    /** The tool responses this adapter wrote as {@code json}, or null when it is JSON of another shape. */
    private static List<ToolResponseMessage.ToolResponse> responses(String json) {
        List<Object> list;
        try {
            list = JSON.readValue(json, new TypeReference<>() {
            });
        } catch (JsonProcessingException notAList) {
            return null;
        }
        List<ToolResponseMessage.ToolResponse> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> r) || !RESPONSE_FIELDS.containsAll(r.keySet()) || !(r.get("id") == null || r.get("id") instanceof String)
                    || !(r.get("name") == null || r.get("name") instanceof String)
                    || !(r.get("responseData") == null || r.get("responseData") instanceof String)) {
                return null;
            }
            out.add(new ToolResponseMessage.ToolResponse((String) r.get("id"), (String) r.get("name"), (String) r.get("responseData")));
        }
        return out;
    }
}
