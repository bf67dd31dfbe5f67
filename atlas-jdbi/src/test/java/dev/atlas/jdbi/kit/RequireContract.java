package dev.atlas.jdbi.kit;

import dev.atlas.AtlasBuilder;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.NewAsset;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.graph.GraphNode;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.memory.Memory;
import dev.atlas.memory.NewMemory;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.voice.NewVoiceCall;
import dev.atlas.voice.VoiceCall;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every store's {@code require}: the stored row when it exists in this tenant, else
 * {@link NotFoundException} with the same message for an unknown id and another tenant's id.
 */
public abstract class RequireContract extends AtlasContract {
    private static final byte[] KEY = new SecureRandom().generateSeed(32);

    protected RequireContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(CredentialKeys.of("k1", KEY));
    }

    @Test
    @DisplayName("require returns what get returns, and refuses another tenant's id exactly like an unknown one")
    void requireOnEveryStore() {
        Tenant acme = atlas.tenant("acme");
        Tenant globex = atlas.tenant("globex");
        Owner ada = Owner.user("ada");

        Conversation c = acme.conversations().create(NewConversation.of(ada));
        assertThat(acme.conversations().require(c.id())).isEqualTo(acme.conversations().get(c.id()).orElseThrow());
        assertThatThrownBy(() -> globex.conversations().require(c.id())).isInstanceOf(NotFoundException.class)
                .hasMessage("conversation " + c.id() + " not found");

        Message m = acme.conversations().append(c.id(), NewMessage.user("hi"));
        assertThat(acme.conversations().requireMessage(m.id())).isEqualTo(m);
        assertThatThrownBy(() -> globex.conversations().requireMessage(m.id())).isInstanceOf(NotFoundException.class)
                .hasMessage("message " + m.id() + " not found");

        Memory memory = acme.memories().create(NewMemory.fact(ada, "likes tea"));
        assertThat(acme.memories().require(memory.id())).isEqualTo(memory);
        assertThatThrownBy(() -> globex.memories().require(memory.id())).isInstanceOf(NotFoundException.class)
                .hasMessage("memory " + memory.id() + " not found");

        Task task = acme.tasks().create(NewTask.of("mail", Map.of()));
        assertThat(acme.tasks().require(task.id())).isEqualTo(task);
        assertThatThrownBy(() -> globex.tasks().require(task.id())).isInstanceOf(NotFoundException.class)
                .hasMessage("task " + task.id() + " not found");

        Asset asset = acme.assets().create(NewAsset.of(AssetType.FILE, "a.txt", "text/plain"), "x".getBytes(StandardCharsets.UTF_8));
        assertThat(acme.assets().require(asset.id())).isEqualTo(acme.assets().get(asset.id()).orElseThrow());
        assertThatThrownBy(() -> globex.assets().require(asset.id())).isInstanceOf(NotFoundException.class)
                .hasMessage("asset " + asset.id() + " not found");

        Assistant assistant = acme.assistants().create(AssistantSpec.of("helper", "Helper"));
        assertThat(acme.assistants().require(assistant.id())).isEqualTo(assistant);
        assertThatThrownBy(() -> globex.assistants().require(assistant.id())).isInstanceOf(NotFoundException.class)
                .hasMessage("assistant " + assistant.id() + " not found");

        VoiceCall call = acme.voiceCalls().start(NewVoiceCall.of("s-1", "openai", "realtime"));
        assertThat(acme.voiceCalls().require(call.id())).isEqualTo(call);
        assertThatThrownBy(() -> globex.voiceCalls().require(call.id())).isInstanceOf(NotFoundException.class)
                .hasMessage("voice call " + call.id() + " not found");

        Execution execution = acme.executions().create(ExecutionSpec.text("openai", "gpt-4o"));
        assertThat(acme.executions().require(execution.id())).isEqualTo(execution);
        assertThatThrownBy(() -> globex.executions().require(execution.id())).isInstanceOf(NotFoundException.class)
                .hasMessage("execution " + execution.id() + " not found");

        GraphNode node = acme.graph().upsertNode(NewGraphNode.of("user:ada"));
        assertThat(acme.graph().requireNode("user:ada")).isEqualTo(node);
        assertThatThrownBy(() -> globex.graph().requireNode("user:ada")).isInstanceOf(NotFoundException.class)
                .hasMessage("key: graph node user:ada not found");

        acme.credentials().upsert(ada, "openai", "sk-1");
        assertThat(acme.credentials().require(ada, "openai").reveal()).isEqualTo("sk-1");
        assertThatThrownBy(() -> globex.credentials().require(ada, "openai")).isInstanceOf(NotFoundException.class)
                .hasMessage("name: credential openai not found");
    }
}
