package dev.atlas;

import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.NewRevision;
import dev.atlas.assistant.RevisionKind;
import dev.atlas.assistant.SettingsRevision;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.NewToolCall;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.memory.MemoryPatch;
import dev.atlas.memory.NewMemory;
import dev.atlas.task.NewTask;
import dev.atlas.voice.NewVoiceCall;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every value taking a JSON map copies the caller's map whole: a later change never reaches it. */
class JsonMapsCopiedWholeTest {
    @Test
    @DisplayName("metadata(...), payload and settings factories and a read model copy the caller's map whole, maps and lists"
            + " inside it too: a change the caller makes afterwards reaches neither the value nor what it holds")
    @SuppressWarnings("unchecked")
    void everyJsonMapIsCopiedWhole() {
        Owner alice = Owner.user("alice");
        Map<String, Function<Map<String, ?>, Map<String, Object>>> takers = new LinkedHashMap<>();
        takers.put("NewMessage.metadata", m -> NewMessage.user("hi").metadata(m).metadata());
        takers.put("NewConversation.metadata", m -> NewConversation.of(alice, "support").metadata(m).metadata());
        takers.put("NewGraphNode.metadata", m -> NewGraphNode.of("k").metadata(m).metadata());
        takers.put("NewGraphEdge.metadata", m -> NewGraphEdge.of("a", "knows", "b").metadata(m).metadata());
        takers.put("NewTask.of", m -> NewTask.of("mail", m).payload());
        takers.put("NewAsset.metadata", m -> NewAsset.of(AssetType.FILE, "a.txt", null).metadata(m).metadata());
        takers.put("NewVoiceCall.metadata", m -> NewVoiceCall.of("s", "p", "m").metadata(m).metadata());
        takers.put("NewRevision.of", m -> NewRevision.of("prompt", m).settings());
        takers.put("AssistantSpec.metadata", m -> AssistantSpec.of("bot", "Bot").metadata(m).metadata());
        takers.put("MemoryPatch.metadata", m -> MemoryPatch.none().metadata(m).metadata());
        takers.put("NewMemory.metadata", m -> NewMemory.fact(alice, "x").metadata(m).metadata());
        takers.put("ExecutionSpec.metadata", m -> ExecutionSpec.text("p", "m").metadata(m).metadata());
        takers.put("NewToolCall.metadata", m -> NewToolCall.of(null, "t", "{}").metadata(m).metadata());
        takers.put("SettingsRevision", m -> new SettingsRevision(UUID.randomUUID(), "t", UUID.randomUUID(), 1, RevisionKind.PUBLISHED, null, 0,
                Map.copyOf(m), null, null, Instant.EPOCH).values());
        takers.put("AssistantRevision", m -> new dev.atlas.assistant.AssistantRevision(UUID.randomUUID(), "t", UUID.randomUUID(), 1,
                RevisionKind.PUBLISHED, null, 0, "p", Map.copyOf(m), null, null, Instant.EPOCH).settings());
        takers.put("Assistant", m -> new dev.atlas.assistant.Assistant(UUID.randomUUID(), "t", "bot", "Bot", null, true, false, null, null,
                null, null, null, List.of(), Map.copyOf(m), null, 0, 0, Instant.EPOCH, Instant.EPOCH, null).metadata());
        takers.forEach((name, taker) -> {
            Map<String, Object> nested = new LinkedHashMap<>();
            nested.put("a", 1);
            List<Object> list = new ArrayList<>(List.of("x"));
            Map<String, Object> given = new LinkedHashMap<>();
            given.put("n", nested);
            given.put("l", list);
            Map<String, Object> held = taker.apply(given);
            nested.put("b", 2);
            list.add(3);
            given.put("c", 4);
            assertThat(held).as(name).isEqualTo(Map.of("n", Map.of("a", 1), "l", List.of("x")));
            // and what it holds is immutable all the way down: no caller of the value changes it either
            assertThatThrownBy(() -> held.put("d", 5)).as(name).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> ((Map<String, Object>) held.get("n")).put("e", 6)).as(name).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> ((List<Object>) held.get("l")).add(7)).as(name).isInstanceOf(UnsupportedOperationException.class);
        });
    }
}
