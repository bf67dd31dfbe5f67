package dev.atlas.jdbi.newcomer;

import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantRevision;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.assistant.NewRevision;
import dev.atlas.assistant.Settings;
import dev.atlas.assistant.SettingsStore;
import dev.atlas.graph.Direction;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A new user's first programs, written from README.md, docs/api.md, docs/memory-and-search.md and
 * docs/assistants-credentials-tasks.md: each documented promise exactly as written, and the mistakes
 * a newcomer makes, which must be typed exceptions naming the field.
 */
public abstract class NewcomerContract extends AtlasContract {

    protected NewcomerContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("neighbours and traverse of a node that does not exist (or is another tenant's) name key, as requireNode does")
    void graphReadsOfAMissingNodeNameKey() {
        Tenant acme = atlas.tenant("acme");
        atlas.tenant("globex").graph().upsertNode(NewGraphNode.of("user:42"));
        MemoryGraph graph = acme.graph();
        for (String key : new String[] {"ghost", "user:42"}) {
            String message = "key: graph node " + key + " not found";
            assertThatThrownBy(() -> graph.requireNode(key)).isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
            assertThatThrownBy(() -> graph.neighbours(key, Direction.BOTH, null))
                    .isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
            assertThatThrownBy(() -> graph.neighbours(key, Direction.OUTGOING, "likes", 10, null))
                    .isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
            assertThatThrownBy(() -> graph.traverse(key, Direction.BOTH, null, 3, 100))
                    .isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
            assertThatThrownBy(() -> graph.deleteNode(key)).isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
        }
    }

    @Test
    @DisplayName("a rollback or diff naming a revision the document does not have names the argument that named it; nothing is written")
    void missingRevisionsNameTheirArgument() {
        Tenant acme = atlas.tenant("acme");
        AssistantStore assistants = acme.assistants();
        Assistant bot = assistants.create(AssistantSpec.of("support-bot", "Support bot"));
        AssistantRevision v1 = assistants.publish(bot.id(), NewRevision.of("You are helpful.", Map.of("tone", "warm")));
        Assistant other = assistants.create(AssistantSpec.of("other-bot", "Other bot"));
        AssistantRevision otherV1 = assistants.publish(other.id(), NewRevision.of("Other.", Map.of()));
        Assistant globexBot = atlas.tenant("globex").assistants().create(AssistantSpec.of("support-bot", "Support bot"));
        AssistantRevision foreign = atlas.tenant("globex").assistants().publish(globexBot.id(), NewRevision.of("x", Map.of()));

        assertThatThrownBy(() -> assistants.rollback(bot.id(), 7, Owner.user("42"))).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("toNumber: assistant revision " + bot.id() + "#7 not found");
        assertThatThrownBy(() -> assistants.rollback(bot.id(), 7, Owner.user("42"), 1)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("toNumber: assistant revision " + bot.id() + "#7 not found");
        for (AssistantRevision notBots : new AssistantRevision[] {otherV1, foreign}) {
            assertThatThrownBy(() -> assistants.rollback(bot.id(), notBots.id(), null)).isExactlyInstanceOf(NotFoundException.class)
                    .hasMessage("toRevisionId: assistant revision " + notBots.id() + " not found");
            assertThatThrownBy(() -> assistants.rollback(bot.id(), notBots.id(), null, 1)).isExactlyInstanceOf(NotFoundException.class)
                    .hasMessage("toRevisionId: assistant revision " + notBots.id() + " not found");
        }
        assertThatThrownBy(() -> assistants.diff(bot.id(), 1, 2)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("toNumber: assistant revision " + bot.id() + "#2 not found");
        assertThatThrownBy(() -> assistants.diff(bot.id(), 5, 1)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("fromNumber: assistant revision " + bot.id() + "#5 not found");
        assertThat(assistants.revisions(bot.id())).containsExactly(v1);
        assertThat(assistants.require(bot.id()).lastRevisionNumber()).isEqualTo(1);

        SettingsStore settings = acme.settings();
        Settings chat = settings.create("plain-chat", "Plain chat", null);
        settings.publish(chat.id(), Map.of("model", "gpt-4o"), "v1", null);
        assertThatThrownBy(() -> settings.rollback(chat.id(), 3, null)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("toNumber: settings revision " + chat.id() + "#3 not found");
        assertThatThrownBy(() -> settings.rollback(chat.id(), 3, null, 1)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("toNumber: settings revision " + chat.id() + "#3 not found");
        assertThatThrownBy(() -> settings.diff(chat.id(), 1, 3)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("toNumber: settings revision " + chat.id() + "#3 not found");
        assertThatThrownBy(() -> settings.diff(chat.id(), 4, 1)).isExactlyInstanceOf(NotFoundException.class)
                .hasMessage("fromNumber: settings revision " + chat.id() + "#4 not found");
        assertThat(settings.revisions(chat.id())).hasSize(1);
    }
}
