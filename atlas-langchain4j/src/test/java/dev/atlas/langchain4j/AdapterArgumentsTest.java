package dev.atlas.langchain4j;

import dev.atlas.Atlas;
import dev.atlas.ConfigurationException;
import dev.atlas.InvalidInputException;
import dev.atlas.Tenant;
import dev.atlas.conversation.NewConversation;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad arguments to the adapters fail with InvalidInputException naming the argument (Atlas's public checks). */
class AdapterArgumentsTest {
    @TempDir
    Path dir;

    @Test
    void badArgumentsAreNamed() {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("args.db"))) {
            Tenant tenant = atlas.tenant("acme");
            AtlasChatMemoryStore store = AtlasChatMemoryStore.of(tenant);
            assertNamed("maxMessages", () -> AtlasChatMemory.provider(store, 0));
            assertNamed("store", () -> AtlasChatMemory.provider((AtlasChatMemoryStore) null, 5));
            assertNamed("tenant", () -> AtlasChatMemoryStore.of(null));
            assertNamed("newConversation", () -> AtlasChatMemoryStore.of(tenant, (Function<Object, NewConversation>) null));
            assertNamed("provider", () -> AtlasChatModelListener.of(tenant, " ", "support"));
            assertNamed("tenant", () -> AtlasChatModelListener.of(null));
            assertThat(AtlasChatMemory.provider(store, 1)).isNotNull();
            assertNamed("agent", () -> AtlasChatMemoryStore.of(tenant, dev.atlas.Owner.user("1"), " "));
            assertNamed("owner", () -> AtlasChatMemoryStore.of(tenant, null, "support"));
            java.util.List<dev.langchain4j.data.message.ChatMessage> hi = java.util.List.of(dev.langchain4j.data.message.UserMessage.from("hi"));
            assertNamed("memoryId", () -> store.updateMessages("x".repeat(256), hi));
            assertNamed("memoryId", () -> store.updateMessages(" ", hi));
            assertNamed("memoryId", () -> store.getMessages(" "));
            assertNamed("memoryId", () -> store.updateMessages("a\u0000b", hi));
            assertNamed("memoryId", () -> store.updateMessages("a\uD800", hi));
            assertNamed("memoryId", () -> store.deleteMessages("a\u0000b"));
            assertNamed("memoryId", () -> store.updateMessages(new Object(), hi));
            assertNamed("memoryId", () -> store.updateMessages(null, hi));
            assertNamed("memoryId", () -> store.getMessages(null));
            assertNamed("memoryId", () -> store.updateMessages("\r\n", hi));
            // The store's own factory may fail: nothing is written.
            AtlasChatMemoryStore failing = AtlasChatMemoryStore.of(tenant, id -> null);
            assertNamed("newConversation", () -> failing.updateMessages("f", hi));
            assertNamed("messages[0]", () -> store.updateMessages("ok", java.util.Arrays.asList((dev.langchain4j.data.message.ChatMessage) null)));
            assertThat(tenant.conversations().list(dev.atlas.conversation.ConversationQuery.all()).items()).isEmpty();
        }
    }

    @Test
    @DisplayName("the listener's builder refuses a bad setting as atlas-core's builders do (docs/api.md, Null arguments):"
            + " a ConfigurationException naming it, never an InvalidInputException; the of factories' arguments stay"
            + " InvalidInputException")
    void listenerSettingsAreConfigurationErrors() {
        try (Atlas atlas = Atlas.sqlite(dir.resolve("settings.db"))) {
            Tenant tenant = atlas.tenant("acme");
            Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
            calls.put("tenant must not be null", () -> AtlasChatModelListener.builder((Tenant) null));
            calls.put("atlas must not be null", () -> AtlasChatModelListener.builder((Atlas) null));
            calls.put("provider must not be blank", () -> AtlasChatModelListener.builder(tenant).provider(" "));
            calls.put("provider must not be null", () -> AtlasChatModelListener.builder(tenant).provider(null));
            calls.put("agent must not be blank", () -> AtlasChatModelListener.builder(tenant).agent(" "));
            calls.put("agent is 256 characters; at most 255 are allowed", () -> AtlasChatModelListener.builder(tenant).agent("a".repeat(256)));
            calls.put("tenantResolver is for a listener built with an Atlas (builder(atlas)); this one records into tenant acme",
                    () -> AtlasChatModelListener.builder(tenant).tenantResolver(c -> "acme"));
            calls.put("tenantResolver must not be null", () -> AtlasChatModelListener.builder(atlas).tenantResolver(null));
            calls.put("abandonAfter must be positive, was PT0S", () -> AtlasChatModelListener.builder(tenant).abandonAfter(Duration.ZERO));
            calls.put("abandonAfter must be positive, was null", () -> AtlasChatModelListener.builder(tenant).abandonAfter(null));
            calls.put("clock must not be null", () -> AtlasChatModelListener.builder(tenant).clock(null));
            calls.forEach((message, call) -> assertThatThrownBy(call).as(message).isExactlyInstanceOf(ConfigurationException.class)
                    .hasMessage(message));
            assertNamed("tenant", () -> AtlasChatModelListener.of(null, "openai", "support"));
            assertNamed("provider", () -> AtlasChatModelListener.of(tenant, null, "support"));
            assertNamed("agent", () -> AtlasChatModelListener.of(tenant, "openai", " "));
        }
    }

    private static void assertNamed(String field, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo(field));
    }
}
